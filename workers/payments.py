"""Payments jobs; each one calls into the application and nothing else."""

from __future__ import annotations

from typing import Any

from src.application.shop import purchases
from src.entrypoints.container import Container
from workers.jobs import retrying


def _container(ctx: dict[str, Any]) -> Container:
    container: Container = ctx["container"]
    return container


async def capture_payment(ctx: dict[str, Any], payload: dict[str, Any]) -> None:
    """One capture attempt; the application's RetryLater becomes arq's Retry with the application's backoff."""
    await retrying(purchases.retry_capture(str(payload["transaction_id"]), _container(ctx).purchases))


async def void_stale_transactions(ctx: dict[str, Any]) -> int:
    """Cron: transactions pending or authorized for longer than PENDING_TX_MAX_AGE_MINUTES become voided."""
    return await purchases.void_stale_transactions(_container(ctx).purchases)


async def release_expired_holds(ctx: dict[str, Any]) -> int:
    """Cron: holds past LIMITED_HOLD_TTL_SECONDS end their purchase and give the stock back."""
    return await purchases.release_expired_holds(_container(ctx).purchases)
