"""Contract of the wallet and inbox repositories: memory, SQLite and PostgreSQL behave the same.

Every test runs once per adapter (ids "memory", "sqlite", "postgres"). The PostgreSQL database is shared by
the whole test session, so every test makes its own users and uses unique references and event ids.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.domain.wallet.errors import AlreadyApplied, InsufficientFunds
from src.domain.wallet.model import Currency, LedgerEntry, Movement, Wager
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import Hold, contend, until_waiting

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
COINS, GEMS = Currency.COINS, Currency.GEMS


def _ref() -> str:
    return uuid.uuid4().hex


async def _given_wallet(uow_factory: UnitOfWorkFactory, amount: int, currency: Currency = COINS) -> str:
    user_id = await given_user(uow_factory)
    async with uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, currency, amount, "seed", "test", _ref()), NOW)
        await uow.commit()
    return user_id


async def _balances(uow_factory: UnitOfWorkFactory, user_id: str) -> dict[Currency, int]:
    async with uow_factory() as uow:
        return await uow.wallets.balances(user_id)


async def _whole_ledger(uow_factory: UnitOfWorkFactory, user_id: str) -> list[LedgerEntry]:
    """Oldest first."""
    async with uow_factory() as uow:
        page = await uow.wallets.ledger(user_id, 100, None)
    assert page.next_cursor is None
    return page.items[::-1]


def _assert_chain_holds(entries: list[LedgerEntry]) -> None:
    """Each entry's balance_after is the previous one's plus its delta, and never below zero."""
    before: dict[Currency, int] = {}
    for entry in entries:
        assert entry.balance_after == before.get(entry.currency, 0) + entry.delta
        assert entry.balance_after >= 0
        before[entry.currency] = entry.balance_after


# --- credit ----------------------------------------------------------------------------------------------------------


async def test_a_first_credit_creates_the_wallet_and_returns_its_ledger_entry(uow_factory: UnitOfWorkFactory) -> None:
    user_id, ref = await given_user(uow_factory), _ref()

    async with uow_factory() as sut:
        entry = await sut.wallets.credit(Movement(user_id, COINS, 500, "admin_grant", "grant", ref), NOW)
        await sut.commit()

    assert entry.id.isdigit()
    assert (entry.user_id, entry.currency, entry.delta, entry.balance_after) == (user_id, COINS, 500, 500)
    assert (entry.reason, entry.ref_type, entry.ref_id, entry.created_at) == ("admin_grant", "grant", ref, NOW)
    assert await _balances(uow_factory, user_id) == {COINS: 500}
    assert await _whole_ledger(uow_factory, user_id) == [entry]


async def test_the_entry_of_a_reference_is_found_by_it(uow_factory: UnitOfWorkFactory) -> None:
    user_id, ref = await given_user(uow_factory), _ref()
    movement = Movement(user_id, GEMS, 40, "reward", "reward", ref)
    async with uow_factory() as uow:
        await uow.wallets.credit(Movement(user_id, GEMS, 5, "seed", "test", _ref()), NOW)
        written = await uow.wallets.credit(movement, NOW)
        await uow.commit()

    async with uow_factory() as sut:
        found = await sut.wallets.entry_for(Movement(user_id, GEMS, 40, "reward", "reward", ref))
        other_reason = await sut.wallets.entry_for(Movement(user_id, GEMS, 40, "seed", "reward", ref))
        other_currency = await sut.wallets.entry_for(Movement(user_id, COINS, 40, "reward", "reward", ref))
        unreferenced = await sut.wallets.entry_for(Movement(user_id, GEMS, 40, "reward"))

    assert found == written
    assert found is not None
    assert found.balance_after == 45
    assert (other_reason, other_currency, unreferenced) == (None, None, None)


async def test_credits_add_up_per_currency(uow_factory: UnitOfWorkFactory) -> None:
    user_id, stranger = await given_user(uow_factory), await given_user(uow_factory)

    async with uow_factory() as sut:
        await sut.wallets.credit(Movement(user_id, COINS, 100, "seed"), NOW)
        second = await sut.wallets.credit(Movement(user_id, COINS, 50, "seed"), NOW)
        await sut.wallets.credit(Movement(user_id, GEMS, 7, "seed"), NOW)
        in_flight = await sut.wallets.balances(user_id)
        await sut.commit()

    assert second.balance_after == 150
    assert in_flight == {COINS: 150, GEMS: 7}
    assert await _balances(uow_factory, user_id) == {COINS: 150, GEMS: 7}
    assert await _balances(uow_factory, stranger) == {}


async def test_a_credit_without_commit_leaves_nothing_and_its_reference_free(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    movement = Movement(user_id, COINS, 100, "admin_grant", "grant", _ref())

    async with uow_factory() as sut:
        await sut.wallets.credit(movement, NOW)
    assert await _balances(uow_factory, user_id) == {}
    assert await _whole_ledger(uow_factory, user_id) == []

    async with uow_factory() as sut:
        entry = await sut.wallets.credit(movement, NOW)
        await sut.commit()
    assert entry.balance_after == 100


# --- debit -----------------------------------------------------------------------------------------------------------


async def test_a_debit_within_the_balance_takes_it_and_writes_a_negative_entry(uow_factory: UnitOfWorkFactory) -> None:
    user_id, ref = await _given_wallet(uow_factory, 300), _ref()

    async with uow_factory() as sut:
        first = await sut.wallets.debit(Movement(user_id, COINS, 120, "slot_bet", "spin", ref), NOW)
        rest = await sut.wallets.debit(Movement(user_id, COINS, 180, "slot_bet", "spin", _ref()), NOW)
        await sut.commit()

    assert (first.delta, first.balance_after, first.ref_id) == (-120, 180, ref)
    assert (rest.delta, rest.balance_after) == (-180, 0)
    assert await _balances(uow_factory, user_id) == {COINS: 0}
    entries = await _whole_ledger(uow_factory, user_id)
    assert entries[1:] == [first, rest]
    _assert_chain_holds(entries)


@pytest.mark.parametrize(("currency", "amount"), [(COINS, 101), (GEMS, 1)], ids=["beyond-balance", "no-wallet"])
async def test_a_debit_beyond_the_balance_is_refused_and_changes_nothing(
    uow_factory: UnitOfWorkFactory, currency: Currency, amount: int
) -> None:
    user_id = await _given_wallet(uow_factory, 100)
    before = await _whole_ledger(uow_factory, user_id)

    async with uow_factory() as sut:
        with pytest.raises(InsufficientFunds) as refused:
            await sut.wallets.debit(Movement(user_id, currency, amount, "slot_bet", "spin", _ref()), NOW)
        await sut.commit()

    assert refused.value.details == {"currency": currency.value, "required": amount}
    assert await _balances(uow_factory, user_id) == {COINS: 100}
    assert await _whole_ledger(uow_factory, user_id) == before


# --- wager (a stake and its payout, in one step: the spin's settlement) ---------------------------------------------


def _wager(user_id: str, stake: int, payout: int, ref: str | None = None) -> Wager:
    return Wager(Movement(user_id, COINS, stake, "slot_bet", "spin", ref or _ref()), payout, "slot_win")


@pytest.mark.parametrize("payout", [250, 0], ids=["win", "loss"])
async def test_a_wager_takes_the_stake_then_pays_out_one_ledger_row_each(
    uow_factory: UnitOfWorkFactory, payout: int
) -> None:
    user_id, ref = await _given_wallet(uow_factory, 1000), _ref()

    async with uow_factory() as sut:
        balance_after = await sut.wallets.settle_wager(_wager(user_id, 100, payout, ref), NOW)
        await sut.commit()

    assert balance_after == 900 + payout
    assert await _balances(uow_factory, user_id) == {COINS: 900 + payout}
    entries = await _whole_ledger(uow_factory, user_id)
    rows = [(entry.delta, entry.balance_after, entry.reason, entry.ref_type, entry.ref_id) for entry in entries[1:]]
    expected = [(-100, 900, "slot_bet", "spin", ref)] + ([(payout, 1150, "slot_win", "spin", ref)] if payout else [])
    assert rows == expected
    assert {entry.created_at for entry in entries[1:]} == {NOW}
    _assert_chain_holds(entries)


async def test_a_wager_whose_stake_is_the_whole_balance_is_covered(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await _given_wallet(uow_factory, 100)

    async with uow_factory() as sut:
        balance_after = await sut.wallets.settle_wager(_wager(user_id, 100, 0), NOW)
        await sut.commit()

    assert balance_after == 0
    assert await _balances(uow_factory, user_id) == {COINS: 0}


@pytest.mark.parametrize("seed", [100, 0], ids=["short", "no-wallet"])
async def test_a_wager_the_balance_does_not_cover_is_refused_whatever_its_payout(
    uow_factory: UnitOfWorkFactory, seed: int
) -> None:
    user_id = await _given_wallet(uow_factory, seed) if seed else await given_user(uow_factory)
    before = await _whole_ledger(uow_factory, user_id)

    async with uow_factory() as sut:
        with pytest.raises(InsufficientFunds) as refused:
            await sut.wallets.settle_wager(_wager(user_id, seed + 1, 1000), NOW)
        await sut.commit()

    assert refused.value.details == {"currency": "coins", "required": seed + 1}
    assert await _balances(uow_factory, user_id) == ({COINS: seed} if seed else {})
    assert await _whole_ledger(uow_factory, user_id) == before


async def test_a_wager_with_an_applied_reference_is_already_applied(uow_factory: UnitOfWorkFactory) -> None:
    user_id, ref = await _given_wallet(uow_factory, 1000), _ref()
    async with uow_factory() as sut:
        await sut.wallets.settle_wager(_wager(user_id, 100, 50, ref), NOW)
        await sut.commit()

    async with uow_factory() as sut:
        with pytest.raises(AlreadyApplied):
            await sut.wallets.settle_wager(_wager(user_id, 100, 50, ref), NOW)

    assert await _balances(uow_factory, user_id) == {COINS: 950}


# --- references ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("committed_first", [True, False], ids=["committed", "same-uow"])
@pytest.mark.parametrize("operation", ["credit", "debit"])
async def test_a_movement_with_an_applied_reference_is_already_applied(
    uow_factory: UnitOfWorkFactory, committed_first: bool, operation: str
) -> None:
    user_id = await _given_wallet(uow_factory, 1000)
    movement = Movement(user_id, COINS, 10, "slot_bet", "spin", _ref())

    async with uow_factory() as sut:
        await getattr(sut.wallets, operation)(movement, NOW)
        if committed_first:
            await sut.commit()
        with pytest.raises(AlreadyApplied):
            await getattr(sut.wallets, operation)(movement, NOW)

    expected = (1000 + (10 if operation == "credit" else -10)) if committed_first else 1000
    assert await _balances(uow_factory, user_id) == {COINS: expected}


async def test_a_reference_is_one_movement_per_currency_and_reason(uow_factory: UnitOfWorkFactory) -> None:
    user_id, ref = await _given_wallet(uow_factory, 1000), _ref()

    async with uow_factory() as sut:
        await sut.wallets.debit(Movement(user_id, COINS, 100, "slot_bet", "spin", ref), NOW)
        await sut.wallets.credit(Movement(user_id, COINS, 300, "slot_win", "spin", ref), NOW)
        await sut.wallets.credit(Movement(user_id, GEMS, 5, "slot_win", "spin", ref), NOW)
        await sut.wallets.credit(Movement(user_id, COINS, 1, "bonus"), NOW)
        await sut.wallets.credit(Movement(user_id, COINS, 1, "bonus"), NOW)  # no reference: never a duplicate
        await sut.commit()

    assert await _balances(uow_factory, user_id) == {COINS: 1202, GEMS: 5}


# --- ledger ----------------------------------------------------------------------------------------------------------


async def test_the_ledger_pages_newest_first_by_increasing_ids(uow_factory: UnitOfWorkFactory) -> None:
    user_id, other = await given_user(uow_factory), await _given_wallet(uow_factory, 10)
    written: list[LedgerEntry] = []
    for amount in (100, 20, 30, 40):
        async with uow_factory() as sut:
            written.append(await sut.wallets.credit(Movement(user_id, COINS, amount, "seed"), NOW))
            await sut.wallets.credit(Movement(other, COINS, 1, "seed"), NOW)  # interleaved: not in this ledger
            await sut.commit()
    async with uow_factory() as sut:
        written.append(await sut.wallets.debit(Movement(user_id, COINS, 90, "slot_bet"), NOW + timedelta(hours=1)))
        await sut.commit()

    pages, before_id = [], None
    async with uow_factory() as sut:
        while True:
            page = await sut.wallets.ledger(user_id, 2, before_id)
            pages.append(page.items)
            if page.next_cursor is None:
                break
            assert page.next_cursor == page.items[-1].id
            before_id = int(page.next_cursor)

    ids = [int(entry.id) for entry in written]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert pages == [written[:2:-1], written[2:0:-1], written[:1]]
    _assert_chain_holds(written)


async def test_the_ledger_before_an_id_starts_below_it(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    async with uow_factory() as sut:
        written = [await sut.wallets.credit(Movement(user_id, COINS, 1, "seed"), NOW) for _ in range(3)]
        await sut.commit()

    async with uow_factory() as sut:
        below_last = await sut.wallets.ledger(user_id, 10, int(written[-1].id))
        below_first = await sut.wallets.ledger(user_id, 10, int(written[0].id))

    assert below_last.items == written[1::-1]
    assert below_last.next_cursor is None
    assert below_first.items == []


# --- concurrency -----------------------------------------------------------------------------------------------------
# SQLite runs every transaction as BEGIN IMMEDIATE, so two transactions cannot both be open there: these checks of
# overlapping units of work apply to the engines that let them overlap.


@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_overlapping_debits_never_take_a_balance_below_zero(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await _given_wallet(uow_factory, 1000)

    async def spend(hold: Hold) -> bool:
        async with uow_factory() as sut:
            try:
                await sut.wallets.debit(Movement(user_id, COINS, 100, "slot_bet", "spin", _ref()), NOW)
            except InsufficientFunds:
                return False
            await hold(sut)  # the transaction stays open until the others wait for it
            await sut.commit()
            return True

    outcomes = await contend(*[spend] * 20)

    assert outcomes.count(True) == 10
    assert await _balances(uow_factory, user_id) == {COINS: 0}
    entries = await _whole_ledger(uow_factory, user_id)
    assert len(entries) == 11
    _assert_chain_holds(entries)


@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_overlapping_wagers_are_covered_by_the_balance_each_finds(uow_factory: UnitOfWorkFactory) -> None:
    """Each wager nets -50 but needs 100: from 1000, the 19th leaves 50 and every later one is refused."""
    user_id = await _given_wallet(uow_factory, 1000)

    async def wager() -> bool:
        async with uow_factory() as sut:
            try:
                await sut.wallets.settle_wager(_wager(user_id, 100, 50), NOW)
            except InsufficientFunds:
                return False
            await sut.commit()
            return True

    outcomes = await asyncio.gather(*(wager() for _ in range(25)))

    assert outcomes.count(True) == 19
    assert await _balances(uow_factory, user_id) == {COINS: 50}
    entries = await _whole_ledger(uow_factory, user_id)
    assert len(entries) == 1 + 2 * 19
    _assert_chain_holds(entries)


@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
@pytest.mark.parametrize(
    ("first_commits", "second_succeeds"), [(True, False), (False, True)], ids=["commit", "rollback"]
)
async def test_a_debit_waits_for_an_overlapping_debit_and_is_decided_on_its_outcome(
    uow_factory: UnitOfWorkFactory, first_commits: bool, second_succeeds: bool
) -> None:
    user_id = await _given_wallet(uow_factory, 100)
    first_debited = asyncio.Event()

    async def first() -> None:
        async with uow_factory() as sut:
            await sut.wallets.debit(Movement(user_id, COINS, 60, "slot_bet"), NOW)
            first_debited.set()
            await until_waiting(sut)  # the second debit is waiting for this row
            if first_commits:
                await sut.commit()

    async def second() -> bool:
        await first_debited.wait()
        async with uow_factory() as sut:
            try:
                await sut.wallets.debit(Movement(user_id, COINS, 60, "slot_bet"), NOW)
            except InsufficientFunds:
                return False
            await sut.commit()
            return True

    _, succeeded = await asyncio.gather(first(), second())

    assert succeeded is second_succeeds
    assert await _balances(uow_factory, user_id) == {COINS: 40}
    _assert_chain_holds(await _whole_ledger(uow_factory, user_id))


@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_a_debit_is_refused_at_once_when_only_an_uncommitted_credit_would_cover_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id = await _given_wallet(uow_factory, 50)

    async with uow_factory() as crediting:
        await crediting.wallets.credit(Movement(user_id, COINS, 50, "seed"), NOW)
        async with uow_factory() as sut, asyncio.timeout(2):  # the committed 50 decides: no wait for the credit
            with pytest.raises(InsufficientFunds):
                await sut.wallets.debit(Movement(user_id, COINS, 100, "slot_bet"), NOW)
        await crediting.commit()

    assert await _balances(uow_factory, user_id) == {COINS: 100}


# --- inbox -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("committed_first", [True, False], ids=["committed", "same-uow"])
async def test_an_event_is_new_to_a_consumer_once(uow_factory: UnitOfWorkFactory, committed_first: bool) -> None:
    event_id, other_event = uuid.uuid4().hex, uuid.uuid4().hex

    async with uow_factory() as sut:
        first = await sut.inbox.first_time("wallet.signup_bonus", event_id)
        if committed_first:
            await sut.commit()
        again = await sut.inbox.first_time("wallet.signup_bonus", event_id)
        other_consumer = await sut.inbox.first_time("missions.progress", event_id)
        next_event = await sut.inbox.first_time("wallet.signup_bonus", other_event)

    assert (first, again, other_consumer, next_event) == (True, False, True, True)


async def test_an_event_handled_without_commit_is_still_new(uow_factory: UnitOfWorkFactory) -> None:
    event_id = uuid.uuid4().hex

    async with uow_factory() as sut:
        assert await sut.inbox.first_time("wallet.signup_bonus", event_id) is True
    async with uow_factory() as sut:
        assert await sut.inbox.first_time("wallet.signup_bonus", event_id) is True
        await sut.commit()
    async with uow_factory() as sut:
        assert await sut.inbox.first_time("wallet.signup_bonus", event_id) is False
