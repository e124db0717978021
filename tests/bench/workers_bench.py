"""Issue 16's scale-out on one machine: `casino-club serve --workers 2` against `--workers 1`, interleaved rounds.

Both run as several processes must: OLAP_IN_APP=false with the events going to a Kafka-protocol broker (the tests'
tansu), so no server process opens the embedded OLAP store; PostgreSQL, Redis and the broker are shared. Each round
starts the server with 1 and with 2 worker processes (the order alternating between rounds) and drives, with
`wrk` at concurrency BENCH_CONCURRENCY (64): spin (burst rate, then the time the outbox backlog takes to drain:
sustained rate) and `GET /api/wallet` (token check + one read). Per phase: req/s, p50/p99, errors, the load
average, and the CPU of the server processes, PostgreSQL, Redis, the broker, wrk and the rest of the machine.
The figures that matter are the per-round ratios 2 workers / 1 worker (medians): the machine is shared, and only
rounds run side by side compare. Where others keep the CPUs busy, N processes also get N shares of the scheduler's
time, so the rate ratio overstates what a second core brings; the server's CPU per request (over the load and its
drain) does not depend on that. Results: var/bench/workers.json. Knobs: BENCH_SECONDS (10), BENCH_ROUNDS (2),
BENCH_PLAYERS (100), BENCH_CONCURRENCY (64).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.backends import throwaway_backends
from tests.bench.cpu import CpuMeter, children, pids_named
from tests.bench.http_bench import _drain_seconds
from tests.bench.spin_bench import STARTING_COINS, Player, _asyncpg_dsn, _sign_up_all, _wait_for_wallets
from tests.bench.wrk import Route, ensure_wrk, run_wrk
from tests.support.broker import running_broker
from tests.support.processes import PROJECT_ROOT, Server, started_server

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
PLAYERS = int(os.environ.get("BENCH_PLAYERS", "100"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "workers.json"
ROUTES = (
    Route("spin", "POST", "/api/games/slot/spin", '{"bet": 10}'),
    Route("wallet", "GET", "/api/wallet"),
)
SERVER_ENV = {
    "STARTING_COINS": str(STARTING_COINS),
    "TEST_CHEAP_PASSWORD_HASHES": "true",
    "OLAP_IN_APP": "false",
    "KAFKA_IDEMPOTENT_PRODUCER": "false",  # tansu refuses aiokafka's InitProducerId (tests/support/broker.py)
}


@contextmanager
def _server(env: dict[str, str], workers: int) -> Iterator[tuple[Server, list[int]]]:
    """`serve --workers N`, once each of its N processes is up; yields it and the pids that serve."""
    with started_server(env, "--workers", str(workers)) as server:
        deadline = time.monotonic() + 120
        while workers > 1 and len(children(server.process.pid)) < workers:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{workers} worker processes did not start")
            time.sleep(0.2)
        yield server, [server.process.pid, *children(server.process.pid)]


async def _phase(url: str, route: Route, tokens: list[str], pids: dict[str, int], dsn: str) -> dict[str, Any]:
    before, load, started = resource.getrusage(resource.RUSAGE_CHILDREN), os.getloadavg(), time.perf_counter()
    with CpuMeter(
        pids, database=dsn.rsplit("/", 1)[-1]
    ) as meter:  # the load and the drain after it: the CPU a request costs in all
        raw = await run_wrk(url, route, tokens, CONCURRENCY, SECONDS)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        drain = await _drain_seconds(dsn) if route.name == "spin" else 0.0
    metered, seconds = time.perf_counter() - started, raw["duration_us"] / 1e6 or 1.0
    usage = meter.usage
    server = sum(value for name, value in usage.items() if name.startswith("server"))
    return {
        "route": route.name,
        "load_average": [round(value, 2) for value in load],
        "per_second": round(raw["ok"] / seconds, 1),
        "sustained_per_second": round(raw["ok"] / (seconds + drain), 1),
        "drain_seconds": round(drain, 2),
        "errors": raw["unexpected"] + raw["socket_errors"],
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "cpu_ms_per_request": {  # load machine-independent, unlike the rates when others share the CPUs
            "server": round(10 * server * metered / max(1, raw["ok"]), 2),
            "postgres": round(10 * usage["postgres_percent_of_one_cpu"] * metered / max(1, raw["ok"]), 2),
        },
        "cpu_percent_of_one_cpu": {  # over the load and its drain, but wrk's over the load
            "server": round(server, 1),
            "postgres": usage["postgres_percent_of_one_cpu"],
            "redis": usage.get("redis_percent_of_one_cpu"),
            "broker": usage.get("broker_percent_of_one_cpu"),
            "wrk": round(100 * (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / seconds, 1),
            "rest": usage["others_percent_of_one_cpu"],
        },
    }


def _round(env: dict[str, str], workers: int, players: list[Player] | None, extra: dict[str, int]) -> Any:
    """One server start: sign the players up if there are none yet, then the phases; (players, phases)."""
    dsn = _asyncpg_dsn(env["DATABASE_URL"])
    with _server(env, workers) as (server, serving), asyncio.Runner() as runner:
        if players is None:
            players = runner.run(_sign_up_all(server.url, PLAYERS))
            runner.run(_wait_for_wallets(dsn, players))
        runner.run(_drain_seconds(dsn))
        pids = {f"server_{index}": pid for index, pid in enumerate(serving)} | extra
        tokens = [player.token for player in players]
        runner.run(run_wrk(server.url, ROUTES[1], tokens, CONCURRENCY, 2))  # warm-up: every process connected
        phases = [runner.run(_phase(server.url, route, tokens, pids, dsn)) for route in ROUTES]
    return players, [{"workers": workers, **phase} for phase in phases]


def _ratios(phases: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """Median over the rounds of (2 workers / 1 worker) per route: the rates, and the server's CPU per request."""
    ratios: dict[str, Any] = {}
    figures = {"per_second": _rate, "sustained_per_second": _rate, "server_cpu_ms_per_request": _cpu_per_request}
    for route in ROUTES:
        for name, figure in figures.items():
            per_round = []
            for number in range(rounds):
                one, two = (
                    figure(
                        next(p for p in phases if (p["round"], p["workers"], p["route"]) == (number, n, route.name)),
                        name,
                    )
                    for n in (1, 2)
                )
                per_round.append(round(two / one, 2) if one else 0.0)
            ratios[f"{route.name}_{name}"] = {"median": round(statistics.median(per_round), 2), "rounds": per_round}
    return ratios


