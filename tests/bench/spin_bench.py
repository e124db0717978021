"""Spin and buy throughput of one `casino-club serve` process on PostgreSQL + Redis, against a raw-asyncpg reference.

The benchmark asked for by the wallet and shop issues: concurrency 64, req/s, p50 and p99 for
`POST /api/games/slot/spin` and `POST /api/shop/buy` and, in the same run, for a reference endpoint
(`tests/bench/wallet_reference.py`: Litestar + raw asyncpg pool of 10, plus one Redis INCR, doing the minimal
wallet transaction `SELECT … FOR UPDATE` / `UPDATE` / `INSERT` ledger row / `COMMIT` on the same database and
the same wallets).
Targets: the full spin (ledger, history, stats, outbox, leaderboard) reaches >= 50 % of the reference's
throughput; the full buy (idempotency record, fraud velocity, pending transaction, gateway authorize and capture,
grant, receipt) >= 25 %.

How it is measured:
- 64 players, one per worker: worker i always spins as player i and always debits player i's wallet in the
  reference, so the per-user locks (wallet row, play state) never make workers queue behind each other.
- Each round runs reference, floor, spin, buy; each phase is a warm-up followed by a fixed measured window, and the
  verdicts use the median of the per-round ratios spin/reference (target >= 50 %) and buy/reference (>= 25 %).
- Buys (`POST /api/shop/buy`, gems_100 with tok_visa) carry a new Idempotency-Key each, so each one authorizes,
  captures and grants; the fraud velocity limit is raised for the run, since every player buys far more than 20
  times in five minutes.
- The floor phase (no target) is an authenticated POST that reads one row and writes nothing: the share of the
  reference's throughput that remains once the HTTP stack and the token check are paid, before any real work.
- The load generator is this process: one asyncio loop (uvloop when installed) and one keep-alive connection per
  worker through a minimal HTTP/1.1 client (`RawClient`); `SPIN_BENCH_CLIENT=httpx` uses httpx.AsyncClient instead,
  which costs far more CPU per request. Its CPU is reported, as are the servers', PostgreSQL's (all `postgres`
  processes on the machine) and everything else's on the machine (other work skews the figures).
- Any non-200 is an error; a run with errors is reported INVALID.
- The reference does no authentication; every spin pays for its bearer-token check (JWT + session state in Redis).
  Spins are sent without an Idempotency-Key (it is optional on this route), so no idempotency record is written.
  The leaderboard is fed by the outbox relay after commit, in the app process: the outbox backlog at the end of
  each spin phase shows whether it keeps up.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from tests.bench.backends import throwaway_backends
from tests.bench.cpu import CpuMeter, app_pid
from tests.bench.load import CLIENTS, LOAD_CLIENT, FreshHeaders, LoadClient, Request, drive, loop_factory, loop_name
from tests.bench.login_bench import Latencies
from tests.support.processes import PROJECT_ROOT, free_port, serving

PLAYERS = 64
CONCURRENCY = 64  # one worker per player
BET = 10
STARTING_COINS = 100_000_000  # 10M spins of BET per player: never INSUFFICIENT_FUNDS
WARMUP_SECONDS = 3.0
DURATION_SECONDS = 15.0
ROUNDS = 2  # reference, spin, buy, reference, spin, buy
TARGETS = {"spin": 0.50, "buy": 0.25}  # throughput as a share of the reference's, by the median of the rounds
KINDS = ("reference", "floor", "spin", "buy")
# the floor: an authenticated POST that reads one row (a receipt check of an unknown transaction): what the HTTP
# stack, the token check and one database round trip cost, before any game or shop work
FLOOR_PATH = "/api/shop/receipts/verify"
FLOOR_BODY = {"transaction_id": "00000000-0000-4000-8000-000000000000", "receipt_signature": "0" * 64}
BUY_PATH = "/api/shop/buy"
BUY_BODY = {"sku": "gems_100", "card_token": "tok_visa"}
PASSWORD = "plum-orbit-canyon-42"
SPIN_PATH = "/api/games/slot/spin"
REFERENCE_PATH = "/debit"
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "spin.json"


@dataclass(frozen=True)
class Player:
    user_id: str
    token: str


# -- backends and servers ---------------------------------------------------------------------------------------


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextmanager
def _serving_reference(
    dsn: str, redis_url: str | None = None, startup_timeout: float = 30
) -> Iterator[tuple[str, int]]:
    """Run tests/bench/wallet_reference.py in its own process; yields (base URL, pid)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="cc-bench-reference-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.wallet_reference", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": dsn, **({"REDIS_URL": redis_url} if redis_url else {})},
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"reference exited with {process.returncode}:\n{Path(log.name).read_text()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"reference at {base_url} did not become healthy in {startup_timeout}s")
            time.sleep(0.2)
        yield base_url, process.pid
    finally:
        log.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        Path(log.name).unlink(missing_ok=True)


