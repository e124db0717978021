"""Start the real `casino-club` command in a process of its own and wait for it to serve.

Under pytest (tests/conftest.py sets CC_TEST_FORK_SERVER=1 unless it is set) processes are forked from a server
that imported the app stack once (tests/support/zygote.py): each is still a separate process with its own pid,
signals and exit code, without the ~2.5 s of CPU every `casino-club` start spends importing. Otherwise (the
benchmarks, which find their server among their own children, or CC_TEST_FORK_SERVER=0) each one is started from
the console script.

A pytest-xdist run has one fork server for all its workers: the controller starts it as soon as a worker has
collected e2e tests (tests/conftest.py), at a path the run id names, and stops it when the run ends. A test
process that finds none there (a run without xdist, or without e2e tests) starts one of its own on first use.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import IO, Protocol

import httpx
from redis.asyncio import Redis

from tests.support.redis_keys import delete_namespace, new_namespace

CLI = str(Path(sys.executable).parent / "casino-club")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ZYGOTE = Path(__file__).with_name("zygote.py")
FORK_SERVER_SWITCH = "CC_TEST_FORK_SERVER"
RUN_ID = "CC_TEST_RUN_ID"  # one id per pytest run, shared by its xdist workers (tests/conftest.py sets it)
# a deadline, not a wait: a server is polled every 0.2 s and healthy in ~3 s, but on a machine shared by several
# suites at once an import of the whole stack has taken over a minute
STARTUP_TIMEOUT_SECONDS = 180.0

Output = int | IO[bytes] | IO[str] | None  # a file descriptor, a file, subprocess.DEVNULL/STDOUT, or None: ours


class Process(Protocol):
    """What the tests use of a started process (`subprocess.Popen` has it too)."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


_FORKED_CPU: list[float] = []  # the CPU seconds of each forked process this test process saw exit


def forked_cpu_seconds() -> float:
    """CPU seconds used by the forked `casino-club` processes (with their waited-for children) that this test
    process has seen exit: the fork server, not the test process, waits for them, so `getrusage` misses them
    (tests/support/cpu_per_phase.py adds this in)."""
    return sum(_FORKED_CPU)


class ForkedProcess:
    """A `casino-club` process the fork server started; its exit code arrives on the request's connection."""

    def __init__(self, args: list[str], pid: int, connection: socket.socket, buffered: bytes) -> None:
        self.args, self.pid, self.returncode = args, pid, None
        self._connection, self._buffer = connection, buffered

    def poll(self) -> int | None:
        return self._exit_code(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._exit_code(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with suppress(ProcessLookupError):  # it exited between the two lines
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _exit_code(self, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            if b"\n" in self._buffer:
                line = self._buffer.split(b"\n", 1)[0].decode()
                assert line.startswith("exit "), line
                code, cpu = line.removeprefix("exit ").split()
                self.returncode = int(code)
                _FORKED_CPU.append(float(cpu))
                self._connection.close()
                break
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._connection], [], [], remaining)[0]:
                return None
            chunk = self._connection.recv(256)
            if not chunk:
                raise RuntimeError(f"the fork server went away while {self.args} ran (pid {self.pid})")
            self._buffer += chunk
        return self.returncode


class _ForkServer:
    """A test process's fork server: the run's shared one if there is one, else its own, started on first use
    (it exits with the process that started it)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._address = ""

    def connect(self) -> tuple[socket.socket, str]:
        """A connection to the fork server, and the address of the server (its log is beside it)."""
        shared = _shared_address()
        if shared is not None and shared.exists() and self._process is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.connect(str(shared))
                return connection, str(shared)
            except OSError:  # it is gone (it failed to start): this process starts one of its own
                connection.close()
        self.start(own=True)
        with self._lock:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(self._address)
            return connection, self._address

    def start(self, own: bool = False) -> None:
        """Start it now if it is not running (it imports in the background; nothing waits for it here); a no-op
        where the run's shared one is there, unless `own`."""
        shared = _shared_address()
        if not own and shared is not None and shared.exists():
            return
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start(Path(tempfile.mkdtemp(prefix="cc-zygote-")) / "zygote.sock")

    def start_shared(self) -> None:
        """Start the run's shared fork server (the xdist controller does, once), unless it is running."""
        shared = _shared_address()
        with self._lock:
            if shared is not None and self._process is None:
                shared.parent.mkdir(exist_ok=True)
                shared.unlink(missing_ok=True)  # a run id given twice: the earlier run's server is gone
                self._start(shared)

    @staticmethod
    def log(address: str) -> str:
        return Path(address).with_suffix(".log").read_text(errors="replace")[-4000:]

    def _start(self, address: Path) -> None:
        self._address = str(address)
        # bound here, so a test connects at once and its request waits in the backlog while the stack imports
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self._address)
        listener.listen(64)
        with address.with_suffix(".log").open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, str(ZYGOTE), str(listener.fileno())],
                pass_fds=[listener.fileno()],
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        listener.close()
        atexit.register(self._close, self._process, address.parent)

    @staticmethod
    def _close(process: subprocess.Popen[bytes], directory: Path) -> None:
        stop(process, timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _shared_address() -> Path | None:
    """Where the run's shared fork server listens, if this is a pytest run (tests/conftest.py names each run)."""
    run = os.environ.get(RUN_ID)
    return Path(tempfile.gettempdir()) / f"cc-zygote-{run}" / "zygote.sock" if run else None


_FORK_SERVER = _ForkServer()


def start_fork_server() -> None:
    """Start this test process's fork server ahead of its first command, so its import of the stack overlaps
    the test's own setup instead of delaying the first `casino-club` process (no-op without the fork server, or
    where the run's shared one is there)."""
    if os.environ.get(FORK_SERVER_SWITCH) == "1":
        _FORK_SERVER.start()


def start_shared_fork_server() -> None:
    """The xdist controller starts the one fork server its workers share (no-op without the fork server)."""
    if os.environ.get(FORK_SERVER_SWITCH) == "1":
        _FORK_SERVER.start_shared()


def _fd(output: Output, default: int, opened: ExitStack) -> int:
    if output is None:
        return default
    if output == subprocess.DEVNULL:
        return opened.enter_context(open(os.devnull, "r+b")).fileno()
    if isinstance(output, int):
        return output
    return output.fileno()


def start_cli(
    *args: str,
    env: Mapping[str, str],
    stdout: Output = None,
    stderr: Output = None,
    cwd: Path = PROJECT_ROOT,
    console_script: bool = False,
) -> Process:
    """`casino-club *args` with the test's environment plus `env`; `stderr=subprocess.STDOUT` joins the two."""
    environ = {**os.environ, **env}
    if console_script or os.environ.get(FORK_SERVER_SWITCH) != "1":
        return subprocess.Popen([CLI, *args], env=environ, cwd=cwd, stdout=stdout, stderr=stderr)
    with ExitStack() as opened:
        out = _fd(stdout, 1, opened)
        err = out if stderr == subprocess.STDOUT else _fd(stderr, 2, opened)
        connection, address = _FORK_SERVER.connect()
        request = {"executable": CLI, "args": list(args), "env": environ, "cwd": str(cwd)}
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, out, err])
    answer = b""
    while b"\n" not in answer:
        chunk = connection.recv(256)
        if not chunk:
            raise RuntimeError(f"the fork server could not start {args}:\n{_FORK_SERVER.log(address)}")
        answer += chunk
    line, rest = answer.split(b"\n", 1)
    return ForkedProcess([CLI, *args], int(line.decode().removeprefix("pid ")), connection, rest)


