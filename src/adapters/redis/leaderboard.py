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

# A relay pass's events in one call, each as `_APPLY` does it, in order (an event seen before, or twice in the
# batch, adds nothing). KEYS: per event its dedupe mark, then its sets; ARGV[1]: mark ttl ms; then per event: user
# id, number of sets, then (increment, ttl ms or 0) per set. Returns how many events were applied.
_APPLY_MANY = """
local applied = 0
local k, a = 1, 2
while a <= #ARGV do
  local user, sets = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local fresh = redis.call('SET', KEYS[k], '1', 'NX', 'PX', ARGV[1])
  k = k + 1
  if fresh then
    applied = applied + 1
    for i = 0, sets - 1 do
      redis.call('ZINCRBY', KEYS[k + i], ARGV[a + 2 * i], user)
      local ttl = tonumber(ARGV[a + 2 * i + 1])
      if ttl > 0 then
        redis.call('PEXPIRE', KEYS[k + i], ttl)
      end
    end
  end
  k = k + sets
  a = a + 2 * sets
end
return applied
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
        self._apply_many = client.register_script(_APPLY_MANY)
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
        """One script call for the whole batch (a pipeline of one script call per event cost redis-py's command
        packing per event: a seventh of the relay's CPU under spins); each event applies as `apply` does."""
        if not scores:
            return 0
        keys: list[str] = []
        args: list[str | int] = [_ms(DEDUPE_TTL)]
        for event in scores:  # validates every event first
            event_keys, event_args = self._apply_arguments(event)
            keys += event_keys
            args += [event.user_id, len(event_keys) - 1, *event_args[2:]]
        return int(await self._apply_many(keys=keys, args=args))

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