async def _sign_up_all(base_url: str, count: int) -> list[Player]:
    """Sign up `count` players, 8 at a time (hashing is the slow part); each keeps its signup access token."""
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def sign_up() -> Player:
            site_id = f"bench_{uuid.uuid4().hex[:20]}"
            body = {"site_id": site_id, "nickname": site_id[-20:], "password": PASSWORD, "invite_code": "5858"}
            async with gate:
                response = await client.post("/api/auth/signup", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"signup failed: {response.status_code} {response.text}")
            data = response.json()
            return Player(user_id=data["user"]["id"], token=data["access_token"])

        return list(await asyncio.gather(*(sign_up() for _ in range(count))))


async def _wait_for_wallets(dsn: str, players: list[Player], patience: float = 60) -> None:
    """The starting coins arrive through the outbox relay after signup; wait until every wallet holds them."""
    ids = [player.user_id for player in players]
    deadline = time.monotonic() + patience
    connection = await asyncpg.connect(dsn)
    try:
        while True:
            funded = await connection.fetchval(
                "SELECT count(*) FROM wallets WHERE currency = 'coins' AND balance >= $2 AND user_id = ANY($1)",
                ids,
                STARTING_COINS,
            )
            if funded == len(ids):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {funded} of {len(ids)} wallets were funded after {patience:.0f} s")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


# -- load -------------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    kind: str  # "reference" | "spin" | "buy"
    round: int
    latencies: Latencies = field(default_factory=Latencies)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: dict[str, str] = field(default_factory=dict)
    warmup_ok: int = 0
    warmup_errors: int = 0
    elapsed_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    outbox_backlog_after: int | None = None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def server(self) -> str:
        return "reference" if self.kind == "reference" else "app"

    @property
    def per_second(self) -> float:
        return len(self.latencies.samples) / self.elapsed_seconds if self.elapsed_seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        """CPU time of the server process answering this phase, per successful request."""
        percent = self.cpu.get(f"{self.server}_percent_of_one_cpu", float("nan"))
        return 10 * percent / self.per_second if self.per_second else float("nan")

    def summary(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "round": self.round,
            "ok": len(self.latencies.samples),
            "errors": self.error_count,
            "errors_by_kind": self.errors,
            "error_samples": self.error_samples,
            "warmup_ok": self.warmup_ok,
            "warmup_errors": self.warmup_errors,
            "elapsed_seconds": round(self.elapsed_seconds, 2),
            "per_second": round(self.per_second, 1),
            **self.latencies.summary(),
            "cpu": self.cpu,
            "server_cpu_ms_per_request": round(self.server_cpu_ms_per_request, 3),
            "outbox_backlog_after": self.outbox_backlog_after,
        }


def _requests(kind: str, players: list[Player]) -> tuple[list[Request], FreshHeaders | None]:
    """What each worker sends for this kind of phase; every buy carries a new Idempotency-Key."""
    workers = players[:CONCURRENCY]
    if kind == "reference":
        return [(REFERENCE_PATH, {}, json.dumps({"user_id": player.user_id}).encode()) for player in workers], None
    path, body = {"spin": (SPIN_PATH, {"bet": BET}), "buy": (BUY_PATH, BUY_BODY), "floor": (FLOOR_PATH, FLOOR_BODY)}[
        kind
    ]
    encoded = json.dumps(body).encode()
    requests = [(path, {"Authorization": f"Bearer {player.token}"}, encoded) for player in workers]
    return requests, (lambda: {"Idempotency-Key": uuid.uuid4().hex}) if kind == "buy" else None


async def _outbox_backlog(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await connection.close()


async def _run_phase(phase: Phase, client: LoadClient, pids: dict[str, int | None], dsn: str) -> Phase:
    """Warm-up, then the measured window, on the same connections (opened afresh for each phase: the servers
    close keep-alive connections that idled through the other server's phase)."""
    try:
        warmup, _ = await drive(client, CONCURRENCY, WARMUP_SECONDS)
        phase.warmup_ok, phase.warmup_errors = len(warmup.latencies), sum(warmup.errors.values())
        with CpuMeter(pids) as cpu:
            tally, phase.elapsed_seconds = await drive(client, CONCURRENCY, DURATION_SECONDS)
    finally:
        await client.aclose()
    phase.cpu = cpu.usage
    phase.latencies = Latencies(tally.latencies)
    phase.errors, phase.error_samples = tally.errors, tally.samples
    if phase.kind != "reference":
        phase.outbox_backlog_after = await _outbox_backlog(dsn)
    return phase


async def _ledger_counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT reason, count(*) AS n FROM ledger_entries "
            "WHERE reason IN ('bench_reference', 'slot_bet', 'purchase') GROUP BY reason"
        )
    finally:
        await connection.close()
    return {row["reason"]: int(row["n"]) for row in rows}


