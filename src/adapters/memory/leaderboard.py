"""In-process leaderboards for the embedded default and unit tests; same contract as RedisLeaderboard.

No method awaits midway, so each call is one atomic step on the event loop. Dedupe marks and dated sets
expire like their Redis twins, measured on `monotonic` (injectable for tests).
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from src.application.games.leaderboard import (
    DEDUPE_TTL,
    PERIOD_TTLS,
    ScoredEvent,
    check_board,
    check_scores,
    check_top_limit,
    period_key,
    period_of_key,
    score_writes,
)


def _order(entry: tuple[str, float]) -> tuple[float, str]:
    return -entry[1], entry[0]


class InMemoryLeaderboard:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._sets: dict[str, dict[str, float]] = {}
        self._set_deadlines: dict[str, float] = {}
        self._seen: dict[str, float] = {}
        self._seen_deadlines: deque[tuple[float, str]] = deque()  # in deadline order: every mark has the same ttl

    def _forget_expired(self, now: float) -> None:
        while self._seen_deadlines and self._seen_deadlines[0][0] <= now:
            deadline, event_id = self._seen_deadlines.popleft()
            if self._seen.get(event_id) == deadline:
                del self._seen[event_id]
        for key in [key for key, deadline in self._set_deadlines.items() if deadline <= now]:
            del self._set_deadlines[key]
            self._sets.pop(key, None)

    def _expire_later(self, key: str, ttl: timedelta | None, now: float) -> None:
        if ttl is not None:
            self._set_deadlines[key] = now + ttl.total_seconds()

    def _scores(self, board: str, key: str) -> dict[str, float]:
        self._forget_expired(self._monotonic())
        return self._sets.get(f"{board}:{key}", {})

    async def apply(self, event_id: str, user_id: str, increments: Mapping[str, float], occurred_at: datetime) -> bool:
        writes = score_writes(increments, occurred_at)
        now = self._monotonic()
        self._forget_expired(now)
        if event_id in self._seen:
            return False
        deadline = now + DEDUPE_TTL.total_seconds()
        self._seen[event_id] = deadline
        self._seen_deadlines.append((deadline, event_id))
        for write in writes:
            key = f"{write.board}:{write.period_key}"
            scores = self._sets.setdefault(key, {})
            scores[user_id] = scores.get(user_id, 0.0) + write.increment
            self._expire_later(key, write.ttl, now)
        return True

    async def apply_many(self, scores: Sequence[ScoredEvent]) -> int:
        for event in scores:  # validate all before applying any, like the Redis adapter
            score_writes(event.increments, event.occurred_at)
        applied = [await self.apply(e.event_id, e.user_id, e.increments, e.occurred_at) for e in scores]
        return sum(applied)

    async def top(self, board: str, period: str, limit: int, now: datetime) -> list[tuple[str, float]]:
        check_board(board)
        check_top_limit(limit)
        scores = self._scores(board, period_key(period, now))
        return heapq.nsmallest(limit, scores.items(), key=_order)

    async def rank_of(self, board: str, period: str, user_id: str, now: datetime) -> tuple[int, float] | None:
        check_board(board)
        scores = self._scores(board, period_key(period, now))
        if user_id not in scores:
            return None
        mine = _order((user_id, scores[user_id]))
        return 1 + sum(1 for entry in scores.items() if _order(entry) < mine), scores[user_id]

    async def replace(self, board: str, period_key: str, scores: Mapping[str, float]) -> None:
        check_board(board)
        ttl = PERIOD_TTLS[period_of_key(period_key)]
        checked = check_scores(scores, "scores")
        key = f"{board}:{period_key}"
        now = self._monotonic()
        self._sets.pop(key, None)
        self._set_deadlines.pop(key, None)
        if checked:
            self._sets[key] = checked
            self._expire_later(key, ttl, now)

    async def remove_player(self, user_id: str) -> int:
        self._forget_expired(self._monotonic())
        return sum(1 for scores in self._sets.values() if scores.pop(user_id, None) is not None)
