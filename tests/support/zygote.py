"""A fork server for the `casino-club` processes the e2e tests start: the stack imported once, one fork each.

Every `casino-club` process spends ~2.5 s of CPU importing the app stack before it does anything, and the suite
starts dozens of them on a machine where CPU is what runs out. This server imports the stack once (no thread,
no event loop, no connection is open after the imports, so a fork duplicates nothing live) and forks a child per
command. The child is a real process: its own pid, killable with SIGKILL, the test's stdin/stdout/stderr, and
it runs the command as the console script does (`sys.argv` set, `cli()` called, a normal interpreter exit). A
`serve` child also finds its app's routes built, once per set of the settings a build reads (`_Builds`).

Protocol, one Unix-socket connection per process: the test sends one JSON line {"args", "env", "cwd"} with its
three standard file descriptors attached (SCM_RIGHTS); the server answers "pid <n>\\n" and, once the child has
exited, "exit <code> <cpu>\\n" (code negative: killed by that signal, as `subprocess` reports it; cpu: the
seconds of CPU the child and the children it waited for used, which no test process can see otherwise).

Run as a script with the listening socket as file descriptor `argv[1]` (the test process binds it, so it can
connect at once; the requests wait in the backlog while the stack imports).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import logging
import os
import random
import selectors
import signal
import socket
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.orm import configure_mappers

if TYPE_CHECKING:
    from litestar import Litestar

    from src.application.shared.ports import Clock
    from src.entrypoints.settings import Settings

MAX_REQUEST_BYTES = 1 << 20


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """The request line and its three file descriptors, or None if the test went away first."""
    data, fds = b"", []
    while not data.endswith(b"\n") and len(data) < MAX_REQUEST_BYTES:
        chunk, received, _, _ = socket.recv_fds(conn, 65536, 3)
        if not chunk:
            for fd in fds + received:
                os.close(fd)
            return None
        data, fds = data + chunk, fds + received
    return json.loads(data), fds


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """In the child: the process the console script would have been."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    os.chdir(request["cwd"])
    sys.argv = [request["executable"], *request["args"]]
    random.seed()  # a fresh process would not share the server's random state with its siblings


def _serve(listener: socket.socket, parent: int) -> dict[str, Any]:
    """Serves until the test process `parent` is gone; returns only in a forked child, with the child's request."""
    children: dict[int, socket.socket] = {}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the select through the wakeup fd
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    while os.getppid() == parent:  # the test process died: so do we (its children are its to stop)
        for key, _ in selector.select(timeout=1.0):
            if key.data == "wake":
                while True:
                    try:
                        os.read(wake_r, 512)
                    except BlockingIOError:
                        break
                continue
            conn, _ = listener.accept()
            received = _receive(conn)
            if received is None:
                conn.close()
                continue
            request, fds = received
            _BUILDS.prepare(request)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                selector.close()
                listener.close()
                os.close(wake_r)
                os.close(wake_w)
                for other in [conn, *children.values()]:
                    other.close()
                _become(request, fds)
                _BUILDS.hand_to_serve()
                return request
            for fd in fds:
                os.close(fd)
            with contextlib.suppress(OSError):  # a test that went away learns nothing; the child runs on
                conn.sendall(f"pid {pid}\n".encode())
            children[pid] = conn
        _reap(children)
    _remove(listener.getsockname())
    sys.exit(0)


def _remove(address: str) -> None:
    """The socket, its log and their directory, which the test process would have removed had it ended normally
    (a run killed or timed out leaves them otherwise)."""
    for path in (address, os.path.splitext(address)[0] + ".log"):
        with contextlib.suppress(OSError):
            os.unlink(path)
    with contextlib.suppress(OSError):  # not empty: not ours to remove
        os.rmdir(os.path.dirname(address))


def _reap(children: dict[int, socket.socket]) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):  # the test stopped listening
                cpu = usage.ru_utime + usage.ru_stime
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)} {cpu:.3f}\n".encode())
            conn.close()


