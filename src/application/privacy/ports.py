"""What the privacy use cases need: the requests and their archives, and every table's rows of one player."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from src.application.identity.ports import ExcludedIdentityRepository
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import UnitOfWork
from src.domain.privacy.model import PersonalValues, PrivacyRequest, RequestKind, RequestStatus, Tombstone


class PrivacyRequestRepository(Protocol):
    async def add(self, request: PrivacyRequest) -> None: ...

    async def get(self, request_id: str) -> PrivacyRequest | None: ...

    async def get_for_update(self, request_id: str) -> PrivacyRequest | None:
        """Locked until the unit of work ends, so one job at a time works on a request."""
        ...

    async def open_of(self, user_id: str, kind: RequestKind) -> PrivacyRequest | None:
        """The player's request of this kind that is still queued or running, if any."""
        ...

    async def update(self, request: PrivacyRequest) -> None: ...

    async def made_since(self, user_id: str, kind: RequestKind, since: datetime) -> list[datetime]:
        """When the player made each request of this kind at or after `since`, oldest first."""
        ...

    async def store_archive(self, request_id: str, archive: bytes) -> None: ...

    async def archive(self, request_id: str) -> bytes | None: ...

    async def expired_exports(self, now: datetime, limit: int) -> list[PrivacyRequest]:
        """Ready exports whose time is up (their archives are still stored)."""
        ...

    async def stalled(self, before: datetime, limit: int) -> list[PrivacyRequest]:
        """Queued or running requests last touched before `before` (their job was lost or died)."""
        ...

    async def search(
        self, kind: RequestKind | None, status: RequestStatus | None, limit: int, after: Position | None
    ) -> Page[PrivacyRequest]:
        """Newest first, by (created_at, id)."""
        ...

    async def add_tombstone(self, tombstone: Tombstone) -> None: ...

    async def erased(self, user_id: str) -> bool:
        """Whether the player already has a tombstone."""
        ...


class PersonalDataStore(Protocol):
    """Every table's rows of one player; which tables, and what erasure does to each, is the adapter's registry."""

    def tables(self) -> Sequence[str]:
        """The tables a player's export reads, in the order it reads them."""
        ...

    async def rows_of(self, user_id: str, table: str) -> list[dict[str, Any]]:
        """The player's rows of `table`, JSON-ready (secrets such as password hashes shown as redacted)."""
        ...

    async def personal_values(self, user_id: str) -> PersonalValues | None:
        """What identifies the player now (None: no such player)."""
        ...

    async def erase(self, user_id: str, personal: PersonalValues) -> dict[str, dict[str, int]]:
        """Delete the player's rows, or pseudonymize those kept (financial records, the account row, the audit
        trail, their erasure requests). Returns per table {"deleted": n} or
        {"pseudonymized": n, "kept": m}."""
        ...


class PrivacyUnitOfWork(UnitOfWork, Protocol):
    @property
    def privacy_requests(self) -> PrivacyRequestRepository: ...

    @property
    def personal_data(self) -> PersonalDataStore: ...

    @property
    def excluded_identities(self) -> ExcludedIdentityRepository: ...
