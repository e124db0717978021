"""`make run` as a new user meets it: embedded defaults (SQLite and chDB under VAR_DIR, no Redis), the real
`casino-club` processes, commands run beside the server, a second server, a restart, the shutdown close code."""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.api import ADMIN_PASSWORD, PASSWORD
from tests.support.clocks import wait_clear_of_midnight
from tests.support.processes import free_port, run_cli, serving

pytestmark = pytest.mark.e2e

BOARD = "/api/games/leaderboard?board=net_coins&period=all_time&limit=100"
ADMIN_SITE_ID = "ops_embedded_kpis"


def _embedded(tmp_path: Path) -> dict[str, str]:
    """No DATABASE_URL, REDIS_URL or CLICKHOUSE_DSN: the defaults under VAR_DIR, as `make run` uses them."""
    return {
        "VAR_DIR": str(tmp_path / "var"),
        "APP_ENV": "development",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CLICKHOUSE_DSN": "",
        "LOG_LEVEL": "WARNING",
    }


def _sign_up(client: httpx.Client) -> dict[str, Any]:
    site_id = f"e_{uuid.uuid4().hex[:12]}"
    body = {"site_id": site_id, "nickname": site_id, "password": PASSWORD, "invite_code": "5858"}
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['access_token']}"}


def _one_line(result: Any) -> str:
    [line] = result.stderr.strip().splitlines()
    return str(line)


def test_every_command_runs_beside_the_server(tmp_path: Path) -> None:
    env = _embedded(tmp_path)
    with serving(env, "--migrate") as base_url:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            _sign_up(client)
        ledger = run_cli("verify-ledger", env=env)
        transactions = run_cli("verify-transactions", env=env)
        admin = run_cli("create-admin", "--site-id", "ops_embedded", "--password", "lantern-harbor-ops-97", env=env)
        boards = run_cli("rebuild-leaderboards", env=env)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            login = client.post(
                "/api/auth/admin/login", json={"site_id": "ops_embedded", "password": "lantern-harbor-ops-97"}
            )
            ready = client.get("/ready")

    assert (ledger.returncode, ledger.stdout.splitlines()[-1]) == (0, "1 wallets checked, 0 drifted"), ledger.stderr
    assert transactions.returncode == 0, transactions.stderr
    assert "0 tampered" in transactions.stdout
    assert admin.returncode == 0, admin.stderr
    assert "created" in admin.stdout
    assert login.status_code == 200, login.text
    assert (boards.returncode, boards.stdout) == (2, "")
    assert "REDIS_URL" in _one_line(boards)
    assert ready.json()["checks"]["olap"] == "ok"  # the server kept its OLAP store throughout
    for result in (ledger, transactions, admin, boards):
        assert "Traceback" not in result.stderr
        assert "Cannot lock" not in result.stderr


def test_a_second_server_on_the_same_var_dir_says_so_in_one_line(tmp_path: Path) -> None:
    env = _embedded(tmp_path)
    with serving(env, "--migrate") as base_url:
        second = run_cli("serve", "--port", str(free_port()), env=env)
        still = httpx.get(f"{base_url}/ready", timeout=10)

    assert second.returncode == 2
    line = _one_line(second)
    assert line.startswith("casino-club: the embedded OLAP store ")
    assert str(tmp_path / "var" / "olap") in line
    assert still.status_code == 200, still.text


