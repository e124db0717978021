"""Login throughput and event-loop responsiveness of one `casino-club serve` process on PostgreSQL + Redis.

32 clients log in continuously (argon2id verification each time) while a separate process times `GET /health`
every 20 ms: if the hashing ever ran on the event loop, or starved it, health latency would show it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import httpx

from tests.bench.backends import throwaway_backends
from tests.support.processes import PROJECT_ROOT, serving

USERS = 64
CONCURRENCY = 32
DURATION_SECONDS = 10.0
WARMUP_LOGINS = 32
HEALTH_INTERVAL_SECONDS = 0.02
HEALTH_TARGET_P99_MS = 50.0
PASSWORD = "plum-orbit-canyon-42"
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "login.json"


@dataclass
class Latencies:
    """Milliseconds; p50/p99 by nearest rank, so p99 of 300 samples is the 297th fastest."""

    samples: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]

    def summary(self) -> dict[str, float | int]:
        return {
            "samples": len(self.samples),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.samples, default=float("nan")), 2),
            "mean_ms": round(statistics.fmean(self.samples), 2) if self.samples else float("nan"),
        }


@dataclass
class LoginRun:
    latencies: Latencies = field(default_factory=Latencies)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def record_error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def per_second(self) -> float:
        return len(self.latencies.samples) / self.elapsed_seconds if self.elapsed_seconds else 0.0


@dataclass
class CpuUsage:
    """Share of the machine's CPUs used during the measurement, from /proc (Linux only; NaN elsewhere)."""

    machine_busy_percent: float
    server_percent_of_one_cpu: float
    server_threads: int
    bench_client_percent_of_one_cpu: float


# -- setup ------------------------------------------------------------------------------------------------------


async def _sign_up_all(base_url: str, count: int) -> list[str]:
    """Sign up `count` users, 8 at a time (hashing is the slow part); returns their site ids."""
    site_ids = [f"bench_{uuid.uuid4().hex[:20]}" for _ in range(count)]
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def sign_up(site_id: str) -> None:
            body = {"site_id": site_id, "nickname": site_id[-20:], "password": PASSWORD, "invite_code": "5858"}
            async with gate:
                response = await client.post("/api/auth/signup", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"signup failed: {response.status_code} {response.text}")

        await asyncio.gather(*(sign_up(site_id) for site_id in site_ids))
    return site_ids


# -- load -------------------------------------------------------------------------------------------------------


async def _warm_up(client: httpx.AsyncClient, site_ids: list[str]) -> None:
    """Open the connections and warm the server's caches; any failure here aborts the run."""
    body = [{"site_id": site_id, "password": PASSWORD} for site_id in site_ids[:CONCURRENCY]]
    responses = await asyncio.gather(*(client.post("/api/auth/login", json=item) for item in body))
    failed = [response for response in responses if response.status_code != 200]
    if failed:
        raise RuntimeError(f"warm-up login failed: {failed[0].status_code} {failed[0].text}")


async def _login_worker(client: httpx.AsyncClient, site_ids: Iterator[str], deadline: float, run: LoginRun) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = await client.post("/api/auth/login", json={"site_id": next(site_ids), "password": PASSWORD})
        except httpx.HTTPError as exc:
            run.record_error(type(exc).__name__)
            continue
        if response.status_code == 200:
            run.latencies.samples.append((time.perf_counter() - started) * 1000)
        else:
            run.record_error(f"HTTP {response.status_code}")


async def _logins(client: httpx.AsyncClient, site_ids: list[str], duration: float) -> LoginRun:
    """CONCURRENCY workers log in back to back, rotating over the users so none is ever locked out."""
    rotation = itertools.cycle(site_ids)
    run = LoginRun()
    started = time.perf_counter()
    await asyncio.gather(*(_login_worker(client, rotation, started + duration, run) for _ in range(CONCURRENCY)))
    run.elapsed_seconds = time.perf_counter() - started
    return run


def probe_health(base_url: str, duration: float, interval: float) -> list[float]:
    """Runs in its own process, so the load generator's busy event loop cannot delay these timings."""
    samples: list[float] = []
    deadline = time.perf_counter() + duration
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.get("/health")  # open the connection before timing
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = client.get("/health")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 200:
                samples.append(elapsed)
            time.sleep(max(0.0, interval - elapsed / 1000))
    return samples


