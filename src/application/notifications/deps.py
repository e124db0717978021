"""What the notifications use cases are wired with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from src.application.notifications.ports import Mailer, NotificationsUnitOfWork, PushSender
from src.application.shared.jobs import JobQueue
from src.application.shared.ports import Cache, Clock, IdGenerator

PUSH_JOB = "send_push"
EMAIL_JOB = "send_email"
MAX_RETRY_DELAY_SECONDS = 600.0


@dataclass(frozen=True)
class NotificationConfig:
    retention_days: int = 90
    push_ttl_seconds: int = 86_400
    push_urgency: str = "normal"
    max_attempts: int = 6  # push and email sends, transient failures included
    retry_base_seconds: float = 2.0
    dispatch_batch_size: int = 200
    allow_insecure_push_endpoints: bool = False  # http:// endpoints, for local push services in development

    def retry_delay(self, attempts_made: int, hinted: float | None = None) -> float:
        """The service's Retry-After when it gave one, else base, 2 × base, 4 × base …"""
        backoff = hinted if hinted is not None else self.retry_base_seconds * 2.0 ** max(0, attempts_made - 1)
        return float(min(MAX_RETRY_DELAY_SECONDS, max(0.0, backoff)))


@dataclass(frozen=True)
class NotificationDeps:
    uow_factory: Callable[[], NotificationsUnitOfWork]
    clock: Clock
    ids: IdGenerator
    cache: Cache
    jobs: JobQueue
    push: PushSender
    mailer: Mailer
    config: NotificationConfig
