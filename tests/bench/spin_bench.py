"""Slot-spin throughput of one `casino-club serve` process on PostgreSQL + Redis, against a raw-asyncpg reference.

The benchmark asked for by the spin-throughput issue: concurrency 64, req/s, p50 and p99 for
`POST /api/games/slot/spin` and, in the same run, for a reference endpoint (`tests/bench/wallet_reference.py`:
raw ASGI + asyncpg pool of 10 doing the minimal wallet transaction `SELECT … FOR UPDATE` / `UPDATE` / `INSERT`
ledger row / `COMMIT` on the same database and the same wallets). Target: the full spin (ledger, history, stats,
outbox, leaderboard) reaches >= 50 % of the reference's throughput.

How it is measured:
- 64 players, one per worker: worker i always spins as player i and always debits player i's wallet in the
  reference, so the per-user locks (wallet row, play state) never make workers queue behind each other.
- Phases alternate reference, spin, reference, spin; each is a warm-up followed by a fixed measured window, and the
  verdict uses the median of the per-round ratios spin/reference.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from tests.bench.backends import throwaway_backends
from tests.bench.login_bench import Latencies
from tests.support.processes import PROJECT_ROOT, free_port, serving

PLAYERS = 64
CONCURRENCY = 64  # one worker per player
BET = 10
STARTING_COINS = 100_000_000  # 10M spins of BET per player: never INSUFFICIENT_FUNDS
WARMUP_SECONDS = 3.0
DURATION_SECONDS = 15.0
ROUNDS = 2  # reference, spin, reference, spin
TARGET_RATIO = 0.50
PASSWORD = "plum-orbit-canyon-42"
SPIN_PATH = "/api/games/slot/spin"
REFERENCE_PATH = "/debit"
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "spin.json"


@dataclass(frozen=True)
class Player:
    user_id: str
    token: str


# -- CPU accounting (Linux /proc) -------------------------------------------------------------------------------


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (so index 11 is utime), or None if it has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _ticks(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def _postgres_ticks() -> dict[int, int]:
    """utime + stime of every process named `postgres` on the machine (other databases' backends included)."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    ticks[int(entry.name)] = _ticks(int(entry.name))
            except OSError:
                continue
    return ticks


def _app_pid() -> int | None:
    """Our child process running `casino-club serve` (uvicorn runs in that same process)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if fields and int(fields[1]) == os.getpid() and b"casino-club" in command and b"serve" in command:
            return int(entry.name)
    return None


class CpuMeter:
    """Percent of one CPU used by each watched process, PostgreSQL and this process; machine busy %."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._hz = os.sysconf("SC_CLK_TCK")
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self.usage: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self._machine = _machine_ticks()
        self._procs = {name: _ticks(pid) for name, pid in self._pids.items()}
        self._postgres = _postgres_ticks()
        self._self = time.process_time()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        wall = time.perf_counter() - self._wall
        busy, total = _machine_ticks()
        postgres = _postgres_ticks()
        postgres_ticks = sum(ticks - self._postgres.get(pid, 0) for pid, ticks in postgres.items())
        percent = 100 / self._hz / wall
        machine_percent = 100 * (busy - self._machine[0]) / max(1, total - self._machine[1])
        self.usage = {
            "machine_busy_percent": round(machine_percent, 1),
            **{
                f"{name}_percent_of_one_cpu": round((_ticks(pid) - self._procs[name]) * percent, 1)
                for name, pid in self._pids.items()
            },
            "postgres_percent_of_one_cpu": round(postgres_ticks * percent, 1),
            "load_generator_percent_of_one_cpu": round(100 * (time.process_time() - self._self) / wall, 1),
        }
        ours = sum(value for name, value in self.usage.items() if name.endswith("_percent_of_one_cpu"))
        # the rest of the machine (other users' tests, say): large values mean the figures are skewed
        self.usage["others_percent_of_one_cpu"] = round(max(0.0, machine_percent * (os.cpu_count() or 1) - ours), 1)


# -- backends and servers ---------------------------------------------------------------------------------------


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextmanager
def _serving_reference(dsn: str, startup_timeout: float = 30) -> Iterator[tuple[str, int]]:
    """Run tests/bench/wallet_reference.py in its own process; yields (base URL, pid)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="cc-bench-reference-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.wallet_reference", "--port", str(port)],
        env={**os.environ, "DATABASE_URL": dsn},
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
    kind: str  # "reference" | "spin"
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
    def per_second(self) -> float:
        return len(self.latencies.samples) / self.elapsed_seconds if self.elapsed_seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        """CPU time of the server process answering this phase, per successful request."""
        percent = self.cpu.get(f"{'app' if self.kind == 'spin' else 'reference'}_percent_of_one_cpu", float("nan"))
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


class RawClient:
    """The default load generator: HTTP/1.1 keep-alive on one connection per worker, each worker's request
    encoded once. A few tens of microseconds of CPU per request, where httpx spends milliseconds: on a small
    machine the load generator shares the CPUs with the servers, and must not be what limits the reference."""

    def __init__(self, base_url: str, requests: list[tuple[str, dict[str, str], bytes]]) -> None:
        url = httpx.URL(base_url)
        self._host, self._port = url.host, url.port or 80
        self._requests = [
            (
                f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
                + "\r\n"
            ).encode("latin-1")
            + body
            for path, headers, body in requests
        ]
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = [None] * len(requests)

    async def send(self, worker: int) -> tuple[int, bytes]:
        streams = self._streams[worker]
        if streams is None:
            streams = self._streams[worker] = await asyncio.open_connection(self._host, self._port)
        reader, writer = streams
        try:
            writer.write(self._requests[worker])
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("server closed the connection")
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding":
                    raise ValueError("chunked responses are not supported by this client")
            body = await reader.readexactly(length)
        except BaseException:
            self._drop(worker)
            raise
        if close:
            self._drop(worker)
        return int(status_line.split(b" ", 2)[1]), body

    def _drop(self, worker: int) -> None:
        streams, self._streams[worker] = self._streams[worker], None
        if streams is not None:
            streams[1].close()

    async def aclose(self) -> None:
        for worker in range(len(self._streams)):
            self._drop(worker)


class HttpxClient:
    """SPIN_BENCH_CLIENT=httpx: one httpx.AsyncClient with a pool of CONCURRENCY connections."""

    def __init__(self, base_url: str, requests: list[tuple[str, dict[str, str], bytes]]) -> None:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        self._client = httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits)
        self._requests = [
            (path, {"Content-Type": "application/json", **headers}, body) for path, headers, body in requests
        ]

    async def send(self, worker: int) -> tuple[int, bytes]:
        path, headers, body = self._requests[worker]
        response = await self._client.post(path, content=body, headers=headers)
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop, as the servers use, so the load generator stays light; the default loop without it."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _loop_name() -> str:
    return "uvloop" if _loop_factory() else "asyncio"


LoadClient = RawClient | HttpxClient
CLIENTS: dict[str, type[LoadClient]] = {"raw": RawClient, "httpx": HttpxClient}
LOAD_CLIENT = os.environ.get("SPIN_BENCH_CLIENT", "raw")
TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, httpx.HTTPError, ValueError, IndexError)


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.samples: dict[str, str] = {}

    def error(self, kind: str, sample: str = "") -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.samples.setdefault(kind, sample[:300])


async def _worker(client: LoadClient, worker: int, deadline: float, tally: Tally) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status, body = await client.send(worker)
        except TRANSPORT_ERRORS as exc:
            tally.error(type(exc).__name__, str(exc))
            continue
        if status == 200:
            tally.latencies.append((time.perf_counter() - started) * 1000)
        else:
            tally.error(f"HTTP {status}", body.decode(errors="replace"))


async def _drive(client: LoadClient, workers: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    started = time.perf_counter()
    await asyncio.gather(*(_worker(client, worker, started + seconds, tally) for worker in range(workers)))
    return tally, time.perf_counter() - started


def _spin_requests(players: list[Player]) -> list[tuple[str, dict[str, str], bytes]]:
    body = json.dumps({"bet": BET}).encode()
    return [(SPIN_PATH, {"Authorization": f"Bearer {player.token}"}, body) for player in players[:CONCURRENCY]]


def _reference_requests(players: list[Player]) -> list[tuple[str, dict[str, str], bytes]]:
    return [(REFERENCE_PATH, {}, json.dumps({"user_id": player.user_id}).encode()) for player in players[:CONCURRENCY]]


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
        warmup, _ = await _drive(client, CONCURRENCY, WARMUP_SECONDS)
        phase.warmup_ok, phase.warmup_errors = len(warmup.latencies), sum(warmup.errors.values())
        with CpuMeter(pids) as cpu:
            tally, phase.elapsed_seconds = await _drive(client, CONCURRENCY, DURATION_SECONDS)
    finally:
        await client.aclose()
    phase.cpu = cpu.usage
    phase.latencies = Latencies(tally.latencies)
    phase.errors, phase.error_samples = tally.errors, tally.samples
    if phase.kind == "spin":
        phase.outbox_backlog_after = await _outbox_backlog(dsn)
    return phase


async def _ledger_counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT reason, count(*) AS n FROM ledger_entries WHERE reason IN ('bench_reference', 'slot_bet') "
            "GROUP BY reason"
        )
    finally:
        await connection.close()
    return {row["reason"]: int(row["n"]) for row in rows}


@dataclass
class Measured:
    phases: list[Phase]
    ledger: dict[str, int]  # ledger rows by reason, read from the database after the run

    @property
    def ratios(self) -> list[float]:
        """spin req/s over reference req/s, round by round."""
        rounds: dict[int, dict[str, float]] = {}
        for phase in self.phases:
            rounds.setdefault(phase.round, {})[phase.kind] = phase.per_second
        return [r["spin"] / r["reference"] if r["reference"] else 0.0 for _, r in sorted(rounds.items())]

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def error_count(self) -> int:
        return sum(phase.error_count for phase in self.phases)

    def answered(self, kind: str) -> int:
        """200s of that kind, warm-ups included (they commit too)."""
        return sum(len(phase.latencies.samples) + phase.warmup_ok for phase in self.phases if phase.kind == kind)

    @property
    def consistent(self) -> bool:
        """Every 200 really committed its ledger row: database counts against the answers counted here."""
        return self.answered("reference") == self.ledger.get("bench_reference", 0) and self.answered(
            "spin"
        ) == self.ledger.get("slot_bet", 0)

    @property
    def valid(self) -> bool:
        return self.error_count == 0 and self.consistent


async def _measure(app_url: str, reference_url: str, reference_pid: int, dsn: str) -> Measured:
    players = await _sign_up_all(app_url, PLAYERS)
    await _wait_for_wallets(dsn, players)
    pids = {"app": _app_pid(), "reference": reference_pid}
    client_type = CLIENTS[LOAD_CLIENT]
    spin, reference = _spin_requests(players), _reference_requests(players)
    phases: list[Phase] = []
    for number in range(1, ROUNDS + 1):
        phases.append(await _run_phase(Phase("reference", number), client_type(reference_url, reference), pids, dsn))
        phases.append(await _run_phase(Phase("spin", number), client_type(app_url, spin), pids, dsn))
    return Measured(phases, await _ledger_counts(dsn))


# -- results ----------------------------------------------------------------------------------------------------


def _results(measured: Measured) -> dict[str, object]:
    return {
        "benchmark": "spin",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "players": PLAYERS,
            "concurrency": CONCURRENCY,
            "worker_player_mapping": "worker i always plays as player i (no two workers share a user lock)",
            "bet": BET,
            "starting_coins": STARTING_COINS,
            "warmup_seconds": WARMUP_SECONDS,
            "duration_seconds": DURATION_SECONDS,
            "rounds": ROUNDS,
            "order": "reference, spin, reference, spin",
            "cpus": os.cpu_count(),
            "app_db_pool": "SQLAlchemy pool_size=10, max_overflow=10, pool_pre_ping (DB_POOL_SIZE default)",
            "reference_db_pool": "asyncpg pool min=max=10",
            "reference_auth": "none (the spin authenticates every request: JWT + session state in Redis)",
            "idempotency_key": "not sent (optional on the spin route)",
            "load_generator": f"this process: one {_loop_name()} loop, {LOAD_CLIENT} client, one keep-alive "
            "connection per worker (httpx: a pool of 64)",
        },
        "phases": [phase.summary() for phase in measured.phases],
        "ratios_spin_over_reference": [round(ratio, 3) for ratio in measured.ratios],
        "median_ratio": round(measured.median_ratio, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": measured.median_ratio >= TARGET_RATIO,
        "errors": measured.error_count,
        "sanity": {
            "reference_200s": measured.answered("reference"),
            "reference_ledger_rows": measured.ledger.get("bench_reference", 0),
            "spin_200s": measured.answered("spin"),
            "spin_bet_ledger_rows": measured.ledger.get("slot_bet", 0),
            "consistent": measured.consistent,
        },
        "valid": measured.valid,
    }


def _phase_line(phase: Phase) -> str:
    cpu = phase.cpu
    server = cpu.get(f"{'app' if phase.kind == 'spin' else 'reference'}_percent_of_one_cpu", float("nan"))
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


def _render(measured: Measured, path: Path) -> str:
    ratios = ", ".join(f"{ratio:.1%}" for ratio in measured.ratios)
    verdict = "MET" if measured.median_ratio >= TARGET_RATIO else "MISSED"
    return "\n".join(
        [
            f"spin benchmark: {PLAYERS} players, concurrency {CONCURRENCY} (worker i = player i, so per-user "
            f"locks never serialise workers), bet {BET}, {WARMUP_SECONDS:.0f} s warm-up + {DURATION_SECONDS:.0f} s "
            f"per phase, {os.cpu_count()} CPUs",
            "  reference = raw ASGI + asyncpg pool of 10: BEGIN; SELECT … FOR UPDATE; UPDATE wallet; INSERT ledger; "
            "COMMIT — no auth (every spin authenticates: JWT + session state in Redis)",
            f"  {'phase':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'cpu/req':>9}   CPU % of one CPU: "
            "server / postgres / load generator / rest of machine; machine busy %",
            *(_phase_line(phase) for phase in measured.phases),
            "  (cpu/req: server CPU ms per answered request; outbox backlog: events not yet relayed to the leaderboard "
            "when the phase ended)",
            f"  spin/reference throughput per round: {ratios}; median {measured.median_ratio:.1%} "
            f"(target >= {TARGET_RATIO:.0%}): {verdict}",
            f"  errors   {measured.error_count} (must be 0)" + ("" if measured.valid else "  <-- INVALID RUN"),
            f"  ledger   reference 200s {measured.answered('reference')} vs rows "
            f"{measured.ledger.get('bench_reference', 0)}; spin 200s {measured.answered('spin')} vs slot_bet rows "
            f"{measured.ledger.get('slot_bet', 0)}: {'consistent' if measured.consistent else 'MISMATCH'} "
            "(warm-ups included)",
            f"  results  {path}",
        ]
    )


def run(results_path: Path = RESULTS_PATH) -> str:
    """Run the benchmark on throwaway backends, write JSON results, return the human-readable report."""
    with (
        throwaway_backends({"STARTING_COINS": str(STARTING_COINS)}) as env,
        serving(env) as app_url,
        _serving_reference(_asyncpg_dsn(env["DATABASE_URL"])) as (reference_url, reference_pid),
        asyncio.Runner(loop_factory=_loop_factory()) as runner,
    ):
        measured = runner.run(_measure(app_url, reference_url, reference_pid, _asyncpg_dsn(env["DATABASE_URL"])))
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(_results(measured), indent=2) + "\n", encoding="utf-8")
    return _render(measured, results_path)
