"""Contract of the wallet's batched credit and the inbox's batched marks (a relay pass's work in one go): memory,
SQLite and PostgreSQL behave the same, and on PostgreSQL a pass of signup bonuses costs the same statements for one
player as for fifty."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from src.adapters.memory.uow import InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.repositories.pg_wallet import PgBalanceReads
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.shared.outbox import OutboxMessage
from src.application.wallet.deps import WalletConfig, WalletDeps
from src.application.wallet.handlers import CONSUMER_SIGNUP_BONUS, credit_signup_bonuses
from src.application.wallet.ports import BalancesInUnitOfWork
from src.domain.wallet.model import Currency, LedgerEntry, Movement
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.clocks import FakeClock
from tests.support.contention import Hold, contend
from tests.support.round_trips import counted, instrumented

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
COINS, GEMS = Currency.COINS, Currency.GEMS


def _ref() -> str:
    return uuid.uuid4().hex


async def _whole_ledger(uow_factory: UnitOfWorkFactory, user_id: str) -> list[LedgerEntry]:
    """Oldest first."""
    async with uow_factory() as uow:
        return (await uow.wallets.ledger(user_id, 100, None)).items[::-1]


def _chain(entries: list[LedgerEntry]) -> list[tuple[Currency, int, int]]:
    """(currency, delta, balance_after) of each entry, checked to follow from the one before."""
    before: dict[Currency, int] = {}
    for entry in entries:
        assert entry.balance_after == before.get(entry.currency, 0) + entry.delta
        before[entry.currency] = entry.balance_after
    return [(entry.currency, entry.delta, entry.balance_after) for entry in entries]


async def test_credits_of_several_wallets_apply_each_in_order_with_its_ledger_row(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await given_user(uow_factory), await given_user(uow_factory)
    async with uow_factory() as uow:
        await uow.wallets.credit(Movement(alice, COINS, 50, "seed", "test", _ref()), NOW)
        await uow.commit()
    movements = [
        Movement(alice, COINS, 100, "signup_bonus", "user", _ref()),
        Movement(bob, GEMS, 7, "signup_bonus", "user", _ref()),
        Movement(alice, GEMS, 3, "signup_bonus", "user", _ref()),
        Movement(alice, COINS, 20, "prize", "mission", _ref()),
    ]

    async with uow_factory() as sut:
        entries = await sut.wallets.credit_many(movements, NOW)
        await sut.commit()

    assert [(entry.user_id, entry.currency, entry.delta, entry.balance_after) for entry in entries] == [
        (alice, COINS, 100, 150),
        (bob, GEMS, 7, 7),
        (alice, GEMS, 3, 3),
        (alice, COINS, 20, 170),
    ]
    assert [int(entry.id) for entry in entries] == sorted(int(entry.id) for entry in entries)
    assert [(entry.reason, entry.ref_id, entry.created_at) for entry in entries] == [
        (movement.reason, movement.ref_id, NOW) for movement in movements
    ]
    assert _chain(await _whole_ledger(uow_factory, alice)) == [(COINS, 50, 50), (COINS, 100, 150), (GEMS, 3, 3),
                                                                (COINS, 20, 170)]  # fmt: skip
    async with uow_factory() as uow:
        assert await uow.wallets.balances(alice) == {COINS: 170, GEMS: 3}
        assert await uow.wallets.balances(bob) == {GEMS: 7}


async def test_a_credit_whose_reference_was_applied_is_left_out_and_the_others_go_on(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id = await given_user(uow_factory)
    applied, fresh = (Movement(user_id, COINS, 100, "signup_bonus", "user", ref) for ref in (_ref(), _ref()))
    async with uow_factory() as uow:
        await uow.wallets.credit(applied, NOW)
        await uow.commit()

    async with uow_factory() as sut:
        entries = await sut.wallets.credit_many([applied, fresh, fresh], NOW)  # the repeat of `fresh` too
        await sut.commit()

    assert [entry.ref_id for entry in entries] == [fresh.ref_id]
    assert _chain(await _whole_ledger(uow_factory, user_id)) == [(COINS, 100, 100), (COINS, 100, 200)]


async def test_credits_without_commit_leave_nothing(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    movement = Movement(user_id, COINS, 100, "signup_bonus", "user", _ref())

    async with uow_factory() as sut:
        await sut.wallets.credit_many([movement], NOW)
    async with uow_factory() as sut:
        [entry] = await sut.wallets.credit_many([movement], NOW)
        await sut.commit()

    assert (entry.delta, entry.balance_after) == (100, 100)


async def test_no_credits_write_nothing(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as sut:
        assert await sut.wallets.credit_many([], NOW) == []


@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_overlapping_batches_of_shared_wallets_both_apply_and_keep_each_chain(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Two passes crediting the same players (listed in opposite orders) queue on the wallets without deadlock."""
    players = [await given_user(uow_factory) for _ in range(4)]

    def batch(order: list[str]) -> Callable[[Hold], object]:
        async def body(hold: Hold) -> int:
            async with uow_factory() as sut:
                movements = [Movement(player, COINS, 10, "prize", "mission", _ref()) for player in order]
                entries = await sut.wallets.credit_many(movements, NOW)
                await hold(sut)
                await sut.commit()
                return len(entries)

        return body

    outcomes = await contend(batch(players), batch(players[::-1]))  # type: ignore[arg-type]

    assert outcomes == [4, 4]
    for player in players:
        assert _chain(await _whole_ledger(uow_factory, player)) == [(COINS, 10, 10), (COINS, 10, 20)]


