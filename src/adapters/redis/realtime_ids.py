"""Realtime message ids on Redis: one Lua script numbers a whole relay pass atomically, in one round trip."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from src.application.realtime.ports import IdRequest

# KEYS: counter, n event keys, n pointer keys. ARGV: event ttl ms, n, n pointer ttls (ms, 0 = none), n fallbacks.
_ASSIGN = """
local n = tonumber(ARGV[2])
local running, ttls, out = {}, {}, {}
for i = 1, n do
  local event_key, pointer_key = KEYS[1 + i], KEYS[1 + n + i]
  if running[pointer_key] == nil then
    local pointer = redis.call('GET', pointer_key)
    running[pointer_key] = pointer and tonumber(pointer) or tonumber(ARGV[2 + n + i])
    ttls[pointer_key] = tonumber(ARGV[2 + i])
  end
  local id, prev
  local stored = redis.call('GET', event_key)
  if stored then
    local colon = string.find(stored, ':', 1, true)
    id, prev = tonumber(string.sub(stored, 1, colon - 1)), tonumber(string.sub(stored, colon + 1))
  else
    id, prev = redis.call('INCR', KEYS[1]), running[pointer_key]
    redis.call('SET', event_key, id .. ':' .. prev, 'PX', ARGV[1])
  end
  if id > running[pointer_key] then running[pointer_key] = id end
  out[2 * i - 1], out[2 * i] = id, prev
end
for pointer_key, last in pairs(running) do
  if ttls[pointer_key] > 0 then
    redis.call('SET', pointer_key, last, 'PX', ttls[pointer_key])
  elseif last >= 0 then
    redis.call('SET', pointer_key, last)
  end
end
return out
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisRealtimeSequencer:
    def __init__(self, client: Redis, namespace: str) -> None:
        self._redis = client
        self._prefix = f"{namespace}realtime:"
        self._assign = client.register_script(_ASSIGN)

    async def assign(self, requests: Sequence[IdRequest], event_ttl_seconds: float) -> list[tuple[int, int]]:
        if not requests:
            return []
        keys = [
            f"{self._prefix}seq",
            *(f"{self._prefix}event:{request.event_id}" for request in requests),
            *(f"{self._prefix}last:{request.channel}" for request in requests),
        ]
        pointer_ttls = [0 if r.pointer_ttl_seconds is None else _ms(r.pointer_ttl_seconds) for r in requests]
        args = [_ms(event_ttl_seconds), len(requests), *pointer_ttls, *(r.prev_if_unknown for r in requests)]
        flat = await self._assign(keys=keys, args=args)
        return [(int(flat[index]), int(flat[index + 1])) for index in range(0, len(flat), 2)]

    async def last_id(self, channel: str) -> int | None:
        value = await self._redis.get(f"{self._prefix}last:{channel}")
        return None if value is None else int(value)
