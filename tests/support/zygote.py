"""A fork server for the `casino-club` processes the e2e tests start: the stack imported once, one fork each.

Every `casino-club` process spends ~2.5 s of CPU importing the app stack before it does anything, and the suite
starts dozens of them on a machine where CPU is what runs out. This server imports the stack once (no thread,
no event loop, no connection is open after the imports, so a fork duplicates nothing live) and forks a child per
command. The child is a real process: its own pid, killable with SIGKILL, the test's stdin/stdout/stderr, and
it runs the command as the console script does (`sys.argv` set, `cli()` called, a normal interpreter exit).

Protocol, one Unix-socket connection per process: the test sends one JSON line {"args", "env", "cwd"} with its
three standard file descriptors attached (SCM_RIGHTS); the server answers "pid <n>\\n" and, once the child has
exited, "exit <code> <cpu>\\n" (code negative: killed by that signal, as `subprocess` reports it; cpu: the
seconds of CPU the child and the children it waited for used, which no test process can see otherwise).

Run as a script with the listening socket as file descriptor `argv[1]` (the test process binds it, so it can
connect at once; the requests wait in the backlog while the stack imports).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import random
import selectors
import signal
import socket
import sys
import time
from typing import Any

from sqlalchemy.orm import configure_mappers

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
