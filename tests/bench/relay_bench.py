"""What the deferred work of a spin costs: the outbox relay's passes (each consumer apart) and the analytics export.

In process, on PostgreSQL and Redis: players sign up and spin through the app's ASGI callable with the relay and the
exporter off, then the backlog is drained with each consumer's CPU (`time.process_time`) taken around its call.
Nothing else runs on the loop during the drain, so the figures are the deferred work alone, without uvicorn, wrk or
the requests. Rounds repeat spins then drain on the same players (the first round's sign-ups and first-spin
rewards drained before). Knobs: RELAY_BENCH_PLAYERS (100), RELAY_BENCH_SPINS (per player and round, 20),
RELAY_BENCH_ROUNDS (3).

    python -m tests.bench --only relay
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from src.application.shared.outbox import BatchSubscriber, OutboxMessage
from src.entrypoints.events import SUBSCRIBERS, subscriber_map
from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.bench.backends import throwaway_backends
from tests.support.processes import PROJECT_ROOT
from tests.support.round_trips import counted, instrumented

PLAYERS = int(os.environ.get("RELAY_BENCH_PLAYERS", "100"))
SPINS = int(os.environ.get("RELAY_BENCH_SPINS", "20"))
ROUNDS = int(os.environ.get("RELAY_BENCH_ROUNDS", "3"))
# events a pass (the relay's own 1,000 by default); under load passes are smaller, each consumer's statements paid
# per pass
BATCH = int(os.environ.get("RELAY_BENCH_BATCH", "0"))
EXPORT_PROFILE = os.environ.get("RELAY_BENCH_EXPORT_PROFILE", "")  # the same of the export
PROFILE = os.environ.get("RELAY_BENCH_PROFILE", "")  # a path: cProfile of the (last round's) drain, CPU time
CONCURRENCY = int(os.environ.get("RELAY_BENCH_CONCURRENCY", "32"))  # spins in flight
PASSWORD = "plum-orbit-canyon-42"
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "relay.json"


class _Meter:
    """CPU seconds and calls per consumer name, the relay's own share (read, sort, mark) being the rest."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.events: dict[str, int] = defaultdict(int)
        self.passes: dict[str, int] = defaultdict(int)  # calls of a batch consumer
        self.trips: dict[str, Counter[str]] = defaultdict(Counter)  # its round trips (statements, Redis)

    def wrap(self, name: str, handle: Callable[[Sequence[OutboxMessage]], Awaitable[None]]) -> BatchSubscriber:
        async def timed(messages: Sequence[OutboxMessage]) -> None:
            started = time.process_time()
            try:
                trips = await counted(lambda: handle(messages))
            finally:
                self.cpu[name] += time.process_time() - started
                self.events[name] += len(messages)
            self.passes[name] += 1
            self.trips[name] += trips

        return BatchSubscriber(timed)

    def wrap_each(self, name: str, handle: Callable[[OutboxMessage], Awaitable[None]]) -> Any:
        async def timed(message: OutboxMessage) -> None:
            started = time.process_time()
            try:
                await handle(message)
            finally:
                self.cpu[name] += time.process_time() - started
                self.events[name] += 1

        return timed


def _metered(app: Litestar, meter: _Meter) -> None:
    """The relay's map built again as `subscriber_map` does, each consumer wrapped in the meter."""
    container = app.state.container
    subscribers: dict[str, list[Any]] = {}
    for row in SUBSCRIBERS:
        consumer = row.build(container)
        wrapped = (
            meter.wrap(row.name, consumer.handle)
            if isinstance(consumer, BatchSubscriber)
            else meter.wrap_each(row.name, consumer)
        )
        for event_type in row.events:
            subscribers.setdefault(event_type, []).append(wrapped)
    container.relay._subscribers = subscribers


async def _player(client: httpx.AsyncClient) -> str:
    site_id = f"relay_{uuid.uuid4().hex[:12]}"
    body = {"site_id": site_id, "nickname": site_id, "password": PASSWORD, "invite_code": "5858"}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


_in_flight: asyncio.Semaphore | None = None


async def _spins(client: httpx.AsyncClient, token: str, count: int) -> None:
    global _in_flight
    if _in_flight is None:
        _in_flight = asyncio.Semaphore(CONCURRENCY)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        async with _in_flight:
            response = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=headers)
        assert response.status_code == 200, response.text


async def _drain(app: Litestar, meter: _Meter) -> dict[str, float]:
    container = app.state.container
    relay_cpu, passes = time.process_time(), 0
    started = time.perf_counter()
    while True:
        published = await container.relay.run_once(wait_seconds=5.0)
        passes += 1
        if not published:
            break
    relay_seconds = time.perf_counter() - started
    relay_cpu = time.process_time() - relay_cpu
    export_cpu = time.process_time()
    if container.exporter is not None:
        profiler = cProfile.Profile(time.process_time) if EXPORT_PROFILE else None
        if profiler is not None:
            profiler.enable()
        await container.exporter.drain()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(EXPORT_PROFILE)
    return {
        "relay_cpu_s": relay_cpu,
        "relay_wall_s": relay_seconds,
        "passes": passes,
        "export_cpu_s": time.process_time() - export_cpu,
    }


async def _backlog(app: Litestar) -> int:
    return len(await app.state.container.relay._store.unpublished(1))