def test_leaderboards_are_rebuilt_from_the_plays_when_the_server_restarts_and_kpis_come_from_chdb(
    tmp_path: Path,
) -> None:
    """`make run` with no services: a few plays show in the operator KPIs, read from the embedded chDB store (and
    still there after the restart)."""
    wait_clear_of_midnight(180)  # the spins and both reads of today's KPIs fall on one day of the server's clock
    env = {**_embedded(tmp_path), "ADMIN_SITE_ID": ADMIN_SITE_ID, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    with serving(env, "--migrate") as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        players = [_sign_up(client) for _ in range(2)]
        net = {player["user"]["id"]: sum(_spin(client, player) for _ in range(3)) for player in players}
        before = _board_once_it_shows(client, players[0], net)
        kpis = _kpis_once_they_show(client, spins=6)

    with serving(env) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        after = client.get(BOARD, headers=_bearer(players[0])).json()
        kpis_after = _kpis_once_they_show(client, spins=6)

    assert {item["user_id"]: item["score"] for item in after["items"]} == net
    assert after["items"] == before["items"]
    assert after["me"] == before["me"]
    assert (kpis["dau"], kpis["new_players"], kpis["active_players"]) == (2, 2, 2)
    sunk, sourced = kpis["coins"]["sunk_by_reason"], kpis["coins"]["sourced_by_reason"]
    assert sunk["slot_bet"] == 6 * 10
    assert sourced["signup_bonus"] == 2 * 1000
    assert sourced.get("slot_win", 0) - sunk["slot_bet"] == sum(net.values())
    assert kpis_after == kpis


OUTBOX_GAUGES = ("casino_club_outbox_backlog", "casino_club_outbox_export_backlog")


def _outbox_at_rest(client: httpx.Client) -> bool:
    """Every event delivered and exported (the gauges are counted at scrape time): what the spins set off, such as
    an achievement's prize, has reached the OLAP store too."""
    metrics = client.get("/metrics")
    assert metrics.status_code == 200, metrics.text
    gauges = dict(line.split() for line in metrics.text.splitlines() if line.startswith(OUTBOX_GAUGES))
    return {name: float(value) for name, value in gauges.items()} == dict.fromkeys(OUTBOX_GAUGES, 0.0)


def _kpis_once_they_show(client: httpx.Client, spins: int, bet: int = 10) -> dict[str, Any]:
    """Today's KPIs once the OLAP store holds every spin and nothing is left in the outbox (the in-process exporter
    runs after each commit)."""
    login = client.post("/api/auth/admin/login", json={"site_id": ADMIN_SITE_ID, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    today = datetime.now(UTC).date().isoformat()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        at_rest = _outbox_at_rest(client)
        answer = client.get(f"/api/admin/analytics/kpis?from={today}&to={today}", headers=_bearer(login.json()))
        assert answer.status_code == 200, answer.text
        kpis: dict[str, Any] = answer.json()
        coins = kpis["coins"]
        shown = coins["sunk_by_reason"].get("slot_bet") == spins * bet and coins["sourced_by_reason"].get(
            "signup_bonus"
        )
        if at_rest and shown:
            return kpis
        time.sleep(0.1)
    pytest.fail(f"the spins never reached the KPIs: {kpis}")


def _spin(client: httpx.Client, player: dict[str, Any], bet: int = 10) -> int:
    """One spin; what it added to the player's net coins."""
    spun = client.post("/api/games/slot/spin", json={"bet": bet}, headers=_bearer(player))
    assert spun.status_code == 200, spun.text
    return int(spun.json()["payout"]) - bet


def _board_once_it_shows(client: httpx.Client, viewer: dict[str, Any], net: dict[str, int]) -> dict[str, Any]:
    """The board once the relay has applied every spin (it runs right after each commit)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        board: dict[str, Any] = client.get(BOARD, headers=_bearer(viewer)).json()
        if {item["user_id"]: item["score"] for item in board["items"]} == net:
            return board
        time.sleep(0.1)
    pytest.fail("the spins never reached the leaderboard")


def test_shutdown_closes_open_sockets_with_1001_going_away(tmp_path: Path) -> None:
    env = _embedded(tmp_path)
    with ExitStack() as sockets:
        with serving(env, "--migrate") as base_url:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                player = _sign_up(client)
            url = base_url.replace("http://", "ws://") + f"/api/realtime/ws?token={player['access_token']}"
            socket = sockets.enter_context(connect(url, proxy=None, open_timeout=10))  # the handshake is complete
        # `serving` has stopped the server (SIGTERM) and waited for it to exit
        code = _close_code(socket)

    assert code == 1001


def _close_code(socket: ClientConnection) -> int | None:
    """Read until the socket is closed; the code the server closed it with."""
    try:
        while True:
            socket.recv(timeout=10)
    except ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code
