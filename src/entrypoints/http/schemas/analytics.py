"""Wire formats of action tracking and the operator KPIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.analytics.tracking import MAX_BULK, ReportedAction
from src.domain.analytics.actions import PlayerAction
from src.entrypoints.http.schemas.identity import Struct

ClientTimestamp = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 with an offset")]


class ActionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`action_type`: a documented type (`screen_view`, `button_click`, …) or `custom:<name>`; `context`: a small
    JSON object (at most 4 levels, 32 keys or items each, 2 KB) whose `password`, `phone*`, `email*` and `card*`
    keys are dropped at any depth before it is stored; `client_ts`: the client's clock, kept beside the server's."""

    action_type: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    context: dict[str, Any] | None = None
    client_ts: ClientTimestamp | None = None

    def to_reported(self, field: str = "") -> ReportedAction:
        return ReportedAction(self.action_type, self.context, self.client_ts, field)


class ActionBulkIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    actions: Annotated[list[ActionIn], msgspec.Meta(min_length=1, max_length=MAX_BULK)]

    def to_reported(self) -> list[ReportedAction]:
        return [action.to_reported(f"actions[{index}]") for index, action in enumerate(self.actions)]


class ActionsAcceptedOut(Struct):
    accepted: int
    action_ids: list[str]  # in the order sent
    received_at: datetime  # the server time every action of the request was stamped with

    @classmethod
    def of(cls, actions: list[PlayerAction]) -> ActionsAcceptedOut:
        return cls(
            accepted=len(actions),
            action_ids=[action.action_id for action in actions],
            received_at=actions[0].tracked_at,
        )


class ActionOut(Struct):
    action_id: str
    action_type: str
    context: dict[str, Any]  # as stored: sensitive keys already gone
    client_ts: datetime | None
    server_ts: datetime

    @classmethod
    def of(cls, action: PlayerAction) -> ActionOut:
        return cls(
            action_id=action.action_id,
            action_type=action.action_type,
            context=action.context,
            client_ts=action.client_ts,
            server_ts=action.tracked_at,
        )
