"""Purchase use cases on the in-memory unit of work with the sandbox gateway: deps, a clock tests move, players
and their purchases (the webhook and refund tests share them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.adapters.security.ids import SecretsIdGenerator
from src.application.shop.deps import PurchaseConfig, PurchaseDeps
from src.application.shop.purchases import BuyGems, buy
from src.domain.identity.model import User
from src.domain.shared.events import DomainEvent
from src.domain.shared.principal import Principal, Rank
from src.domain.shop.catalog import CatalogItem
from src.domain.shop.transactions import PurchaseKind, PurchaseTransaction
from src.domain.wallet.model import Currency, LedgerEntry, Movement
from tests.support.clocks import FakeClock

NOW = datetime(2031, 8, 1, 10, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec_unit_current"
OLD_WEBHOOK_SECRET = "whsec_unit_previous"
SKU = "gems_500"
PACK_GEMS, PACK_PRICE = 500, 499
ADMIN = Principal(user_id="admin-1", session_id="session-1", rank=Rank.STANDARD, is_admin=True)


@dataclass
class RecordingJobs:
    enqueued: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def enqueue(
        self, job: str, payload: dict[str, Any], *, delay_seconds: float = 0.0, job_id: str | None = None
    ) -> None:
        self.enqueued.append((job, payload))


@dataclass
class Shop:
    store: InMemoryStore
    clock: FakeClock
    gateway: SandboxPaymentGateway
    deps: PurchaseDeps

    def events(self, event_type: str) -> list[DomainEvent]:
        return [event for event in self.store.outbox if event.event_type == event_type]


def open_shop() -> Shop:
    store, clock = InMemoryStore(), FakeClock(NOW)
    gateway = SandboxPaymentGateway(WEBHOOK_SECRET, InMemoryCache(), clock=clock.unix)
    config = PurchaseConfig(
        receipt_secret="receipt-unit",
        integrity_key_id="k1",
        integrity_secrets={"k1": "integrity-unit"},
        webhook_secrets=(WEBHOOK_SECRET, OLD_WEBHOOK_SECRET),
    )
    deps = PurchaseDeps(
        uow_factory=lambda: InMemoryUnitOfWork(store),
        clock=clock,
        ids=SecretsIdGenerator(),
        cache=InMemoryCache(),
        gateway=gateway,
        jobs=RecordingJobs(),
        config=config,
    )
    return Shop(store, clock, gateway, deps)


async def given_player(shop: Shop) -> str:
    key = uuid.uuid4().hex
    user = User(
        id=str(uuid.uuid4()), site_id=f"u_{key[:12]}", nickname=f"P{key[:10]}", password_hash="x", created_at=NOW
    )
    async with shop.deps.uow_factory() as uow:
        await uow.users.add(user)
        if await uow.catalog.get(SKU) is None:
            item = CatalogItem(SKU, "500 gems", "", PACK_PRICE, "USD", PACK_GEMS)
            await uow.catalog.add(item, NOW)
        await uow.commit()
    return user.id


async def bought(shop: Shop, user_id: str, card_token: str = "tok_visa") -> PurchaseTransaction:  # noqa: S107
    result = await buy(BuyGems(user_id, PurchaseKind.CATALOG, SKU, 1, card_token), shop.deps)
    return result.transaction


async def transaction(shop: Shop, tx_id: str) -> PurchaseTransaction:
    async with shop.deps.uow_factory() as uow:
        tx = await uow.transactions.get(tx_id)
    assert tx is not None
    return tx


async def gems(shop: Shop, user_id: str) -> int:
    async with shop.deps.uow_factory() as uow:
        return (await uow.wallets.balances(user_id)).get(Currency.GEMS, 0)


async def spend_gems(shop: Shop, user_id: str, amount: int) -> None:
    async with shop.deps.uow_factory() as uow:
        await uow.wallets.debit(Movement(user_id, Currency.GEMS, amount, "gacha_pull", "pull", uuid.uuid4().hex), NOW)
        await uow.commit()


async def ledger(shop: Shop, user_id: str, reason: str) -> list[LedgerEntry]:
    async with shop.deps.uow_factory() as uow:
        entries = (await uow.wallets.ledger(user_id, 100, None)).items
    return [entry for entry in entries if entry.reason == reason]
