"""Contract of the purchase transaction repository: memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable
from copy import deepcopy
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from src.application.shared.idempotency import IdempotencyPolicy, IdempotencyScope, KeyRecorder, StoredResponse
from src.application.shared.pagination import decode_cursor
from src.application.shop.transactions import BuyReads, GrantedAtOnce, PurchaseMoved, TransactionFilters
from src.application.wallet.ledger import Grant, credit_events, unwritten_entry
from src.domain.limits.model import PendingChange, Restriction, RestrictionKind
from src.domain.shared.events import DomainEvent
from src.domain.shared.principal import Rank
from src.domain.shop.catalog import CatalogItem
from src.domain.shop.errors import PurchaseKeyTaken
from src.domain.shop.events import PurchaseUpdated
from src.domain.shop.transactions import (
    FailureReason,
    PurchaseKind,
    PurchaseTransaction,
    StatusChange,
    TxStatus,
    card_fingerprint,
    key_digest,
)
from src.domain.wallet.model import Currency, Movement
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import until_waiting
from tests.support.round_trips import counted, instrumented

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)


def _started(user_id: str, at: datetime = NOW, **overrides: object) -> PurchaseTransaction:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "sku": "gems_550",
        "kind": PurchaseKind.LIMITED,
        "quantity": 2,
        "amount_cents": 998,
        "currency": "USD",
        "gems": 1100,
        "card_token_fingerprint": card_fingerprint("tok_contract"),
        "at": at,
        "promo_code": "SPRING10",
    }
    values.update(overrides)
    return PurchaseTransaction.start(**values)  # type: ignore[arg-type]


async def _stored(uow_factory: UnitOfWorkFactory, *transactions: PurchaseTransaction) -> None:
    async with uow_factory() as sut:
        for tx in transactions:
            await sut.transactions.add(tx)
        await sut.commit()


async def test_an_added_transaction_reads_back_whole(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    tx = _started(user_id)
    await _stored(uow_factory, tx)

    async with uow_factory() as sut:
        stored = await sut.transactions.get(tx.id)

    assert stored == tx
    assert stored is not None
    assert (stored.kind, stored.status, stored.history) == (
        PurchaseKind.LIMITED,
        TxStatus.PENDING,
        [StatusChange(TxStatus.PENDING, NOW, "created")],
    )
    assert stored.created_at.tzinfo is not None
    assert stored.history[0].at.tzinfo is not None


async def test_an_add_needs_commit(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    tx = _started(user_id)
    async with uow_factory() as sut:
        await sut.transactions.add(tx)

    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) is None


async def test_update_persists_every_transition(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    tx = _started(user_id)
    await _stored(uow_factory, tx)

    tx.record_capture_attempt(NOW + timedelta(seconds=1))
    tx.authorize("ch_123", NOW + timedelta(seconds=2), reason="approved")
    tx.capture(NOW + timedelta(seconds=3))
    tx.refund(NOW + timedelta(seconds=4), refunded_cents=998, clawed_back_gems=700, outstanding_gems=400)
    async with uow_factory() as sut:
        await sut.transactions.update(tx)
        await sut.commit()

    async with uow_factory() as sut:
        stored = await sut.transactions.get(tx.id)

    assert stored == tx
    assert stored is not None
    assert [change.status for change in stored.history] == [
        TxStatus.PENDING,
        TxStatus.AUTHORIZED,
        TxStatus.CAPTURED,
        TxStatus.REFUNDED,
    ]
    assert (stored.charge_id, stored.capture_attempts, stored.gems_granted) == ("ch_123", 1, 1100)
    assert (stored.refunded_cents, stored.clawed_back_gems, stored.outstanding_gems) == (998, 700, 400)
    assert stored.updated_at == NOW + timedelta(seconds=4)


async def test_update_persists_the_failure_reason(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    tx = _started(user_id)
    await _stored(uow_factory, tx)
    tx.void(FailureReason.STALE_AUTO_VOID, NOW + timedelta(minutes=30))

    async with uow_factory() as sut:
        await sut.transactions.update(tx)
        assert await sut.transactions.get(tx.id) == tx  # seen inside the unit of work too
        await sut.commit()

    async with uow_factory() as sut:
        stored = await sut.transactions.get(tx.id)
    assert stored is not None
    assert (stored.status, stored.failure_reason) == (TxStatus.VOIDED, FailureReason.STALE_AUTO_VOID)
    assert stored.history[-1] == StatusChange(TxStatus.VOIDED, NOW + timedelta(minutes=30), "STALE_AUTO_VOID")


async def test_an_uncommitted_update_is_rolled_back(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    tx = _started(user_id)
    await _stored(uow_factory, tx)
    changed = _started(user_id, id=tx.id)
    changed.fail(FailureReason.PAYMENT_DECLINED, NOW + timedelta(seconds=5))

    async with uow_factory() as sut:
        await sut.transactions.update(changed)

    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) == tx


async def test_get_for_user_hides_other_users_transactions(uow_factory: UnitOfWorkFactory) -> None:
    owner, other = await given_user(uow_factory), await given_user(uow_factory)
    tx = _started(owner)
    await _stored(uow_factory, tx)

    async with uow_factory() as sut:
        assert await sut.transactions.get_for_user(tx.id, owner) == tx
        assert await sut.transactions.get_for_user(tx.id, other) is None
        assert await sut.transactions.get_for_user(str(uuid.uuid4()), owner) is None
        assert await sut.transactions.get(str(uuid.uuid4())) is None


async def test_list_for_user_pages_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    user_id, other = await given_user(uow_factory), await given_user(uow_factory)
    same_time = [_started(user_id, NOW, id=f"{uuid.uuid4().hex[:30]}-{n}") for n in range(2)]
    older = _started(user_id, NOW - timedelta(hours=1))
    newer = _started(user_id, NOW + timedelta(hours=1))
    await _stored(uow_factory, older, *same_time, newer, _started(other, NOW + timedelta(hours=2)))
    tied = sorted(same_time, key=lambda tx: tx.id, reverse=True)
    expected = [newer.id, tied[0].id, tied[1].id, older.id]

    async with uow_factory() as sut:
        first = await sut.transactions.list_for_user(user_id, 3, None)
        second = await sut.transactions.list_for_user(user_id, 3, decode_cursor(first.next_cursor))

    assert [tx.id for tx in first.items] == expected[:3]
    assert first.next_cursor is not None
    assert [tx.id for tx in second.items] == expected[3:]
    assert second.next_cursor is None
    assert first.items[0] == newer


async def test_list_unsettled_before_finds_only_old_open_transactions(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    # PostgreSQL is shared and keeps the open rows of earlier runs: each run goes further back in time than the
    # last, so oldest first its own rows come before theirs
    base = datetime(1990, 1, 1, tzinfo=UTC) - timedelta(microseconds=time.time_ns() // 1000)
    pending = _started(user_id, base)
    authorized = _started(user_id, base + timedelta(seconds=1))
    authorized.authorize("ch_auth", base + timedelta(seconds=2))
    captured = _started(user_id, base + timedelta(seconds=3))
    captured.capture(base + timedelta(seconds=4))
    failed = _started(user_id, base + timedelta(seconds=5))
    failed.fail(FailureReason.CAPTURE_FAILED, base + timedelta(seconds=6))
    too_new = _started(user_id, base + timedelta(minutes=10))
    await _stored(uow_factory, pending, authorized, captured, failed, too_new)
    cutoff = base + timedelta(minutes=10)

    async with uow_factory() as sut:
        stale = await sut.transactions.list_unsettled_before(cutoff, 100)
        first = await sut.transactions.list_unsettled_before(cutoff, 1)

    assert [tx.id for tx in stale if tx.user_id == user_id] == [pending.id, authorized.id]
    assert stale[:2] == [pending, authorized]
    assert all(tx.status in (TxStatus.PENDING, TxStatus.AUTHORIZED) and tx.created_at < cutoff for tx in stale)
    assert first == [pending]


async def test_count_attempts_since_counts_the_users_transactions_from_then_on(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id, other = await given_user(uow_factory), await given_user(uow_factory)
    since = NOW - timedelta(hours=1)
    failed = _started(user_id, since)
    failed.fail(FailureReason.PAYMENT_DECLINED, since + timedelta(seconds=1))
    await _stored(
        uow_factory,
        _started(user_id, since - timedelta(seconds=1)),
        failed,
        _started(user_id, NOW),
        _started(other, NOW),
    )

    async with uow_factory() as sut:
        assert await sut.transactions.count_attempts_since(user_id, since) == 2
        assert await sut.transactions.count_attempts_since(user_id, NOW + timedelta(seconds=1)) == 0
        assert await sut.transactions.count_attempts_since(other, since) == 1


async def test_the_integrity_hash_is_stored_with_each_state(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    first, second = _started(user_id), _started(user_id)
    async with uow_factory() as sut:
        await sut.transactions.add(first, "k1:created")
        await sut.transactions.add(second)
        await sut.commit()
    first.authorize("ch_hash", NOW + timedelta(seconds=1))
    async with uow_factory() as sut:
        await sut.transactions.update(first, "k1:authorized")
        await sut.commit()

    async with uow_factory() as sut:
        page = await sut.transactions.integrity_hashes(None, 10_000)
        after_first = await sut.transactions.integrity_hashes(min(first.id, second.id), 10_000)

    mine = {first.id, second.id}  # the PostgreSQL database is shared by the whole test session
    hashes = {tx.id: stored for tx, stored in page + after_first if tx.id in mine}
    assert hashes == {first.id: "k1:authorized", second.id: None}
    assert [tx.id for tx, _ in after_first if tx.id in mine] == [max(first.id, second.id)]
    assert [tx.id for tx, _ in page] == sorted(tx.id for tx, _ in page)


async def test_a_transaction_is_found_by_its_gateway_charge(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    tx, other = _started(user_id), _started(user_id)
    tx.authorize("ch_find_me", NOW)
    await _stored(uow_factory, tx, other)

    async with uow_factory() as sut:
        found = await sut.transactions.get_by_charge("ch_find_me")
        missing = await sut.transactions.get_by_charge("ch_nobody")
        locked = await sut.transactions.get_for_update(tx.id)

    assert found is not None
    assert found.id == tx.id
    assert missing is None
    assert locked == found


async def test_admins_filter_transactions_by_status_user_sku_and_date(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = await given_user(uow_factory), await given_user(uow_factory)
    old = _started(alice, at=NOW - timedelta(days=2), sku="gems_100")
    failed = _started(alice, at=NOW - timedelta(hours=1))
    failed.fail(FailureReason.PAYMENT_DECLINED, NOW - timedelta(hours=1))
    bobs = _started(bob, at=NOW)
    await _stored(uow_factory, old, failed, bobs)

    async with uow_factory() as sut:
        by_user = await sut.transactions.list_filtered(TransactionFilters(user_id=alice), 10, None)
        by_status = await sut.transactions.list_filtered(
            TransactionFilters(status=TxStatus.FAILED, user_id=alice), 10, None
        )
        by_sku = await sut.transactions.list_filtered(TransactionFilters(sku="gems_100", user_id=alice), 10, None)
        recent = await sut.transactions.list_filtered(
            TransactionFilters(user_id=alice, created_from=NOW - timedelta(days=1), created_to=NOW), 10, None
        )
        bobs_only = await sut.transactions.list_filtered(TransactionFilters(user_id=bob), 10, None)
        first_page = await sut.transactions.list_filtered(TransactionFilters(user_id=alice), 1, None)
        second_page = await sut.transactions.list_filtered(
            TransactionFilters(user_id=alice), 1, decode_cursor(first_page.next_cursor)
        )

    assert [tx.id for tx in by_user.items] == [failed.id, old.id]
    assert [tx.id for tx in by_status.items] == [failed.id]
    assert [tx.id for tx in by_sku.items] == [old.id]
    assert [tx.id for tx in recent.items] == [failed.id]
    assert [tx.id for tx in bobs_only.items] == [bobs.id]
    assert [tx.id for tx in first_page.items + second_page.items] == [failed.id, old.id]
    assert second_page.next_cursor is None


async def test_spending_counts_captured_and_refunded_purchases_and_nets_out_refunds(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id, other_id = await given_user(uow_factory), await given_user(uow_factory)
    captured, refunded, failed, pending = (_started(user_id, amount_cents=cents) for cents in (499, 998, 1999, 2999))
    for tx in (captured, refunded):
        tx.authorize(f"ch_{uuid.uuid4().hex}", NOW + timedelta(seconds=1))
        tx.capture(NOW + timedelta(seconds=2))
    refunded.refund(NOW + timedelta(seconds=3), refunded_cents=998, clawed_back_gems=1100, outstanding_gems=0)
    failed.fail(FailureReason.PAYMENT_DECLINED, NOW + timedelta(seconds=1))
    someone_else = _started(other_id)
    someone_else.capture(NOW + timedelta(seconds=1))
    await _stored(uow_factory, captured, refunded, failed, pending, someone_else)

    async with uow_factory() as sut:
        spending = await sut.transactions.spending(user_id)
        nobody = await sut.transactions.spending(str(uuid.uuid4()))

    assert (spending.purchases, spending.total_spent_cents) == (2, 499)
    assert (nobody.purchases, nobody.total_spent_cents) == (0, 0)


async def _try_add(uow_factory: UnitOfWorkFactory, tx: PurchaseTransaction) -> str:
    try:
        async with uow_factory() as sut:
            await sut.transactions.add(tx)
            await sut.commit()
    except PurchaseKeyTaken:
        return "taken"
    return "added"


async def test_a_key_names_the_one_transaction_it_opened_for_its_user(uow_factory: UnitOfWorkFactory) -> None:
    user_id, other_user = await given_user(uow_factory), await given_user(uow_factory)
    key = key_digest(uuid.uuid4().hex)
    mine, theirs = _started(user_id, idempotency_key_hash=key), _started(other_user, idempotency_key_hash=key)
    unkeyed = [_started(user_id), _started(user_id)]  # purchases without a key never collide
    await _stored(uow_factory, mine, theirs, *unkeyed)

    async with uow_factory() as sut:
        found = await sut.transactions.get_by_key(user_id, key)
        unknown = await sut.transactions.get_by_key(user_id, key_digest("never used"))
        read_back = await sut.transactions.get(mine.id)

    assert found == mine
    assert unknown is None
    assert read_back is not None
    assert read_back.idempotency_key_hash == key


async def test_a_second_transaction_with_the_users_key_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    key = key_digest(uuid.uuid4().hex)
    first = _started(user_id, idempotency_key_hash=key)
    await _stored(uow_factory, first)

    outcome = await _try_add(uow_factory, _started(user_id, idempotency_key_hash=key))

    assert outcome == "taken"
    async with uow_factory() as sut:
        assert await sut.transactions.get_by_key(user_id, key) == first
        assert (await sut.transactions.list_for_user(user_id, 10, None)).items == [first]


async def test_concurrent_adds_with_one_key_store_exactly_one(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    key = key_digest(uuid.uuid4().hex)
    candidates = [_started(user_id, idempotency_key_hash=key) for _ in range(6)]

    outcomes = await asyncio.gather(*(_try_add(uow_factory, tx) for tx in candidates))

    assert sorted(outcomes) == ["added"] + ["taken"] * 5
    winner = candidates[outcomes.index("added")]
    async with uow_factory() as sut:
        assert await sut.transactions.get_by_key(user_id, key) == winner
        assert [tx.id for tx in (await sut.transactions.list_for_user(user_id, 10, None)).items] == [winner.id]


# --- grant_if_unchanged: the buy's settlement without a lock ------------------------------------------------------


def _gems(tx: PurchaseTransaction) -> Movement:
    return Movement(tx.user_id, Currency.GEMS, tx.gems, "purchase", "purchase", tx.id)


def _captured(tx: PurchaseTransaction, charge_id: str = "ch_contract") -> PurchaseTransaction:
    moved = deepcopy(tx)
    moved.authorize(charge_id, NOW + timedelta(seconds=1))
    moved.record_capture_attempt(NOW + timedelta(seconds=1))
    moved.capture(NOW + timedelta(seconds=1), "captured")
    return moved


async def _opened(uow_factory: UnitOfWorkFactory) -> PurchaseTransaction:
    user_id = await given_user(uow_factory)
    tx = _started(user_id, kind=PurchaseKind.CATALOG, promo_code=None)
    async with uow_factory() as sut:
        await sut.transactions.add(tx, "hash-opened")
        await sut.commit()
    return tx


async def _hash_of(uow_factory: UnitOfWorkFactory, tx_id: str) -> str | None:
    async with uow_factory() as sut:
        hashes = {found.id: sealed for found, sealed in await sut.transactions.integrity_hashes(None, 10_000)}
    return hashes[tx_id]


async def test_a_grant_over_the_state_seen_stores_the_new_state_and_credits_once(
    uow_factory: UnitOfWorkFactory,
) -> None:
    tx = await _opened(uow_factory)
    captured = _captured(tx)

    async with uow_factory() as sut:
        entry = await sut.transactions.grant_if_unchanged(captured, "hash-captured", "hash-opened", _gems(tx), NOW)
        await sut.commit()

    assert entry is not None
    assert (entry.delta, entry.balance_after, entry.ref_id) == (tx.gems, tx.gems, tx.id)
    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) == captured
        assert (await sut.wallets.balances(tx.user_id))[Currency.GEMS] == tx.gems
        assert await sut.wallets.entry_for(_gems(tx)) == entry
    assert await _hash_of(uow_factory, tx.id) == "hash-captured"


async def test_a_grant_over_a_state_that_changed_writes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    tx = await _opened(uow_factory)
    voided = deepcopy(tx)
    voided.void(FailureReason.STALE_AUTO_VOID, NOW + timedelta(seconds=1))
    async with uow_factory() as sut:
        await sut.transactions.update(voided, "hash-voided")
        await sut.commit()

    async with uow_factory() as sut:
        entry = await sut.transactions.grant_if_unchanged(_captured(tx), "hash-captured", "hash-opened", _gems(tx), NOW)
        await sut.commit()

    assert entry is None
    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) == voided
        assert Currency.GEMS not in await sut.wallets.balances(tx.user_id)
        assert await sut.wallets.entry_for(_gems(tx)) is None
    assert await _hash_of(uow_factory, tx.id) == "hash-voided"


@pytest.mark.parametrize(
    "uow_factory", ["memory", "postgres", "postgres-standalone"], indirect=True
)  # SQLite's writers never overlap
async def test_a_grant_racing_a_locked_change_waits_for_it_and_then_writes_nothing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    tx = await _opened(uow_factory)
    locked = asyncio.Event()

    async def void_while_locked() -> None:
        async with uow_factory() as sut:
            stored = await sut.transactions.get_for_update(tx.id)
            assert stored is not None
            locked.set()
            await until_waiting(sut)  # the grant waits for this row
            stored.void(FailureReason.STALE_AUTO_VOID, NOW + timedelta(seconds=1))
            await sut.transactions.update(stored, "hash-voided")
            await sut.commit()

    async def grant() -> object:
        await locked.wait()
        async with uow_factory() as sut:
            entry = await sut.transactions.grant_if_unchanged(
                _captured(tx), "hash-captured", "hash-opened", _gems(tx), NOW
            )
            await sut.commit()
        return entry

    _, entry = await asyncio.gather(void_while_locked(), grant())

    assert entry is None
    async with uow_factory() as sut:
        assert (await sut.transactions.get(tx.id) or tx).status is TxStatus.VOIDED
        assert await sut.wallets.entry_for(_gems(tx)) is None


# --- grant_at_once: the buy's settlement and its events as one write of its own ------------------------------------


def _grant_events(tx: PurchaseTransaction, captured: PurchaseTransaction) -> list[DomainEvent]:
    return [*credit_events(unwritten_entry(_gems(tx), NOW), Grant("purchase")), PurchaseUpdated.of(captured)]


async def _outbox_payloads(pg_url: str, events: list[DomainEvent]) -> dict[str, dict[str, object]]:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT event_type, payload FROM outbox WHERE event_id = ANY($1::varchar[]) ORDER BY position",
            [event.event_id for event in events],
        )
    finally:
        await connection.close()
    return {row["event_type"]: json.loads(row["payload"]) for row in rows}


@pytest.mark.parametrize("uow_factory", ["memory", "sqlite", "postgres", "postgres-standalone"], indirect=True)
async def test_a_grant_at_once_is_written_whole_or_left_to_the_unit_of_work(uow_factory: UnitOfWorkFactory) -> None:
    tx = await _opened(uow_factory)
    captured = _captured(tx, f"ch_{uuid.uuid4().hex}")

    async with uow_factory() as sut:
        granted = await sut.transactions.grant_at_once(
            captured, "hash-captured", "hash-opened", _gems(tx), NOW, _grant_events(tx, captured)
        )

    async with uow_factory() as sut:
        stored, balances = await sut.transactions.get(tx.id), await sut.wallets.balances(tx.user_id)
        ledger_entry = await sut.wallets.entry_for(_gems(tx))
    if granted is None:  # a store without the step: nothing written
        assert (stored, balances.get(Currency.GEMS), ledger_entry) == (tx, None, None)
        return
    entry = granted.entry
    assert not granted.answered  # no answer was held
    assert (entry.delta, entry.balance_after, entry.ref_id) == (tx.gems, tx.gems, tx.id)
    assert (stored, balances[Currency.GEMS], ledger_entry) == (captured, tx.gems, entry)
    assert await _hash_of(uow_factory, tx.id) == "hash-captured"


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
async def test_on_postgres_a_grant_at_once_is_one_statement_with_its_events_and_the_balance_after(
    uow_factory: UnitOfWorkFactory, pg_url: str
) -> None:
    tx = await _opened(uow_factory)
    async with uow_factory() as uow:  # the buyer had gems already: the events carry the balance after the grant
        await uow.wallets.credit(Movement(tx.user_id, Currency.GEMS, 7, "bonus", "bonus", tx.id), NOW)
        await uow.commit()
    captured = _captured(tx, f"ch_{uuid.uuid4().hex}")
    events = _grant_events(tx, captured)

    async def grant() -> None:
        async with uow_factory() as sut:
            await sut.transactions.grant_at_once(captured, "hash-captured", "hash-opened", _gems(tx), NOW, events)

    with instrumented():
        trips = await counted(grant)

    assert trips["statements"] == 1  # no BEGIN, no COMMIT: the statement is its own transaction
    payloads = await _outbox_payloads(pg_url, events)
    assert list(payloads) == ["BalanceChanged", "RewardGranted", "PurchaseUpdated"]
    assert (payloads["BalanceChanged"]["balance_after"], payloads["BalanceChanged"]["delta"]) == (tx.gems + 7, tx.gems)
    assert payloads["PurchaseUpdated"]["status"] == "captured"


def _claimed_recorder(scope: IdempotencyScope, fingerprint: str) -> KeyRecorder[int]:
    """A buy's claimed key whose answer shows the balance after."""
    answer = lambda balance: StoredResponse(200, json.dumps({"ok": True, "balance": balance}).encode())  # noqa: E731
    return KeyRecorder(scope, fingerprint, answer, NOW, IdempotencyPolicy(), claimed=True)


