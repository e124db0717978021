"""arq worker settings: one queue per concern; the worker builds the same container as the app."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from src.entrypoints.bootstrap import open_container
from src.entrypoints.settings import Settings, SettingsError
from workers.maintenance import purge_idempotency_records, relay_outbox

QUEUES = ("maintenance",)


def queue_key(settings: Settings, queue: str) -> str:
    return f"{settings.redis_namespace}arq:{queue}"


def _startup(settings: Settings) -> Any:
    async def startup(ctx: dict[str, Any]) -> None:
        stack = AsyncExitStack()
        container = await stack.enter_async_context(open_container(settings))
        ctx["stack"], ctx["container"] = stack, container
        # the relay loop keeps events flowing even when no app instance runs it
        ctx["relay"] = asyncio.create_task(container.relay.run_forever(settings.outbox_poll_seconds))

    return startup


async def _shutdown(ctx: dict[str, Any]) -> None:
    relay = ctx.get("relay")
    if relay is not None:
        relay.cancel()
        await asyncio.wait([relay], timeout=10)
    stack = ctx.get("stack")
    if stack is not None:
        await stack.aclose()


def worker_options(settings: Settings, queue: str) -> dict[str, Any]:
    """Keyword arguments for `arq.worker.Worker` serving `queue`."""
    if not settings.redis_url:
        raise SettingsError("the worker needs REDIS_URL (without it, jobs run inside the app process)")
    if queue not in QUEUES:
        raise SettingsError(f"unknown queue {queue!r}; queues: {', '.join(QUEUES)}")
    return {
        "functions": [purge_idempotency_records, relay_outbox],
        "cron_jobs": [
            cron(purge_idempotency_records, minute=7, second=0, run_at_startup=True),
            cron(relay_outbox, second=set(range(0, 60, 10))),
        ],
        "queue_name": queue_key(settings, queue),
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": _startup(settings),
        "on_shutdown": _shutdown,
        "handle_signals": True,
    }