LEDGER_REASONS = {"reference": "bench_reference", "spin": "slot_bet", "buy": "purchase"}


@dataclass
class Measured:
    phases: list[Phase]
    ledger: dict[str, int]  # ledger rows by reason, read from the database after the run

    def ratios(self, kind: str) -> list[float]:
        """`kind` req/s over reference req/s, round by round."""
        rounds: dict[int, dict[str, float]] = {}
        for phase in self.phases:
            rounds.setdefault(phase.round, {})[phase.kind] = phase.per_second
        return [r[kind] / r["reference"] if r["reference"] else 0.0 for _, r in sorted(rounds.items())]

    def median_ratio(self, kind: str) -> float:
        return statistics.median(self.ratios(kind))

    def meets(self, kind: str) -> bool:
        return self.median_ratio(kind) >= TARGETS[kind]

    @property
    def error_count(self) -> int:
        return sum(phase.error_count for phase in self.phases)

    def answered(self, kind: str) -> int:
        """200s of that kind, warm-ups included (they commit too)."""
        return sum(len(phase.latencies.samples) + phase.warmup_ok for phase in self.phases if phase.kind == kind)

    @property
    def consistent(self) -> bool:
        """Every 200 really committed its ledger row: database counts against the answers counted here."""
        return all(self.answered(kind) == self.ledger.get(reason, 0) for kind, reason in LEDGER_REASONS.items())

    @property
    def valid(self) -> bool:
        return self.error_count == 0 and self.consistent


async def _measure(app_url: str, reference_url: str, reference_pid: int, dsn: str) -> Measured:
    players = await _sign_up_all(app_url, PLAYERS)
    await _wait_for_wallets(dsn, players)
    pids = {"app": app_pid(), "reference": reference_pid}
    client_type = CLIENTS[LOAD_CLIENT]
    phases: list[Phase] = []
    for number in range(1, ROUNDS + 1):
        for kind in KINDS:
            requests, fresh_headers = _requests(kind, players)
            client = client_type(reference_url if kind == "reference" else app_url, requests, fresh_headers)
            phases.append(await _run_phase(Phase(kind, number), client, pids, dsn))
    return Measured(phases, await _ledger_counts(dsn))


# -- results ----------------------------------------------------------------------------------------------------


def _results(measured: Measured) -> dict[str, object]:
    return {
        "benchmark": "spin",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "players": PLAYERS,
            "concurrency": CONCURRENCY,
            "worker_player_mapping": "worker i always plays (and buys) as player i (no two workers share a user lock)",
            "bet": BET,
            "buy": BUY_BODY,
            "starting_coins": STARTING_COINS,
            "warmup_seconds": WARMUP_SECONDS,
            "duration_seconds": DURATION_SECONDS,
            "rounds": ROUNDS,
            "order": "reference, floor, spin, buy in each round",
            "floor": f"POST {FLOOR_PATH} for an unknown transaction: token check + one SELECT, answers valid=false",
            "cpus": os.cpu_count(),
            "app_db_pool": "DB_POOL_SIZE default (10, no overflow)",
            "reference_db_pool": "asyncpg pool min=max=10",
            "reference_auth": "none (spins and buys authenticate every request: JWT + session state in Redis)",
            "idempotency_key": "spins: not sent (optional); buys: a new key per request (required)",
            "fraud_velocity": "FRAUD_MAX_ATTEMPTS raised for the run (each player buys far more than 20 times)",
            "load_generator": f"this process: one {loop_name()} loop, {LOAD_CLIENT} client, one keep-alive "
            "connection per worker (httpx: a pool of 64)",
        },
        "phases": [phase.summary() for phase in measured.phases],
        **{
            f"ratios_{kind}_over_reference": [round(r, 3) for r in measured.ratios(kind)]
            for kind in (*TARGETS, "floor")
        },
        "median_ratios": {kind: round(measured.median_ratio(kind), 3) for kind in TARGETS},
        "targets": TARGETS,
        "meets_targets": {kind: measured.meets(kind) for kind in TARGETS},
        "errors": measured.error_count,
        "sanity": {
            **{f"{kind}_200s": measured.answered(kind) for kind in KINDS},
            **{f"{reason}_ledger_rows": measured.ledger.get(reason, 0) for reason in LEDGER_REASONS.values()},
            "consistent": measured.consistent,
        },
        "valid": measured.valid,
    }


