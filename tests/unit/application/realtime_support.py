"""The realtime core on its in-memory adapters (channels and cache), as unit tests build it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from src.adapters.memory.realtime_ids import InMemoryRealtimeSequencer
from src.adapters.realtime.channels import open_channels
from src.application.realtime.hub import RealtimeHub
from src.application.realtime.messages import RealtimeConfig
from src.application.realtime.ports import RealtimeChannels
from src.domain.shared.principal import Principal, Rank
from tests.support.clocks import FakeClock

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Sessions:
    """Liveness by session id; unknown sessions are live."""

    revoked: set[str] = field(default_factory=set)
    failing: bool = False

    checks: list[list[tuple[str, str]]] = field(default_factory=list)

    async def live(self, sessions: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        self.checks.append(sorted(sessions))
        if self.failing:
            raise ConnectionError("cache down")
        return {(session_id, user_id) for session_id, user_id in sessions if session_id not in self.revoked}


@dataclass
class Realtime:
    hub: RealtimeHub
    channels: RealtimeChannels
    ids: InMemoryRealtimeSequencer
    sessions: Sessions


@asynccontextmanager
async def realtime(**config: float) -> AsyncIterator[Realtime]:
    settings = RealtimeConfig(**config)  # type: ignore[arg-type]
    ids, sessions = InMemoryRealtimeSequencer(), Sessions()
    async with open_channels(
        None, namespace="t:", history=settings.history_size, history_ttl_seconds=60, block_ms=10
    ) as channels:
        yield Realtime(RealtimeHub(channels, ids, FakeClock(NOW), settings, sessions.live), channels, ids, sessions)


def principal(user_id: str = "u1", session_id: str = "s1") -> Principal:
    return Principal(user_id=user_id, session_id=session_id, rank=Rank.STANDARD, is_admin=False)
