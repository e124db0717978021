"""In-memory idempotency records, with the SQL store's rules (src/adapters/sqla/repositories/idempotency.py).

The store's calls hold the key's row lock while they look and write, so a call waits for a unit of work that is
adding the same key (`InMemoryIdempotencyRecords`) until it ends, as a unique index makes it wait in SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.identity import RowLocks, Workspace
from src.application.shared.idempotency import Begin, BeginOutcome, IdempotencyScope, KeyEntry, StoredResponse

TABLE = "idempotency_records"


@dataclass
class _Record:
    fingerprint: str
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None  # set once completed; until then the request is in flight

    def abandoned(self, now: datetime, stale_before: datetime) -> bool:
        return self.expires_at <= now or (self.response is None and self.created_at < stale_before)

    def known(self, fingerprint: str) -> Begin:
        if self.fingerprint != fingerprint:
            return Begin(BeginOutcome.KEY_REUSED)
        if self.response is None:
            return Begin(BeginOutcome.IN_PROGRESS)
        return Begin(BeginOutcome.REPLAY, self.response)


@dataclass
class IdempotencyTables:
    idempotency_records: dict[IdempotencyScope, _Record] = field(default_factory=dict)


class InMemoryIdempotencyStore:
    """Over the tables and row locks of an `InMemoryStore` when units of work add records too, else its own."""

    def __init__(self, tables: IdempotencyTables | None = None, row_locks: RowLocks | None = None) -> None:
        self._records = (tables or IdempotencyTables()).idempotency_records
        self._row_locks = row_locks or RowLocks()

    @asynccontextmanager
    async def _locked(self, scope: IdempotencyScope) -> AsyncIterator[None]:
        await self._row_locks.acquire((TABLE, scope))
        try:
            yield
        finally:
            self._row_locks.release((TABLE, scope))

    async def begin(
        self, scope: IdempotencyScope, fingerprint: str, now: datetime, expires_at: datetime, stale_before: datetime
    ) -> Begin:
        async with self._locked(scope):
            record = self._records.get(scope)
            if record is None or record.abandoned(now, stale_before):
                self._records[scope] = _Record(fingerprint, now, expires_at)
                return Begin(BeginOutcome.STARTED)
            return record.known(fingerprint)

    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None:
        record = self._records.get(scope)
        if record is not None:
            record.response = response

    async def remember(
        self,
        scope: IdempotencyScope,
        fingerprint: str,
        response: StoredResponse,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> Begin:
        async with self._locked(scope):
            record = self._records.get(scope)
            if record is None or record.abandoned(now, stale_before):
                self._records[scope] = _Record(fingerprint, now, expires_at, response)
                return Begin(BeginOutcome.STARTED)
            return record.known(fingerprint)

    async def release(self, scope: IdempotencyScope) -> None:
        record = self._records.get(scope)
        if record is not None and record.response is None:
            del self._records[scope]

    async def purge_expired(self, now: datetime) -> int:
        expired = [scope for scope, record in self._records.items() if record.expires_at <= now]
        for scope in expired:
            del self._records[scope]
        return len(expired)


class InMemoryIdempotencyRecords:
    """Records a unit of work adds: published with its commit, the key's row lock held until it ends."""

    def __init__(self, workspace: Workspace[IdempotencyTables]) -> None:
        self._workspace = workspace

    async def hold(self, scope: IdempotencyScope) -> bool:
        return await self._workspace.try_lock_row(TABLE, scope)

    async def add(self, entry: KeyEntry) -> bool:
        await self._workspace.lock_row(TABLE, entry.scope)
        records = self._workspace.working.idempotency_records
        current = records.get(entry.scope)
        if current is not None and not current.abandoned(entry.created_at, entry.stale_before):
            return False
        records[entry.scope] = _Record(entry.fingerprint, entry.created_at, entry.expires_at, entry.response)
        return True

    async def complete(self, entry: KeyEntry) -> bool:
        await self._workspace.lock_row(TABLE, entry.scope)
        claim = self._workspace.working.idempotency_records.get(entry.scope)
        if claim is None or claim.response is not None:
            return False
        if (claim.created_at, claim.fingerprint) != (entry.created_at, entry.fingerprint):
            return False
        claim.response = entry.response
        return True
