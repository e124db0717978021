"""Idempotent execution of money-moving requests (API.md conventions).

A key is scoped per user and route; the first request with it runs, a repeat with the same request
gets the stored answer back, a repeat with a different request is refused, and a repeat while the
first is still running is told so. Failures on our side (5xx) release the key so a retry can run, and so does
an answer that is not final yet (a purchase still pending after its first request died): the retry asks again.
A record abandoned by a dead process is claimed anew, so an operation that must not apply twice keys its effect
by the idempotency key itself (a purchase stores it, a reward derives its id from it, a grant its ledger reference).

Work done in one transaction (a spin, a pull) skips the claim: its use case writes the completed record in that
transaction (`KeyRecorder`), so the record and the work are committed together or not at all (`run_in_work`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from src.application.shared.ports import Clock
from src.domain.shared.errors import DomainError, InvalidInput

MAX_KEY_LENGTH = 255
ResultT = TypeVar("ResultT")


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "this Idempotency-Key was used with a different request"


class IdempotencyInProgress(DomainError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    default_message = "a request with this Idempotency-Key is still being processed"


@dataclass(frozen=True)
class IdempotencyScope:
    user_id: str
    route: str
    key: str


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    final: bool = True  # False: answered now but not stored under the key


class BeginOutcome(Enum):
    STARTED = "started"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    KEY_REUSED = "key_reused"


@dataclass(frozen=True)
class Begin:
    outcome: BeginOutcome
    stored: StoredResponse | None = None


class IdempotencyStore(Protocol):
    async def begin(
        self, scope: IdempotencyScope, fingerprint: str, now: datetime, expires_at: datetime, stale_before: datetime
    ) -> Begin:
        """Claim the key (durably, before the work runs) or report what is already known about it.

        An expired record, or an in-flight one started before `stale_before` (its process died), is claimed anew.
        """
        ...

    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None: ...

    async def remember(
        self,
        scope: IdempotencyScope,
        fingerprint: str,
        response: StoredResponse,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> Begin:
        """Store a completed record in a transaction of its own, unless the key holds a live one: Begin(STARTED)
        when stored, else what the key holds (as `begin` reports it). Waits for a transaction adding the key."""
        ...

    async def release(self, scope: IdempotencyScope) -> None: ...

    async def purge_expired(self, now: datetime) -> int: ...


@dataclass(frozen=True)
class KeyEntry:
    """A completed record as a unit of work writes it; an expired or abandoned record under the key is replaced."""

    scope: IdempotencyScope
    fingerprint: str
    response: StoredResponse
    created_at: datetime
    expires_at: datetime
    stale_before: datetime


@dataclass(frozen=True)
class HeldAnswer:
    """A claim's completion whose answer holds one number only the work's own write knows (a balance after): the
    stored body is `head`, the number in decimal, then `tail`. The store writes it with the work, on the request's
    own claim only (in flight since `entry.created_at`, same fingerprint); `entry.response.body` is unused."""

    entry: KeyEntry
    head: bytes
    tail: bytes

    def body(self, number: int) -> bytes:
        return self.head + str(number).encode() + self.tail


# stands for the number in a held answer: digits no answer's other fields hold (one occurrence, checked)
HELD_NUMBER = -7_330_019_557_104_862_291


class IdempotencyRecords(Protocol):
    async def hold(self, scope: IdempotencyScope) -> bool:
        """Take the key for the unit of work's transaction without waiting; False when another transaction holds it
        (a request with this key is still running)."""
        ...

    async def add(self, entry: KeyEntry) -> bool:
        """Write the record in the unit of work's transaction; False when the key holds a live record. A concurrent
        add of the same key waits until this transaction ends (as a unique index makes it in SQL)."""
        ...

    async def complete(self, entry: KeyEntry) -> bool:
        """Store the answer on the request's own claim (in flight since `entry.created_at`, same fingerprint) in the
        unit of work's transaction; False when the claim is no longer the request's (taken over as abandoned)."""
        ...


class HasIdempotencyRecords(Protocol):
    @property
    def idempotency_records(self) -> IdempotencyRecords: ...


class KeyAlreadyRecorded(Exception):
    """The key holds another request's record: the work that found it must roll back (its exception does)."""


@dataclass(frozen=True)
class IdempotencyPolicy:
    retention: timedelta = timedelta(hours=24)
    in_flight_timeout: timedelta = timedelta(minutes=2)


