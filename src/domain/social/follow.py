"""Following: a player follows another to see them on boards and feeds; never themselves."""

from __future__ import annotations

from src.domain.shared.errors import InvalidInput


class CannotFollowSelf(InvalidInput):
    default_message = "you cannot follow yourself"

    def __init__(self) -> None:
        super().__init__(details={"fields": [{"key": "user_id", "message": self.default_message, "source": "path"}]})


def check_can_follow(follower_id: str, followee_id: str) -> None:
    if follower_id == followee_id:
        raise CannotFollowSelf
