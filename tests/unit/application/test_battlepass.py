"""Battle pass use cases on the in-memory unit of work: XP by the season's table, a redelivered event counted once,
claims and premium through the ledger, and season-end settlement paying each reached level once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.engagement.battlepass import BattlePassDeps, buy_premium, claim_level, get_status
from src.application.engagement.battlepass_settlement import settle_ended_seasons
from src.application.engagement.battlepass_xp import award_xp
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.battlepass import (
    BattlePassSeason,
    LevelAlreadyClaimed,
    LevelNotClaimable,
    PremiumAlreadyOwned,
    Track,
    XpTable,
    default_levels,
)
from src.domain.engagement.events import BattlePassLevelReached
from src.domain.wallet.errors import InsufficientFunds
from src.domain.wallet.model import Currency, Movement
from tests.support.clocks import FakeClock

START = datetime(2031, 5, 1, tzinfo=UTC)
SEASON = BattlePassSeason("s1", "Season", START, START + timedelta(days=30), default_levels(), XpTable(10, 1, 500), 500)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
async def deps(store: InMemoryStore) -> BattlePassDeps:
    deps = BattlePassDeps(lambda: InMemoryUnitOfWork(store), FakeClock(START + timedelta(days=1)), SecretsIdGenerator())
    async with deps.uow_factory() as uow:
        await uow.battlepass.save_season(SEASON, START)
        await uow.commit()
    return deps


def _spin(user_id: str, bet: int, at: datetime = START + timedelta(hours=1)) -> OutboxMessage:
    payload = {"spin_id": uuid.uuid4().hex, "bet": bet, "payout": 0, "outcome": "lose", "streak": 0}
    return OutboxMessage(0, uuid.uuid4().hex, "SpinSettled", "user", user_id, payload, at)


def _purchase(user_id: str, status: str) -> OutboxMessage:
    payload = {"user_id": user_id, "status": status, "sku": "gems_100", "gems_granted": 100}
    return OutboxMessage(0, uuid.uuid4().hex, "PurchaseUpdated", "purchase", "tx", payload, START + timedelta(hours=2))


async def _gems(deps: BattlePassDeps, user_id: str, amount: int) -> None:
    async with deps.uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, Currency.GEMS, amount, "test", "test", uuid.uuid4().hex), START)
        await uow.commit()


async def test_xp_follows_the_table_once_per_event_and_each_level_is_announced(
    deps: BattlePassDeps, store: InMemoryStore
) -> None:
    spin, outside = _spin("u1", 1000), _spin("u1", 1000, at=START - timedelta(hours=1))
    await award_xp([spin, spin, outside, _purchase("u1", "pending"), _purchase("u1", "captured")], deps)
    await award_xp([spin], deps)  # redelivered

    status = await get_status("u1", deps)

    assert (status.progress.xp, status.level, status.xp_to_next) == (20 + 500, 2, 600 - 520)
    levels = [event.level for event in store.outbox if isinstance(event, BattlePassLevelReached)]
    assert levels == [1, 2]


async def test_claims_pay_once_and_premium_opens_the_premium_track(deps: BattlePassDeps) -> None:
    await award_xp([_spin("u1", 100) for _ in range(10)], deps)  # 110 XP: level 1
    with pytest.raises(LevelNotClaimable):
        await claim_level("u1", 1, Track.PREMIUM, deps)
    with pytest.raises(InsufficientFunds):
        await buy_premium("u1", deps)
    await _gems(deps, "u1", 500)

    bought = await buy_premium("u1", deps)
    results = await asyncio.gather(*(claim_level("u1", 1, Track.FREE, deps) for _ in range(5)), return_exceptions=True)

    assert bought.claimable[Track.PREMIUM] == [1]
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(result, LevelAlreadyClaimed) for result in results if isinstance(result, Exception))
    with pytest.raises(PremiumAlreadyOwned):
        await buy_premium("u1", deps)
    with pytest.raises(LevelNotClaimable):
        await claim_level("u1", 2, Track.FREE, deps)


async def test_settlement_pays_every_unclaimed_reached_level_once(deps: BattlePassDeps, store: InMemoryStore) -> None:
    await award_xp([_spin("u1", 100) for _ in range(28)] + [_spin("u2", 100) for _ in range(10)], deps)  # 2 and 1
    await claim_level("u1", 1, Track.FREE, deps)
    assert isinstance(deps.clock, FakeClock)
    deps.clock.at = SEASON.ends_at + timedelta(minutes=5)

    await asyncio.gather(settle_ended_seasons(deps), settle_ended_seasons(deps))
    await settle_ended_seasons(deps)

    async with deps.uow_factory() as uow:
        u1 = await uow.wallets.balances("u1")
        u2 = await uow.wallets.balances("u2")
        season = await uow.battlepass.season("s1")
    assert (u1[Currency.COINS], u2[Currency.COINS]) == (100 + 200, 100)
    assert season is not None
    assert season.settled_at == deps.clock.at
