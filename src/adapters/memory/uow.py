"""In-memory unit of work: changes staged in the block become visible only on commit.

Several units of work may share one `InMemoryStore` (one process, asyncio). Each works on its own copy
taken on entry; `commit` publishes the rows it added or changed (last commit wins per row) and appends
the recorded events to `store.outbox`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from src.adapters.memory.identity import (
    IdentityTables,
    InMemoryAuditLogRepository,
    InMemoryInviteCodeRepository,
    InMemorySessionRepository,
    InMemoryUserRepository,
    Workspace,
)
from src.domain.shared.events import DomainEvent


class InMemoryStore:
    """The committed state every unit of work over it shares: tables and the outbox."""

    def __init__(self) -> None:
        self.tables = IdentityTables()
        self.outbox: list[DomainEvent] = []
        # taken by commit, rollback and the two atomic writes (invite consume, refresh spend)
        self.lock = asyncio.Lock()


class InMemoryUnitOfWork:
    users: InMemoryUserRepository
    invites: InMemoryInviteCodeRepository
    sessions: InMemorySessionRepository
    audit: InMemoryAuditLogRepository

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._workspace: Workspace | None = None
        self._events: list[DomainEvent] = []

    def _begin(self) -> None:
        workspace = self._workspace = Workspace(self.store.tables, self.store.lock)
        self.users = InMemoryUserRepository(workspace)
        self.invites = InMemoryInviteCodeRepository(workspace)
        self.sessions = InMemorySessionRepository(workspace)
        self.audit = InMemoryAuditLogRepository(workspace)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            raise RuntimeError("the unit of work is used outside its `async with` block")
        return self._workspace

    async def __aenter__(self) -> Self:
        self._events = []
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        workspace, self._workspace = self._workspace, None
        self._events = []
        if workspace is not None:
            async with self.store.lock:
                workspace.discard()

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        workspace = self.workspace
        events, self._events = self._events, []
        async with self.store.lock:
            workspace.publish()
            self.store.outbox.extend(events)
        self._begin()

    async def rollback(self) -> None:
        workspace = self.workspace
        self._events = []
        async with self.store.lock:
            workspace.discard()
        self._begin()
