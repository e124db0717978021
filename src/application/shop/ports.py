"""Storage ports of the shop beyond the catalog and transactions: promo codes, limited stock, webhook log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.identity.ports import HasUsers
from src.application.limits.ports import HasLimits
from src.application.shared.audit import Audited
from src.application.shared.idempotency import HasIdempotencyRecords
from src.application.shared.pagination import Page, Position
from src.application.shop.catalog import CatalogRepository
from src.application.shop.transactions import TransactionRepository
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.shop.limited import LimitedPackage
from src.domain.shop.promos import PromoCode


class PromoRepository(Protocol):
    async def get(self, code: str) -> PromoCode | None:
        """`code` is already normalised (upper-case)."""
        ...

    async def add(self, promo: PromoCode) -> None:
        """Raises PromoCodeTaken when the code exists."""
        ...

    async def list(self, limit: int, after: Position | None) -> Page[PromoCode]:
        """Newest first by (created_at, code)."""
        ...

    async def reserve(self, code: str, transaction_id: str, user_id: str, now: datetime) -> PromoCode:
        """Take one use for the transaction, decided atomically by the database (enabled, in its window,
        used_count < max_uses), and record the redemption as reserved. Raises PromoInvalid (unknown, disabled,
        not started), PromoExpired or PromoExhausted."""
        ...

    async def confirm(self, transaction_id: str, now: datetime) -> bool:
        """The purchase was captured: its reserved redemption becomes used. False when there was none."""
        ...

    async def release(self, transaction_id: str, now: datetime) -> bool:
        """The purchase failed: a reserved redemption is released and its use given back (once)."""
        ...


class LimitedPackageRepository(Protocol):
    async def get(self, package_id: str) -> LimitedPackage | None: ...

    async def upsert(self, package: LimitedPackage, now: datetime) -> LimitedPackage:
        """Create, or change everything but sold/held. InvalidInput if the stock would drop below sold + held."""
        ...

    async def set_enabled(self, package_id: str, enabled: bool, now: datetime) -> LimitedPackage | None:
        """The kill switch; None for an unknown package."""
        ...

    async def purchased_by(self, package_id: str, user_id: str) -> int:
        """Quantity the user bought (captured) or holds (in flight)."""
        ...

    async def hold(
        self,
        package_id: str,
        user_id: str,
        transaction_id: str,
        quantity: int,
        per_user_limit: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Reserve stock for a purchase in flight: sold + held + quantity <= max_global_stock, and the user's
        captured plus held quantity stays <= per_user_limit, both decided by conditional updates in the
        database (safe across processes). Raises OutOfStock or UserLimitReached."""
        ...

    async def finalize(self, transaction_id: str, now: datetime) -> bool:
        """Captured: the transaction's hold becomes sold. False when it holds nothing (released or finalized)."""
        ...

    async def release(self, transaction_id: str, now: datetime) -> bool:
        """Failed, voided or expired: the hold's stock goes back (once). False when it holds nothing."""
        ...

    async def expired_holds(self, now: datetime, limit: int) -> list[str]:
        """Transaction ids of holds still held whose expires_at is past, oldest first."""
        ...

    async def list(self) -> list[LimitedPackage]:  # last: the name shadows `list` in annotations below it
        """Every package, by starts_at then package_id."""
        ...


@dataclass(frozen=True)
class WebhookRequest:
    """One stored webhook request: the bytes and header as they arrived, and what we made of them."""

    id: str
    received_at: datetime
    signature: str | None
    raw_body: bytes
    verdict: str
    event_id: str | None


class WebhookLog(Protocol):
    async def record_request(
        self, received_at: datetime, signature: str | None, raw_body: bytes, verdict: str, event_id: str | None
    ) -> str:
        """Every webhook request as it arrived, whatever became of it (audit); returns the stored request's id."""
        ...

    async def list_requests(
        self, limit: int, after: Position | None, event_id: str | None = None
    ) -> Page[WebhookRequest]:
        """Stored requests newest first by (received_at, id), optionally only those naming one event id."""
        ...

    async def first_arrival(self, signed_key: str, now: datetime) -> bool:
        """Record a verified signed message (a digest of its timestamp and body); False when it arrived before:
        the same request replayed, where a gateway's redelivery is signed anew."""
        ...

    async def forget_arrivals_before(self, cutoff: datetime) -> int:
        """Drop arrivals received before `cutoff` (too old to be replayed inside the window); how many went."""
        ...

    async def first_delivery(self, event_id: str, event_type: str, charge_id: str | None, now: datetime) -> bool:
        """Record the gateway event id; False when it was seen before (a duplicate delivery)."""
        ...


class PurchaseUnitOfWork(WalletUnitOfWork, HasUsers, HasLimits, Audited, HasIdempotencyRecords, Protocol):
    """What a purchase touches in one database transaction: the transaction, stock, promo, ledger, outbox; the
    buyer's rank (rank-gated offers), their responsible-gaming limits, the audit log (an admin's refund) and the
    buy's Idempotency-Key record (completed with the capture)."""

    @property
    def catalog(self) -> CatalogRepository: ...

    @property
    def transactions(self) -> TransactionRepository: ...

    @property
    def promos(self) -> PromoRepository: ...

    @property
    def limited(self) -> LimitedPackageRepository: ...

    @property
    def webhooks(self) -> WebhookLog: ...
