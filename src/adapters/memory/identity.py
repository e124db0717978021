"""In-memory identity repositories: the unit-test twins of the SQL ones, over one unit of work's tables.

Rows go in and come out as copies, so mutating a returned object changes nothing until `update`. The
working-copy machinery (`Workspace`, `RowLocks`) lives here too and serves every in-memory context.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Hashable, Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from src.application.identity.ports import RefreshOutcome, RefreshSpend, UserQuery
from src.application.shared.audit import AuditQuery
from src.application.shared.pagination import Page, Position, encode_cursor
from src.domain.identity.errors import NicknameTaken, SiteIdTaken
from src.domain.identity.model import InviteCode, Session, User
from src.domain.identity.policies import nickname_key
from src.domain.shared.audit import AuditEntry

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
TablesT = TypeVar("TablesT", bound="DataclassInstance")


@dataclass
class StoredRefreshToken:
    token_hash: str
    session_id: str
    created_at: datetime
    spent_at: datetime | None = None


@dataclass
class IdentityTables:
    users: dict[str, User] = field(default_factory=dict)
    invites: dict[str, InviteCode] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, StoredRefreshToken] = field(default_factory=dict)
    audit: dict[str, AuditEntry] = field(default_factory=dict)
    excluded_identities: dict[str, datetime] = field(default_factory=dict)  # digest → end of the exclusion


class RowLocks:
    """The row locks of one store: a writer waits for the row as PostgreSQL makes it wait, until the holder ends."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}  # row → (lock, holders and waiters)

    async def acquire(self, row: Hashable) -> None:
        lock, users = self._locks.get(row, (asyncio.Lock(), 0))
        self._locks[row] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._forget(row)
            raise

    async def try_acquire(self, row: Hashable) -> bool:
        """Take the row only if nobody holds or waits for it (a fresh lock: taking it does not wait)."""
        if row in self._locks:
            return False
        await self.acquire(row)
        return True

    def release(self, row: Hashable) -> None:
        self._locks[row][0].release()
        self._forget(row)

    def _forget(self, row: Hashable) -> None:
        lock, users = self._locks[row]
        if users == 1:
            del self._locks[row]
        else:
            self._locks[row] = (lock, users - 1)


@dataclass
class Workspace(Generic[TablesT]):
    """One unit of work's view: a working copy over a snapshot (`baseline`) of the `committed` tables.

    Invite consumption and refresh-token spending write to `committed` at once (under `lock`), as a row
    lock would decide them in SQL; `undo` gives them back on rollback. Rows taken with `lock_row` stay
    locked until the unit of work ends, and are read as last committed, like an UPDATE reads them.
    """

    committed: TablesT
    lock: asyncio.Lock
    row_locks: RowLocks
    baseline: TablesT = field(init=False)
    working: TablesT = field(init=False)
    undo: list[Callable[[], None]] = field(default_factory=list)
    held: list[Hashable] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.baseline = deepcopy(self.committed)
        self.working = deepcopy(self.baseline)

    def publish(self) -> None:
        """Write every row this unit of work added or changed; rows it did not touch stay as committed."""
        for table in fields(self.committed):
            baseline, working = getattr(self.baseline, table.name), getattr(self.working, table.name)
            committed = getattr(self.committed, table.name)
            for key, row in working.items():
                if baseline.get(key) != row:
                    committed[key] = deepcopy(row)
        self.undo.clear()
        self._release_rows()

    def discard(self) -> None:
        for give_back in reversed(self.undo):
            give_back()
        self.undo.clear()
        self._release_rows()

    def settled(self, table: str, key: Any, row: Any) -> None:
        """A row written to `committed` directly is already published: keep it out of `publish`'s diff."""
        getattr(self.working, table)[key] = deepcopy(row)
        getattr(self.baseline, table)[key] = deepcopy(row)

    def holds(self, table: str, key: Hashable) -> bool:
        return (table, key) in self.held

    async def lock_row(self, table: str, key: Hashable) -> None:
        """Wait until no other unit of work holds the row, then see its last committed version (or absence)."""
        if self.holds(table, key):
            return
        await self.row_locks.acquire((table, key))
        self._locked(table, key)

    async def try_lock_row(self, table: str, key: Hashable) -> bool:
        """As `lock_row` when no other unit of work holds the row; False at once when one does."""
        if self.holds(table, key):
            return True
        if not await self.row_locks.try_acquire((table, key)):
            return False
        self._locked(table, key)
        return True

    def _locked(self, table: str, key: Hashable) -> None:
        self.held.append((table, key))
        committed = getattr(self.committed, table).get(key)
        for copy in (self.working, self.baseline):
            rows = getattr(copy, table)
            if committed is None:
                rows.pop(key, None)
            else:
                rows[key] = deepcopy(committed)

    def _release_rows(self) -> None:
        for row in self.held:
            self.row_locks.release(row)
        self.held.clear()


