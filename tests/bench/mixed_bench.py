"""Issue 16's mixed traffic as players make it: 1,000 players for 60 s on one `casino-club serve` process.

Each player acts every think time (uniform 0.5–1.5 × BENCH_MIXED_THINK_MS, default 3 s): spins, gacha pulls,
inbox reads, streak ticks and buys (tok_visa, a new Idempotency-Key each), by the weights of ROUTES; half of the
players hold a WebSocket open the whole time. HTTP load comes from `wrk`, one process per route side by side
(`tests/bench/wrk.py`: each has its own latency histogram, so p50/p99 are per route), each request as one of
the players, rotating; the sockets are held by this process's asyncio client (`ws_client.py`). Reported: req/s
and p50/p99 per route, errors (unexpected statuses, socket errors, sockets closed under load), the outbox drain
time after the load, `casino-club verify-ledger` afterwards (0 drift), one purchase ledger row per bought key,
the CPU of the server, PostgreSQL, wrk and the socket client, and the load average. A second streak tick the same
day answers 409 ALREADY_CLAIMED by design: counted as "tolerated", not as an error.

Knobs: BENCH_MIXED_PLAYERS (1000), BENCH_MIXED_SECONDS (60), BENCH_MIXED_THINK_MS (3000); `measure()` takes the
same as arguments, so a test runs the scenario in a few seconds; BENCH_MIXED_DRAIN_PATIENCE_SECONDS (600): how long
the backlog may take to drain before the run reports what is left. Results: var/bench/mixed.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from tests.bench.backends import throwaway_backends
from tests.bench.cpu import CpuMeter
from tests.bench.http_bench import _backlog, _drain_seconds, _purchase_check
from tests.bench.load import loop_factory
from tests.bench.spin_bench import STARTING_COINS, Player, _asyncpg_dsn, _sign_up_all, _wait_for_wallets
from tests.bench.wrk import Route, ensure_wrk, run_wrk
from tests.bench.ws_bench import _raise_fd_limit
from tests.bench.ws_client import BenchSocket, open_socket
from tests.support.processes import PROJECT_ROOT, run_cli, started_server

RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "mixed.json"
SOCKET_SHARE = 0.5  # of the players, a WebSocket open the whole run
DRAIN_PATIENCE_SECONDS = float(os.environ.get("BENCH_MIXED_DRAIN_PATIENCE_SECONDS", "600"))
BUY = '{"sku": "gems_100", "card_token": "tok_visa"}'
ROUTES: tuple[tuple[Route, int], ...] = (  # (route, weight): the share of the players acting on it
    (Route("spin", "POST", "/api/games/slot/spin", '{"bet": 10}'), 55),
    (Route("inbox", "GET", "/api/notifications"), 20),
    (Route("pull", "POST", "/api/games/gacha/pull", '{"count": 1}'), 15),
    (Route("streak_tick", "POST", "/api/streak/tick", tolerated=(409, "ALREADY_CLAIMED")), 5),
    (Route("buy", "POST", "/api/shop/buy", BUY, fresh_key=True), 5),
)
SERVER_ENV = {
    "STARTING_COINS": str(STARTING_COINS),
    "STARTING_GEMS": "100000000",  # pulls cost gems: nobody runs out during the run
    "FRAUD_MAX_ATTEMPTS": "1000000000",  # a bench player buys far more often than the velocity rule allows
    "TEST_CHEAP_PASSWORD_HASHES": "true",  # signing up 1,000 players is set-up, not what is measured
    "REALTIME_IDLE_TIMEOUT_SECONDS": "3600",  # the bench sockets only listen
}


@dataclass(frozen=True)
class Scenario:
    players: int = int(os.environ.get("BENCH_MIXED_PLAYERS", "1000"))
    seconds: float = float(os.environ.get("BENCH_MIXED_SECONDS", "60"))
    think_ms: int = int(os.environ.get("BENCH_MIXED_THINK_MS", "3000"))

    @property
    def sockets(self) -> int:
        return int(self.players * SOCKET_SHARE)

    def connections(self) -> dict[str, int]:
        """The players split over the routes by weight (at least one each), summing to `players`."""
        total = sum(weight for _, weight in ROUTES)
        counts = {route.name: max(1, self.players * weight // total) for route, weight in ROUTES}
        counts[ROUTES[0][0].name] += max(0, self.players - sum(counts.values()))
        return counts


async def _open_sockets(base_url: str, players: list[Player]) -> list[BenchSocket]:
    address, gate = urlsplit(base_url), asyncio.Semaphore(50)

    async def one(player: Player) -> BenchSocket:
        async with gate:
            path = f"/api/realtime/ws?token={player.token}"
            return await open_socket(address.hostname or "127.0.0.1", address.port or 80, path)

    return list(await asyncio.gather(*(one(player) for player in players)))


def _route_figures(route: str, connections: int, raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6 or 1.0
    return {
        "connections": connections,
        "requests": raw["requests"],
        "per_second": round(raw["requests"] / seconds, 1),
        "ok_2xx": raw["ok"],
        "tolerated": raw["tolerated"],
        "errors": raw["unexpected"] + raw["socket_errors"],
        "first_error": raw["sample"],
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "seconds": round(seconds, 2),
    }


async def _load(url: str, scenario: Scenario, players: list[Player], pids: dict[str, int], dsn: str) -> dict[str, Any]:
    """The wrk processes side by side while the sockets stay open; figures per route, sockets and CPU."""
    sockets = await _open_sockets(url, players[: scenario.sockets])
    tokens, connections = [player.token for player in players], scenario.connections()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with CpuMeter(pids, database=dsn.rsplit("/", 1)[-1]) as meter:  # PostgreSQL: our database's backends
        runs = [
            run_wrk(url, route, tokens, connections[route.name], scenario.seconds, scenario.think_ms)
            for route, _ in ROUTES
        ]
        raw = await asyncio.gather(*runs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    closed = sum(1 for socket in sockets if socket.close_code is not None)
    frames = sum(len(socket.received) for socket in sockets)
    for socket in sockets:
        socket.close()
    wall = max(figures["duration_us"] for figures in raw) / 1e6 or 1.0
    wrk_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {
        "routes": {
            route.name: _route_figures(route.name, connections[route.name], figures)
            for (route, _), figures in zip(ROUTES, raw, strict=True)
        },
        "websockets": {"opened": len(sockets), "closed_under_load": closed, "frames_received": frames},
        "cpu": {**meter.usage, "wrk_percent_of_one_cpu": round(100 * wrk_cpu / wall, 1)},
    }


async def _drain(dsn: str) -> dict[str, Any]:
    """The backlog the load left, and how long the relay took to deliver it (None: not within the patience)."""
    connection = await asyncpg.connect(dsn)
    try:
        started, left = time.perf_counter(), await _backlog(connection)
        backlog = remaining = left
        while remaining and time.perf_counter() - started < DRAIN_PATIENCE_SECONDS:
            await asyncio.sleep(0.05)
            remaining = await _backlog(connection)
    finally:
        await connection.close()
    seconds = round(time.perf_counter() - started, 2) if not remaining else None
    return {"backlog_at_end_of_load": backlog, "seconds": seconds, "left_undelivered": remaining}


def _logged_errors(log: Path, keep: int = 5) -> dict[str, int]:
    """How often the server logged each kind of error (JSON lines at level error), the first `keep` kinds."""
    kinds: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "critical"):
            kind = f"{entry.get('event')}: {str(entry.get('exception', ''))[-300:]}"
            if kind in kinds or len(kinds) < keep:
                kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _verify_ledger(env: dict[str, str]) -> dict[str, Any]:
    result = run_cli("verify-ledger", env=env)
    found = re.search(r"(\d+) wallets checked, (\d+) drifted", result.stdout)
    if found is None:
        raise RuntimeError(f"verify-ledger said: {result.stdout[-2000:]} {result.stderr[-2000:]}")
    return {"exit_code": result.returncode, "wallets_checked": int(found[1]), "drifted": int(found[2])}


async def _prepare(url: str, dsn: str, scenario: Scenario) -> list[Player]:
    players = await _sign_up_all(url, scenario.players)
    await _wait_for_wallets(dsn, players, patience=300)
    await _drain_seconds(dsn)  # the signups' own events are delivered before the load starts
    return players


def measure(env: dict[str, str], scenario: Scenario) -> dict[str, Any]:
    """The scenario on a server started here with `env` (a migrated database and a Redis namespace of its own)."""
    if ensure_wrk() is None:
        raise RuntimeError("the mixed benchmark needs wrk: apt-get install wrk")
    _raise_fd_limit(4 * scenario.players + 1024)
    env, dsn = {**env, **SERVER_ENV}, _asyncpg_dsn(env["DATABASE_URL"])
    with started_server(env) as server, asyncio.Runner(loop_factory=loop_factory()) as runner:
        players = runner.run(_prepare(server.url, dsn, scenario))
        load_before = os.getloadavg()
        figures = runner.run(_load(server.url, scenario, players, {"app": server.process.pid}, dsn))
        drain = runner.run(_drain(dsn))
        load_after = os.getloadavg()
        purchases = runner.run(_purchase_check(dsn))
        server_errors = _logged_errors(server.log)
    ledger = _verify_ledger(env)
    results = _results(scenario, figures, drain, purchases, ledger, (load_before, load_after))
    return {**results, "server_errors": server_errors}


def _results(
    scenario: Scenario,
    figures: dict[str, Any],
    drain: dict[str, Any],
    purchases: dict[str, int],
    ledger: dict[str, Any],
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> dict[str, Any]:
    routes = figures["routes"]
    bought = routes["buy"]["ok_2xx"]
    errors = sum(route["errors"] for route in routes.values()) + figures["websockets"]["closed_under_load"]
    return {
        "benchmark": "mixed",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {**scenario.__dict__, "sockets": scenario.sockets, "cpus": os.cpu_count()},
        "load_average": {
            "before": [round(value, 2) for value in load[0]],
            "after": [round(value, 2) for value in load[1]],
        },
        "per_second": round(sum(route["per_second"] for route in routes.values()), 1),
        **figures,
        "errors": errors,
        "drain": drain,
        "purchases": {
            "bought_2xx": bought,
            **purchases,
            "one_row_per_buy": purchases["distinct_purchase_refs"] == purchases["purchase_ledger_rows"] >= bought,
        },
        "ledger": ledger,
    }


def _render(results: dict[str, Any], path: Path) -> str:
    config, cpu, sockets = results["config"], results["cpu"], results["websockets"]
    lines = [
        f"mixed traffic (wrk, one process per route): {config['players']} players, {config['sockets']} with a "
        f"WebSocket, {config['seconds']:.0f} s, think {config['think_ms']} ms; load average before "
        f"{results['load_average']['before']}, after {results['load_average']['after']}",
        f"  {'route':<13}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'tolerated':>10}",
    ]
    for name, route in results["routes"].items():
        lines.append(
            f"  {name:<13}{route['connections']:>6}{route['per_second']:>9.1f}{route['p50_ms']:>9.1f}"
            f"{route['p99_ms']:>9.1f}{route['errors']:>8}{route['tolerated']:>10}"
            + (f"   first error: {route['first_error']}" if route["first_error"] else "")
        )
    lines += [
        f"  total {results['per_second']} req/s, errors {results['errors']}; sockets {sockets['opened']} opened, "
        f"{sockets['closed_under_load']} closed under load, {sockets['frames_received']} frames received",
        f"  outbox: {results['drain']['backlog_at_end_of_load']} events undelivered at the end of the load, drained "
        f"in {results['drain']['seconds']} s ({results['drain']['left_undelivered']} left); verify-ledger: "
        f"{results['ledger']['wallets_checked']} wallets, {results['ledger']['drifted']} drifted; "
        f"purchases {results['purchases']}",
        f"  CPU % of one core: server {cpu.get('app_percent_of_one_cpu')}, postgres "
        f"{cpu.get('postgres_percent_of_one_cpu')}, wrk {cpu['wrk_percent_of_one_cpu']}, socket client "
        f"{cpu.get('load_generator_percent_of_one_cpu')}, rest {cpu.get('others_percent_of_one_cpu')}",
        *(f"  server logged {count} x {kind}" for kind, count in results["server_errors"].items()),
        f"  results  {path}",
    ]
    return "\n".join(lines)


def run(results_path: Path = RESULTS_PATH) -> str:
    with throwaway_backends() as env:
        results = measure(env, Scenario())
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return _render(results, results_path)
