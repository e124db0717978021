"""The private parts of uvicorn, websockets and Litestar our code builds on are still there, as pinned.

`src/entrypoints/realtime/uvicorn_protocol.py` subclasses uvicorn's sans-I/O WebSocket protocol and reads
websockets' connection state; `src/entrypoints/http/uvicorn_protocol.py` subclasses its httptools HTTP protocol and
gives each request cycle a transport of its own; `src/adapters/realtime/channels.py` subclasses Litestar's channel
subscriber and backends and uses their private members; `src/adapters/clickhouse/olap.py` resolves
clickhouse-connect's lazy DataFrame options itself and imports chDB's connection module without pyarrow;
`workers/runner.py` moves arq's in-progress key margin and wraps the worker's job tasks before its close.
pyproject.toml pins those packages below their next minor release; an upgrade that moves any of these fails here,
naming the pin, instead of in production.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import tomllib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from arq.worker import Worker, func
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsStreamBackend
from packaging.requirements import Requirement
from redis.asyncio import ConnectionPool, Redis
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.frames import Frame
from websockets.server import ServerProtocol

from workers.runner import ARQ_RERUN_MARGIN_SECONDS

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PINNED = ["litestar", "uvicorn", "websockets", "clickhouse-connect", "chdb", "arq", "redis"]


def _requirement(distribution: str) -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    found = [Requirement(line) for line in dependencies if Requirement(line).name == distribution]
    assert found, f"{distribution} is not a direct dependency in pyproject.toml, yet our code uses its internals"
    return found[0]


def _broken(distribution: str, user: str, what: str) -> str:
    pin = _requirement(distribution).specifier
    return (
        f"{distribution} {version(distribution)} (pyproject.toml pins {distribution}{pin}) no longer offers {what}, "
        f"which {user} relies on: adapt {user} before moving the pin"
    )


def _expect_parameters(
    distribution: str, user: str, function: Callable[..., Any], names: list[str], where: str
) -> None:
    parameters = list(inspect.signature(function).parameters)
    missing = [name for name in names if name not in parameters]
    assert not missing, _broken(distribution, user, f"{where}({', '.join(names)}) (it takes {parameters})")


def _expect_members(distribution: str, user: str, thing: object, names: list[str], where: str) -> None:
    missing = [name for name in names if not hasattr(thing, name)]
    assert not missing, _broken(distribution, user, f"{where}.{{{', '.join(missing)}}}")


@pytest.mark.parametrize("distribution", PINNED)
def test_packages_whose_internals_we_use_are_pinned_below_their_next_minor_release(distribution: str) -> None:
    requirement = _requirement(distribution)
    upper = [spec for spec in requirement.specifier if spec.operator in ("<", "<=", "==", "~=")]

    assert upper, (
        f"{distribution} has no upper bound in pyproject.toml ({requirement}), yet our code uses its internals"
    )
    installed = version(distribution)
    assert requirement.specifier.contains(installed), (
        f"installed {distribution} {installed} is outside the pin {requirement.specifier}: run `make install`"
    )


def test_uvicorn_sans_io_protocol_still_has_what_our_realtime_protocol_overrides_and_reads() -> None:
    user = "src/entrypoints/realtime/uvicorn_protocol.py"
    loop = asyncio.new_event_loop()
    try:
        sut = WebSocketsSansIOProtocol(Config(app=_no_app), ServerState(), {}, _loop=loop)
    finally:
        loop.close()

    _expect_members("uvicorn", user, WebSocketsSansIOProtocol, ["handle_connect", "shutdown", "stop_keepalive"], "")
    _expect_parameters("uvicorn", user, WebSocketsSansIOProtocol.handle_connect, ["event"], "handle_connect")
    state = ["close_sent", "handshake_complete", "disconnected", "initial_response", "writable", "queue", "conn"]
    _expect_members("uvicorn", user, sut, [*state, "transport"], "WebSocketsSansIOProtocol")
    assert isinstance(sut.conn, ServerProtocol), _broken("uvicorn", user, "a websockets ServerProtocol as `conn`")


class _Transport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))

    def is_closing(self) -> bool:
        return False


async def test_uvicorn_http_cycles_still_write_through_the_transport_our_http_protocol_replaces() -> None:
    """Our protocol swaps a cycle's `transport` before `_start_asgi_task` starts it, and holds the first write (the
    head) for the second (the body); that needs uvicorn to still start cycles there and write a head and a body as
    two writes on the cycle's own transport."""
    user = "src/entrypoints/http/uvicorn_protocol.py"
    _expect_members("uvicorn", user, HttpToolsProtocol, ["_start_asgi_task"], "HttpToolsProtocol")
    _expect_parameters("uvicorn", user, HttpToolsProtocol._start_asgi_task, ["cycle", "app"], "_start_asgi_task")
    transport = _Transport()
    scope: Any = {"type": "http", "method": "GET", "path": "/", "http_version": "1.1", "headers": []}
    try:
        cycle = RequestResponseCycle(
            scope=scope,
            transport=transport,  # type: ignore[arg-type]
            flow=FlowControl(transport),  # type: ignore[arg-type]
            logger=logging.getLogger("pin"),
            access_logger=logging.getLogger("pin"),
            access_log=False,
            default_headers=[],
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=True,
            on_response=lambda: None,
        )
    except TypeError as exc:
        raise AssertionError(_broken("uvicorn", user, f"RequestResponseCycle(...) as it was ({exc})")) from exc
    _expect_members("uvicorn", user, cycle, ["transport", "scope", "waiting_for_100_continue"], "RequestResponseCycle")

    await cycle.send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await cycle.send({"type": "http.response.body", "body": b"ok"})

    head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    assert transport.calls == [("write", head), ("write", b"ok")], _broken(
        "uvicorn", user, f"a head and a body as two writes on the cycle's transport (it wrote {transport.calls})"
    )


