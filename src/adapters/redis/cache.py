"""Redis implementation of the Cache port; atomic steps run as Lua scripts on the server clock."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from redis.asyncio import Redis

from src.adapters.redis.errors import unavailable_when_unreachable
from src.application.shared.ports import RateLimitDecision

_INCR_WITH_TTL = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""

_RELEASE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_EXTEND_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_SLIDING_WINDOW_HIT = """
local window_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_ms)
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window_ms)
  return {1, count + 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] == nil then
  return {0, count, window_ms}
end
return {0, count, tonumber(oldest[2]) + window_ms - now}
"""

_SLIDING_WINDOW_ADD = """
local window_ms = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_ms)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], window_ms)
return redis.call('ZCARD', KEYS[1])
"""

# `_SLIDING_WINDOW_ADD` for each key with its member (ARGV[i + 1]), at one moment: the counts in the keys' order
_SLIDING_WINDOWS_ADD = """
local window_ms = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_ms)
  redis.call('ZADD', key, now, ARGV[i + 1])
  redis.call('PEXPIRE', key, window_ms)
  counts[i] = redis.call('ZCARD', key)
end
return counts
"""

# An attempt window is one sorted set: running attempts ('r:<id>', scored when they started), failures
# ('f:<id>', scored when they failed) and, while the key is locked, only the member 'locked' scored with its end.
_ATTEMPTS_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local locked_until = tonumber(redis.call('ZSCORE', KEYS[1], 'locked') or 0)
if locked_until <= now then
  redis.call('ZREM', KEYS[1], 'locked')
end
"""

_RESERVE_ATTEMPT = (
    _ATTEMPTS_NOW
    + """
if locked_until > now then
  return {0, 0, locked_until - now}
end
local window_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_ms)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] == nil then
    return {0, count, window_ms}
  end
  return {0, count, tonumber(oldest[2]) + window_ms - now}
end
redis.call('ZADD', KEYS[1], now, 'r:' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return {1, count + 1, 0}
"""
)