# -- CPU accounting (Linux /proc) -------------------------------------------------------------------------------


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _server_pid() -> int | None:
    """Our child process running `casino-club serve` (uvicorn runs in that same process)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if parent == os.getpid() and b"casino-club" in command and b"serve" in command:
            return int(entry.name)
    return None


def _process_ticks(pid: int | None) -> tuple[int, int]:
    """(utime + stime jiffies, thread count) of `pid`."""
    if pid is None:
        return 0, 0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[17])


class CpuMeter:
    def __init__(self) -> None:
        self._hz = os.sysconf("SC_CLK_TCK")
        self._server = _server_pid()

    def __enter__(self) -> CpuMeter:
        self._machine = _machine_ticks()
        self._server_ticks, _ = _process_ticks(self._server)
        self._client = time.process_time()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        wall = time.perf_counter() - self._wall
        busy, total = _machine_ticks()
        server_ticks, threads = _process_ticks(self._server)
        self.usage = CpuUsage(
            machine_busy_percent=round(100 * (busy - self._machine[0]) / max(1, total - self._machine[1]), 1),
            server_percent_of_one_cpu=round(100 * (server_ticks - self._server_ticks) / self._hz / wall, 1),
            server_threads=threads,
            bench_client_percent_of_one_cpu=round(100 * (time.process_time() - self._client) / wall, 1),
        )


# -- the benchmark ----------------------------------------------------------------------------------------------


async def _measure(base_url: str) -> tuple[LoginRun, Latencies, CpuUsage]:
    site_ids = await _sign_up_all(base_url, USERS)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await _warm_up(client, site_ids)
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            await loop.run_in_executor(pool, time.sleep, 0)  # start the prober process before the clock runs
            with CpuMeter() as cpu:
                health = loop.run_in_executor(pool, probe_health, base_url, DURATION_SECONDS, HEALTH_INTERVAL_SECONDS)
                run, health_samples = await asyncio.gather(_logins(client, site_ids, DURATION_SECONDS), health)
    return run, Latencies(health_samples), cpu.usage


def _results(run: LoginRun, health: Latencies, cpu: CpuUsage) -> dict[str, object]:
    return {
        "benchmark": "login",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "users": USERS,
            "concurrency": CONCURRENCY,
            "duration_seconds": DURATION_SECONDS,
            "health_interval_ms": HEALTH_INTERVAL_SECONDS * 1000,
            "cpus": os.cpu_count(),
        },
        "login": {
            "ok": len(run.latencies.samples),
            "errors": run.error_count,
            "errors_by_kind": run.errors,
            "elapsed_seconds": round(run.elapsed_seconds, 2),
            "per_second": round(run.per_second, 1),
            **run.latencies.summary(),
        },
        "health": {
            **health.summary(),
            "target_p99_ms": HEALTH_TARGET_P99_MS,
            "meets_target": health.percentile(99) < HEALTH_TARGET_P99_MS,
        },
        "cpu": asdict(cpu),
        "valid": run.error_count == 0,
    }


def _render(run: LoginRun, health: Latencies, cpu: CpuUsage, path: Path) -> str:
    logins = run.latencies
    verdict = "MET" if health.percentile(99) < HEALTH_TARGET_P99_MS else "MISSED"
    errors = str(run.error_count) if run.error_count == 0 else f"{run.error_count} {run.errors}  <-- INVALID RUN"
    return "\n".join(
        [
            f"login benchmark: {USERS} users, concurrency {CONCURRENCY}, {DURATION_SECONDS:.0f} s, "
            f"{os.cpu_count()} CPUs",
            f"  logins   {run.per_second:.1f}/s  ({len(logins.samples)} in {run.elapsed_seconds:.1f} s)",
            f"  latency  p50 {logins.percentile(50):.1f} ms  p99 {logins.percentile(99):.1f} ms  "
            f"max {max(logins.samples, default=float('nan')):.1f} ms",
            f"  errors   {errors} (must be 0)",
            f"  /health  p50 {health.percentile(50):.1f} ms  p99 {health.percentile(99):.1f} ms  "
            f"max {max(health.samples, default=float('nan')):.1f} ms  ({len(health.samples)} samples, one every "
            f"{HEALTH_INTERVAL_SECONDS * 1000:.0f} ms, under the login load)",
            f"  target   /health p99 < {HEALTH_TARGET_P99_MS:.0f} ms: {verdict}",
            f"  cpu      machine {cpu.machine_busy_percent}% busy; server {cpu.server_percent_of_one_cpu}% of one CPU "
            f"({cpu.server_threads} threads); load generator {cpu.bench_client_percent_of_one_cpu}% of one CPU",
            f"  results  {path}",
        ]
    )


def run(results_path: Path = RESULTS_PATH) -> str:
    """Run the benchmark on throwaway backends, write JSON results, return the human-readable report."""
    with throwaway_backends() as env, serving(env) as base_url:
        login_run, health, cpu = asyncio.run(_measure(base_url))
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(_results(login_run, health, cpu), indent=2) + "\n", encoding="utf-8")
    return _render(login_run, health, cpu, results_path)
