"""`casino-club serve --workers 2` beside `casino-club consume` on one VAR_DIR: with OLAP_IN_APP=false the server
processes leave the embedded OLAP store (chDB admits one process) to the consumer and send their events to Kafka."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from src.adapters.clickhouse.olap import held_by_another_process
from tests.support.broker import Broker, running_broker
from tests.support.polling import eventually
from tests.support.processes import Process, start_cli, started_server, stop

pytestmark = pytest.mark.e2e


def _wait_for(condition: Callable[[], bool], deadline: float = 120) -> None:
    """Until `condition` holds (state in other processes); TimeoutError after `deadline` s."""

    async def probe() -> bool:
        return condition()

    asyncio.run(eventually(probe, deadline=deadline, interval=0.2))


@pytest.fixture
def broker() -> Iterator[Broker]:
    with running_broker() as started:
        yield started


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _serving_children(pid: int) -> list[int]:
    """uvicorn's worker processes: children of the server running Python's spawn entry point."""
    return [child for child in _children(pid) if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


@pytest.fixture
def consumer(env: dict[str, str], broker: Broker) -> Iterator[tuple[dict[str, str], Process]]:
    env = {
        **env,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "KAFKA_IDEMPOTENT_PRODUCER": "false",  # tansu refuses aiokafka's InitProducerId (tests/support/broker.py)
        "KAFKA_EVENTS_TOPIC": f"events_{uuid.uuid4().hex[:8]}",
        "OLAP_IN_APP": "false",
    }
    Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    with (Path(env["VAR_DIR"]).parent / "consume.log").open("ab") as log:
        process = start_cli("consume", env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: held_by_another_process(Path(env["VAR_DIR"]) / "olap"))
        yield env, process
    finally:
        stop(process)


def test_two_server_processes_serve_beside_the_consumer_that_owns_the_embedded_olap_store(
    consumer: tuple[dict[str, str], Process],
) -> None:
    env, consume = consumer

    with started_server(env, "--workers", "2") as server:
        _wait_for(lambda: len(_serving_children(server.process.pid)) == 2)
        started = set(_serving_children(server.process.pid))
        ready = httpx.get(f"{server.url}/ready", timeout=10)
        site_id = f"w{uuid.uuid4().hex[:12]}"
        signup = httpx.post(
            f"{server.url}/api/auth/signup",
            json={"site_id": site_id, "nickname": site_id, "password": "plum-orbit-canyon-42", "invite_code": "5858"},
            timeout=30,
        )
        serving_at_the_end = set(_serving_children(server.process.pid))

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}  # no OLAP store in the app
    assert signup.status_code == 201, signup.text
    assert serving_at_the_end == started  # the same two processes: none was killed and replaced meanwhile
    assert consume.poll() is None  # it kept its store: no server process tried to open it