def test_websockets_connection_still_exposes_the_state_our_writer_checks() -> None:
    user = "src/entrypoints/realtime/uvicorn_protocol.py"
    names = ["state", "extensions", "expect_continuation_frame", "writes", "send_close", "data_to_send"]

    _expect_members("websockets", user, ServerProtocol(), names, "ServerProtocol")
    _expect_parameters("websockets", user, Frame.serialize, ["mask", "extensions"], "Frame.serialize")


def test_litestar_channels_still_have_the_members_our_channels_adapter_uses() -> None:
    user = "src/adapters/realtime/channels.py"
    backend = RedisChannelsStreamBackend(1, redis=Redis(), stream_sleep_no_subscriptions=1, key_prefix="pin")
    streams = ["_redis", "_history_limit", "_stream_ttl", "_make_key", "_get_subscribed_channels", "stream_events"]

    _expect_parameters(
        "litestar",
        user,
        RedisChannelsStreamBackend.__init__,
        ["history", "redis", "stream_sleep_no_subscriptions", "stream_ttl", "key_prefix"],
        "RedisChannelsStreamBackend",
    )
    _expect_members("litestar", user, backend, streams, "RedisChannelsStreamBackend")
    _expect_parameters(
        "litestar", user, Subscriber.__init__, ["plugin", "max_backlog", "backlog_strategy"], "Subscriber"
    )
    _expect_members("litestar", user, Subscriber, ["put_nowait", "put"], "Subscriber")
    _expect_parameters("litestar", user, ChannelsPlugin.__init__, ["subscriber_class"], "ChannelsPlugin")
    memory = MemoryChannelsBackend(history=1)
    assert isinstance(getattr(memory, "_channels", None), set), _broken(
        "litestar", user, "MemoryChannelsBackend._channels"
    )


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("never served")


def test_clickhouse_connect_still_resolves_its_dataframe_options_lazily_by_these_names() -> None:
    """olap.py sets `options.pd`, `options.pd_time_test` and `options.np` to None ("not installed") before the
    first insert; that only works while these are lazily resolved module attributes of these names."""
    import importlib

    options = importlib.import_module("clickhouse_connect.driver.options")
    user = "src/adapters/clickhouse/olap.py"
    _expect_members("clickhouse-connect", user, options, ["_resolve_pandas", "_resolve_numpy"], "driver.options")
    lazy = getattr(options, "_PANDAS_ATTRS", frozenset()) | getattr(options, "_ALL_LAZY", frozenset())
    assert {"pd", "pd_time_test", "np"} <= lazy, _broken(
        "clickhouse-connect", user, "driver.options' lazy pd, pd_time_test and np"
    )


def test_chdb_still_has_the_connection_module_olap_imports_without_pyarrow() -> None:
    import importlib.util

    assert importlib.util.find_spec("chdb.state") is not None, _broken(
        "chdb", "src/adapters/clickhouse/olap.py", "the chdb.state module"
    )


async def _arq_job(ctx: dict[str, Any]) -> None:
    """A job function for an arq Worker that never runs."""


def test_arq_worker_still_keeps_its_in_progress_margin_and_job_tasks_where_our_worker_changes_them() -> None:
    """GracefulWorker adds WORKER_RERUN_MARGIN_SECONDS - 10 to `in_progress_timeout_s` (arq's longest job timeout
    + 10 s) and replaces the tasks of `tasks` (job id -> task) before arq's close gathers them."""
    user = "workers/runner.py"
    sut = Worker(functions=[func(_arq_job, name="pinned", timeout=7)], job_timeout=5)

    _expect_members("arq", user, sut, ["in_progress_timeout_s", "tasks"], "Worker")
    assert sut.in_progress_timeout_s == 7 + ARQ_RERUN_MARGIN_SECONDS, _broken(
        "arq", user, f"an in-progress key of the longest job timeout + {ARQ_RERUN_MARGIN_SECONDS} s"
    )
    assert isinstance(sut.tasks, dict), _broken("arq", user, "its job tasks as a dict of job id to task")


def test_redis_pool_still_has_the_checkout_steps_our_pool_reorders() -> None:
    user = "src/adapters/redis/pool.py"
    _expect_members(
        "redis", user, ConnectionPool, ["get_available_connection", "ensure_connection", "release"], "ConnectionPool"
    )
    assert not inspect.iscoroutinefunction(ConnectionPool.get_available_connection), _broken(
        "redis", user, "a synchronous ConnectionPool.get_available_connection"
    )
    assert inspect.iscoroutinefunction(ConnectionPool.ensure_connection), _broken(
        "redis", user, "an awaitable ConnectionPool.ensure_connection"
    )
    assert inspect.iscoroutinefunction(ConnectionPool.release), _broken(
        "redis", user, "an awaitable ConnectionPool.release"
    )