def check_key(key: str | None, *, required: bool, field: str = "Idempotency-Key", source: str = "header") -> str | None:
    """None when no key was sent; a key that is present must be 1-255 characters (an empty one is not "none")."""
    if key is None:
        if required:
            raise InvalidInput(
                "an Idempotency-Key header is required",
                details={"fields": [{"key": field, "message": "required", "source": source}]},
            )
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        problem = "too long" if key else "empty"
        raise InvalidInput(
            "Idempotency-Key must be 1-255 characters",
            details={"fields": [{"key": field, "message": problem, "source": source}]},
        )
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """Same method, path and JSON body (key order and whitespace aside) → same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


async def run_idempotent(
    store: IdempotencyStore,
    clock: Clock,
    policy: IdempotencyPolicy,
    scope: IdempotencyScope,
    request_fingerprint: str,
    operation: Callable[[], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    """Run `operation` at most once per scope; returns (response, replayed)."""
    return await run_claimed(store, clock, policy, scope, request_fingerprint, None, lambda _: operation())


async def run_claimed(
    store: IdempotencyStore,
    clock: Clock,
    policy: IdempotencyPolicy,
    scope: IdempotencyScope,
    request_fingerprint: str,
    answer: Callable[[ResultT], StoredResponse] | None,
    operation: Callable[[KeyRecorder[ResultT] | None], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    """`run_idempotent` whose operation may store its answer on the claim in its own last transaction (given an
    `answer`, it gets a claimed KeyRecorder): no transaction of its own to complete the key then."""
    now = clock.now()
    begin = await store.begin(scope, request_fingerprint, now, now + policy.retention, now - policy.in_flight_timeout)
    if (earlier := _earlier_answer(begin)) is not None:
        return earlier, True
    recorder = None if answer is None else KeyRecorder(scope, request_fingerprint, answer, now, policy, claimed=True)
    try:
        response = await operation(recorder)
    except BaseException:
        await store.release(scope)
        raise
    if recorder is not None and recorder.recorded is not None:
        return response, False
    if response.status_code >= 500 or not response.final:
        await store.release(scope)
    else:
        await store.complete(scope, response)
    return response, False


class KeyRecorder(Generic[ResultT]):
    """Given to a use case so its answer is stored under the key in its own (last) transaction, as its last write
    before the commit (a concurrent request with the key then waits on it, holding nothing we need).

    Unclaimed (`run_in_work`): the record is added, or KeyAlreadyRecorded raised. Claimed (`run_claimed`, `now` is the
    claim's time): the claim is completed, and an answer not stored (not final, or the claim was taken over) is
    left to `run_claimed`, so the work commits whatever happens to the record."""

    def __init__(
        self,
        scope: IdempotencyScope,
        fingerprint: str,
        answer: Callable[[ResultT], StoredResponse],
        now: datetime,
        policy: IdempotencyPolicy,
        *,
        claimed: bool = False,
    ) -> None:
        self._scope, self._fingerprint, self._answer = scope, fingerprint, answer
        self._now, self._policy, self._claimed = now, policy, claimed
        self.recorded: StoredResponse | None = None
        self._held: HeldAnswer | None = None

    def held_answer(self, result_with: Callable[[int], ResultT]) -> HeldAnswer | None:
        """Claimed: the answer of `result_with(number)` for a number the work's last write learns, for a store that
        completes the claim in that write (`answered_with` once it did). None when the answer is not stored (not
        final, a 5xx) or the number's place cannot be told."""
        self._held = None
        if not self._claimed:
            return None
        response = self._answer(result_with(HELD_NUMBER))
        head, found, tail = response.body.partition(str(HELD_NUMBER).encode())
        if not response.final or response.status_code >= 500 or not found or str(HELD_NUMBER).encode() in tail:
            return None
        now, policy = self._now, self._policy
        entry = KeyEntry(
            self._scope, self._fingerprint, response, now, now + policy.retention, now - policy.in_flight_timeout
        )
        self._held = HeldAnswer(entry, head, tail)
        return self._held

    def answered_with(self, number: int) -> None:
        """The store completed the claim with the last `held_answer` and `number` in the work's write."""
        if self._held is None:
            raise ValueError("no answer is held")
        self.recorded = StoredResponse(self._held.entry.response.status_code, self._held.body(number))

    async def hold(self, records: IdempotencyRecords) -> None:
        """First thing in the work's transaction (before it locks anything): a request with this key still running
        is answered 409 IDEMPOTENCY_IN_PROGRESS at once, as the contract says, rather than waiting for it and
        replaying. Claimed: the claim already says so."""
        if not self._claimed and not await records.hold(self._scope):
            raise IdempotencyInProgress

    async def record(self, records: IdempotencyRecords, result: ResultT) -> None:
        """Unclaimed: raises KeyAlreadyRecorded (the caller rolls back) when another request's record holds the key."""
        response = self._answer(result)
        now, policy = self._now, self._policy
        entry = KeyEntry(
            self._scope, self._fingerprint, response, now, now + policy.retention, now - policy.in_flight_timeout
        )
        if self._claimed:
            if response.final and response.status_code < 500 and await records.complete(entry):
                self.recorded = response
            return
        if not await records.add(entry):
            raise KeyAlreadyRecorded
        self.recorded = response


def _earlier_answer(known: Begin) -> StoredResponse | None:
    """What the key already says: its stored answer (a replay), a refusal raised (in progress, reused with another
    body), or None when this request holds it."""
    if known.outcome is BeginOutcome.REPLAY and known.stored is not None:
        return known.stored
    if known.outcome is BeginOutcome.IN_PROGRESS:
        raise IdempotencyInProgress
    if known.outcome is BeginOutcome.KEY_REUSED:
        raise IdempotencyKeyReused
    return None


def _settled(known: Begin, response: StoredResponse) -> tuple[StoredResponse, bool]:
    earlier = _earlier_answer(known)
    return (response, False) if earlier is None else (earlier, True)


async def run_in_work(
    store: IdempotencyStore,
    clock: Clock,
    policy: IdempotencyPolicy,
    scope: IdempotencyScope,
    request_fingerprint: str,
    answer: Callable[[ResultT], StoredResponse],
    operation: Callable[[KeyRecorder[ResultT] | None], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    """`run_idempotent` for an operation that records the key in its own transaction; returns (response, replayed).

    A repeat of the key finds the first request's record (or its play) and rolls back; a refusal, whose work rolled
    back, is remembered afterwards unless the key holds a record by then; with the key held, `run_idempotent` decides.
    """
    recorder = KeyRecorder(scope, request_fingerprint, answer, clock.now(), policy)
    try:
        response = await operation(recorder)
    except KeyAlreadyRecorded:
        return await run_idempotent(store, clock, policy, scope, request_fingerprint, lambda: operation(None))
    if recorder.recorded is not None or response.status_code >= 500 or not response.final:
        return response, False
    now = clock.now()
    known = await store.remember(
        scope, request_fingerprint, response, now, now + policy.retention, now - policy.in_flight_timeout
    )
    return _settled(known, response)
