"""Issue 16's benchmark: `wrk` drives one `casino-club serve` process and the reference, interleaved, and the
sustained rate counts the work the app defers to the outbox relay.

Each round runs, against throwaway backends: reference (`wallet_reference.py`: Litestar, raw asyncpg, one Redis
INCR), `GET /api/wallet` (token check + one read), spin, buy (tok_visa, a new Idempotency-Key each). Per phase:
- burst req/s = 2xx answers ÷ load time; sustained req/s = 2xx answers ÷ (load time + drain time), where the
  drain time is how long the outbox backlog takes to reach zero after the load stops (the reference defers nothing);
- p50/p99 from wrk, errors (non-2xx, socket errors), and the CPU of the server, PostgreSQL, the load generator (wrk,
  from its rusage) and the rest of the machine.
The figures are the medians over the rounds of each phase's share of the reference of its round, written to
var/bench/http.json. Buys are checked afterwards: one `purchase` ledger row and one captured transaction per 2xx.

`wrk` is a Debian package (`apt-get install wrk`); without it the Python load client of load.py is used, with a
warning: it competes with the servers for the CPU. Knobs: BENCH_SECONDS (load time per phase, default 10),
BENCH_ROUNDS (2), BENCH_PLAYERS (100), BENCH_CONCURRENCY (64), BENCH_APP_ENV (extra app settings, `K=V,K=V`),
BENCH_WARMUP_SECONDS (2: each kind's load runs that long, unmeasured, before the first round, and its backlog is
drained: a running server has opened its pool's connections and prepared its statements, and its players have
played before; without it the first round's p99 is each connection's first statements and each player's first play,
which commits its seed pair first, and the first-spin prizes of all 100 players in one relay pass).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from tests.bench.backends import throwaway_backends
from tests.bench.cpu import CpuMeter, app_pid, cpu_seconds
from tests.bench.load import RawClient, drive, loop_factory
from tests.bench.spin_bench import Player, _asyncpg_dsn, _serving_reference, _sign_up_all, _wait_for_wallets
from tests.support.processes import PROJECT_ROOT, serving

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
PLAYERS = int(os.environ.get("BENCH_PLAYERS", "100"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
THREADS = 2
STARTING_COINS = 100_000_000
DRAIN_PATIENCE_SECONDS = 120.0
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "http.json"
TARGETS = {"spin": 0.50, "buy": 0.15, "wallet": 2.0}  # sustained share of the reference's rate
ALL_KINDS = ("reference", "wallet", "spin", "buy")
# BENCH_KINDS=wallet,spin runs those phases only (the reference always runs: the shares are taken against it)
KINDS = tuple(
    kind
    for kind in ALL_KINDS
    if kind == "reference" or kind in os.environ.get("BENCH_KINDS", ",".join(ALL_KINDS)).replace(" ", "").split(",")
)

_LUA = """
local rows = %(rows)s
local method, path, fresh_key = "%(method)s", "%(path)s", %(fresh_key)s
local counter = 0
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  local per = math.floor(#rows / %(threads)d)
  first, count = id * per, per
end
function request()
  counter = counter + 1
  local row = rows[first + (counter %% count) + 1]
  local headers = {["Content-Type"] = "application/json"}
  if row[1] ~= "" then headers["Authorization"] = "Bearer " .. row[1] end
  if fresh_key then
    headers["Idempotency-Key"] = string.format("%%08x%%08x%%08x%%08x", math.random(0, 0x7fffffff),
      math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  end
  return wrk.format(method, path, headers, row[2])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nRESULT {"requests": %%d, "duration_us": %%d, "status_errors": %%d, ' ..
    '"socket_errors": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n', summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class Phase:
    kind: str
    round: int
    answered: int = 0
    errors: int = 0
    load_seconds: float = 0.0
    drain_seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    generator_cpu_percent: float = 0.0
    server_cpu_seconds: float = 0.0  # the server process's CPU from the load's start to the drain's end
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def burst(self) -> float:
        return self.answered / self.load_seconds if self.load_seconds else 0.0

    @property
    def sustained(self) -> float:
        total = self.load_seconds + self.drain_seconds
        return self.answered / total if total else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """The server's CPU per 2xx answer, the work it deferred to the relay included: on a shared machine this is
        the figure that does not depend on how much of a core the server got."""
        return 1000 * self.server_cpu_seconds / self.answered if self.answered else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "round": self.round,
            "answered_2xx": self.answered,
            "errors": self.errors,
            "load_seconds": round(self.load_seconds, 2),
            "drain_seconds": round(self.drain_seconds, 2),
            "burst_per_second": round(self.burst, 1),
            "sustained_per_second": round(self.sustained, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "load_generator_percent_of_one_cpu": round(self.generator_cpu_percent, 1),
            "server_cpu_ms_per_request": round(self.cpu_ms_per_request, 3),
            "cpu": self.cpu,
        }


def _request_rows(kind: str, players: list[Player]) -> tuple[str, str, list[tuple[str, str]], bool]:
    """method, path, (token, body) per player, and whether each request carries a new Idempotency-Key."""
    if kind == "reference":
        return "POST", "/debit", [("", json.dumps({"user_id": p.user_id})) for p in players], False
    if kind == "wallet":
        return "GET", "/api/wallet", [(p.token, "") for p in players], False
    if kind == "spin":
        return "POST", "/api/games/slot/spin", [(p.token, json.dumps({"bet": 10})) for p in players], False
    body = json.dumps({"sku": "gems_100", "card_token": "tok_visa"})
    return "POST", "/api/shop/buy", [(p.token, body) for p in players], True


def _lua(kind: str, players: list[Player]) -> str:
    method, path, rows, fresh_key = _request_rows(kind, players)
    encoded = ", ".join("{" + json.dumps(token) + ", " + json.dumps(body) + "}" for token, body in rows)
    values = {"rows": "{" + encoded + "}", "method": method, "path": path, "threads": THREADS}
    return _LUA % {**values, "fresh_key": "true" if fresh_key else "false"}


def _run_wrk(base_url: str, kind: str, players: list[Player], seconds: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(kind, players))
    command = ["wrk", f"-t{THREADS}", f"-c{CONCURRENCY}", f"-d{seconds:.0f}s", "--timeout", "10s", "-s", script.name]
    try:
        output = subprocess.run([*command, base_url], capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next(line for line in reversed(output.splitlines()) if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def _python_load(base_url: str, kind: str, players: list[Player], seconds: float) -> dict[str, Any]:
    """The fallback load generator (no wrk): this process's asyncio client, POST only (GET /api/wallet skipped)."""
    method, path, rows, fresh_key = _request_rows(kind, players)
    if method != "POST":
        return {"requests": 0, "duration_us": int(seconds * 1e6), "status_errors": 0, "socket_errors": 0}
    requests = [(path, {"Authorization": f"Bearer {token}"} if token else {}, body.encode()) for token, body in rows]
    client = RawClient(
        base_url, requests[:CONCURRENCY], (lambda: {"Idempotency-Key": uuid.uuid4().hex}) if fresh_key else None
    )

    async def load() -> dict[str, Any]:
        try:
            tally, elapsed = await drive(client, min(CONCURRENCY, len(requests)), seconds)
        finally:
            await client.aclose()
        latencies = sorted(tally.latencies) or [0.0]
        return {
            "requests": len(tally.latencies) + sum(tally.errors.values()),
            "duration_us": int(elapsed * 1e6),
            "status_errors": sum(n for kind, n in tally.errors.items() if kind.startswith("HTTP")),
            "socket_errors": sum(n for kind, n in tally.errors.items() if not kind.startswith("HTTP")),
            "p50_us": int(1000 * latencies[len(latencies) // 2]),
            "p99_us": int(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]),
        }

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(load())


async def _backlog(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def _drain_seconds(dsn: str) -> float:
    """How long after the load the outbox relay needs to deliver everything (0 when nothing was left)."""
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        while await _backlog(connection) > 0:
            if time.perf_counter() - started > DRAIN_PATIENCE_SECONDS:
                raise TimeoutError(f"the outbox backlog did not drain in {DRAIN_PATIENCE_SECONDS:.0f} s")
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    return time.perf_counter() - started


def _phase(kind: str, number: int, url: str, players: list[Player], dsn: str, pids: dict[str, int | None]) -> Phase:
    phase = Phase(kind, number)
    load = _run_wrk if shutil.which("wrk") else _python_load
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = pids["reference" if kind == "reference" else "app"]
    server_before = cpu_seconds(server)
    with CpuMeter(pids) as meter:
        figures = load(url, kind, players, SECONDS)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    phase.load_seconds = figures["duration_us"] / 1e6
    phase.errors = int(figures["status_errors"]) + int(figures["socket_errors"])
    phase.answered = int(figures["requests"]) - int(figures["status_errors"])
    phase.p50_ms, phase.p99_ms = figures.get("p50_us", 0) / 1000, figures.get("p99_us", 0) / 1000
    generator = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    phase.generator_cpu_percent = 100 * generator / phase.load_seconds if phase.load_seconds else 0.0
    phase.cpu = meter.usage
    phase.drain_seconds = 0.0 if kind == "reference" else asyncio.run(_drain_seconds(dsn))
    phase.server_cpu_seconds = cpu_seconds(server) - server_before
    return phase


async def _purchase_check(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT count(*) AS rows, count(DISTINCT ref_id) AS refs FROM ledger_entries WHERE reason = 'purchase'"
        )
    finally:
        await connection.close()
    return {"purchase_ledger_rows": int(row["rows"]), "distinct_purchase_refs": int(row["refs"])}


def _share(phases: list[Phase], kind: str, rate: str) -> list[float]:
    by_round: dict[int, dict[str, Phase]] = {}
    for phase in phases:
        by_round.setdefault(phase.round, {})[phase.kind] = phase
    shares = []
    for rounds in by_round.values():
        reference = rounds["reference"].burst
        shares.append(getattr(rounds[kind], rate) / reference if reference else 0.0)
    return shares


def _results(phases: list[Phase], purchases: dict[str, int]) -> dict[str, Any]:
    bought = sum(phase.answered for phase in phases if phase.kind == "buy")
    medians = {
        kind: {
            "burst_per_second": statistics.median(p.burst for p in phases if p.kind == kind),
            "sustained_per_second": statistics.median(p.sustained for p in phases if p.kind == kind),
            "p99_ms": statistics.median(p.p99_ms for p in phases if p.kind == kind),
            "drain_seconds": statistics.median(p.drain_seconds for p in phases if p.kind == kind),
            "server_cpu_ms_per_request": round(
                statistics.median(p.cpu_ms_per_request for p in phases if p.kind == kind), 3
            ),
            "sustained_share_of_reference": round(statistics.median(_share(phases, kind, "sustained")), 3)
            if kind != "reference"
            else 1.0,
        }
        for kind in KINDS
    }
    return {
        "benchmark": "http",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_generator": "wrk" if shutil.which("wrk") else "python (wrk not installed: it competes for the CPU)",
        "config": {
            "seconds": SECONDS,
            "rounds": ROUNDS,
            "warmup_seconds": WARMUP_SECONDS,
            "players": PLAYERS,
            "concurrency": CONCURRENCY,
            "threads": THREADS,
            "cpus": os.cpu_count(),
            "app_env": _app_env(),
        },
        "phases": [phase.summary() for phase in phases],
        "medians": medians,
        "targets_sustained_share": TARGETS,
        "meets": {
            kind: medians[kind]["sustained_share_of_reference"] >= target
            for kind, target in TARGETS.items()
            if kind in medians
        },
        "buys": {"answered_2xx_in_measured_windows": bought, **purchases},
        "errors": sum(phase.errors for phase in phases),
    }


def _app_env() -> dict[str, str]:
    pairs = [pair.split("=", 1) for pair in os.environ.get("BENCH_APP_ENV", "").split(",") if "=" in pair]
    return {key.strip(): value.strip() for key, value in pairs}


def _render(results: dict[str, Any], path: Path) -> str:
    lines = [
        f"http benchmark ({results['load_generator']}): {PLAYERS} players, concurrency {CONCURRENCY}, {SECONDS:.0f} s "
        f"per phase, {ROUNDS} rounds interleaved after {WARMUP_SECONDS:.0f} s of unmeasured warm-up per kind, "
        f"{os.cpu_count()} CPUs",
        f"  {'phase':<13}{'burst/s':>9}{'sust./s':>9}{'drain s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'CPU ms/req':>11}   CPU % of one CPU: server / postgres / wrk / rest",
    ]
    for phase in results["phases"]:
        cpu = phase["cpu"]
        server = cpu.get("reference_percent_of_one_cpu" if phase["kind"] == "reference" else "app_percent_of_one_cpu")
        lines.append(
            f"  {phase['kind'] + ' ' + str(phase['round']):<13}{phase['burst_per_second']:>9.1f}"
            f"{phase['sustained_per_second']:>9.1f}{phase['drain_seconds']:>8.2f}{phase['p50_ms']:>8.1f}"
            f"{phase['p99_ms']:>8.1f}{phase['errors']:>7}{phase['server_cpu_ms_per_request']:>11.3f}   "
            f"{server} / {cpu.get('postgres_percent_of_one_cpu')} / "
            f"{phase['load_generator_percent_of_one_cpu']} / {cpu.get('others_percent_of_one_cpu')}"
        )
    for kind, target in TARGETS.items():
        if kind not in results["medians"]:
            continue
        share = results["medians"][kind]["sustained_share_of_reference"]
        verdict = "MET" if results["meets"][kind] else "MISSED"
        lines.append(f"  {kind}: sustained {share:.1%} of the reference (target >= {target:.0%}): {verdict}")
    buys = results["buys"]
    lines.append(f"  buys: {buys}; errors {results['errors']}")
    lines.append(f"  results  {path}")
    return "\n".join(lines)


def run(results_path: Path = RESULTS_PATH) -> str:
    if not shutil.which("wrk"):
        print(
            "warning: wrk is not installed (apt-get install wrk); the Python load client competes for the CPU",
            file=sys.stderr,
        )
    extra = {"STARTING_COINS": str(STARTING_COINS), "FRAUD_MAX_ATTEMPTS": "1000000000", **_app_env()}
    with throwaway_backends(extra) as env:
        dsn = _asyncpg_dsn(env["DATABASE_URL"])
        with serving(env) as app_url, _serving_reference(dsn, env["REDIS_URL"]) as (reference_url, reference_pid):
            players = asyncio.run(_sign_up_all(app_url, PLAYERS))
            asyncio.run(_wait_for_wallets(dsn, players))
            asyncio.run(_drain_seconds(dsn))
            if WARMUP_SECONDS > 0 and shutil.which("wrk"):
                for kind in KINDS:
                    _run_wrk(reference_url if kind == "reference" else app_url, kind, players, WARMUP_SECONDS)
                    asyncio.run(_drain_seconds(dsn))
            pids = {"app": app_pid(), "reference": reference_pid}
            phases = [
                _phase(kind, number, reference_url if kind == "reference" else app_url, players, dsn, pids)
                for number in range(1, ROUNDS + 1)
                for kind in KINDS
            ]
            purchases = asyncio.run(_purchase_check(dsn))
    results = _results(phases, purchases)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return _render(results, results_path)
