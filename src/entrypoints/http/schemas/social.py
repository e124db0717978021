"""Wire formats of the social routes."""

from __future__ import annotations

from datetime import datetime

from src.entrypoints.http.schemas.identity import Struct


class FollowOut(Struct):
    user_id: str
    nickname: str
    followed_at: datetime


class FollowStateOut(Struct):
    user_id: str
    following: bool