def newest_first_page(
    rows: Iterable[T], key: Callable[[T], tuple[datetime, str]], limit: int, after: Position | None
) -> Page[T]:
    """Newest first by (created_at, id), like the SQL keyset pagination."""
    ordered = sorted(rows, key=key, reverse=True)
    if after is not None:
        ordered = [row for row in ordered if key(row) < (after.created_at, after.id)]
    kept = ordered[:limit]
    next_cursor = encode_cursor(Position(*key(kept[-1]))) if len(ordered) > limit and kept else None
    return Page([deepcopy(row) for row in kept], next_cursor)


class InMemoryUserRepository:
    def __init__(self, workspace: Workspace[IdentityTables]) -> None:
        self._workspace = workspace

    def _check_unique(self, user: User) -> None:
        # rows committed by others since the snapshot count too, as a unique index would see them
        visible = {**self._workspace.committed.users, **self._workspace.working.users}
        others = [other for other in visible.values() if other.id != user.id]
        if any(other.site_id == user.site_id for other in others):
            raise SiteIdTaken
        if any(nickname_key(other.nickname) == nickname_key(user.nickname) for other in others):
            raise NicknameTaken

    async def add(self, user: User) -> None:
        if user.id in self._workspace.working.users:
            raise ValueError(f"user {user.id} already exists")
        self._check_unique(user)
        self._workspace.working.users[user.id] = deepcopy(user)

    async def get(self, user_id: str) -> User | None:
        return deepcopy(self._workspace.working.users.get(user_id))

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        users = self._workspace.working.users
        return {user_id: deepcopy(users[user_id]) for user_id in user_ids if user_id in users}

    async def get_for_update(self, user_id: str) -> User | None:
        await self._workspace.lock_row("users", user_id)
        return await self.get(user_id)

    async def by_site_id(self, site_id: str) -> User | None:
        found = (user for user in self._workspace.working.users.values() if user.site_id == site_id)
        return deepcopy(next(found, None))

    async def nicknames(self, user_ids: Sequence[str]) -> dict[str, str]:
        users = self._workspace.working.users
        return {user_id: users[user_id].nickname for user_id in user_ids if user_id in users}

    async def update(self, user: User) -> None:
        if user.id in self._workspace.working.users:
            self._check_unique(user)
            self._workspace.working.users[user.id] = deepcopy(user)

    async def raise_vip_tier(self, user_id: str, tier: int) -> bool:
        """Like `UPDATE … WHERE vip_tier < :tier`: the row is locked and checked as last committed."""
        await self._workspace.lock_row("users", user_id)
        user = self._workspace.working.users.get(user_id)
        if user is None or user.vip_tier >= tier:
            return False
        user.vip_tier = tier
        return True

    async def search(self, query: UserQuery, limit: int, after: Position | None) -> Page[User]:
        rows = (deepcopy(user) for user in self._workspace.working.users.values() if _user_matches(user, query))
        return newest_first_page(rows, lambda user: (user.created_at, user.id), limit, after)


def _user_matches(user: User, query: UserQuery) -> bool:
    text = query.text
    found = not text or (
        user.id == text or text.lower() in user.site_id.lower() or nickname_key(text) in nickname_key(user.nickname)
    )
    return (
        found
        and (user.deleted_at is not None) == query.deleted
        and (query.rank is None or user.rank is query.rank)
        and (query.status is None or user.status is query.status)
    )


def _usable(invite: InviteCode, now: datetime) -> bool:
    unexpired = invite.expires_at is None or invite.expires_at > now
    return unexpired and (invite.max_uses is None or invite.use_count < invite.max_uses)


class InMemoryInviteCodeRepository:
    def __init__(self, workspace: Workspace[IdentityTables]) -> None:
        self._workspace = workspace

    async def add(self, invite: InviteCode) -> None:
        if invite.code in self._workspace.working.invites:
            raise ValueError(f"invite code {invite.code} already exists")
        self._workspace.working.invites[invite.code] = deepcopy(invite)

    async def get(self, code: str) -> InviteCode | None:
        return deepcopy(self._workspace.working.invites.get(code))

    async def consume(self, code: str, now: datetime) -> bool:
        async with self._workspace.lock:
            committed = self._workspace.committed.invites.get(code)
            # a committed row is decided in the shared store; one added by this unit of work, in its copy
            invite = committed if committed is not None else self._workspace.working.invites.get(code)
            if invite is None or not _usable(invite, now):
                return False
            invite.use_count += 1
            if committed is not None:
                self._workspace.undo.append(lambda: self._give_back(code))
                self._workspace.settled("invites", code, committed)
            return True

    def _give_back(self, code: str) -> None:
        self._workspace.committed.invites[code].use_count -= 1

    async def list(self, limit: int, after: Position | None) -> Page[InviteCode]:
        return newest_first_page(
            self._workspace.working.invites.values(), lambda row: (row.created_at, row.code), limit, after
        )


