"""Notifications jobs; each one calls into the application and nothing else."""

from __future__ import annotations

from typing import Any

from src.application.notifications import campaigns, email, inbox, push
from src.entrypoints.container import Container
from workers.jobs import retrying


def _container(ctx: dict[str, Any]) -> Container:
    container: Container = ctx["container"]
    return container


async def send_push(ctx: dict[str, Any], payload: dict[str, Any]) -> None:
    """One Web Push; 429/5xx come back as arq's Retry with the application's backoff."""
    await retrying(push.send_push(payload, _container(ctx).notifications))


async def send_email(ctx: dict[str, Any], payload: dict[str, Any]) -> None:
    """One email through SMTP_URL; a server that cannot take it now means a later try."""
    await retrying(email.send_email(payload, _container(ctx).notifications))


async def dispatch_campaigns(ctx: dict[str, Any]) -> int:
    """Cron: deliver due campaigns; every worker may run it at once (each player is claimed in the database)."""
    return await campaigns.dispatch_due(_container(ctx).notifications)


async def purge_notifications(ctx: dict[str, Any]) -> int:
    """Cron: inbox entries older than NOTIFICATION_RETENTION_DAYS are deleted."""
    return await inbox.purge_expired(_container(ctx).notifications)
