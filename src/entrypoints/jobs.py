"""Every job the system runs, in one table: the in-process runner, the arq workers (functions and crons) and the
app's periodic tasks are all built from `JOBS`. A job is an application call made with the container."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from src.application.analytics import tracking
from src.application.engagement import (
    battlepass_settlement,
    battlepass_xp,
    progress,
    season_settlement,
    seasons,
    vip,
)
from src.application.liveops import segments
from src.application.notifications import campaigns, email, inbox, push
from src.application.notifications.deps import EMAIL_JOB, PUSH_JOB
from src.application.privacy import erasure, exports, requests
from src.application.privacy.deps import ERASURE_JOB, EXPORT_JOB
from src.application.shop import purchases, webhooks
from src.entrypoints.container import Container
from src.entrypoints.settings import Settings

QUEUES = ("maintenance", "payments", "notifications")
# runs of a capture job beyond CAPTURE_MAX_ATTEMPTS: re-runs after a worker died in the middle of one
CRASH_RERUNS = 5
STALE_VOID_INTERVAL_SECONDS = 60.0
HOLD_SWEEP_INTERVAL_SECONDS = 30.0
NOTIFICATION_PURGE_INTERVAL_SECONDS = 3600.0
ACTION_PURGE_INTERVAL_SECONDS = 3600.0
COUNTED_EVENT_PURGE_INTERVAL_SECONDS = 3600.0
OUTBOX_SAFETY_PASS_SECONDS = 10.0
INBOX_PURGE_INTERVAL_SECONDS = 3600.0
PRIVACY_SWEEP_INTERVAL_SECONDS = 300.0
PRIVACY_MAX_TRIES = 5

Handler = Callable[[Container, dict[str, Any]], Awaitable[object]]


class InApp(StrEnum):
    """Whether the app runs a scheduled job itself."""

    WHEN_JOBS_IN_PROCESS = "when-jobs-in-process"  # with arq, a worker's cron runs it instead
    ALWAYS = "always"  # cheap and harmless when every instance repeats it
    NEVER = "never"  # the app has a loop of its own for it (the outbox relay)


@dataclass(frozen=True)
class Schedule:
    """Runs every `every(settings)` seconds (read when the schedule starts). arq crons tick at whole seconds,
    minutes or hours: an interval of an hour or more runs hourly, at `minute` past (spreading the hourly crons)."""

    every: Callable[[Settings], float]
    minute: int = 0
    run_at_startup: bool = False
    unique: bool = True  # arq: one worker runs each tick; False lets every worker run it (each claims its work)
    in_app: InApp = InApp.WHEN_JOBS_IN_PROCESS


@dataclass(frozen=True)
class Job:
    """A queued job has `max_tries` (runs of one job, its retries included); a scheduled one has a `schedule`.
    `queue` None: no worker runs it, only the app."""

    name: str
    queue: str | None
    run: Handler
    max_tries: Callable[[Settings], int] | None = None
    schedule: Schedule | None = None

    def tries(self, settings: Settings) -> int:
        """Runs of one job at most (a scheduled tick runs once)."""
        return 1 if self.max_tries is None else self.max_tries(settings)


async def _capture(container: Container, payload: dict[str, Any]) -> None:
    await purchases.retry_capture(str(payload["transaction_id"]), container.purchases)


async def _send_push(container: Container, payload: dict[str, Any]) -> None:
    await push.send_push(payload, container.notifications)


async def _send_email(container: Container, payload: dict[str, Any]) -> None:
    await email.send_email(payload, container.notifications)


async def _purge_idempotency(container: Container, _: dict[str, Any]) -> int:
    return await container.idempotency.purge_expired(container.clock.now())


async def _relay_outbox(container: Container, _: dict[str, Any]) -> int:
    """A safety net beside the relay loop: one more pass (skipped if a pass is running elsewhere)."""
    return await container.relay.drain(wait_seconds=0.0)


async def _forget_processed_play_events(container: Container, _: dict[str, Any]) -> int:
    forgotten = await battlepass_xp.forget_processed(container.battlepass)
    forgotten += await seasons.forget_processed(container.seasons)
    return forgotten + await vip.forget_counted(container.engagement)


async def _build_export(container: Container, payload: dict[str, Any]) -> None:
    await exports.build_export(str(payload["request_id"]), container.privacy)


async def _erase_player(container: Container, payload: dict[str, Any]) -> None:
    await erasure.erase_player(str(payload["request_id"]), container.privacy)


async def _privacy_sweep(container: Container, _: dict[str, Any]) -> int:
    """Lost or dead privacy jobs queued again; archives past their time deleted; ended exclusions forgotten."""
    requeued = await requests.requeue_stalled(container.privacy)
    expired = await requests.expire_exports(container.privacy)
    return requeued + expired + await requests.forget_ended_exclusions(container.privacy)


def _notification_tries(settings: Settings) -> int:
    return settings.notification_max_attempts


JOBS: tuple[Job, ...] = (
    Job(
        purchases.CAPTURE_JOB,
        "payments",
        _capture,
        max_tries=lambda settings: settings.capture_max_attempts + CRASH_RERUNS,
    ),
    Job(PUSH_JOB, "notifications", _send_push, max_tries=_notification_tries),
    Job(EMAIL_JOB, "notifications", _send_email, max_tries=_notification_tries),
    Job(EXPORT_JOB, "maintenance", _build_export, max_tries=lambda _: PRIVACY_MAX_TRIES),
    Job(ERASURE_JOB, "maintenance", _erase_player, max_tries=lambda _: PRIVACY_MAX_TRIES),
    Job(
        "privacy_sweep",
        "maintenance",
        _privacy_sweep,
        schedule=Schedule(lambda _: PRIVACY_SWEEP_INTERVAL_SECONDS, run_at_startup=True),
    ),
    Job(
        "void_stale_transactions",
        "payments",
        lambda c, _: purchases.void_stale_transactions(c.purchases),
        schedule=Schedule(lambda _: STALE_VOID_INTERVAL_SECONDS, run_at_startup=True),
    ),
    Job(
        "release_expired_holds",
        "payments",
        lambda c, _: purchases.release_expired_holds(c.purchases),
        schedule=Schedule(lambda _: HOLD_SWEEP_INTERVAL_SECONDS, run_at_startup=True),
    ),
    Job(
        "dispatch_campaigns",
        "notifications",
        lambda c, _: campaigns.dispatch_due(c.notifications),
        # not unique: every notifications worker dispatches; the database claims each player once
        schedule=Schedule(lambda s: s.campaign_dispatch_interval_seconds, run_at_startup=True, unique=False),
    ),
    Job(
        "purge_notifications",
        "notifications",
        lambda c, _: inbox.purge_expired(c.notifications),
        schedule=Schedule(lambda _: NOTIFICATION_PURGE_INTERVAL_SECONDS, minute=17, run_at_startup=True),
    ),
    Job(
        "purge_idempotency_records",
        "maintenance",
        _purge_idempotency,
        schedule=Schedule(
            lambda s: s.idempotency_purge_interval_seconds, minute=7, run_at_startup=True, in_app=InApp.ALWAYS
        ),
    ),
    Job(
        "purge_old_actions",
        "maintenance",
        lambda c, _: tracking.purge_old_actions(c.actions),
        schedule=Schedule(lambda _: ACTION_PURGE_INTERVAL_SECONDS, minute=27, run_at_startup=True),
    ),
    Job(
        "forget_counted_events",
        "maintenance",
        lambda c, _: progress.forget_counted_events(c.missions),
        schedule=Schedule(lambda _: COUNTED_EVENT_PURGE_INTERVAL_SECONDS, minute=37, run_at_startup=True),
    ),
    Job(
        "forget_old_arrivals",
        None,
        lambda c, _: webhooks.forget_old_arrivals(c.purchases),
        schedule=Schedule(lambda s: s.idempotency_purge_interval_seconds, in_app=InApp.ALWAYS),
    ),
    Job(
        "settle_battlepass_seasons",
        "maintenance",
        lambda c, _: battlepass_settlement.settle_ended_seasons(c.battlepass),
        # not unique: every maintenance worker settles; SKIP LOCKED batches and the claims' keys pay each level once
        schedule=Schedule(lambda s: s.season_settlement_interval_seconds, run_at_startup=True, unique=False),
    ),
    Job(
        "forget_processed_play_events",
        "maintenance",
        _forget_processed_play_events,
        schedule=Schedule(lambda _: INBOX_PURGE_INTERVAL_SECONDS, minute=27, run_at_startup=True),
    ),
    Job(
        "settle_leaderboard_seasons",
        "maintenance",
        lambda c, _: season_settlement.settle_ended_seasons(c.seasons),
        schedule=Schedule(lambda s: s.season_settlement_interval_seconds, run_at_startup=True, unique=False),
    ),
    Job(
        segments.RECOMPUTE_JOB,
        "maintenance",
        lambda c, payload: segments.run_recompute(str(payload["job_id"]), c.liveops),
        max_tries=lambda _: 1,  # a recompute that died is failed as abandoned; the next one starts afresh
    ),
    Job(
        "recompute_segments_on_schedule",
        "maintenance",
        lambda c, _: segments.recompute_on_schedule(c.liveops),
        schedule=Schedule(lambda s: s.segment_recompute_interval_seconds, minute=47),
    ),
    Job(
        "relay_outbox",
        "maintenance",
        _relay_outbox,
        schedule=Schedule(lambda _: OUTBOX_SAFETY_PASS_SECONDS, in_app=InApp.NEVER),
    ),
)


def queued_jobs() -> tuple[Job, ...]:
    """Jobs the application enqueues by name."""
    return tuple(job for job in JOBS if job.max_tries is not None)


def scheduled_jobs() -> tuple[Job, ...]:
    return tuple(job for job in JOBS if job.schedule is not None)


def jobs_of(queue: str) -> tuple[Job, ...]:
    return tuple(job for job in JOBS if job.queue == queue)


def runs_in_app(job: Job, settings: Settings) -> bool:
    if job.schedule is None or job.schedule.in_app is InApp.NEVER:
        return False
    return job.schedule.in_app is InApp.ALWAYS or not settings.jobs_on_arq


def queue_key(settings: Settings, queue: str) -> str:
    """The Redis key of a queue: under REDIS_NAMESPACE, so deployments sharing a Redis keep their jobs apart."""
    return f"{settings.redis_namespace}arq:{queue}"


def failures_key(settings: Settings, queue: str) -> str:
    """The Redis key counting the jobs a queue's workers gave up on (read by the app's /metrics)."""
    return f"{settings.redis_namespace}metrics:job-failures:{queue}"


def job_queue_keys(settings: Settings) -> dict[str, str]:
    """Which queue's key each enqueued job goes to."""
    return {job.name: queue_key(settings, job.queue) for job in queued_jobs() if job.queue is not None}
