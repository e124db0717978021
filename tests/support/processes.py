"""Start the real `casino-club` command in a subprocess and wait for it to serve."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis

from tests.support.redis_keys import delete_namespace, new_namespace

CLI = str(Path(sys.executable).parent / "casino-club")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# a deadline, not a wait: a server is polled every 0.2 s and healthy in ~3 s, but on a machine shared by several
# suites at once an import of the whole stack has taken over a minute
STARTUP_TIMEOUT_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    *args: str, env: Mapping[str, str], timeout: float = STARTUP_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env={**os.environ, **env}, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )


@dataclass(frozen=True)
class Server:
    """A running `casino-club serve`: its base URL, and its process for tests that kill it."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def started_server(
    env: Mapping[str, str], *args: str, startup_timeout: float = STARTUP_TIMEOUT_SECONDS
) -> Iterator[Server]:
    """Run `casino-club serve` on a free port; yields it once healthy and stops it afterwards (if still running)."""
    port = free_port()
    # output goes to a file: an unread pipe fills up and then blocks the server on its next log line
    log = tempfile.NamedTemporaryFile(prefix="casino-club-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [CLI, "serve", "--port", str(port), *args],
        env={**os.environ, "HOST": "127.0.0.1", **env},
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, startup_timeout, Path(log.name))
        yield Server(base_url, process, Path(log.name))
    finally:
        log.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        Path(log.name).unlink(missing_ok=True)


@contextmanager
def serving(env: Mapping[str, str], *args: str, startup_timeout: float = STARTUP_TIMEOUT_SECONDS) -> Iterator[str]:
    """Run `casino-club serve` on a free port; yields its base URL and stops it afterwards."""
    with started_server(env, *args, startup_timeout=startup_timeout) as server:
        yield server.url


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server at {base_url} did not become healthy in {timeout}s")


@contextmanager
def two_instances(
    database_url: str, redis_url: str, var_root: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """Two app processes sharing one database and one (fresh) Redis namespace, started side by side.

    Each has its own VAR_DIR, because chDB locks its directory. The namespace is deleted afterwards.
    `extra_env` adds settings to both.
    """
    namespace = new_namespace()
    shared = {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_NAMESPACE": namespace,
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    envs = [{**shared, "VAR_DIR": str(var_root / name)} for name in ("a", "b")]
    try:
        with ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
            starting = [pool.submit(stack.enter_context, serving(env)) for env in envs]
            first, second = (future.result() for future in starting)
            yield first, second
    finally:
        asyncio.run(_delete_namespace(redis_url, namespace))


async def _delete_namespace(redis_url: str, namespace: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()