async def _live(app: Litestar, tokens: list[str], client: httpx.AsyncClient) -> dict[str, Any]:
    """Spins with the relay looping beside them, as a served process runs it, then until the backlog is out: the
    CPU of both, and the sizes of the passes (the relay's per-pass statements are paid per pass)."""
    relay = app.state.container.relay
    store = relay._store
    sizes: list[int] = []
    unpublished = store.unpublished

    async def counted(limit: int) -> list[OutboxMessage]:
        messages = await unpublished(limit)
        if messages:
            sizes.append(len(messages))
        return messages

    store.unpublished = counted
    started = time.process_time()
    loop = asyncio.create_task(relay.run_forever(0.05))
    try:
        await asyncio.gather(*(_spins(client, token, SPINS) for token in tokens))
        while await _backlog(app):  # noqa: ASYNC110 - polls the database, nothing to wait on
            await asyncio.sleep(0.01)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        store.unpublished = unpublished
    return {"cpu_s": time.process_time() - started, "pass_sizes": sizes}


async def _run(env: dict[str, str]) -> dict[str, Any]:
    settings = load_settings({**env, "OUTBOX_RELAY_IN_APP": "false", "OUTBOX_EXPORT_IN_APP": "false"}, env_file=None)
    with instrumented():
        app = create_app(settings)
        return await _rounds(app)


async def _rounds(app: Litestar) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://relay") as client,
    ):
        if BATCH:
            app.state.container.relay._batch_size = BATCH
        tokens = await asyncio.gather(*(_player(client) for _ in range(PLAYERS)))
        await asyncio.gather(*(_spins(client, token, 1) for token in tokens))  # first spins: their rewards
        await _drain(app, _Meter())
        await _drain(app, _Meter())
        for _ in range(ROUNDS):
            meter = _Meter()
            _metered(app, meter)
            spun = time.process_time()
            await asyncio.gather(*(_spins(client, token, SPINS) for token in tokens))
            spun = time.process_time() - spun
            profiler = cProfile.Profile(time.process_time) if PROFILE else None
            if profiler is not None:
                profiler.enable()
            figures = await _drain(app, meter)
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(PROFILE)
            app.state.container.relay._subscribers = subscriber_map(app.state.container)
            live = await _live(app, list(tokens), client)
            spins = PLAYERS * SPINS
            consumers = {name: round(cpu / spins * 1e6, 1) for name, cpu in sorted(meter.cpu.items())}
            consumer_total = sum(meter.cpu.values())
            rounds.append(
                {
                    "spins": spins,
                    "passes": figures["passes"],
                    "relay_us_per_spin": round(figures["relay_cpu_s"] / spins * 1e6, 1),
                    "relay_own_us_per_spin": round((figures["relay_cpu_s"] - consumer_total) / spins * 1e6, 1),
                    "export_us_per_spin": round(figures["export_cpu_s"] / spins * 1e6, 1),
                    "drain_wall_s": round(figures["relay_wall_s"], 3),
                    "consumers_us_per_spin": consumers,
                    "consumer_events_per_spin": {n: round(c / spins, 2) for n, c in sorted(meter.events.items())},
                    "consumer_round_trips_per_call": {
                        n: {kind: round(count / meter.passes[n], 1) for kind, count in sorted(trips.items())}
                        for n, trips in sorted(meter.trips.items())
                    },
                    "requests_us_per_spin": round(spun / spins * 1e6, 1),
                    "live_us_per_spin": round(live["cpu_s"] / spins * 1e6, 1),
                    "live_relay_us_per_spin": round((live["cpu_s"] - spun) / spins * 1e6, 1),
                    "live_passes": len(live["pass_sizes"]),
                    "live_events_per_pass": round(statistics.mean(live["pass_sizes"] or [0]), 1),
                }
            )
    return {"rounds": rounds}


def run(results_path: Path = RESULTS_PATH) -> str:
    extra = {"STARTING_COINS": "100000000", "TEST_CHEAP_PASSWORD_HASHES": "true", "FRAUD_MAX_ATTEMPTS": "1000000000"}
    with throwaway_backends(extra) as env:
        figures = asyncio.run(_run(env))
    results = {"benchmark": "relay", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), **figures}
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = [f"deferred work per spin ({PLAYERS} players x {SPINS} spins a round, µs of CPU per spin)"]
    for number, figure in enumerate(figures["rounds"], start=1):
        lines.append(
            f"  round {number}: relay {figure['relay_us_per_spin']} (own {figure['relay_own_us_per_spin']}), "
            f"export {figure['export_us_per_spin']}, {figure['passes']} passes, drain {figure['drain_wall_s']} s"
        )
        lines.append(f"    {json.dumps(figure['consumers_us_per_spin'])}")
        lines.append(f"    events per spin: {json.dumps(figure['consumer_events_per_spin'])}")
        lines.append(f"    round trips per call: {json.dumps(figure['consumer_round_trips_per_call'])}")
        lines.append(
            f"    live: requests alone {figure['requests_us_per_spin']}, requests + relay looping beside them "
            f"{figure['live_us_per_spin']} (relay ~{figure['live_relay_us_per_spin']}), {figure['live_passes']} "
            f"passes of {figure['live_events_per_pass']} events on average"
        )
    relay = statistics.median(figure["relay_us_per_spin"] for figure in figures["rounds"])
    lines.append(f"  median relay µs per spin: {relay}")
    return "\n".join([*lines, f"  results  {results_path}"])
