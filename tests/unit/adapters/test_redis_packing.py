"""Redis commands packed by hiredis are the bytes redis-py's own packer makes, and what it cannot pack alike goes
through redis-py's packer (its errors included)."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from src.adapters.redis.packing import HiredisPackingConnection

COMMANDS: list[tuple[Any, ...]] = [
    ("GET", "key"),
    ("SET", "key", b"value", "PX", 1500),
    ("XADD", "user:1", "MAXLEN", "~", 100, "*", "data", b'{"id":1,"type":"x"}', "channel", "user:1"),
    ("EVALSHA", "a" * 40, 3, "k1", "k2", "k3", -7, 0, "é ü 😀", b"\x00\xff"),
    ("CONFIG GET", "maxmemory"),  # words split apart by redis-py
    (b"CLIENT SETNAME", b"relay"),
    ("ZADD", "board", 1.5, "member"),  # a float: redis-py's own formatting
    ("SET", "big", b"x" * 10_000),  # past redis-py's chunking cutoff
]


def _packed(connection: Connection, args: tuple[Any, ...]) -> bytes:
    return b"".join(bytes(part) for part in connection.pack_command(*args))


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: str(args[0]))
def test_a_command_is_packed_to_the_bytes_redis_py_makes(args: tuple[Any, ...]) -> None:
    assert _packed(HiredisPackingConnection(), args) == _packed(Connection(), args)


@pytest.mark.parametrize("value", [True, None, object()])
def test_what_redis_py_refuses_is_still_refused(value: object) -> None:
    with pytest.raises(DataError):
        HiredisPackingConnection().pack_command("SET", "key", value)
