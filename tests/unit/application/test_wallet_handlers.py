"""Wallet use cases on the in-memory unit of work: the signup bonus and verify-ledger (admin grants are rewards:
test_rewards.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.shared.outbox import OutboxMessage
from src.application.wallet.deps import WalletConfig, WalletDeps
from src.application.wallet.handlers import (
    CONSUMER_SIGNUP_BONUS,
    credit_signup_bonus,
    credit_starting_balance,
    get_balances,
)
from src.application.wallet.ports import BalancesInUnitOfWork, WalletCheck
from src.application.wallet.verification import verify_ledger
from src.domain.identity.model import User
from src.domain.shared.principal import Principal, Rank
from src.domain.wallet.events import BalanceChanged
from src.domain.wallet.model import LedgerEntry
from tests.support.clocks import FakeClock

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
ADMIN = Principal(user_id="admin-1", session_id="session-1", rank=Rank.STANDARD, is_admin=True)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


def _deps(store: InMemoryStore, config: WalletConfig) -> WalletDeps:
    def uow_factory() -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(store)

    return WalletDeps(uow_factory, FakeClock(NOW), SecretsIdGenerator(), config, BalancesInUnitOfWork(uow_factory))


@pytest.fixture
def deps(store: InMemoryStore) -> WalletDeps:
    return _deps(store, WalletConfig(1000, 0))


async def _given_user(deps: WalletDeps) -> str:
    user = User(id=str(uuid.uuid4()), site_id="u_player", nickname="Player", password_hash="x", created_at=NOW)
    async with deps.uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user.id


def _signed_up(user_id: str) -> OutboxMessage:
    return OutboxMessage(1, uuid.uuid4().hex, "UserSignedUp", "user", user_id, {}, NOW)


async def _ledger(deps: WalletDeps, user_id: str) -> list[LedgerEntry]:
    async with deps.uow_factory() as uow:
        return (await uow.wallets.ledger(user_id, 100, None)).items


# --- signup bonus ----------------------------------------------------------------------------------------------------


async def test_a_signup_message_delivered_twice_credits_the_starting_coins_once(
    deps: WalletDeps, store: InMemoryStore
) -> None:
    user_id = await _given_user(deps)
    message = _signed_up(user_id)

    await credit_signup_bonus(message, deps)
    await credit_signup_bonus(message, deps)

    assert await get_balances(user_id, deps) == {"coins": 1000, "gems": 0}
    [entry] = await _ledger(deps, user_id)
    assert (entry.delta, entry.reason, entry.ref_type, entry.ref_id) == (1000, "signup_bonus", "user", user_id)
    assert store.outbox == [
        BalanceChanged(
            aggregate_id=user_id,
            occurred_at=NOW,
            currency="coins",
            delta=1000,
            balance_after=1000,
            reason="signup_bonus",
            ref_type="user",
            ref_id=user_id,
            event_id=store.outbox[0].event_id,
        )
    ]
    async with deps.uow_factory() as uow:  # the ledger reference is the once-only key: no inbox mark
        assert await uow.inbox.first_time(CONSUMER_SIGNUP_BONUS, message.event_id) is True


async def test_a_second_signup_message_for_the_same_user_credits_nothing(
    deps: WalletDeps, store: InMemoryStore
) -> None:
    user_id = await _given_user(deps)

    await credit_signup_bonus(_signed_up(user_id), deps)
    await credit_signup_bonus(_signed_up(user_id), deps)  # another event id: the inbox lets it in, the ledger not

    assert await get_balances(user_id, deps) == {"coins": 1000, "gems": 0}
    assert len(await _ledger(deps, user_id)) == 1
    assert [event.event_type for event in store.outbox] == ["BalanceChanged"]


async def test_the_signup_bonus_credits_every_currency_configured(store: InMemoryStore) -> None:
    deps = _deps(store, WalletConfig(500, 20))
    user_id = await _given_user(deps)

    await credit_signup_bonus(_signed_up(user_id), deps)

    assert await get_balances(user_id, deps) == {"coins": 500, "gems": 20}


async def test_a_sign_up_credits_the_starting_balance_in_its_transaction_and_the_relay_delivery_adds_nothing(
    store: InMemoryStore,
) -> None:
    deps = _deps(store, WalletConfig(500, 20))
    user_id = await _given_user(deps)
    message = _signed_up(user_id)

    async with deps.uow_factory() as uow:
        balances = await credit_starting_balance(uow, user_id, NOW, deps.config)
        await uow.commit()
    await credit_signup_bonus(message, deps)  # the relay delivers the sign-up's UserSignedUp afterwards

    assert balances == {"coins": 500, "gems": 20} == await get_balances(user_id, deps)
    assert len(await _ledger(deps, user_id)) == 2
    assert [event.event_type for event in store.outbox] == ["BalanceChanged", "BalanceChanged"]


async def test_a_starting_balance_left_uncommitted_is_not_credited(deps: WalletDeps, store: InMemoryStore) -> None:
    user_id = await _given_user(deps)

    async with deps.uow_factory() as uow:
        await credit_starting_balance(uow, user_id, NOW, deps.config)  # the sign-up failed after it: no commit

    assert await get_balances(user_id, deps) == {"coins": 0, "gems": 0}
    assert store.outbox == []


# --- verify-ledger ---------------------------------------------------------------------------------------------------


class FakeLedgerAuditor:
    """Hands out the given batches and remembers the batch size it was asked for."""

    def __init__(self, *batches: list[WalletCheck]) -> None:
        self.batches = batches
        self.batch_size: int | None = None

    async def wallet_count(self) -> int:
        return sum(len(batch) for batch in self.batches)

    async def check_wallets(self, batch_size: int) -> AsyncIterator[list[WalletCheck]]:
        self.batch_size = batch_size
        for batch in self.batches:
            yield batch


def _check(user_id: str, balance: int, ledger_sum: int, chain_breaks: int = 0) -> WalletCheck:
    return WalletCheck(user_id, "coins", balance, ledger_sum, chain_breaks)


async def test_verify_ledger_reports_every_drifted_wallet_across_batches() -> None:
    drifted_sum, broken_chain = _check("b", 100, 90), _check("d", 50, 50, chain_breaks=1)
    sut = FakeLedgerAuditor([_check("a", 10, 10), drifted_sum], [_check("c", 0, 0), broken_chain], [_check("e", 7, 7)])
    progress: list[int] = []

    report = await verify_ledger(sut, progress.append, batch_size=2)

    assert report.wallets_checked == 5
    assert report.drifted == [drifted_sum, broken_chain]
    assert report.ok is False
    assert progress == [2, 2, 1]
    assert sut.batch_size == 2


async def test_verify_ledger_is_ok_when_every_wallet_matches_its_ledger() -> None:
    sut = FakeLedgerAuditor([_check("a", 10, 10), _check("b", 0, 0)])

    report = await verify_ledger(sut)

    assert (report.wallets_checked, report.drifted, report.ok) == (2, [], True)
