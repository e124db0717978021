"""The revocation check of open sockets on Redis: one MGET per pass for every open connection's session.

Commands are counted on the Redis client itself (every command goes through `execute_command`), keeping those
that touch the app's session keys; the periodic pass is switched off (an hour) and run by the test instead.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient, WebSocketTestSession
from redis.asyncio import Redis

from tests.api.realtime.conftest import OpenClient
from tests.support.api import bearer, log_in, sign_up
from tests.support.realtime import WS, close_code, receive, settle

# An app each: a module app would keep polling the outbox of the shared database beside the apps these tests
# open with settings of their own (another Redis namespace, so another relay lock), delivering their events
# too: to its own sockets (a frame never arrives) or at once with theirs (a frame arrives twice).
pytestmark = pytest.mark.own_app

SessionCommands = list[tuple[str, ...]]


def _record_session_commands(monkeypatch: pytest.MonkeyPatch, namespace: str) -> SessionCommands:
    """Every Redis command (name and keys) that names a session key under `namespace`, from any client."""
    prefix = f"{namespace}session:"
    seen: SessionCommands = []
    real = Redis.execute_command

    async def counting(self: Redis, *args: Any, **options: Any) -> Any:
        words = [arg.decode() if isinstance(arg, bytes) else str(arg) for arg in args]
        if any(word.startswith(prefix) for word in words[1:]):
            seen.append((words[0].upper(), *(word for word in words[1:] if word.startswith(prefix))))
        return await real(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counting)
    return seen


async def _check_pass(client: AsyncTestClient[Litestar]) -> int:
    """One revocation pass of the app's hub, run on the app's own event loop."""
    closed: int = await asyncio.to_thread(
        client.blocking_portal.call, client.app.state.container.realtime.check_sessions
    )
    return closed


async def _pong(session: WebSocketTestSession) -> str:
    session.send_json({"type": "ping"})
    return str((await receive(session))["type"])


async def test_one_pass_reads_every_open_sockets_session_in_one_command_and_closes_the_logged_out_one(
    open_client: OpenClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_client(realtime_session_check_seconds=3600) as client:
        tokens: list[dict[str, Any]] = []
        for _ in range(2):
            player = await sign_up(client)
            tokens += [player, (await log_in(client, player["user"]["site_id"])).json()]
        await settle(client)
        namespace = client.app.state.container.settings.redis_namespace
        with ExitStack() as stack:
            sockets = [
                stack.enter_context(await client.websocket_connect(f"{WS}?token={t['access_token']}")) for t in tokens
            ]
            sockets.append(
                stack.enter_context(await client.websocket_connect(f"{WS}?token={tokens[1]['access_token']}"))
            )
            assert [await _pong(socket) for socket in sockets] == ["pong"] * 5
            commands = _record_session_commands(monkeypatch, namespace)

            kept_all = await _check_pass(client)
            first_pass = list(commands)
            assert await client.post("/api/auth/logout", headers=bearer(tokens[0])) is not None
            commands.clear()
            closed = await _check_pass(client)
            second_pass = list(commands)
            code = await close_code(sockets[0])
            others = [await _pong(socket) for socket in sockets[1:]]

    assert kept_all == 0
    assert [command[0] for command in first_pass] == ["MGET"]  # 5 sockets, 4 sessions: one round trip
    assert len(set(first_pass[0][1:])) == 4
    assert (closed, [command[0] for command in second_pass]) == (1, ["MGET"])
    assert code == 4401
    assert others == ["pong"] * 4


async def test_a_session_the_cache_has_forgotten_is_read_from_the_database_and_cached_again(
    open_client: OpenClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_client(realtime_session_check_seconds=3600) as client:
        player = await sign_up(client)
        second = (await log_in(client, player["user"]["site_id"])).json()
        await settle(client)
        container = client.app.state.container
        with (
            await client.websocket_connect(f"{WS}?token={player['access_token']}") as kept,
            await client.websocket_connect(f"{WS}?token={second['access_token']}") as forgotten,
        ):
            assert [await _pong(kept), await _pong(forgotten)] == ["pong", "pong"]
            session_id = container.identity.tokens.read_access(second["access_token"])[1]
            await asyncio.to_thread(client.blocking_portal.call, container.identity.session_state.forget, [session_id])
            commands = _record_session_commands(monkeypatch, container.settings.redis_namespace)

            closed = await _check_pass(client)
            first_pass = list(commands)
            commands.clear()
            await _check_pass(client)
            second_pass = list(commands)
            pongs = [await _pong(kept), await _pong(forgotten)]

    assert closed == 0
    assert [command[0] for command in first_pass] == ["MGET", "SET"]  # the miss, loaded and cached again
    assert first_pass[1][1].endswith(session_id)
    assert [command[0] for command in second_pass] == ["MGET"]
    assert pongs == ["pong", "pong"]
