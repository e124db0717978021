"""Realtime refusals."""

from __future__ import annotations

from src.domain.shared.errors import RateLimited


class TooManyConnections(RateLimited):
    """The user already holds the allowed number of live connections on this instance."""

    default_message = "too many realtime connections for this user"

    def __init__(self, limit: int) -> None:
        super().__init__(5, f"at most {limit} realtime connections per user")