_FAIL_ATTEMPT = (
    _ATTEMPTS_NOW
    + """
if locked_until > now then
  return 0
end
local window_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_ms)
redis.call('ZREM', KEYS[1], 'r:' .. ARGV[4])
redis.call('ZADD', KEYS[1], now, 'f:' .. ARGV[4])
local failures = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(member, 1, 2) == 'f:' then
    failures = failures + 1
  end
end
if failures < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], window_ms)
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), 'locked')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
)

_RELEASE_ATTEMPT = """
redis.call('ZREM', KEYS[1], 'r:' .. ARGV[1])
if ARGV[2] == '1' then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(member, 1, 2) == 'f:' then
      redis.call('ZREM', KEYS[1], member)
    end
  end
end
return 0
"""


def _text(value: object) -> str | None:
    return None if value is None else value.decode() if isinstance(value, bytes) else str(value)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisCache:
    """Keys live under `namespace`, so several deployments or test runs can share one Redis; an unreachable Redis
    raises DependencyUnavailable."""

    def __init__(self, client: Redis, namespace: str = "cc:") -> None:
        self._redis = client
        self._ns = namespace
        self._incr = client.register_script(_INCR_WITH_TTL)
        self._release = client.register_script(_RELEASE_IF_OWNER)
        self._extend = client.register_script(_EXTEND_IF_OWNER)
        self._window_hit = client.register_script(_SLIDING_WINDOW_HIT)
        self._window_add = client.register_script(_SLIDING_WINDOW_ADD)
        self._windows_add = client.register_script(_SLIDING_WINDOWS_ADD)
        self._reserve_attempt = client.register_script(_RESERVE_ATTEMPT)
        self._fail_attempt = client.register_script(_FAIL_ATTEMPT)
        self._release_attempt = client.register_script(_RELEASE_ATTEMPT)

    def _key(self, key: str) -> str:
        return self._ns + key

    @unavailable_when_unreachable
    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._key(key))
        return _text(value)

    @unavailable_when_unreachable
    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        values = await self._redis.mget([self._key(key) for key in keys])
        return [_text(value) for value in values]

    @unavailable_when_unreachable
    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        await self._redis.set(self._key(key), value, px=None if ttl_seconds is None else _ms(ttl_seconds))

    @unavailable_when_unreachable
    async def set_if_absent(self, key: str, value: str, ttl_seconds: float) -> bool:
        return bool(await self._redis.set(self._key(key), value, px=_ms(ttl_seconds), nx=True))

    @unavailable_when_unreachable
    async def delete(self, key: str) -> None:
        await self._redis.delete(self._key(key))

    @unavailable_when_unreachable
    async def ttl(self, key: str) -> float | None:
        millis = await self._redis.pttl(self._key(key))
        return None if millis < 0 else millis / 1000

    @unavailable_when_unreachable
    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        ttl_ms = 0 if ttl_seconds is None else _ms(ttl_seconds)
        return int(await self._incr(keys=[self._key(key)], args=[amount, ttl_ms]))

    async def acquire_lock(self, key: str, ttl_seconds: float) -> str | None:
        token = secrets.token_hex(16)
        return token if await self.set_if_absent(key, token, ttl_seconds) else None

    @unavailable_when_unreachable
    async def release_lock(self, key: str, token: str) -> bool:
        return bool(await self._release(keys=[self._key(key)], args=[token]))

    @unavailable_when_unreachable
    async def extend_lock(self, key: str, token: str, ttl_seconds: float) -> bool:
        return bool(await self._extend(keys=[self._key(key)], args=[token, _ms(ttl_seconds)]))

    @unavailable_when_unreachable
    async def hit_rate_limit(self, key: str, limit: int, window_seconds: float) -> RateLimitDecision:
        allowed, count, retry_ms = await self._window_hit(
            keys=[self._key(key)], args=[limit, _ms(window_seconds), secrets.token_hex(8)]
        )
        return RateLimitDecision(
            allowed=bool(allowed), count=int(count), retry_after_seconds=max(0, int(retry_ms)) / 1000
        )

    @unavailable_when_unreachable
    async def add_to_window(self, key: str, member: str, window_seconds: float) -> int:
        return int(await self._window_add(keys=[self._key(key)], args=[_ms(window_seconds), member]))

    @unavailable_when_unreachable
    async def add_to_windows(self, entries: Sequence[tuple[str, str]], window_seconds: float) -> list[int]:
        if not entries:
            return []
        keys = [self._key(key) for key, _ in entries]
        counts = await self._windows_add(keys=keys, args=[_ms(window_seconds), *(member for _, member in entries)])
        return [int(count) for count in counts]

    @unavailable_when_unreachable
    async def reserve_attempt(self, key: str, attempt: str, limit: int, window_seconds: float) -> RateLimitDecision:
        allowed, count, retry_ms = await self._reserve_attempt(
            keys=[self._key(key)], args=[limit, _ms(window_seconds), attempt]
        )
        return RateLimitDecision(
            allowed=bool(allowed), count=int(count), retry_after_seconds=max(0, int(retry_ms)) / 1000
        )

    @unavailable_when_unreachable
    async def fail_attempt(
        self, key: str, attempt: str, limit: int, window_seconds: float, lock_seconds: float
    ) -> bool:
        locked = await self._fail_attempt(
            keys=[self._key(key)], args=[limit, _ms(window_seconds), _ms(lock_seconds), attempt]
        )
        return bool(locked)

    @unavailable_when_unreachable
    async def release_attempt(self, key: str, attempt: str, *, forget_failures: bool = False) -> None:
        await self._release_attempt(keys=[self._key(key)], args=[attempt, "1" if forget_failures else "0"])

    @unavailable_when_unreachable
    async def ping(self) -> None:
        await self._redis.ping()
