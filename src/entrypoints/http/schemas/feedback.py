"""Wire format of the feedback route."""

from __future__ import annotations

from src.application.engagement.feedback import Feedback
from src.entrypoints.http.schemas.identity import Struct


class FeedbackOut(Struct):
    message: str  # in `language`
    emotion: str
    animation_key: str  # the client animation to play
    situation: str  # what was recognised: big_win, near_miss, win_streak, loss_streak, streak_milestone, ...
    language: str  # "ko" or "en", from Accept-Language (Korean by default)

    @classmethod
    def of(cls, feedback: Feedback) -> FeedbackOut:
        return cls(
            message=feedback.message,
            emotion=feedback.emotion,
            animation_key=feedback.animation_key,
            situation=feedback.situation.value,
            language=feedback.language,
        )
