"""What the purchase use cases are wired with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from src.application.shared.jobs import JobQueue
from src.application.shared.ports import Cache, Clock, IdGenerator
from src.application.shop.catalog import MemberDiscount, RemoteDiscount, no_member_discount, no_remote_discount
from src.application.shop.fraud import VelocityLimits
from src.application.shop.payments import PaymentGateway
from src.application.shop.ports import PurchaseUnitOfWork

MAX_CAPTURE_DELAY_SECONDS = 60.0


@dataclass(frozen=True)
class PurchaseConfig:
    receipt_secret: str
    integrity_key_id: str
    integrity_secrets: Mapping[str, str]  # key id → secret: the current key and retired ones that still verify
    webhook_secrets: tuple[str, ...]
    capture_max_attempts: int = 5
    capture_retry_base_seconds: float = 1.0
    pending_max_age: timedelta = timedelta(minutes=5)
    hold_ttl: timedelta = timedelta(seconds=120)
    velocity: VelocityLimits = field(default_factory=VelocityLimits)

    def capture_delay(self, attempts_made: int) -> float:
        """Exponential backoff: base, 2 × base, 4 × base … after the first, second, third failed attempt."""
        backoff: float = self.capture_retry_base_seconds * 2.0 ** max(0, attempts_made - 1)
        return min(MAX_CAPTURE_DELAY_SECONDS, backoff)

    @property
    def integrity_secret(self) -> str:
        return self.integrity_secrets[self.integrity_key_id]


@dataclass(frozen=True)
class PurchaseDeps:
    uow_factory: Callable[[], PurchaseUnitOfWork]
    clock: Clock
    ids: IdGenerator
    cache: Cache
    gateway: PaymentGateway
    jobs: JobQueue
    config: PurchaseConfig
    member_discount: MemberDiscount = no_member_discount
    remote_discount: RemoteDiscount = no_remote_discount
