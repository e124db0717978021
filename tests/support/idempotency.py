"""Make an idempotency key look as a dead process leaves it: claimed long ago, still in flight, no answer stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from src.application.shared.idempotency import IdempotencyScope, fingerprint
from src.entrypoints.container import Container

LONG_AGO = timedelta(hours=1)


async def abandon_key(
    container: Container, user_id: str, path: str, key: str, body: Any, route: str | None = None
) -> None:
    """The record of (user, POST route, key) becomes an in-flight claim an hour old, whatever it was before.

    `route` is the route's template when it has path parameters (`/api/x/{id:str}`), `path` the URL that was
    called. Other records whose retention ended are purged on the way (as the periodic purge would)."""
    now = container.clock.now()
    scope = IdempotencyScope(user_id, f"POST {route or path}", key)
    await container.idempotency.release(scope)  # an in-flight claim of ours goes
    await container.idempotency.purge_expired(now + timedelta(days=3650))  # and so does a stored answer
    claimed_at = now - LONG_AGO
    await container.idempotency.begin(
        scope, fingerprint("POST", path, body), claimed_at, now + timedelta(days=1), claimed_at - LONG_AGO
    )