def _rate(phase: dict[str, Any], name: str) -> float:
    return float(phase[name])


def _cpu_per_request(phase: dict[str, Any], _: str) -> float:
    return float(phase["cpu_ms_per_request"]["server"])


def measure(env: dict[str, str]) -> dict[str, Any]:
    if ensure_wrk() is None:
        raise RuntimeError("the workers benchmark needs wrk: apt-get install wrk")
    phases: list[dict[str, Any]] = []
    with running_broker() as broker:
        env = {**env, **SERVER_ENV, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap}
        others = {"redis": next(iter(pids_named("redis-server")), None), "broker": broker.pid}
        extra = {name: pid for name, pid in others.items() if pid is not None}
        players = None
        for number in range(ROUNDS):
            for workers in (1, 2) if number % 2 == 0 else (2, 1):
                players, measured = _round(env, workers, players, extra)
                phases += [{"round": number, **phase} for phase in measured]
    return {
        "benchmark": "workers",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"seconds": SECONDS, "rounds": ROUNDS, "players": PLAYERS, "concurrency": CONCURRENCY},
        "cpus": os.cpu_count(),
        "phases": phases,
        "ratio_two_to_one": _ratios(phases, ROUNDS),
        "errors": sum(phase["errors"] for phase in phases),
    }


def _render(results: dict[str, Any], path: Path) -> str:
    lines = [
        f"serve --workers 2 vs 1 (wrk, concurrency {CONCURRENCY}, {SECONDS:.0f} s a phase, {ROUNDS} rounds, "
        f"{results['cpus']} CPUs; OLAP_IN_APP=false, events to a Kafka-protocol broker)",
        f"  {'round workers route':<22}{'req/s':>8}{'sust.':>8}{'drain':>7}{'p50':>7}{'p99':>7}{'err':>5}"
        "   load avg  CPU ms/request: server / postgres   CPU %: server / postgres / redis / broker / wrk / rest",
    ]
    for phase in results["phases"]:
        cpu = phase["cpu_percent_of_one_cpu"]
        lines.append(
            f"  {phase['round']} {phase['workers']} {phase['route']:<18}{phase['per_second']:>8.1f}"
            f"{phase['sustained_per_second']:>8.1f}{phase['drain_seconds']:>7.1f}{phase['p50_ms']:>7.1f}"
            f"{phase['p99_ms']:>7.1f}{phase['errors']:>5}   {phase['load_average'][0]:<10}"
            f"{phase['cpu_ms_per_request']['server']:>10} / {phase['cpu_ms_per_request']['postgres']:<13}"
            f"{cpu['server']} / {cpu['postgres']} / {cpu['redis']} / {cpu['broker']} / {cpu['wrk']} / {cpu['rest']}"
        )
    for name, ratio in results["ratio_two_to_one"].items():
        lines.append(f"  2 workers / 1 worker, {name}: median {ratio['median']} (rounds {ratio['rounds']})")
    lines.append(f"  errors {results['errors']}; results  {path}")
    return "\n".join(lines)


def run(results_path: Path = RESULTS_PATH) -> str:
    with throwaway_backends() as env:
        results = measure(env)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return _render(results, results_path)
