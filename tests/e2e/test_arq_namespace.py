"""Every Redis key that arq writes for a deployment is under its REDIS_NAMESPACE, so deployments can share a
Redis: a job queued by the app runs on a real `casino-club worker --queue payments` process (with its startup
crons) while Redis MONITOR records every command sent."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from src.application.shop.purchases import CAPTURE_JOB
from src.entrypoints.bootstrap import open_container
from src.entrypoints.settings import load_settings
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import Process, start_cli

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 45.0
ARQ_KEY = re.compile(r"arq:(?:job|in-progress|result|retry|abort|queue)\b")


async def _record(monitor: Any, commands: list[str]) -> None:
    while True:
        command = (await monitor.next_command())["command"]
        if "arq:" in command:
            commands.append(command)


def _worker(env: dict[str, str], log: Path) -> Process:
    with log.open("ab") as output:
        return start_cli("worker", "--queue", "payments", env=env, stdout=output, stderr=subprocess.STDOUT)


async def _wait_for(commands: list[str], seen: Callable[[str], bool], worker: Process, log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not any(seen(command) for command in commands):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"not seen in time (worker exit code {worker.poll()}; its log: {log})")
        await asyncio.sleep(0.2)


def _finished(job_id: str) -> Callable[[str], bool]:
    """The worker deletes a finished job's in-progress key (it keeps no result), whatever the key's name."""
    return lambda command: command.startswith("DEL ") and "in-progress:" in command and job_id in command


def _cron_started(namespace: str) -> Callable[[str], bool]:
    """This deployment's cron (tests running beside this one start their workers' crons too)."""
    return lambda command: command.startswith("PSETEX ") and f"in-progress:cron:{namespace}" in command


def _outside(namespace: str, command: str) -> list[str]:
    """arq key names in `command` that are not right after the namespace."""
    return [match.group() for match in ARQ_KEY.finditer(command) if not command[: match.start()].endswith(namespace)]


async def test_every_key_arq_writes_for_a_deployment_is_under_its_namespace(
    pg_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    env = {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "INFO",
        "JOB_QUEUE": "arq",
        "OUTBOX_RELAY_IN_APP": "false",
    }
    job_id = f"capture:{uuid.uuid4().hex}"
    client, log, commands = Redis.from_url(TEST_REDIS_URL), tmp_path / "worker.log", list[str]()
    async with client.monitor() as monitor:
        recording = asyncio.create_task(_record(monitor, commands))
        async with open_container(load_settings(env, env_file=None)) as container:
            await container.jobs.enqueue(CAPTURE_JOB, {"transaction_id": "no-such-transaction"}, job_id=job_id)
        worker = _worker(env, log)
        try:
            await _wait_for(commands, _finished(job_id), worker, log)
            await _wait_for(commands, _cron_started(redis_namespace), worker, log)
        finally:
            worker.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(worker.wait, 30)
            recording.cancel()
    await client.aclose()

    # other deployments share this Redis: their commands never name this one's namespace
    ours = [command for command in commands if redis_namespace in command]
    assert [command for command in ours if _outside(redis_namespace, command)] == []
    assert exit_code == 0, log.read_text(errors="replace")[-4000:]
    assert any(f"{redis_namespace}arq:in-progress:{redis_namespace}{job_id}" in command for command in ours)
    assert any(f"{redis_namespace}arq:job:{redis_namespace}{job_id}" in command for command in ours)
    assert any(f"{redis_namespace}arq:in-progress:cron:{redis_namespace}" in command for command in ours)