class _Builds:
    """Apps built here, in the server, for the `serve` children: building the routes is most of a `serve`'s CPU
    from its fork to its first answer (~0.5 s of ~1.1 s, measured), and the suite starts ~35 of them. One build per
    set of the settings a build reads (APP_BUILD_SETTINGS, as the API tests' `app_for`), made when the first
    `serve` with them comes, before its fork; a child whose settings match starts that build with its own
    settings (`serve_with`) and configures logging as the build would have in it. Anything else (another
    command, `--workers` above 1, settings this server cannot read) builds in the child, as before."""

    def __init__(self) -> None:
        self._apps: dict[str, Litestar] = {}

    def prepare(self, request: dict[str, Any]) -> None:
        """In the server: the build this `serve` request will want, made now if it is the first of its kind."""
        if not _single_process_serve(request["args"]):
            return
        from src.entrypoints.http.app import create_app  # imported already (the CLI imports it)
        from src.entrypoints.settings import load_settings

        try:
            settings = load_settings(request["env"], env_file=os.path.join(request["cwd"], ".env"))
            settings.check_production_safety()
        except Exception:  # the child loads them again and says why, as the command would
            return
        key = _build_key(settings)
        if key not in self._apps:
            with _logging_left_as_it_was():  # the build configures logging for its process: not this server's
                try:
                    self._apps[key] = create_app(settings)
                except Exception:  # the child builds again and fails as the command would; the server serves on
                    return
            gc.collect()
            gc.freeze()  # as the imported stack: out of the children's collections

    def hand_to_serve(self) -> None:
        """In a child: `serve` builds its app through this, which hands it the build made for its settings."""
        from src.entrypoints.cli import main as cli_main
        from src.entrypoints.http.app import create_app, serve_with
        from src.entrypoints.settings import load_settings

        apps = self._apps

        def create_app_from_build(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
            settings = settings or load_settings()
            built = apps.pop(_build_key(settings), None)
            if built is None:
                return create_app(settings, clock=clock)
            app = serve_with(built, settings, clock=clock)
            if app.logging_config is not None:  # what Litestar's constructor does with it
                app.get_logger = app.logging_config.configure()
            return app

        cli_main.create_app = create_app_from_build  # type: ignore[attr-defined]


def _single_process_serve(args: list[str]) -> bool:
    if args[:1] != ["serve"]:
        return False
    if "--workers" in args[:-1]:
        return args[args.index("--workers") + 1] == "1"
    return not any(arg.startswith("--workers=") and arg != "--workers=1" for arg in args)


def _build_key(settings: Settings) -> str:
    from src.entrypoints.http.app import APP_BUILD_SETTINGS

    return repr([getattr(settings, name) for name in APP_BUILD_SETTINGS])


@contextlib.contextmanager
def _logging_left_as_it_was() -> Iterator[None]:
    """Standard logging and structlog as they were before the block: the loggers' levels, handlers and flags, and no
    queue listener thread of a handler the block configured left running (a fork keeps only the forking thread)."""
    manager = logging.Logger.manager

    def loggers() -> list[logging.Logger]:
        return [logging.getLogger(), *(lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger))]

    before = {id(lg): (lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers()}
    handlers_before = {id(handler) for state in before.values() for handler in state[1]}
    structlog_before = structlog.get_config() if structlog.is_configured() else None
    try:
        yield
    finally:
        for logger in loggers():
            for handler in logger.handlers:
                listener = getattr(handler, "listener", None)
                if id(handler) in handlers_before or getattr(listener, "_thread", None) is None:
                    continue
                listener.stop()  # type: ignore[union-attr]  # a listener with a thread
                atexit.unregister(listener.stop)  # type: ignore[union-attr]  # stopping again at exit would raise
            level, handlers, propagate, disabled = before.get(id(logger), (logging.NOTSET, [], True, False))
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled
        structlog.reset_defaults()
        if structlog_before is not None:
            structlog.configure(**structlog_before)


_BUILDS = _Builds()


def _prepare_for_forks() -> None:
    """What every child would otherwise redo at its own cost, done once here (measured: ~0.8 s of CPU per child,
    a `verify-ledger` run from 2.5 s to 0.5 s): SQLAlchemy configures its mappers on the first query, and the
    collector's first full pass in a child walks the whole imported heap, copying every page it touches. Frozen,
    that heap is left out of the children's collections (the server's own `gc.freeze()` at startup freezes
    only what it built since). Also imported here: what `serve` imports when its startup builds the OpenAPI
    document (Litestar's example factory: polyfactory, faker; ~0.2 s each time). Not chDB, pandas or pyarrow,
    which `serve` imports too: they start threads at import, and a fork keeps only the thread that forked."""
    importlib.import_module("litestar._openapi.schema_generation.examples")
    configure_mappers()
    gc.collect()
    gc.freeze()


def main() -> None:
    parent = os.getppid()  # before the imports: a test process that dies during them must still end this server
    listener = socket.socket(fileno=int(sys.argv[1]))
    # as the console script: its own directory first on sys.path, then the stack, imported once here, without
    # the collector's passes over a heap that only grows meanwhile (a third of an import's CPU, measured on the
    # suite's collection); `_prepare_for_forks` collects once and leaves the children the default collector
    sys.path[0] = os.path.dirname(sys.executable)
    gc.disable()
    from src.entrypoints.cli.main import cli

    _prepare_for_forks()
    gc.enable()
    _serve(listener, parent)
    cli()


if __name__ == "__main__":
    main()