def _phase_line(phase: Phase) -> str:
    cpu = phase.cpu
    server = cpu.get(f"{phase.server}_percent_of_one_cpu", float("nan"))
    backlog = "" if phase.outbox_backlog_after is None else f"  outbox backlog {phase.outbox_backlog_after}"
    line = (
        f"  {f'{phase.kind} {phase.round}':<12}{phase.per_second:>9.1f}{phase.latencies.percentile(50):>9.1f}"
        f"{phase.latencies.percentile(99):>9.1f}{phase.error_count:>8}{phase.server_cpu_ms_per_request:>9.2f}   "
        f"{server} / "
        f"{cpu.get('postgres_percent_of_one_cpu')} / {cpu.get('load_generator_percent_of_one_cpu')} / "
        f"{cpu.get('others_percent_of_one_cpu')}; {cpu.get('machine_busy_percent')}%{backlog}"
    )
    if phase.errors or phase.warmup_errors:
        line += f"\n      errors {phase.errors} (warm-up {phase.warmup_errors}), e.g. {phase.error_samples}"
    return line


def _verdict_line(measured: Measured, kind: str) -> str:
    ratios = ", ".join(f"{ratio:.1%}" for ratio in measured.ratios(kind))
    verdict = "MET" if measured.meets(kind) else "MISSED"
    return (
        f"  {kind}/reference throughput per round: {ratios}; median {measured.median_ratio(kind):.1%} "
        f"(target >= {TARGETS[kind]:.0%}): {verdict}"
    )


def _render(measured: Measured, path: Path) -> str:
    ledger = "; ".join(
        f"{kind} 200s {measured.answered(kind)} vs {reason} rows {measured.ledger.get(reason, 0)}"
        for kind, reason in LEDGER_REASONS.items()
    )
    return "\n".join(
        [
            f"spin and buy benchmark: {PLAYERS} players, concurrency {CONCURRENCY} (worker i = player i, so per-user "
            f"locks never serialise workers), bet {BET}, buy {BUY_BODY['sku']} with {BUY_BODY['card_token']}, "
            f"{WARMUP_SECONDS:.0f} s warm-up + {DURATION_SECONDS:.0f} s per phase, {os.cpu_count()} CPUs",
            "  reference = Litestar + asyncpg pool of 10: BEGIN; SELECT … FOR UPDATE; UPDATE wallet; INSERT ledger; "
            "COMMIT; Redis INCR — no auth (every spin and buy authenticates: JWT + session state in Redis)",
            f"  {'phase':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'cpu/req':>9}   CPU % of one CPU: "
            "server / postgres / load generator / rest of machine; machine busy %",
            *(_phase_line(phase) for phase in measured.phases),
            "  (cpu/req: server CPU ms per answered request; outbox backlog: events not yet relayed when the phase "
            "ended)",
            *(_verdict_line(measured, kind) for kind in TARGETS),
            f"  floor/reference (an authenticated one-row read, no target): "
            f"{', '.join(f'{ratio:.1%}' for ratio in measured.ratios('floor'))}",
            f"  errors   {measured.error_count} (must be 0)" + ("" if measured.valid else "  <-- INVALID RUN"),
            f"  ledger   {ledger}: {'consistent' if measured.consistent else 'MISMATCH'} (warm-ups included)",
            f"  results  {path}",
        ]
    )


def run(results_path: Path = RESULTS_PATH) -> str:
    """Run the benchmark on throwaway backends, write JSON results, return the human-readable report."""
    with (
        throwaway_backends({"STARTING_COINS": str(STARTING_COINS), "FRAUD_MAX_ATTEMPTS": "1000000000"}) as env,
        serving(env) as app_url,
        _serving_reference(_asyncpg_dsn(env["DATABASE_URL"]), env["REDIS_URL"]) as (reference_url, reference_pid),
        asyncio.Runner(loop_factory=loop_factory()) as runner,
    ):
        measured = runner.run(_measure(app_url, reference_url, reference_pid, _asyncpg_dsn(env["DATABASE_URL"])))
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(_results(measured), indent=2) + "\n", encoding="utf-8")
    return _render(measured, results_path)