async def _claimed(pg_url: str, scope: IdempotencyScope, fingerprint: str) -> None:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(
            "INSERT INTO idempotency_records (user_id, route, key, fingerprint, state, created_at, expires_at) "
            "VALUES ($1, $2, $3, $4, 'in_flight', $5, $6)",
            *(scope.user_id, scope.route, scope.key, fingerprint, NOW, NOW + timedelta(days=1)),
        )
    finally:
        await connection.close()


async def _record_of(pg_url: str, scope: IdempotencyScope) -> tuple[str, bytes | None]:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await connection.fetchrow(
            "SELECT state, response_body FROM idempotency_records WHERE user_id = $1 AND route = $2 AND key = $3",
            *(scope.user_id, scope.route, scope.key),
        )
    finally:
        await connection.close()
    return row["state"], row["response_body"]


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
@pytest.mark.parametrize("own_claim", [True, False], ids=["own-claim", "claim-taken-over"])
async def test_on_postgres_a_grant_at_once_stores_the_key_s_answer_with_the_balance_after_on_its_own_claim(
    uow_factory: UnitOfWorkFactory, pg_url: str, own_claim: bool
) -> None:
    tx = await _opened(uow_factory)
    scope = IdempotencyScope(tx.user_id, "POST /api/shop/buy", uuid.uuid4().hex)
    await _claimed(pg_url, scope, "f" * 64 if own_claim else "0" * 64)  # another fingerprint: not this request's
    recorder = _claimed_recorder(scope, "f" * 64)
    captured = _captured(tx, f"ch_{uuid.uuid4().hex}")

    async def grant() -> None:
        async with uow_factory() as sut:
            granted.append(
                await sut.transactions.grant_at_once(
                    captured,
                    "hash-captured",
                    "hash-opened",
                    _gems(tx),
                    NOW,
                    _grant_events(tx, captured),
                    recorder.held_answer(lambda balance: balance),
                )
            )

    granted: list[GrantedAtOnce | None] = []
    with instrumented():
        trips = await counted(grant)

    assert trips["statements"] == 1
    assert granted[0] is not None
    assert granted[0].answered is own_claim
    assert await _hash_of(uow_factory, tx.id) == "hash-captured"  # granted either way
    expected = json.dumps({"ok": True, "balance": tx.gems}).encode()
    assert await _record_of(pg_url, scope) == (("completed", expected) if own_claim else ("in_flight", None))


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
async def test_a_grant_at_once_over_a_state_that_changed_writes_nothing(
    uow_factory: UnitOfWorkFactory, pg_url: str
) -> None:
    tx = await _opened(uow_factory)
    voided = deepcopy(tx)
    voided.void(FailureReason.STALE_AUTO_VOID, NOW + timedelta(seconds=1))
    async with uow_factory() as sut:
        await sut.transactions.update(voided, "hash-voided")
        await sut.commit()
    captured = _captured(tx, f"ch_{uuid.uuid4().hex}")
    events = _grant_events(tx, captured)

    with pytest.raises(PurchaseMoved):
        async with uow_factory() as sut:
            await sut.transactions.grant_at_once(captured, "hash-captured", "hash-opened", _gems(tx), NOW, events)

    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) == voided
        assert await sut.wallets.entry_for(_gems(tx)) is None
    assert await _outbox_payloads(pg_url, events) == {}


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
async def test_a_grant_at_once_in_a_begun_transaction_is_left_to_the_unit_of_work(
    uow_factory: UnitOfWorkFactory,
) -> None:
    tx = await _opened(uow_factory)
    captured = _captured(tx, f"ch_{uuid.uuid4().hex}")

    async with uow_factory() as sut:
        await sut.transactions.get_for_update(tx.id)
        entry = await sut.transactions.grant_at_once(
            captured, "hash-captured", "hash-opened", _gems(tx), NOW, _grant_events(tx, captured)
        )

    assert entry is None
    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) == tx
        assert await sut.wallets.entry_for(_gems(tx)) is None


