"""Maintenance jobs; each one calls into the application and nothing else."""

from __future__ import annotations

from typing import Any

from src.entrypoints.container import Container


def _container(ctx: dict[str, Any]) -> Container:
    container: Container = ctx["container"]
    return container


async def purge_idempotency_records(ctx: dict[str, Any]) -> int:
    """Idempotency records are kept 24 h; older ones are deleted."""
    container = _container(ctx)
    return await container.idempotency.purge_expired(container.clock.now())


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """A safety net beside the relay loop: one more pass (skipped if a pass is running elsewhere)."""
    return await _container(ctx).relay.drain(wait_seconds=0.0)