async def test_a_pass_of_events_is_marked_once_per_consumer(uow_factory: UnitOfWorkFactory) -> None:
    handled, new, other = _ref(), _ref(), _ref()
    async with uow_factory() as uow:
        assert await uow.inbox.first_events("wallet.signup_bonus", [handled], NOW) == {handled}
        await uow.commit()

    async with uow_factory() as sut:
        first = await sut.inbox.first_events("wallet.signup_bonus", [handled, new, other, new], NOW)
        again = await sut.inbox.first_events("wallet.signup_bonus", [new], NOW)
        other_consumer = await sut.inbox.first_events("missions.progress", [handled], NOW)
        await sut.commit()

    assert (first, again, other_consumer) == ({new, other}, set(), {handled})
    async with uow_factory() as uow:
        assert await uow.inbox.first_time("wallet.signup_bonus", new) is False


# --- the signup consumer: idempotent by its ledger references, no inbox mark -----------------------------------------


class KilledBeforeCommit(RuntimeError):
    pass


def _killed_once(uow_factory: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """`uow_factory` whose first unit of work dies at its commit (the process killed there): nothing of it lands."""
    killed: list[bool] = []

    def make() -> InMemoryUnitOfWork | SqlaUnitOfWork:
        uow = uow_factory()
        if not killed:
            killed.append(True)

            async def commit() -> None:
                raise KilledBeforeCommit

            uow.commit = commit  # type: ignore[method-assign]
        return uow

    return make


def _signup_deps(uow_factory: UnitOfWorkFactory) -> WalletDeps:
    factory: Callable[[], Any] = uow_factory
    return WalletDeps(
        factory, FakeClock(NOW), SecretsIdGenerator(), WalletConfig(1000, 5), BalancesInUnitOfWork(factory)
    )


async def _starting_credits(uow_factory: UnitOfWorkFactory, user_id: str) -> list[tuple[Currency, int, int]]:
    return _chain(await _whole_ledger(uow_factory, user_id))


async def test_a_signup_pass_delivered_again_credits_each_player_once_and_marks_no_inbox(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob, carol = [await given_user(uow_factory) for _ in range(3)]
    first_pass = [_signed_up(alice), _signed_up(bob)]
    deps = _signup_deps(uow_factory)

    await credit_signup_bonuses(first_pass, deps)
    await credit_signup_bonuses(first_pass, deps)  # the same pass again (its publish mark was lost)
    # a later consumer of the pass failed: the relay delivers it again, with an event committed since
    await credit_signup_bonuses([*first_pass, _signed_up(carol)], deps)

    for player in (alice, bob, carol):
        assert await _starting_credits(uow_factory, player) == [(COINS, 1000, 1000), (GEMS, 5, 5)]
    async with uow_factory() as uow:
        marks = [await uow.inbox.first_time(CONSUMER_SIGNUP_BONUS, message.event_id) for message in first_pass]
    assert marks == [True, True]  # none was written: the references are the once-only keys


async def test_a_signup_pass_killed_before_its_commit_credits_each_player_once_when_delivered_again(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = await given_user(uow_factory), await given_user(uow_factory)
    messages = [_signed_up(alice), _signed_up(bob)]

    with pytest.raises(KilledBeforeCommit):
        await credit_signup_bonuses(messages, _signup_deps(_killed_once(uow_factory)))
    killed = [await _starting_credits(uow_factory, player) for player in (alice, bob)]
    await credit_signup_bonuses(messages, _signup_deps(uow_factory))
    await credit_signup_bonuses(messages, _signup_deps(uow_factory))

    assert killed == [[], []]
    for player in (alice, bob):
        assert await _starting_credits(uow_factory, player) == [(COINS, 1000, 1000), (GEMS, 5, 5)]


# --- statements of a pass on PostgreSQL ------------------------------------------------------------------------------


def _signed_up(user_id: str) -> OutboxMessage:
    return OutboxMessage(0, uuid.uuid4().hex, "UserSignedUp", "user", user_id, {}, NOW)


async def _statements_of_a_signup_pass(deps: WalletDeps, players: int) -> tuple[int, list[str]]:
    users = [await given_user(deps.uow_factory) for _ in range(players)]  # type: ignore[arg-type]
    messages = [_signed_up(user) for user in users]
    with instrumented():
        return (await counted(lambda: credit_signup_bonuses(messages, deps)))["statements"], users


async def test_a_signup_pass_costs_the_same_statements_for_one_player_as_for_fifty(pg_url: str) -> None:
    database = SqlaDatabase(pg_url)
    factory: Callable[[], SqlaUnitOfWork] = lambda: SqlaUnitOfWork(database.session_factory)  # noqa: E731
    pool = DriverPool(database.connect_driver, size=1, timeout=10)
    deps = WalletDeps(factory, FakeClock(NOW), SecretsIdGenerator(), WalletConfig(1000, 5), PgBalanceReads(pool))
    try:
        one, _ = await _statements_of_a_signup_pass(deps, 1)
        fifty, players = await _statements_of_a_signup_pass(deps, 50)

        # BEGIN, the credits (wallets and ledger), the outbox's BalanceChanged, COMMIT: no inbox marks
        assert (one, fifty) == (4, 4)
        for player in players:
            assert await deps.reads.balances(player) == {COINS: 1000, GEMS: 5}
    finally:
        await pool.close()
        await database.dispose()
