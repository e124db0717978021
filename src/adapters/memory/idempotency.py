"""In-memory idempotency records, with the SQL store's rules (src/adapters/sqla/repositories/idempotency.py).

Calls never await midway, so each claim is atomic on the event loop, as the primary key makes it in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.shared.idempotency import Begin, BeginOutcome, IdempotencyScope, StoredResponse


@dataclass
class _Record:
    fingerprint: str
    created_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None  # set once completed; until then the request is in flight


class InMemoryIdempotencyStore:
    def __init__(self) -> None:
        self._records: dict[IdempotencyScope, _Record] = {}

    async def begin(
        self, scope: IdempotencyScope, fingerprint: str, now: datetime, expires_at: datetime, stale_before: datetime
    ) -> Begin:
        record = self._records.get(scope)
        abandoned = record is not None and (
            record.expires_at <= now or (record.response is None and record.created_at < stale_before)
        )
        if record is None or abandoned:
            self._records[scope] = _Record(fingerprint, now, expires_at)
            return Begin(BeginOutcome.STARTED)
        if record.fingerprint != fingerprint:
            return Begin(BeginOutcome.KEY_REUSED)
        if record.response is None:
            return Begin(BeginOutcome.IN_PROGRESS)
        return Begin(BeginOutcome.REPLAY, record.response)

    async def complete(self, scope: IdempotencyScope, response: StoredResponse) -> None:
        record = self._records.get(scope)
        if record is not None:
            record.response = response

    async def release(self, scope: IdempotencyScope) -> None:
        record = self._records.get(scope)
        if record is not None and record.response is None:
            del self._records[scope]

    async def purge_expired(self, now: datetime) -> int:
        expired = [scope for scope, record in self._records.items() if record.expires_at <= now]
        for scope in expired:
            del self._records[scope]
        return len(expired)
