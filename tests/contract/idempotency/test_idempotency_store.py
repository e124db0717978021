"""Contract of the IdempotencyStore: memory, SQLite and PostgreSQL claim, replay and forget keys alike.

Every test runs once per adapter. The PostgreSQL database is shared by the whole session, so each test claims
keys under a fresh user id; the purge test works in the year 2001, where no other test keeps records.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.application.shared.idempotency import (
    Begin,
    BeginOutcome,
    IdempotencyPolicy,
    IdempotencyScope,
    IdempotencyStore,
    StoredResponse,
)
from tests.support.round_trips import counted, instrumented

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
POLICY = IdempotencyPolicy()  # kept 24 h; in flight for over 2 min means the process died
STARTED, REPLAY = BeginOutcome.STARTED, BeginOutcome.REPLAY
IN_PROGRESS, KEY_REUSED = BeginOutcome.IN_PROGRESS, BeginOutcome.KEY_REUSED
CREATED = StoredResponse(201, b'{"balance": 150}')


def _scope(user_id: str | None = None, route: str = "POST /admin/grants", key: str = "key-1") -> IdempotencyScope:
    return IdempotencyScope(user_id or str(uuid.uuid4()), route, key)


async def _begin(
    sut: IdempotencyStore, scope: IdempotencyScope, fingerprint: str = "a" * 64, at: datetime = NOW
) -> Begin:
    """As `run_idempotent` calls it at `at`."""
    return await sut.begin(scope, fingerprint, at, at + POLICY.retention, at - POLICY.in_flight_timeout)


async def test_the_first_request_starts_and_a_repeat_in_flight_is_in_progress(
    idempotency_store: IdempotencyStore,
) -> None:
    sut, scope = idempotency_store, _scope()

    first = await _begin(sut, scope)
    repeat = await _begin(sut, scope, at=NOW + timedelta(seconds=30))

    assert first == Begin(STARTED)
    assert repeat == Begin(IN_PROGRESS)


async def test_a_completed_request_replays_its_stored_response(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope)

    await sut.complete(scope, CREATED)
    replay = await _begin(sut, scope, at=NOW + timedelta(hours=1))

    assert replay == Begin(REPLAY, CREATED)


@pytest.mark.parametrize("idempotency_store", ["postgres"], indirect=True)
async def test_on_postgres_a_completion_is_one_statement(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope)

    with instrumented():
        trips = await counted(lambda: sut.complete(scope, CREATED))

    assert trips["statements"] == 1  # no BEGIN, no COMMIT: the statement is its own transaction
    assert await _begin(sut, scope, at=NOW + timedelta(hours=1)) == Begin(REPLAY, CREATED)


@pytest.mark.parametrize("completed", [False, True], ids=["in-flight", "completed"])
async def test_the_same_key_with_another_request_is_refused(
    idempotency_store: IdempotencyStore, completed: bool
) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope, "a" * 64)
    if completed:
        await sut.complete(scope, CREATED)

    other = await _begin(sut, scope, "b" * 64)

    assert other == Begin(KEY_REUSED)


async def test_keys_are_scoped_per_user_route_and_key(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope)

    others = [
        _scope(),
        _scope(scope.user_id, route="POST /shop/purchases"),
        _scope(scope.user_id, key="key-2"),
    ]

    assert [await _begin(sut, other) for other in others] == [Begin(STARTED)] * 3


async def test_an_expired_record_is_claimed_anew_and_forgets_its_response(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope, "a" * 64)
    await sut.complete(scope, CREATED)
    expiry = NOW + POLICY.retention

    just_before = await _begin(sut, scope, "a" * 64, at=expiry - timedelta(microseconds=1))
    at_expiry = await _begin(sut, scope, "b" * 64, at=expiry)
    afterwards = await _begin(sut, scope, "b" * 64, at=expiry + timedelta(seconds=1))

    assert just_before == Begin(REPLAY, CREATED)
    assert at_expiry == Begin(STARTED)
    assert afterwards == Begin(IN_PROGRESS)


async def test_a_stale_in_flight_record_is_claimed_anew(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope)
    timeout = POLICY.in_flight_timeout

    at_the_timeout = await _begin(sut, scope, at=NOW + timeout)  # started exactly `stale_before`: not stale yet
    past_it = await _begin(sut, scope, at=NOW + timeout + timedelta(microseconds=1))
    right_after_the_takeover = await _begin(sut, scope, at=NOW + timeout + timedelta(seconds=1))

    assert at_the_timeout == Begin(IN_PROGRESS)
    assert past_it == Begin(STARTED)
    assert right_after_the_takeover == Begin(IN_PROGRESS)


async def test_an_old_completed_record_still_replays(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope)
    await sut.complete(scope, CREATED)

    replay = await _begin(sut, scope, at=NOW + timedelta(hours=23))

    assert replay == Begin(REPLAY, CREATED)


async def test_release_frees_an_in_flight_key(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope, "a" * 64)

    await sut.release(scope)
    retry = await _begin(sut, scope, "b" * 64)

    assert retry == Begin(STARTED)


async def test_release_keeps_a_completed_record(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()
    await _begin(sut, scope)
    await sut.complete(scope, CREATED)

    await sut.release(scope)

    assert await _begin(sut, scope) == Begin(REPLAY, CREATED)


async def test_purge_deletes_exactly_the_expired_records(idempotency_store: IdempotencyStore) -> None:
    sut, user_id = idempotency_store, str(uuid.uuid4())
    early, late = datetime(2001, 1, 1, 10, tzinfo=UTC), datetime(2001, 1, 1, 12, tzinfo=UTC)
    expiring_early, expiring_late = _scope(user_id, key="early"), _scope(user_id, key="late")
    await sut.begin(expiring_early, "a" * 64, early - timedelta(hours=1), early, early - timedelta(hours=2))
    await sut.begin(expiring_late, "a" * 64, early - timedelta(hours=1), late, early - timedelta(hours=2))
    await sut.complete(expiring_late, CREATED)

    first = await sut.purge_expired(early + timedelta(hours=1))
    kept = await sut.begin(expiring_late, "a" * 64, early, late, early - timedelta(days=1))
    second = await sut.purge_expired(late)

    assert (first, second) == (1, 1)
    assert kept == Begin(REPLAY, CREATED)


async def test_concurrent_first_requests_start_exactly_once(idempotency_store: IdempotencyStore) -> None:
    sut, scope = idempotency_store, _scope()

    outcomes = await asyncio.gather(*(_begin(sut, scope) for _ in range(5)))

    assert sorted(begin.outcome.value for begin in outcomes) == ["in_progress"] * 4 + ["started"]
