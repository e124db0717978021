"""Every route's guards are coroutine functions: Litestar runs a plain function guard in a worker thread, so a
sync guard would put a thread hop (and a wait for a free thread under load) on every request it guards."""

from __future__ import annotations

from litestar import Litestar
from litestar.utils.sync import AsyncCallable


async def test_no_guard_of_any_route_runs_in_a_thread(app: Litestar) -> None:
    guarded, in_a_thread = set(), set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for guard in handler.resolve_guards():
                guarded.add(route.path)
                if isinstance(guard, AsyncCallable):
                    in_a_thread.add((route.path, guard.func.__qualname__))

    assert "/api/admin/users" in guarded
    assert sorted(in_a_thread) == []
