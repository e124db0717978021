"""Contract of the games repositories (configs, plays, inventory): memory, SQLite and PostgreSQL behave the same.

Every test runs once per adapter (ids "memory", "sqlite", "postgres"). The PostgreSQL database is shared by
the games suite (its own, see conftest.py), so every test makes its own users and play ids; game configs are one
row per game type, so the config test only compares versions relative to the one it found.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.application.games.ports import HistoryQuery, InventoryItem, Settlement
from src.application.shared.pagination import decode_cursor
from src.domain.games.fairness import FairRef
from src.domain.games.play import GameStats, GameType, PlayerState, PlayRecord
from src.domain.wallet.errors import InsufficientFunds
from src.domain.wallet.model import Currency, Movement
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import Hold, contend
from tests.support.fairness import candidate_for

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
SLOT, GACHA = GameType.SLOT, GameType.GACHA


def _play(user_id: str, game_type: GameType = SLOT, at: datetime = NOW, **overrides: object) -> PlayRecord:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "game_type": game_type,
        "action": "spin" if game_type is SLOT else "pull",
        "bet": 100,
        "payout": 0,
        "delta_coins": -100 if game_type is SLOT else 0,
        "delta_gems": 0 if game_type is SLOT else -50,
        "won": False,
        "created_at": at,
        "result_meta": {"reels": ["bell", "star", "seven"], "outcome": "lose"},
    }
    values.update(overrides)
    return PlayRecord(**values)  # type: ignore[arg-type]


async def _played(uow_factory: UnitOfWorkFactory, *plays: PlayRecord) -> None:
    """Each play in its own unit of work, as the handlers record them."""
    for play in plays:
        async with uow_factory() as uow:
            state = (await uow.plays.begin_play(play.user_id, play.game_type, candidate_for(play.user_id))).state
            await uow.plays.record(state, play)
            await uow.commit()


# --- state -----------------------------------------------------------------------------------------------------------


async def test_begin_play_starts_a_player_at_zero_and_then_returns_what_was_saved(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id = await given_user(uow_factory)

    async with uow_factory() as sut:
        first = (await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))).state
        await sut.plays.record(PlayerState(user_id, SLOT, streak=3, pity_counter=0), _play(user_id))
        await sut.commit()
    async with uow_factory() as sut:
        again = (await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))).state
        other_game = (await sut.plays.begin_play(user_id, GACHA, candidate_for(user_id))).state
        read = await sut.plays.state(user_id, SLOT)

    assert first == PlayerState(user_id, SLOT, 0, 0)
    assert again == read == PlayerState(user_id, SLOT, 3, 0)
    assert other_game == PlayerState(user_id, GACHA, 0, 0)


async def test_state_of_a_player_who_never_played_is_zero(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)

    async with uow_factory() as sut:
        state = await sut.plays.state(user_id, GACHA)

    assert state == PlayerState(user_id, GACHA, 0, 0)


async def test_a_play_recorded_without_commit_leaves_no_trace(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)

    async with uow_factory() as sut:
        state = (await sut.plays.begin_play(user_id, GACHA, candidate_for(user_id))).state
        state.pity_counter = 7
        await sut.plays.record(state, _play(user_id, GACHA))

    async with uow_factory() as sut:
        assert await sut.plays.state(user_id, GACHA) == PlayerState(user_id, GACHA, 0, 0)
        assert (await sut.plays.history(HistoryQuery(user_id), 10, None)).items == []
        assert await sut.plays.stats(user_id) == []


# SQLite runs every transaction as BEGIN IMMEDIATE, so two transactions cannot both be open there: this check of
# overlapping units of work applies to the engines that let them overlap.
@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_overlapping_plays_of_one_player_queue_on_the_locked_state(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)

    async def play(hold: Hold) -> None:
        async with uow_factory() as sut:
            state = (await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))).state
            state.streak += 1
            await hold(sut)  # the lock is held until the other plays wait for it
            await sut.plays.record(state, _play(user_id, won=True, payout=200, delta_coins=100))
            await sut.commit()

    await contend(play, play, play)

    async with uow_factory() as sut:
        assert await sut.plays.state(user_id, SLOT) == PlayerState(user_id, SLOT, streak=3)
        assert await sut.plays.stats(user_id) == [GameStats("slot", play_count=3, win_count=3, net_coins=300)]


# --- record and stats ------------------------------------------------------------------------------------------------


async def test_record_appends_history_that_reads_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    play = _play(user_id, payout=230, delta_coins=130, won=True, result_meta={"reels": ["a", "a", "b"], "bonus": 0.15})

    await _played(uow_factory, play)
    async with uow_factory() as sut:
        page = await sut.plays.history(HistoryQuery(user_id), 10, None)

    assert page.items == [play]
    assert page.items[0].created_at.utcoffset() is not None
    assert page.next_cursor is None


async def test_stats_accumulate_per_game(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)

    await _played(
        uow_factory,
        _play(user_id),
        _play(user_id, payout=600, delta_coins=500, won=True),
        _play(user_id, payout=50, delta_coins=-50, won=True),
        _play(user_id, GACHA, won=True),
        _play(stranger),
    )
    async with uow_factory() as sut:
        stats = sorted(await sut.plays.stats(user_id), key=lambda row: row.game_type)

    assert stats == [
        GameStats("gacha", play_count=1, win_count=1, net_coins=0, net_gems=-50),
        GameStats("slot", play_count=3, win_count=2, net_coins=350, net_gems=0),
    ]


async def test_history_filters_by_game_action_and_inclusive_time_range(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)
    early, middle, late = NOW - timedelta(hours=2), NOW - timedelta(hours=1), NOW
    spin_early, spin_late = _play(user_id, at=early), _play(user_id, at=late)
    pull_middle = _play(user_id, GACHA, at=middle)
    await _played(uow_factory, spin_early, pull_middle, spin_late, _play(stranger, at=middle))

    async def ids(query: HistoryQuery) -> list[str]:
        async with uow_factory() as sut:
            return [play.id for play in (await sut.plays.history(query, 10, None)).items]

    assert await ids(HistoryQuery(user_id)) == [spin_late.id, pull_middle.id, spin_early.id]
    assert await ids(HistoryQuery(user_id, game_type="slot")) == [spin_late.id, spin_early.id]
    assert await ids(HistoryQuery(user_id, action="pull")) == [pull_middle.id]
    assert await ids(HistoryQuery(user_id, since=middle, until=late)) == [spin_late.id, pull_middle.id]
    assert await ids(HistoryQuery(user_id, since=early, until=middle)) == [pull_middle.id, spin_early.id]
    assert await ids(HistoryQuery(user_id, game_type="gacha", action="spin")) == []


async def test_history_pages_newest_first_with_ties_broken_by_id(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    stamps = [NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1), NOW + timedelta(minutes=1), NOW]
    plays = [_play(user_id, at=stamp) for stamp in stamps]
    await _played(uow_factory, *plays)
    expected = sorted(plays, key=lambda play: (play.created_at, play.id), reverse=True)

    pages: list[list[PlayRecord]] = []
    cursor: str | None = None
    async with uow_factory() as sut:
        while True:
            page = await sut.plays.history(HistoryQuery(user_id), 2, decode_cursor(cursor))
            pages.append(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

    assert pages == [expected[:2], expected[2:4], expected[4:]]


# --- settle ----------------------------------------------------------------------------------------------------------


async def _given_coins(uow_factory: UnitOfWorkFactory, user_id: str, amount: int) -> None:
    async with uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, Currency.COINS, amount, "seed"), NOW)
        await uow.commit()


def _spin_settlement(state: PlayerState, play: PlayRecord) -> Settlement:
    return Settlement(
        state=state,
        play=play,
        currency=Currency.COINS,
        stake=play.bet,
        payout=play.payout,
        stake_reason="slot_bet",
        payout_reason="slot_win",
        ref_type="spin",
    )


@pytest.mark.parametrize("payout", [600, 0], ids=["win", "loss"])
async def test_settle_takes_the_stake_pays_out_and_records_the_play(
    uow_factory: UnitOfWorkFactory, payout: int
) -> None:
    user_id = await given_user(uow_factory)
    await _given_coins(uow_factory, user_id, 1000)
    play = _play(user_id, payout=payout, delta_coins=payout - 100, won=payout > 0)

    async with uow_factory() as sut:
        state = (await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))).state
        state.streak = 1 if payout else 0
        balance_after = await sut.plays.settle(_spin_settlement(state, play))
        await sut.commit()

    assert balance_after == 900 + payout
    async with uow_factory() as sut:
        assert await sut.wallets.balances(user_id) == {Currency.COINS: 900 + payout}
        ledger = (await sut.wallets.ledger(user_id, 10, None)).items
        assert (await sut.plays.history(HistoryQuery(user_id), 10, None)).items == [play]
        assert await sut.plays.state(user_id, SLOT) == state
        assert await sut.plays.stats(user_id) == [GameStats("slot", 1, 1 if payout else 0, payout - 100, 0)]
    rows = [(entry.delta, entry.balance_after, entry.reason, entry.ref_type, entry.ref_id) for entry in ledger[::-1]]
    expected = [(1000, 1000, "seed", None, None), (-100, 900, "slot_bet", "spin", play.id)]
    if payout:
        expected.append((payout, 900 + payout, "slot_win", "spin", play.id))
    assert rows == expected


async def test_a_settlement_the_balance_cannot_cover_changes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    await _given_coins(uow_factory, user_id, 50)

    async with uow_factory() as sut:
        state = (await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))).state
        state.streak = 4
        with pytest.raises(InsufficientFunds):
            await sut.plays.settle(_spin_settlement(state, _play(user_id, payout=600, delta_coins=500, won=True)))
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.wallets.balances(user_id) == {Currency.COINS: 50}
        assert len((await sut.wallets.ledger(user_id, 10, None)).items) == 1
        assert (await sut.plays.history(HistoryQuery(user_id), 10, None)).items == []
        assert await sut.plays.stats(user_id) == []
        assert await sut.plays.state(user_id, SLOT) == PlayerState(user_id, SLOT)


# --- inventory -------------------------------------------------------------------------------------------------------


async def test_inventory_stacks_quantities_within_and_across_calls(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)
    later = NOW + timedelta(minutes=5)
    cat, chip, dice = (
        ("cat", "Lucky Cat", "Epic"),
        ("chip", "Bronze Chip", "Common"),
        ("dice", "Golden Dice", "Legendary"),
    )

    async with uow_factory() as sut:
        await sut.inventory.add(user_id, [chip, cat, chip, chip], NOW)
        await sut.inventory.add(stranger, [dice], NOW)
        await sut.commit()
    async with uow_factory() as sut:
        await sut.inventory.add(user_id, [dice, cat], later)
        await sut.commit()

    async with uow_factory() as sut:
        items = await sut.inventory.list(user_id)
        rarities = await sut.inventory.count_by_rarity(user_id)

    assert items == [
        InventoryItem("dice", "Golden Dice", "Legendary", 1, later),
        InventoryItem("cat", "Lucky Cat", "Epic", 2, NOW),
        InventoryItem("chip", "Bronze Chip", "Common", 3, NOW),
    ]
    assert rarities == {"Common": 3, "Epic": 2, "Legendary": 1}


async def test_adding_no_items_leaves_an_empty_inventory(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)

    async with uow_factory() as sut:
        await sut.inventory.add(user_id, [], NOW)
        await sut.commit()
    async with uow_factory() as sut:
        assert await sut.inventory.list(user_id) == []
        assert await sut.inventory.count_by_rarity(user_id) == {}


async def test_take_spends_held_units_and_refuses_more_than_held(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)
    shield = ("streak_shield", "Streak Shield", "Rare")
    async with uow_factory() as sut:
        await sut.inventory.add(user_id, [shield, shield], NOW)
        await sut.inventory.add(stranger, [shield], NOW)
        await sut.commit()

    async with uow_factory() as sut:
        too_many = await sut.inventory.take(user_id, "streak_shield", 3)
        unknown = await sut.inventory.take(user_id, "no_such_item")
        first = await sut.inventory.take(user_id, "streak_shield")
        await sut.commit()
    async with uow_factory() as sut:
        held = await sut.inventory.list(user_id)
        second = await sut.inventory.take(user_id, "streak_shield")
        third = await sut.inventory.take(user_id, "streak_shield")
        await sut.commit()
    async with uow_factory() as sut:
        after = await sut.inventory.list(user_id)
        rarities = await sut.inventory.count_by_rarity(user_id)
        theirs = await sut.inventory.list(stranger)

    assert (too_many, unknown, first, second, third) == (False, False, True, True, False)
    assert [item.quantity for item in held] == [1]
    assert after == []  # spent out: no longer listed
    assert rarities == {}
    assert [item.quantity for item in theirs] == [1]


async def test_a_take_rolled_back_gives_the_unit_back(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as sut:
        await sut.inventory.add(user_id, [("streak_shield", "Streak Shield", "Rare")], NOW)
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.inventory.take(user_id, "streak_shield")
    async with uow_factory() as sut:
        assert [item.quantity for item in await sut.inventory.list(user_id)] == [1]


async def test_concurrent_takes_of_the_last_unit_let_exactly_one_through(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as sut:
        await sut.inventory.add(user_id, [("streak_shield", "Streak Shield", "Rare")], NOW)
        await sut.commit()

    async def take(hold: Hold) -> bool:
        async with uow_factory() as uow:
            taken = await uow.inventory.take(user_id, "streak_shield")
            await hold(uow)  # the row is held until the others wait for it
            await uow.commit()
        return taken

    results = await contend(*[take] * 5)

    assert sorted(results) == [False, False, False, False, True]


# --- game configs ----------------------------------------------------------------------------------------------------


async def test_each_saved_config_is_a_new_version_and_get_returns_the_latest(uow_factory: UnitOfWorkFactory) -> None:
    admin_id = await given_user(uow_factory)
    first, second = {"min_bet": 1, "symbols": [{"name": "a"}]}, {"min_bet": 5, "symbols": [{"name": "b"}], "x": 0.5}

    async with uow_factory() as sut:
        found = await sut.game_configs.get(SLOT)
        base = 0 if found is None else found.version
        first_version = await sut.game_configs.save(SLOT, first, admin_id, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        second_version = await sut.game_configs.save(SLOT, second, admin_id, NOW + timedelta(seconds=1))
        await sut.commit()
    async with uow_factory() as sut:
        latest = await sut.game_configs.get(SLOT)

    assert (first_version, second_version) == (base + 1, base + 2)
    assert latest is not None
    assert (latest.version, latest.data) == (base + 2, second)


async def test_begin_play_locks_the_state_and_reads_the_odds_in_force(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    odds = {"marker": uuid.uuid4().hex}
    async with uow_factory() as uow:
        version = await uow.game_configs.save(GameType.GACHA, odds, user_id, NOW)
        await uow.commit()

    async with uow_factory() as sut:
        start = await sut.plays.begin_play(user_id, GameType.GACHA, candidate_for(user_id))
        await sut.commit()

    assert start.state == PlayerState(user_id, GameType.GACHA, 0, 0)
    assert start.config is not None
    assert (start.config.version, start.config.data) == (version, odds)


async def test_begin_play_names_the_version_in_force_and_gives_its_odds_unless_the_caller_has_them(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """An adapter may leave out the config of a version the caller parsed already; never that of a newer one."""
    user_id = await given_user(uow_factory)
    odds, newer = {"marker": uuid.uuid4().hex}, {"marker": uuid.uuid4().hex}
    async with uow_factory() as uow:
        version = await uow.game_configs.save(GameType.GACHA, odds, user_id, NOW)
        await uow.commit()
    async with uow_factory() as sut:
        known = await sut.plays.begin_play(user_id, GameType.GACHA, candidate_for(user_id), [version])
        await sut.commit()
    async with uow_factory() as uow:
        newer_version = await uow.game_configs.save(GameType.GACHA, newer, user_id, NOW)
        await uow.commit()

    async with uow_factory() as sut:
        after_change = await sut.plays.begin_play(user_id, GameType.GACHA, candidate_for(user_id), [version])
        await sut.commit()

    assert known.config_version == version
    assert known.config is None or (known.config.version, known.config.data) == (version, odds)
    assert after_change.config is not None
    assert (after_change.config_version, after_change.config.data) == (newer_version, newer)


async def test_has_play_finds_the_users_committed_play(uow_factory: UnitOfWorkFactory) -> None:
    user_id, other_user = await given_user(uow_factory), await given_user(uow_factory)
    play = _play(user_id)
    await _played(uow_factory, play)

    async with uow_factory() as sut:
        await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))
        found = await sut.plays.has_play(user_id, play.id)
        unknown = await sut.plays.has_play(user_id, str(uuid.uuid4()))
        someone_else = await sut.plays.has_play(other_user, play.id)

    assert (found, unknown, someone_else) == (True, False, False)


async def test_the_play_clock_is_read_with_the_play_saved_with_its_settlement_and_a_sitting_totals_its_coins(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """The play-time limit and the reality check (domain/limits/play_time) read and keep the clock this way."""
    user_id = await given_user(uow_factory)
    await _given_coins(uow_factory, user_id, 1000)
    earlier = _play(user_id, at=NOW - timedelta(hours=1))  # before the sitting: not in its totals
    won = _play(user_id, at=NOW + timedelta(seconds=30), payout=300, delta_coins=200, won=True)
    await _played(uow_factory, earlier)

    async with uow_factory() as sut:
        start = await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))
        first, _ = start.clock.tick(NOW, None)
        await sut.plays.settle(replace(_spin_settlement(start.state, _play(user_id)), clock=first))
        await sut.commit()
    async with uow_factory() as sut:
        again = await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))
        second, _ = again.clock.tick(won.created_at, None)
        await sut.plays.record(again.state, won, second)
        await sut.commit()
    async with uow_factory() as sut:
        stored = await sut.play_time.get(user_id)
        totals = await sut.play_time.session_totals(user_id, NOW)
        never = await sut.play_time.session_totals(str(uuid.uuid4()), NOW)

    assert (start.clock.last_play_at, again.clock) == (None, first)
    assert stored == second
    assert (stored.session_started_at, stored.active_seconds, stored.last_play_at) == (NOW, 30, won.created_at)
    assert totals == (-100 + 200, 0)
    assert never == (0, 0)


async def test_peek_play_reads_what_begin_play_does_once_the_player_has_played_that_game(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as sut:
        assert await sut.plays.peek_play(user_id, SLOT) is None  # no seed pair, state or clock yet
    async with uow_factory() as uow:
        start = await uow.plays.begin_play(user_id, SLOT, candidate_for(user_id))
        await uow.plays.record(
            replace(start.state, streak=3),
            _play(user_id, fair=FairRef(start.seeds.pair_id, start.seeds.nonce, start.config_version)),
            start.clock.tick(NOW, None)[0],
        )
        await uow.commit()

    async with uow_factory() as sut:
        peeked = await sut.plays.peek_play(user_id, SLOT)
        begun = await sut.plays.begin_play(user_id, SLOT, candidate_for(user_id))

    assert peeked is not None
    assert (peeked.state, peeked.seeds, peeked.clock) == (begun.state, begun.seeds, begun.clock)
    assert peeked.state.streak == 3
    assert peeked.seeds.nonce == 1
    assert peeked.config_version == begun.config_version
