"""Spins and pulls on the in-memory unit of work: money through the ledger, state kept between plays, events."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.games.deps import GamesDeps
from src.application.games.plays import place_spin, pull_gacha
from src.application.games.ports import HistoryQuery, InventoryItem
from src.domain.games.events import GachaPulled, SpinSettled
from src.domain.games.gacha import DEFAULT_GACHA_CONFIG, Rarity
from src.domain.games.play import GameStats, GameType, PlayerState
from src.domain.games.random import RandomSource
from src.domain.games.slot import DEFAULT_SLOT_CONFIG
from src.domain.limits.events import RealityCheckDue
from src.domain.limits.model import LimitReached
from src.domain.wallet.errors import AlreadyApplied, InsufficientFunds
from src.domain.wallet.events import BalanceChanged
from src.domain.wallet.model import Currency, Movement
from tests.support.clocks import FakeClock
from tests.support.fairness import TEST_VAULT
from tests.unit.domain.games.fakes import ConstantRandom, spins

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
TRIPLE_CHERRY, LOSING = ("cherry", "cherry", "cherry"), ("cherry", "lemon", "bell")  # cherry triple pays 6x
ALWAYS_COMMON = ConstantRandom(0.99)  # rarity rolls in the Common band (Epic under pity), last item of a pool


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


def _deps(store: InMemoryStore, rng: RandomSource) -> GamesDeps:
    """Every play draws from `rng` instead of its seed pair, so a test can script outcomes."""
    return GamesDeps(
        lambda: InMemoryUnitOfWork(store),
        FakeClock(NOW),
        SecretsIdGenerator(),
        TEST_VAULT,
        InMemoryLeaderboard(),
        draws=lambda *_: rng,
    )


async def _player(store: InMemoryStore, coins: int = 0, gems: int = 0) -> str:
    user_id = str(uuid.uuid4())
    async with InMemoryUnitOfWork(store) as uow:
        for currency, amount in ((Currency.COINS, coins), (Currency.GEMS, gems)):
            if amount:
                await uow.wallets.credit(Movement(user_id, currency, amount, "seed"), NOW)
        await uow.commit()
    return user_id


async def _balances(store: InMemoryStore, user_id: str) -> dict[Currency, int]:
    async with InMemoryUnitOfWork(store) as uow:
        return await uow.wallets.balances(user_id)


async def _records(store: InMemoryStore, user_id: str, game_type: GameType) -> tuple[int, list[GameStats], PlayerState]:
    """(plays in the history, stats, saved state)."""
    async with InMemoryUnitOfWork(store) as uow:
        history = await uow.plays.history(HistoryQuery(user_id), 100, None)
        return len(history.items), await uow.plays.stats(user_id), await uow.plays.state(user_id, game_type)


# --- slot ------------------------------------------------------------------------------------------------------------


async def test_a_winning_spin_takes_the_bet_pays_out_and_records_the_play(store: InMemoryStore) -> None:
    user_id = await _player(store, coins=1000)

    result = await place_spin(user_id, 100, _deps(store, spins(DEFAULT_SLOT_CONFIG, TRIPLE_CHERRY)))

    assert (result.reels, result.outcome, result.payout, result.streak) == (TRIPLE_CHERRY, "triple", 600, 1)
    assert result.balance_after == 1500
    assert await _balances(store, user_id) == {Currency.COINS: 1500}
    assert await _records(store, user_id, GameType.SLOT) == (
        1,
        [GameStats("slot", play_count=1, win_count=1, net_coins=500)],
        PlayerState(user_id, GameType.SLOT, streak=1),
    )
    settled, changed = store.outbox
    assert isinstance(settled, SpinSettled)
    assert (settled.spin_id, settled.bet, settled.payout, settled.streak) == (result.spin_id, 100, 600, 1)
    assert isinstance(changed, BalanceChanged)
    assert (changed.delta, changed.balance_after, changed.reason) == (500, 1500, "slot_spin")


async def test_the_streak_is_kept_between_spins_and_raises_the_next_payout(store: InMemoryStore) -> None:
    user_id = await _player(store, coins=1000)
    deps = _deps(store, spins(DEFAULT_SLOT_CONFIG, TRIPLE_CHERRY, TRIPLE_CHERRY, LOSING))

    first = await place_spin(user_id, 100, deps)
    second = await place_spin(user_id, 100, deps)  # streak 1 before it: +5 % on 6x
    streak_between = (await _records(store, user_id, GameType.SLOT))[2].streak
    third = await place_spin(user_id, 100, deps)

    assert [(r.payout, r.streak) for r in (first, second, third)] == [(600, 1), (630, 2), (0, 0)]
    assert streak_between == 2
    assert third.balance_after == 1000 - 300 + 600 + 630
    assert await _records(store, user_id, GameType.SLOT) == (
        3,
        [GameStats("slot", play_count=3, win_count=2, net_coins=930)],
        PlayerState(user_id, GameType.SLOT, streak=0),
    )


async def test_a_spin_the_balance_cannot_cover_leaves_no_trace(store: InMemoryStore) -> None:
    user_id = await _player(store, coins=50)

    with pytest.raises(InsufficientFunds):
        await place_spin(user_id, 100, _deps(store, spins(DEFAULT_SLOT_CONFIG, TRIPLE_CHERRY)))

    assert await _balances(store, user_id) == {Currency.COINS: 50}
    assert await _records(store, user_id, GameType.SLOT) == (0, [], PlayerState(user_id, GameType.SLOT))
    assert store.outbox == []


# --- gacha -----------------------------------------------------------------------------------------------------------


async def test_a_ten_pull_takes_the_gems_and_stacks_the_items(store: InMemoryStore) -> None:
    user_id = await _player(store, gems=500)

    result = await pull_gacha(user_id, 10, _deps(store, ALWAYS_COMMON))

    common = DEFAULT_GACHA_CONFIG.pools[Rarity.COMMON][-1]
    assert [item.item_id for item in result.items] == [common.item_id] * 10
    assert (result.cost, result.pity_counter, result.balance_after) == (450, 10, 50)
    assert await _balances(store, user_id) == {Currency.GEMS: 50}
    async with InMemoryUnitOfWork(store) as uow:
        assert await uow.inventory.list(user_id) == [InventoryItem(common.item_id, common.name, "Common", 10, NOW)]
    assert await _records(store, user_id, GameType.GACHA) == (
        1,
        [GameStats("gacha", play_count=1, win_count=0, net_gems=-450)],
        PlayerState(user_id, GameType.GACHA, pity_counter=10),
    )
    pulled, changed = store.outbox
    assert isinstance(pulled, GachaPulled)
    assert (pulled.pull_id, pulled.count, pulled.cost, pulled.legendary_count) == (result.pull_id, 10, 450, 0)
    assert pulled.rarities == ["Common"] * 10
    assert isinstance(changed, BalanceChanged)
    assert (changed.currency, changed.delta, changed.balance_after, changed.reason) == ("gems", -450, 50, "gacha_pull")


async def test_the_pity_counter_is_kept_between_pulls(store: InMemoryStore) -> None:
    user_id = await _player(store, gems=500)
    async with InMemoryUnitOfWork(store) as uow:  # the stored banner is the one pulled: pity after 3
        await uow.game_configs.save(GameType.GACHA, replace(DEFAULT_GACHA_CONFIG, pity_threshold=3).to_dict(), "a", NOW)
        await uow.commit()
    deps = _deps(store, ALWAYS_COMMON)

    results = [await pull_gacha(user_id, 1, deps) for _ in range(3)]

    assert [result.pity_counter for result in results] == [1, 2, 0]
    assert [(r.items[0].rarity, r.items[0].pity_triggered) for r in results] == [
        (Rarity.COMMON, False),
        (Rarity.COMMON, False),
        (Rarity.EPIC, True),
    ]
    assert results[-1].balance_after == 350
    count, stats, state = await _records(store, user_id, GameType.GACHA)
    assert (count, stats, state.pity_counter) == (3, [GameStats("gacha", 3, 1, 0, -150)], 0)


async def test_a_pull_the_gems_cannot_cover_leaves_no_trace(store: InMemoryStore) -> None:
    user_id = await _player(store, gems=10)

    with pytest.raises(InsufficientFunds):
        await pull_gacha(user_id, 1, _deps(store, ALWAYS_COMMON))

    assert await _balances(store, user_id) == {Currency.GEMS: 10}
    assert await _records(store, user_id, GameType.GACHA) == (0, [], PlayerState(user_id, GameType.GACHA))
    async with InMemoryUnitOfWork(store) as uow:
        assert await uow.inventory.list(user_id) == []
    assert store.outbox == []


# --- a play with an Idempotency-Key, run again -----------------------------------------------------------------------


async def test_a_keyed_spin_run_again_is_refused_and_takes_the_bet_once(store: InMemoryStore) -> None:
    user_id, key = await _player(store, coins=1000), uuid.uuid4().hex
    deps = _deps(store, spins(DEFAULT_SLOT_CONFIG, LOSING, LOSING))

    first = await place_spin(user_id, 10, deps, key)
    with pytest.raises(AlreadyApplied):
        await place_spin(user_id, 10, deps, key)
    other_key = await place_spin(user_id, 10, deps, uuid.uuid4().hex)

    assert first.balance_after == 990
    assert other_key.spin_id != first.spin_id
    assert (await _balances(store, user_id))[Currency.COINS] == 980
    assert (await _records(store, user_id, GameType.SLOT))[0] == 2


async def test_concurrent_runs_of_one_keyed_pull_pull_once(store: InMemoryStore) -> None:
    user_id, key = await _player(store, gems=1000), uuid.uuid4().hex
    deps = _deps(store, ALWAYS_COMMON)

    outcomes = await asyncio.gather(*(pull_gacha(user_id, 1, deps, key) for _ in range(5)), return_exceptions=True)

    pulled = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert len(pulled) == 1
    assert all(isinstance(outcome, AlreadyApplied) for outcome in outcomes if outcome not in pulled)
    assert (await _balances(store, user_id))[Currency.GEMS] == 1000 - pulled[0].cost
    assert (await _records(store, user_id, GameType.GACHA))[0] == 1


# --- responsible gaming -----------------------------------------------------------------------------------------------


async def test_the_play_time_limit_refuses_a_play_and_a_pause_gives_no_time_back(store: InMemoryStore) -> None:
    user_id = await _player(store, coins=1000, gems=1000)
    async with InMemoryUnitOfWork(store) as uow:
        limits = await uow.limits.lock(user_id)
        limits.request({"play_minutes_daily": 1, "reality_check_minutes": 1}, NOW)
        await uow.limits.save(limits)
        await uow.commit()
    deps = _deps(store, spins(DEFAULT_SLOT_CONFIG, LOSING, LOSING, LOSING))
    clock = deps.clock
    assert isinstance(clock, FakeClock)

    await place_spin(user_id, 10, deps)
    clock.advance(40)
    await place_spin(user_id, 10, deps)
    clock.advance(30)  # 70 s of one sitting: the minute is reached
    with pytest.raises(LimitReached) as refused:
        await place_spin(user_id, 10, deps)
    clock.advance(3600)
    with pytest.raises(LimitReached):
        await pull_gacha(user_id, 1, deps)

    assert refused.value.details["resets_at"] == "2031-05-07T00:00:00+00:00"
    assert (await _records(store, user_id, GameType.SLOT))[0] == 2
    assert await _balances(store, user_id) == {Currency.COINS: 980, Currency.GEMS: 1000}
    checks = [event for event in store.outbox if isinstance(event, RealityCheckDue)]
    assert checks == []  # the sitting was 40 s of play when it last played: no minute yet


async def test_the_play_past_each_reality_check_interval_records_the_sittings_totals(store: InMemoryStore) -> None:
    user_id = await _player(store, coins=1000)
    async with InMemoryUnitOfWork(store) as uow:
        limits = await uow.limits.lock(user_id)
        limits.request({"reality_check_minutes": 1}, NOW)
        await uow.limits.save(limits)
        await uow.commit()
    deps = _deps(store, spins(DEFAULT_SLOT_CONFIG, *[LOSING] * 5))
    clock = deps.clock
    assert isinstance(clock, FakeClock)

    for _ in range(4):  # 0, 40, 80 and 120 s: past one minute, then past two
        await place_spin(user_id, 10, deps)
        clock.advance(40)
    checks = [event for event in store.outbox if isinstance(event, RealityCheckDue)]

    assert [(c.session_minutes, c.net_coins, c.spent_cents) for c in checks] == [(1, -30, 0), (2, -40, 0)]
    assert {c.session_started_at for c in checks} == {NOW}
