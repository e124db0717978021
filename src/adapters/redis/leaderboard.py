"""Redis leaderboards: sorted sets `lb:<board>:<period key>`, written and read by Lua scripts in one step.

Redis orders equal scores by member descending in ZREVRANGE; our contract wants user id ascending, so `top`
re-reads the members that share the boundary score and `rank_of` counts with ZCOUNT and ZRANK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from redis.asyncio import Redis

from src.adapters.redis.errors import unavailable_when_unreachable
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

# KEYS: dedupe mark, then the sets; ARGV: mark ttl ms, user id, then (increment, ttl ms or 0) per set.
_APPLY = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
for i = 2, #KEYS do
  local at = 3 + (i - 2) * 2
  redis.call('ZINCRBY', KEYS[i], ARGV[at], ARGV[2])
  local ttl = tonumber(ARGV[at + 1])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
"""

# The best `limit` members, and when that many exist, up to `limit` members at the boundary score, id ascending.
_TOP = """
local limit = tonumber(ARGV[1])
local best = redis.call('ZREVRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
if #best < 2 * limit then
  return {best, {}}
end
local boundary = best[#best]
return {best, redis.call('ZRANGEBYSCORE', KEYS[1], boundary, boundary, 'LIMIT', 0, limit)}
"""

# rank = members scoring higher + members with the same score and a smaller id + 1.
# ZRANK counts (lower scores) + (same score, smaller id), so the second term is ZRANK - lower.
_RANK = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  return false
end
local higher = redis.call('ZCOUNT', KEYS[1], '(' .. score, '+inf')
local lower = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score)
local position = redis.call('ZRANK', KEYS[1], ARGV[1])
return {higher + position - lower + 1, score}
"""


def _ms(ttl: timedelta | None) -> int:
    return 0 if ttl is None else max(1, round(ttl.total_seconds() * 1000))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _order(entry: tuple[str, float]) -> tuple[float, str]:
    return -entry[1], entry[0]


class RedisLeaderboard:
    """Keys live under `namespace`, like RedisCache; instances sharing a namespace share the boards."""

    def __init__(self, client: Redis, namespace: str = "cc:") -> None:
        self._redis = client
        self._ns = namespace
        self._apply = client.register_script(_APPLY)
        self._top = client.register_script(_TOP)
        self._rank = client.register_script(_RANK)

    def _board_key(self, board: str, key: str) -> str:
        return f"{self._ns}lb:{board}:{key}"

    def _apply_arguments(self, event: ScoredEvent) -> tuple[list[str], list[str | int]]:
        writes = score_writes(event.increments, event.occurred_at)
        keys = [f"{self._ns}lbseen:{event.event_id}", *(self._board_key(w.board, w.period_key) for w in writes)]
        args: list[str | int] = [_ms(DEDUPE_TTL), event.user_id]
        for write in writes:
            args += [repr(write.increment), _ms(write.ttl)]
        return keys, args

    @unavailable_when_unreachable
    async def apply(self, event_id: str, user_id: str, increments: Mapping[str, float], occurred_at: datetime) -> bool:
        keys, args = self._apply_arguments(ScoredEvent(event_id, user_id, increments, occurred_at))
        return bool(await self._apply(keys=keys, args=args))

    @unavailable_when_unreachable
    async def apply_many(self, scores: Sequence[ScoredEvent]) -> int:
        """One pipelined round trip; each event's script still runs atomically on its own."""
        if not scores:
            return 0
        arguments = [self._apply_arguments(event) for event in scores]  # validates every event first
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args in arguments:
                await self._apply(keys=keys, args=args, client=pipe)
            results = await pipe.execute()
        return sum(1 for result in results if result)

    @unavailable_when_unreachable
    async def top(self, board: str, period: str, limit: int, now: datetime) -> list[tuple[str, float]]:
        check_board(board)
        check_top_limit(limit)
        key = self._board_key(board, period_key(period, now))
        best, ties = await self._top(keys=[key], args=[limit])
        entries = [(_text(member), float(score)) for member, score in zip(best[::2], best[1::2], strict=True)]
        if len(entries) < limit:
            return sorted(entries, key=_order)
        boundary = entries[-1][1]
        higher = sorted((entry for entry in entries if entry[1] > boundary), key=_order)
        return higher + [(_text(member), boundary) for member in ties[: limit - len(higher)]]

    @unavailable_when_unreachable
    async def rank_of(self, board: str, period: str, user_id: str, now: datetime) -> tuple[int, float] | None:
        check_board(board)
        found = await self._rank(keys=[self._board_key(board, period_key(period, now))], args=[user_id])
        if found is None:
            return None
        rank, score = found
        return int(rank), float(score)

    @unavailable_when_unreachable
    async def replace(self, board: str, period_key: str, scores: Mapping[str, float]) -> None:
        check_board(board)
        ttl = PERIOD_TTLS[period_of_key(period_key)]
        checked = check_scores(scores, "scores")
        key = self._board_key(board, period_key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if checked:
                pipe.zadd(key, checked)
                if ttl is not None:
                    pipe.pexpire(key, _ms(ttl))
            await pipe.execute()

    @unavailable_when_unreachable
    async def remove_player(self, user_id: str) -> int:
        """Every board set under the namespace (SCAN: the sets are few, one per board and live period)."""
        removed = 0
        async for key in self._redis.scan_iter(match=f"{self._ns}lb:*", count=500):
            removed += int(await self._redis.zrem(key, user_id))
        return removed