def stop(process: Process, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    *args: str, env: Mapping[str, str], timeout: float = STARTUP_TIMEOUT_SECONDS, console_script: bool = False
) -> subprocess.CompletedProcess[str]:
    """`casino-club *args` run to its end, its output captured as text (as `subprocess.run(..., text=True)`);
    `console_script` starts the installed script itself rather than a fork of the fork server."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = start_cli(*args, env=env, stdout=out, stderr=err, console_script=console_script)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        texts = []
        for output in (out, err):
            output.seek(0)
            texts.append(output.read().decode().replace("\r\n", "\n"))
    return subprocess.CompletedProcess([CLI, *args], code, texts[0], texts[1])


@dataclass(frozen=True)
class Server:
    """A running `casino-club serve`: its base URL, and its process for tests that kill it."""

    url: str
    process: Process
    log: Path


@contextmanager
def started_server(
    env: Mapping[str, str], *args: str, startup_timeout: float = STARTUP_TIMEOUT_SECONDS
) -> Iterator[Server]:
    """Run `casino-club serve` on a free port; yields it once healthy and stops it afterwards (if still running)."""
    port = free_port()
    # output goes to a file: an unread pipe fills up and then blocks the server on its next log line
    log = tempfile.NamedTemporaryFile(prefix="casino-club-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = start_cli(
        "serve", "--port", str(port), *args, env={"HOST": "127.0.0.1", **env}, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, startup_timeout, Path(log.name))
        yield Server(base_url, process, Path(log.name))
    finally:
        log.close()
        stop(process, timeout=15)
        Path(log.name).unlink(missing_ok=True)


@contextmanager
def serving(env: Mapping[str, str], *args: str, startup_timeout: float = STARTUP_TIMEOUT_SECONDS) -> Iterator[str]:
    """Run `casino-club serve` on a free port; yields its base URL and stops it afterwards."""
    with started_server(env, *args, startup_timeout=startup_timeout) as server:
        yield server.url


def _wait_until_healthy(process: Process, base_url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    # one client for every poll: `httpx.get` builds a client (and its TLS context) each time, ~23 ms of CPU a
    # poll against ~1 ms, and a server starting beside a loaded suite is polled tens of times
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if client.get(f"{base_url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # a forked server is healthy ~0.5 s after its start: 0.2 s polls added ~0.1 s to each
    raise TimeoutError(f"server at {base_url} did not become healthy in {timeout}s")


@dataclass(frozen=True)
class Worker:
    """A running `casino-club worker`, its VAR_DIR and the file its output goes to."""

    process: Process
    var_dir: Path
    log: Path


@contextmanager
def started_workers(queue: str, env: Mapping[str, str], var_root: Path, count: int = 1) -> Iterator[list[Worker]]:
    """`count` workers on one arq queue, each with a VAR_DIR of its own under `var_root` (chDB locks its
    directory); stopped with SIGTERM afterwards (SIGKILL after 30 s)."""
    with ExitStack() as stack:
        workers = []
        for index in range(count):
            var_dir = var_root / f"worker-{index}"
            var_dir.mkdir(parents=True)
            log = stack.enter_context((var_dir / "worker.log").open("ab"))
            process = start_cli(
                "worker", "--queue", queue, env={**env, "VAR_DIR": str(var_dir)}, stdout=log, stderr=subprocess.STDOUT
            )
            stack.callback(stop, process)
            workers.append(Worker(process, var_dir, var_dir / "worker.log"))
        yield workers


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
