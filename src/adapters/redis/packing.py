"""Redis commands packed in C (hiredis) instead of redis-py's Python packer, on the asyncio client.

redis-py's asyncio connection packs every argument in Python (an encoder call and a few byte joins each): a relay
pass's realtime messages and leaderboard script carry a dozen arguments per event, and packing was two thirds of
the realtime fan-out's CPU (20 ms for 1,000 messages). hiredis (already redis-py's reply parser here) packs the
same bytes. Arguments other than text, bytes and integers (floats, and whatever redis-py refuses) go through
redis-py's own packer, unchanged.
"""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio.connection import Connection

_PLAIN = frozenset({str, bytes, int})  # exact types: not bool (redis-py refuses it), nor a subclass


class HiredisPackingConnection(Connection):
    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0] if args else None
        if (
            not args
            or not _PLAIN.issuperset(map(type, args))
            or (isinstance(first, str) and " " in first)  # 'CONFIG GET': redis-py sends its words apart
            or (isinstance(first, bytes) and b" " in first)
        ):
            return super().pack_command(*args)
        return [hiredis.pack_command(args)]