class InMemoryExcludedIdentityRepository:
    def __init__(self, workspace: Workspace[IdentityTables]) -> None:
        self._workspace = workspace

    async def add(self, digests: frozenset[str], until: datetime) -> None:
        kept = self._workspace.working.excluded_identities
        for digest in digests:
            kept[digest] = max(until, kept.get(digest, until))

    async def excluded_until(self, digests: frozenset[str], now: datetime) -> datetime | None:
        kept = self._workspace.working.excluded_identities
        running = [kept[digest] for digest in digests if digest in kept and kept[digest] > now]
        return max(running, default=None)

    async def forget_ended(self, now: datetime) -> int:
        """Deleted from the store at once (publishing only writes rows), given back if the unit of work fails."""
        workspace = self._workspace
        ended = [digest for digest, until in workspace.working.excluded_identities.items() if until <= now]
        for digest in ended:
            del workspace.working.excluded_identities[digest]
            committed = workspace.committed.excluded_identities.pop(digest, None)
            if committed is not None:
                workspace.undo.append(partial(workspace.committed.excluded_identities.__setitem__, digest, committed))
        return len(ended)


class InMemorySessionRepository:
    def __init__(self, workspace: Workspace[IdentityTables]) -> None:
        self._workspace = workspace

    async def add(self, session: Session) -> None:
        if session.id in self._workspace.working.sessions:
            raise ValueError(f"session {session.id} already exists")
        self._workspace.working.sessions[session.id] = deepcopy(session)

    async def get(self, session_id: str) -> Session | None:
        return deepcopy(self._workspace.working.sessions.get(session_id))

    async def update(self, session: Session) -> None:
        if session.id in self._workspace.working.sessions:
            self._workspace.working.sessions[session.id] = deepcopy(session)

    async def list_active(self, user_id: str, now: datetime) -> builtins.list[Session]:
        live = [
            row for row in self._workspace.working.sessions.values() if row.user_id == user_id and row.is_active(now)
        ]
        return [deepcopy(row) for row in sorted(live, key=lambda row: row.last_used_at, reverse=True)]

    async def history(self, user_id: str, limit: int, after: Position | None) -> Page[Session]:
        rows = (deepcopy(row) for row in self._workspace.working.sessions.values() if row.user_id == user_id)
        return newest_first_page(rows, lambda row: (row.created_at, row.id), limit, after)

    async def revoke_all(self, user_id: str, now: datetime, reason: str) -> builtins.list[str]:
        live = [
            row
            for row in self._workspace.working.sessions.values()
            if row.user_id == user_id and row.revoked_at is None
        ]
        for row in live:
            row.revoke(now, reason)
        return [row.id for row in live]

    async def add_refresh_token(self, token_hash: str, session_id: str, created_at: datetime) -> None:
        if token_hash in self._workspace.working.refresh_tokens:
            raise ValueError("this refresh token already exists")
        self._workspace.working.refresh_tokens[token_hash] = StoredRefreshToken(token_hash, session_id, created_at)

    async def spend_refresh_token(self, token_hash: str, now: datetime) -> RefreshSpend:
        async with self._workspace.lock:
            committed = self._workspace.committed.refresh_tokens.get(token_hash)
            token = committed if committed is not None else self._workspace.working.refresh_tokens.get(token_hash)
            if token is None:
                return RefreshSpend(RefreshOutcome.UNKNOWN)
            if token.spent_at is not None:
                return RefreshSpend(RefreshOutcome.ALREADY_SPENT, token.session_id)
            token.spent_at = now
            if committed is not None:
                self._workspace.undo.append(lambda: self._unspend(token_hash))
                self._workspace.settled("refresh_tokens", token_hash, committed)
            return RefreshSpend(RefreshOutcome.ROTATED, token.session_id)

    def _unspend(self, token_hash: str) -> None:
        self._workspace.committed.refresh_tokens[token_hash].spent_at = None


def _matches(entry: AuditEntry, query: AuditQuery) -> bool:
    return (
        (not query.action or entry.action == query.action)
        and (not query.admin_id or entry.admin_id == query.admin_id)
        and (not query.target_id or entry.target_id == query.target_id)
        and (not query.since or entry.created_at >= query.since)
        and (not query.until or entry.created_at <= query.until)
    )


class InMemoryAuditLogRepository:
    def __init__(self, workspace: Workspace[IdentityTables]) -> None:
        self._workspace = workspace

    async def add(self, entry: AuditEntry) -> None:
        if entry.id in self._workspace.working.audit:
            raise ValueError(f"audit entry {entry.id} already exists")
        self._workspace.working.audit[entry.id] = deepcopy(entry)

    async def search(self, query: AuditQuery, limit: int, after: Position | None) -> Page[AuditEntry]:
        rows = (entry for entry in self._workspace.working.audit.values() if _matches(entry, query))
        return newest_first_page(rows, lambda row: (row.created_at, row.id), limit, after)
