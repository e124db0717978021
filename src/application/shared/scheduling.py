"""When the current piece of work began (`time.monotonic()`), for what serves waiting work in turns.

Set by the HTTP server for each request (its task sees it); a connection pool that has more checkouts waiting than
connections hands the next free one to the oldest request rather than to the first checkout in line. A request's
second statement, or a spin that waited for its player's turn, then does not queue behind every request that came
after it: what a client waits for is its request's whole time. Unset (a background task, a test's client): the
checkout's own time, so the order is first come, first served."""

from __future__ import annotations

from contextvars import ContextVar

WORK_BEGAN: ContextVar[float | None] = ContextVar("work_began", default=None)
