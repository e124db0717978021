"""Realtime across processes: two app instances and the workers, on one PostgreSQL database and one Redis.

The instances run with OUTBOX_RELAY_IN_APP=false, so every event reaches the sockets through the maintenance
worker's relay; capture retries run on the payments worker. A socket on instance A gets what a request to B
(or a worker job) caused; resume on another instance replays exactly what was missed; logout on B closes A's
socket with 4401.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.support.env import TEST_REDIS_URL
from tests.support.processes import start_cli, stop, two_instances
from tests.support.realtime import GRANT_FRAMES
from tests.support.redis_keys import delete_namespace, new_namespace

pytestmark = pytest.mark.e2e

PASSWORD = "plum-orbit-canyon-42"
ADMIN_SITE_ID = "realtime_e2e_admin"
ADMIN_PASSWORD = "admin-lantern-harbor-97"
SESSION_CHECK_SECONDS = 0.5


class Stack(NamedTuple):
    a: httpx.Client
    b: httpx.Client
    ws_a: str
    ws_b: str


@contextmanager
def _worker(queue: str, env: dict[str, str], var_dir: Path) -> Iterator[None]:
    """`casino-club worker --queue <queue>` on the instances' settings; SIGTERM afterwards."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with (var_dir / "worker.log").open("ab") as log:
        process = start_cli(
            "worker", "--queue", queue, env={**env, "VAR_DIR": str(var_dir)}, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield
    finally:
        stop(process)


@pytest.fixture(scope="module")
def sut(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("realtime")
    env = {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": new_namespace(),
        "LOG_LEVEL": "WARNING",
        "ADMIN_SITE_ID": ADMIN_SITE_ID,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "OUTBOX_RELAY_IN_APP": "false",
        "OUTBOX_POLL_SECONDS": "0.2",
        "JOB_QUEUE": "arq",
        "CAPTURE_RETRY_BASE_SECONDS": "0.1",
        "REALTIME_SESSION_CHECK_SECONDS": str(SESSION_CHECK_SECONDS),
    }
    try:
        with ExitStack() as stack:
            urls = stack.enter_context(two_instances(pg_url, TEST_REDIS_URL, root, extra_env=env))
            stack.enter_context(_worker("maintenance", env, root / "maintenance"))
            stack.enter_context(_worker("payments", env, root / "payments"))
            a = stack.enter_context(httpx.Client(base_url=urls[0], timeout=10))
            b = stack.enter_context(httpx.Client(base_url=urls[1], timeout=10))
            ws = [url.replace("http://", "ws://") + "/api/realtime/ws" for url in urls]
            ready = Stack(a, b, ws[0], ws[1])
            _wait_for_the_relay(ready)
            yield ready
    finally:
        asyncio.run(_forget(env["REDIS_NAMESPACE"]))


async def _forget(namespace: str) -> None:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _sign_up(client: httpx.Client) -> dict[str, Any]:
    site_id = f"rt{uuid.uuid4().hex[:14]}"
    body = {"site_id": site_id, "nickname": site_id, "password": PASSWORD, "invite_code": "5858"}
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _admin(client: httpx.Client) -> dict[str, Any]:
    response = client.post("/api/auth/admin/login", json={"site_id": ADMIN_SITE_ID, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _grant(client: httpx.Client, admin: dict[str, Any], user_id: str, amount: int) -> None:
    response = client.post(
        f"/api/admin/users/{user_id}/grant",
        json={"currency": "coins", "amount": amount, "reason": "e2e"},
        headers={**_bearer(admin), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


def _open(url: str, tokens: dict[str, Any], **query: Any) -> ClientConnection:
    params = "&".join(f"{key}={value}" for key, value in {"token": tokens["access_token"], **query}.items())
    return connect(f"{url}?{params}", proxy=None, compression=None, open_timeout=10)


def _events(socket: ClientConnection, count: int, within_seconds: float = 15) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within_seconds
    got: list[dict[str, Any]] = []
    while len(got) < count:
        frame = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["id"] is not None:
            got.append(frame)
    return got


def _close_code(socket: ClientConnection) -> int | None:
    """Read until the server closes the socket; the code it closed with."""
    try:
        while True:
            socket.recv(timeout=5)
    except ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


def _quiet(socket: ClientConnection) -> None:
    """Wait until the signup's own events (the starting balance) have been delivered, and drop them."""
    try:
        while True:
            json.loads(socket.recv(timeout=2))
    except TimeoutError:
        return


def _until_relayed(client: httpx.Client, player: dict[str, Any], pg_url: str, notifications: int) -> None:
    """The worker's relay has published every event, the grants' own and those of their consumers (the player's
    `notifications` are written, and nothing in the outbox waits to be published)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        inbox = client.get("/api/notifications", headers=_bearer(player)).json()["items"]
        if len(inbox) >= notifications and not asyncio.run(_unpublished(pg_url)):
            return
        time.sleep(0.1)
    pytest.fail("the relay never published the grants")


async def _unpublished(pg_url: str) -> int:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await connection.close()


def _wait_for_the_relay(stack: Stack) -> None:
    """The workers take a while to start on a busy machine: the first event is waited for longer."""
    player = _sign_up(stack.a)
    with _open(stack.ws_a, player) as socket:
        _grant(stack.b, _admin(stack.b), player["user"]["id"], amount=1)
        _events(socket, 1, within_seconds=120)


def test_a_grant_on_b_reaches_the_players_socket_on_a(sut: Stack) -> None:
    player = _sign_up(sut.a)
    with _open(sut.ws_a, player) as socket:
        _quiet(socket)
        _grant(sut.b, _admin(sut.b), player["user"]["id"], amount=321)
        got = _events(socket, GRANT_FRAMES)

    by_type = {frame["type"]: frame["data"] for frame in got}
    assert by_type["reward_granted"].pop("reward_id").startswith("rw_")
    assert by_type["reward_granted"] == {"currency": "coins", "amount": 321, "source": "e2e", "reward_type": "COIN"}
    assert by_type["profile_update"]["balances"] == {"coins": 1321}
    assert (by_type["notification"]["type"], by_type["notification"]["title"]) == ("reward", "You received 321 coins")


def test_a_capture_retried_by_the_payments_worker_reaches_the_socket(sut: Stack) -> None:
    player = _sign_up(sut.a)
    with _open(sut.ws_a, player) as socket:
        _quiet(socket)
        bought = sut.b.post(
            "/api/shop/buy",
            json={"sku": "gems_100", "quantity": 1, "card_token": "tok_captureRetry"},
            headers={**_bearer(player), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert bought.status_code == 200, bought.text
        assert bought.json()["status"] == "pending"
        statuses: list[str] = []
        while "captured" not in statuses:
            statuses += [
                frame["data"]["status"] for frame in _events(socket, 1, 45) if frame["type"] == "purchase_update"
            ]

    assert statuses[-1] == "captured"
    assert "failed" not in statuses


def test_resume_on_the_other_instance_replays_exactly_the_missed_events(sut: Stack, pg_url: str) -> None:
    player = _sign_up(sut.a)
    admin = _admin(sut.b)
    with _open(sut.ws_a, player) as socket:
        _quiet(socket)
        _grant(sut.b, admin, player["user"]["id"], amount=1)
        seen = _events(socket, GRANT_FRAMES)
    for amount in (2, 3):
        _grant(sut.a, admin, player["user"]["id"], amount=amount)
    _until_relayed(sut.a, player, pg_url, notifications=3)  # so they come from history, not live

    with _open(sut.ws_b, player) as socket:
        socket.send(json.dumps({"type": "resume", "last_event_id": max(frame["id"] for frame in seen)}))
        missed = _events(socket, 2 * GRANT_FRAMES)
        socket.send(json.dumps({"type": "ping"}))
        after = json.loads(socket.recv(timeout=5))

    assert [frame["id"] for frame in missed] == sorted({frame["id"] for frame in missed})
    assert [frame["data"]["amount"] for frame in missed if frame["type"] == "reward_granted"] == [2, 3]
    assert [frame["data"]["balances"]["coins"] for frame in missed if frame["type"] == "profile_update"] == [1003, 1006]
    assert after["type"] == "pong"


def test_logout_on_b_closes_the_socket_on_a_with_4401(sut: Stack) -> None:
    player = _sign_up(sut.a)
    with _open(sut.ws_a, player) as socket:
        _quiet(socket)
        logged_out = time.monotonic()
        assert sut.b.post("/api/auth/logout", headers=_bearer(player)).status_code == 204
        code = _close_code(socket)
        waited = time.monotonic() - logged_out

    assert code == 4401
    assert waited < 2.0
    with pytest.raises(InvalidStatus):
        _open(sut.ws_a, player)


def test_an_announcement_reaches_players_on_both_instances(sut: Stack) -> None:
    first, second = _sign_up(sut.a), _sign_up(sut.b)
    with _open(sut.ws_a, first) as on_a, _open(sut.ws_b, second) as on_b:
        _quiet(on_a)
        _quiet(on_b)
        sent = sut.b.post(
            "/api/admin/notifications/send",
            json={"target": {"type": "everyone"}, "channels": ["realtime"], "title": "Happy hour", "body": "x2"},
            headers=_bearer(_admin(sut.b)),
        )
        assert sent.status_code == 200, sent.text
        got = [_events(socket, 1)[0] for socket in (on_a, on_b)]

    assert [frame["type"] for frame in got] == ["announcement", "announcement"]
    assert got[0]["id"] == got[1]["id"]
    assert got[0]["data"]["title"] == "Happy hour"


def test_sse_on_a_streams_what_b_caused_with_id_lines(sut: Stack) -> None:
    player = _sign_up(sut.a)
    admin = _admin(sut.b)
    got: list[tuple[str, dict[str, Any]]] = []
    with sut.a.stream("GET", "/api/realtime/sse", headers=_bearer(player), timeout=20) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(lines).startswith(": connected")
        _grant(sut.b, admin, player["user"]["id"], amount=9)
        event_id = ""
        for line in lines:
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                frame = json.loads(line[6:])
                if frame["type"] == "reward_granted":
                    got.append((event_id, frame))
                    break

    [(event_id, frame)] = got
    assert event_id == str(frame["id"])
    assert frame["data"]["amount"] == 9