# --- open_unlimited: a buy's open phase in one step -----------------------------------------------------------------


def _plain(user_id: str, **overrides: object) -> PurchaseTransaction:
    """What a usual buy opens: a catalog item, no promo code, no stock to hold."""
    return _started(user_id, kind=PurchaseKind.CATALOG, promo_code=None, **overrides)


async def _outbox_of(pg_url: str, tx_id: str) -> list[str]:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch("SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY position", tx_id)
    finally:
        await connection.close()
    return [row["event_type"] for row in rows]


async def test_an_unlimited_open_stores_the_purchase_or_leaves_it_to_the_checked_way(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id = await given_user(uow_factory)
    tx = _plain(user_id, idempotency_key_hash=key_digest("open-1"))

    async with uow_factory() as sut:
        opened = await sut.transactions.open_unlimited(tx, "hash-opened", [PurchaseUpdated.of(tx)])
        await sut.commit()

    async with uow_factory() as sut:
        stored = await sut.transactions.get(tx.id)
    if opened:
        assert stored == tx
        assert await _hash_of(uow_factory, tx.id) == "hash-opened"
    else:
        assert stored is None


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
async def test_on_postgres_an_unlimited_open_is_one_statement_with_its_event(
    uow_factory: UnitOfWorkFactory, pg_url: str
) -> None:
    user_id = await given_user(uow_factory)
    tx = _plain(user_id)

    async def open_and_commit() -> bool:
        async with uow_factory() as sut:
            opened = await sut.transactions.open_unlimited(tx, "hash-opened", [PurchaseUpdated.of(tx)])
            await sut.commit()
        return opened

    with instrumented():
        trips = await counted(open_and_commit)

    assert trips["statements"] == 1  # no BEGIN, no COMMIT: the statement is its own transaction
    assert await _hash_of(uow_factory, tx.id) == "hash-opened"
    assert await _outbox_of(pg_url, tx.id) == ["PurchaseUpdated"]


async def _limited_by(uow_factory: UnitOfWorkFactory, user_id: str, change: str) -> None:
    async with uow_factory() as uow:
        limits = await uow.limits.lock(user_id)
        if change == "daily limit":
            limits.values["daily_cents"] = 100_000
        elif change == "pending change":
            limits.pending = [PendingChange("play_minutes_daily", 60, NOW + timedelta(days=1))]
        else:
            limits.restriction = Restriction(RestrictionKind.TIME_OUT, NOW - timedelta(days=1))  # over already
        await uow.limits.save(limits)
        await uow.commit()


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
@pytest.mark.parametrize("change", ["daily limit", "pending change", "restriction"])
async def test_a_buyer_with_limits_to_check_gets_nothing_opened_in_one_step(
    uow_factory: UnitOfWorkFactory, pg_url: str, change: str
) -> None:
    user_id = await given_user(uow_factory)
    await _limited_by(uow_factory, user_id, change)
    tx = _plain(user_id)

    async with uow_factory() as sut:
        opened = await sut.transactions.open_unlimited(tx, "hash-opened", [PurchaseUpdated.of(tx)])
        await sut.commit()

    assert not opened
    async with uow_factory() as sut:
        assert await sut.transactions.get(tx.id) is None
    assert await _outbox_of(pg_url, tx.id) == []


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
async def test_an_unlimited_open_of_a_key_that_opened_a_purchase_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    first = _plain(user_id, idempotency_key_hash=key_digest("open-twice"))
    await _stored(uow_factory, first)
    second = _plain(user_id, idempotency_key_hash=key_digest("open-twice"))

    with pytest.raises(PurchaseKeyTaken):
        async with uow_factory() as sut:
            await sut.transactions.open_unlimited(second, "hash-opened", [PurchaseUpdated.of(second)])

    async with uow_factory() as sut:
        assert await sut.transactions.get(second.id) is None


# --- buy_reads: a catalog buy's first reads in one step ---------------------------------------------------------------


def _catalog_item() -> CatalogItem:
    sku = f"c_{uuid.uuid4().hex[:12]}"
    return CatalogItem(sku, "Contract Pack", "for the contract", 1234, "EUR", 321, Rank.PREMIUM, True, 15, NOW)


@pytest.mark.parametrize("with_key", [True, False], ids=["key-used", "key-new"])
async def test_a_buy_s_reads_in_one_step_are_what_the_reads_one_by_one_answer(
    uow_factory: UnitOfWorkFactory, with_key: bool
) -> None:
    user_id = await given_user(uow_factory)
    item = _catalog_item()
    earlier = _plain(user_id, idempotency_key_hash=key_digest("read-me"))
    async with uow_factory() as uow:
        await uow.catalog.add(item, NOW)
        if with_key:
            await uow.transactions.add(earlier)
        await uow.commit()

    async with uow_factory() as sut:
        reads = await sut.transactions.buy_reads(user_id, key_digest("read-me"), item.sku)
    async with uow_factory() as uow:
        one_by_one = BuyReads(
            await uow.transactions.get_by_key(user_id, key_digest("read-me")),
            await uow.users.get(user_id),
            await uow.catalog.get(item.sku),
        )

    assert reads is None or reads == one_by_one
    assert one_by_one.item == item
    assert one_by_one.earlier == (earlier if with_key else None)


@pytest.mark.parametrize("uow_factory", ["postgres", "postgres-standalone"], indirect=True)
async def test_on_postgres_a_buy_s_reads_are_one_statement_and_name_what_is_missing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user_id = await given_user(uow_factory)

    async def read() -> BuyReads | None:
        async with uow_factory() as sut:
            return await sut.transactions.buy_reads(user_id, None, "no_such_sku")

    with instrumented():
        reads: list[BuyReads | None] = []
        trips = await counted(lambda: _append(reads, read()))

    assert trips["statements"] == 1  # no BEGIN or ROLLBACK either
    assert reads[0] is not None
    assert (reads[0].earlier, reads[0].item) == (None, None)
    assert getattr(reads[0].buyer, "id", None) == user_id


async def _append(results: list[BuyReads | None], read: Awaitable[BuyReads | None]) -> None:
    results.append(await read)
