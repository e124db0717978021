"""uvicorn's httptools HTTP protocol, writing a response's head together with its first body chunk.

uvicorn writes the status line and headers as soon as the app sends `http.response.start` and the body when it
sends `http.response.body`: two `write` system calls per response, where a small answer (a wallet read, /health)
needs one. A system call costs more than the rest of uvicorn's part of a request, so each cycle's transport here
keeps the head until the first body write and sends both at once (one `writev` on uvloop). The ASGI spec asks
exactly this of a server ("must not start sending the response until it has received at least one body
event"), so nothing changes on the wire but the number of writes: same bytes, same order.

Not held: a HEAD answer (uvicorn writes no body for it) and a request expecting `100 Continue` (that interim
answer is the cycle's first write then). A close (an error after the head, `Connection: close`) sends a held head
first, as uvicorn would have.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from src.application.shared.scheduling import WORK_BEGAN


class HeadWithFirstBody:
    """A cycle's transport: its first write (the head) is kept for the next (the first body chunk)."""

    __slots__ = ("_head", "_holding", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._holding = True

    def write(self, data: bytes) -> None:
        if self._holding:
            self._holding = False
            self._head = data
            return
        head = self._head
        if head is None:
            self._transport.write(data)
        else:
            self._head = None
            self._transport.writelines((head, data))

    def close(self) -> None:
        self._send_head()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def _send_head(self) -> None:
        head = self._head
        if head is not None:
            self._head = None
            self._transport.write(head)

    def __getattr__(self, name: str) -> Any:
        """Whatever else a cycle might ask of its transport, from the real one."""
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """`casino-club serve`'s HTTP protocol: uvicorn's httptools one, one write per small response."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        if cycle.scope["method"] != "HEAD" and not cycle.waiting_for_100_continue:
            cycle.transport = HeadWithFirstBody(cycle.transport)  # type: ignore[assignment]
        # the request's task copies the context as it is created: it alone sees when its request began
        began = WORK_BEGAN.set(time.monotonic())
        try:
            super()._start_asgi_task(cycle, app)
        finally:
            WORK_BEGAN.reset(began)
