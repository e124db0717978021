"""Feedback route: a message for the caller's action, from their own recent context, in their language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from src.application.engagement.feedback import FeedbackDeps, feedback_for
from src.domain.engagement.feedback import ActionType, Outcome
from src.domain.engagement.feedback_messages import DEFAULT_LANGUAGE, LANGUAGES
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.feedback import FeedbackOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
ActionTypeQuery = Annotated[
    str | None,
    QueryParameter(
        name="action_type", max_length=32, description=f"one of {', '.join(action.value for action in ActionType)}"
    ),
]
OutcomeQuery = Annotated[
    str | None,
    QueryParameter(name="outcome", max_length=32, description=f"one of {', '.join(o.value for o in Outcome)}"),
]


def provide_feedback(request: Request[Any, Any, Any]) -> FeedbackDeps:
    container = container_of(request)
    return FeedbackDeps(container.engagement, container.games)


def _quality(part: str) -> float:
    for parameter in part.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def language_of(header: str | None) -> str:
    """The supported language the client prefers most (`Accept-Language` q-values), Korean when none is."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag = part.split(";")[0].strip().lower().split("-")[0]
        if tag in LANGUAGES and (quality := _quality(part)) > 0:
            ranked.append((-quality, position, tag))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


class FeedbackController(Controller):
    path = "/api/feedback"
    tags = ["engagement"]  # noqa: RUF012
    dependencies = {"feedback": Provide(provide_feedback, sync_to_thread=False)}  # noqa: RUF012

    @get("/", operation_id="feedback")
    async def feedback(
        self,
        request: PrincipalRequest,
        feedback: NamedDependency[FeedbackDeps],
        action_type: ActionTypeQuery = None,
        outcome: OutcomeQuery = None,
    ) -> FeedbackOut:
        """Chosen from the caller's recent plays, daily streak and VIP changes; the same inputs and context always
        give the same answer. `Accept-Language: ko|en` (Korean by default); 400 for an unknown value."""
        language = language_of(request.headers.get("accept-language"))
        answer = await feedback_for(request.user.user_id, action_type, outcome, language, feedback)
        return FeedbackOut.of(answer)
