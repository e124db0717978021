"""Contract of records written inside a unit of work (IdempotencyRecords) and of `remember`: memory, SQLite and
PostgreSQL keep a key's record with its work, refuse a live key, and make a concurrent writer of the key wait.

Every test runs once per adapter, under a fresh user id (the PostgreSQL database is shared by the session).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta

import asyncpg
import pytest

from src.application.shared.idempotency import (
    Begin,
    BeginOutcome,
    IdempotencyPolicy,
    IdempotencyScope,
    KeyEntry,
    StoredResponse,
)
from src.domain.wallet.events import BalanceChanged
from tests.contract.idempotency.conftest import KeyedWork
from tests.contract.idempotency.test_idempotency_store import NOW
from tests.support.contention import until_waiting
from tests.support.round_trips import counted, instrumented

pytestmark = pytest.mark.asyncio

POLICY = IdempotencyPolicy()
SPUN = StoredResponse(200, b'{"spin_id": "s-1", "payout": 50}')
REFUSED = StoredResponse(409, b'{"error": {"code": "INSUFFICIENT_FUNDS"}}')
STARTED, REPLAY, KEY_REUSED = BeginOutcome.STARTED, BeginOutcome.REPLAY, BeginOutcome.KEY_REUSED


def _scope() -> IdempotencyScope:
    return IdempotencyScope(str(uuid.uuid4()), "POST /api/games/slot/spin", "key-1")


def _entry(
    scope: IdempotencyScope, response: StoredResponse = SPUN, fingerprint: str = "a" * 64, at: datetime = NOW
) -> KeyEntry:
    return KeyEntry(scope, fingerprint, response, at, at + POLICY.retention, at - POLICY.in_flight_timeout)


async def _begin(work: KeyedWork, scope: IdempotencyScope, fingerprint: str = "a" * 64, at: datetime = NOW) -> Begin:
    return await work.store.begin(scope, fingerprint, at, at + POLICY.retention, at - POLICY.in_flight_timeout)


async def _remember(
    work: KeyedWork, scope: IdempotencyScope, response: StoredResponse, fingerprint: str = "a" * 64
) -> Begin:
    return await work.store.remember(
        scope, fingerprint, response, NOW, NOW + POLICY.retention, NOW - POLICY.in_flight_timeout
    )


async def _add_and_commit(work: KeyedWork, entry: KeyEntry) -> bool:
    async with work.uow_factory() as uow:
        added = await uow.idempotency_records.add(entry)
        await uow.commit()
    return added


async def test_a_record_committed_with_its_work_is_replayed_and_refused_to_another_request(
    keyed_work: KeyedWork,
) -> None:
    scope = _scope()

    added = await _add_and_commit(keyed_work, _entry(scope))

    assert added is True
    assert await _begin(keyed_work, scope, at=NOW + timedelta(hours=23)) == Begin(REPLAY, SPUN)
    assert await _begin(keyed_work, scope, "b" * 64) == Begin(KEY_REUSED)


async def test_a_record_rolled_back_with_its_work_leaves_the_key_free(keyed_work: KeyedWork) -> None:
    scope = _scope()
    async with keyed_work.uow_factory() as uow:
        assert await uow.idempotency_records.add(_entry(scope)) is True
        # the work fails here: the unit of work ends without a commit

    assert await _begin(keyed_work, scope) == Begin(STARTED)


@pytest.mark.parametrize("first", ["claimed", "added"])
async def test_a_key_holding_a_live_record_is_not_added_again(keyed_work: KeyedWork, first: str) -> None:
    scope = _scope()
    if first == "claimed":
        await _begin(keyed_work, scope)  # in flight, by the claim protocol
    else:
        await _add_and_commit(keyed_work, _entry(scope))

    again = await _add_and_commit(keyed_work, _entry(scope, REFUSED, at=NOW + timedelta(seconds=30)))

    assert again is False
    expected = Begin(BeginOutcome.IN_PROGRESS) if first == "claimed" else Begin(REPLAY, SPUN)
    assert await _begin(keyed_work, scope, at=NOW + timedelta(seconds=31)) == expected


async def test_an_expired_or_abandoned_record_is_replaced(keyed_work: KeyedWork) -> None:
    expired, abandoned = _scope(), _scope()
    await _add_and_commit(keyed_work, _entry(expired))
    await _begin(keyed_work, abandoned)  # in flight, and its process died
    later = NOW + POLICY.retention
    past_the_timeout = NOW + POLICY.in_flight_timeout + timedelta(microseconds=1)

    replaced = [
        await _add_and_commit(keyed_work, _entry(expired, REFUSED, "b" * 64, at=later)),
        await _add_and_commit(keyed_work, _entry(abandoned, REFUSED, at=past_the_timeout)),
    ]

    assert replaced == [True, True]
    assert await _begin(keyed_work, expired, "b" * 64, at=later) == Begin(REPLAY, REFUSED)
    assert await _begin(keyed_work, abandoned, at=past_the_timeout) == Begin(REPLAY, REFUSED)


@pytest.mark.parametrize("first_ends_with", ["commit", "rollback"])
async def test_a_concurrent_add_of_the_key_waits_for_the_first_transaction(
    keyed_work: KeyedWork, first_ends_with: str
) -> None:
    scope = _scope()

    async with keyed_work.uow_factory() as uow:
        await uow.idempotency_records.add(_entry(scope))
        racing = asyncio.create_task(_add_and_commit(keyed_work, _entry(scope, REFUSED)))
        await until_waiting(uow)
        if first_ends_with == "commit":
            await uow.commit()
    second_added = await racing

    assert second_added is (first_ends_with == "rollback")
    winner = SPUN if first_ends_with == "commit" else REFUSED
    assert await _begin(keyed_work, scope) == Begin(REPLAY, winner)


async def test_remember_stores_a_response_once_and_then_reports_the_key(keyed_work: KeyedWork) -> None:
    scope = _scope()

    first = await _remember(keyed_work, scope, REFUSED)
    same_request = await _remember(keyed_work, scope, SPUN)
    other_request = await _remember(keyed_work, scope, SPUN, "b" * 64)

    assert (first, same_request, other_request) == (Begin(STARTED), Begin(REPLAY, REFUSED), Begin(KEY_REUSED))
    assert await _begin(keyed_work, scope) == Begin(REPLAY, REFUSED)


async def test_remember_waits_for_a_unit_of_work_adding_the_key_and_reports_its_record(keyed_work: KeyedWork) -> None:
    scope = _scope()

    async with keyed_work.uow_factory() as uow:
        await uow.idempotency_records.add(_entry(scope))
        racing = asyncio.create_task(_remember(keyed_work, scope, REFUSED))
        await until_waiting(uow)
        await uow.commit()

    assert await racing == Begin(REPLAY, SPUN)


async def _complete_and_commit(work: KeyedWork, entry: KeyEntry, *, commit: bool = True) -> bool:
    async with work.uow_factory() as uow:
        completed = await uow.idempotency_records.complete(entry)
        if commit:
            await uow.commit()
    return completed


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "rolled-back"])
async def test_a_claim_completed_in_a_unit_of_work_is_replayed_once_committed(
    keyed_work: KeyedWork, commit: bool
) -> None:
    scope = _scope()
    await _begin(keyed_work, scope)

    completed = await _complete_and_commit(keyed_work, _entry(scope), commit=commit)

    assert completed is True
    expected = Begin(REPLAY, SPUN) if commit else Begin(BeginOutcome.IN_PROGRESS)
    assert await _begin(keyed_work, scope, at=NOW + timedelta(seconds=1)) == expected


async def test_only_the_request_s_own_claim_is_completed(keyed_work: KeyedWork) -> None:
    taken_over, other_request, done = _scope(), _scope(), _scope()
    past_the_timeout = NOW + POLICY.in_flight_timeout + timedelta(microseconds=1)
    for scope in (taken_over, other_request, done):
        await _begin(keyed_work, scope)
    await _begin(keyed_work, taken_over, at=past_the_timeout)  # another request claimed it anew
    await keyed_work.store.complete(done, REFUSED)

    completed = [
        await _complete_and_commit(keyed_work, _entry(taken_over)),
        await _complete_and_commit(keyed_work, _entry(other_request, fingerprint="b" * 64)),
        await _complete_and_commit(keyed_work, _entry(done)),
    ]

    assert completed == [False, False, False]
    assert await _begin(keyed_work, taken_over, at=past_the_timeout) == Begin(BeginOutcome.IN_PROGRESS)
    assert await _begin(keyed_work, done) == Begin(REPLAY, REFUSED)


@pytest.mark.parametrize("keyed_work", ["memory", "postgres"], indirect=True)  # SQLite: writers never overlap
async def test_a_key_held_by_a_running_transaction_is_refused_at_once_and_free_once_it_ends(
    keyed_work: KeyedWork,
) -> None:
    scope, other_key = _scope(), _scope()

    async with keyed_work.uow_factory() as first:
        assert await first.idempotency_records.hold(scope) is True
        assert await first.idempotency_records.hold(scope) is True  # its own transaction holds it already
        async with keyed_work.uow_factory() as second:
            while_running = await asyncio.wait_for(second.idempotency_records.hold(scope), timeout=5)
            other = await second.idempotency_records.hold(other_key)
    async with keyed_work.uow_factory() as third:
        after_it_ended = await third.idempotency_records.hold(scope)

    assert (while_running, other, after_it_ended) == (False, True, True)


@pytest.mark.parametrize("keyed_work", ["sqlite"], indirect=True)
async def test_on_sqlite_holding_a_key_always_succeeds(keyed_work: KeyedWork) -> None:
    """SQLite takes its write lock at BEGIN, so a second writer of the key waits for the first to end instead."""
    scope = _scope()
    async with keyed_work.uow_factory() as uow:
        held = await uow.idempotency_records.hold(scope)

    assert held is True


def _balance_changed(scope: IdempotencyScope, delta: int) -> BalanceChanged:
    return BalanceChanged(
        aggregate_id=scope.user_id, occurred_at=NOW, currency="GEMS", delta=delta, balance_after=delta, reason="test"
    )


async def _outbox_deltas(pg_url: str, user_id: str) -> list[int]:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT payload FROM outbox WHERE aggregate_id = $1 AND event_type = 'BalanceChanged' ORDER BY position",
            user_id,
        )
    finally:
        await connection.close()
    return [json.loads(row["payload"])["delta"] for row in rows]


@pytest.mark.parametrize("keyed_work", ["postgres"], indirect=True)
@pytest.mark.parametrize("commit", [True, False], ids=["committed", "rolled-back"])
async def test_on_postgres_a_completion_carries_the_work_s_events_in_its_statement(
    keyed_work: KeyedWork, pg_url: str, commit: bool
) -> None:
    scope = _scope()
    await _begin(keyed_work, scope)

    async def work() -> None:
        async with keyed_work.uow_factory() as uow:
            uow.record(_balance_changed(scope, 1))
            uow.record(_balance_changed(scope, 2))
            assert await uow.idempotency_records.complete(_entry(scope))
            uow.record(_balance_changed(scope, 3))  # after the completion: written at the commit
            if commit:
                await uow.commit()

    with instrumented():
        trips = await counted(work)

    # BEGIN, the completion with the events before it, the outbox insert of the one after it, COMMIT
    assert trips["statements"] == (4 if commit else 3)
    assert await _outbox_deltas(pg_url, scope.user_id) == ([1, 2, 3] if commit else [])


@pytest.mark.parametrize("keyed_work", ["postgres"], indirect=True)
async def test_on_postgres_a_claim_no_longer_the_request_s_still_commits_the_work_s_events(
    keyed_work: KeyedWork, pg_url: str
) -> None:
    scope = _scope()
    await _begin(keyed_work, scope)
    await _begin(keyed_work, scope, at=NOW + POLICY.in_flight_timeout + timedelta(microseconds=1))  # taken over

    async with keyed_work.uow_factory() as uow:
        uow.record(_balance_changed(scope, 5))
        completed = await uow.idempotency_records.complete(_entry(scope))
        await uow.commit()

    assert completed is False
    assert await _outbox_deltas(pg_url, scope.user_id) == [5]
