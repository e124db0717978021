"""What the identity use cases need from the world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from src.application.shared.audit import Audited
from src.application.shared.pagination import Page, Position
from src.application.shared.ports import IdGenerator, UnitOfWork
from src.domain.identity.model import AccountStatus, InviteCode, Session, User
from src.domain.shared.principal import Principal, Rank


@dataclass(frozen=True)
class UserQuery:
    """The admin's user search; every given filter must match."""

    text: str | None = None  # a user id, or part of a site id or nickname (case-insensitive)
    rank: Rank | None = None
    status: AccountStatus | None = None
    deleted: bool = False  # True: only soft-deleted accounts; False: only the others


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises SiteIdTaken or NicknameTaken when either is already used (case-insensitively)."""
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        """The given users that exist, by id (one query for a relay pass's players)."""
        ...

    async def get_for_update(self, user_id: str) -> User | None:
        """Read the row and lock it until the unit of work ends: a read-modify-write (an admin's change) then
        cannot overwrite a concurrent conditional update (an automatic VIP raise), which waits for it instead."""
        ...

    async def by_site_id(self, site_id: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def raise_vip_tier(self, user_id: str, tier: int) -> bool:
        """Set the VIP tier only if it is below `tier` (one conditional UPDATE: a concurrent raise or an
        admin's higher tier is never lowered); True when this call raised it."""
        ...

    async def nicknames(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Nicknames of the given users that exist (one query for a whole board)."""
        ...

    async def search(self, query: UserQuery, limit: int, after: Position | None) -> Page[User]:
        """Newest accounts first."""
        ...


class InviteCodeRepository(Protocol):
    async def add(self, invite: InviteCode) -> None: ...

    async def get(self, code: str) -> InviteCode | None: ...

    async def consume(self, code: str, now: datetime) -> bool:
        """Atomically take one use if the code is unexpired and has uses left."""
        ...

    async def list(self, limit: int, after: Position | None) -> Page[InviteCode]: ...


class RefreshOutcome(Enum):
    ROTATED = "rotated"
    ALREADY_SPENT = "already_spent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RefreshSpend:
    outcome: RefreshOutcome
    session_id: str | None = None


class SessionRepository(Protocol):
    async def add(self, session: Session) -> None: ...

    async def get(self, session_id: str) -> Session | None: ...

    async def update(self, session: Session) -> None: ...

    async def list_active(self, user_id: str, now: datetime) -> list[Session]: ...

    async def history(self, user_id: str, limit: int, after: Position | None) -> Page[Session]:
        """Every session of the user, live or ended, newest sign-in first."""
        ...

    async def revoke_all(self, user_id: str, now: datetime, reason: str) -> list[str]:
        """Revoke every live session of the user; returns the ids revoked."""
        ...

    async def add_refresh_token(self, token_hash: str, session_id: str, created_at: datetime) -> None: ...

    async def spend_refresh_token(self, token_hash: str, now: datetime) -> RefreshSpend:
        """Mark a refresh token used, exactly once even under concurrency."""
        ...


class HasUsers(Protocol):
    """The users, for a unit of work of any context that reads them (nicknames, existence, rank)."""

    @property
    def users(self) -> UserRepository: ...


class ExcludedIdentityRepository(Protocol):
    """Digests of the identifiers of erased players whose self-exclusion still runs (see domain/identity/exclusions)."""

    async def add(self, digests: frozenset[str], until: datetime) -> None:
        """Keep each digest until `until` (a digest kept already keeps the later end)."""
        ...

    async def excluded_until(self, digests: frozenset[str], now: datetime) -> datetime | None:
        """The latest end after `now` among these digests, if any is kept."""
        ...

    async def forget_ended(self, now: datetime) -> int:
        """Drop the digests whose exclusion has ended; how many."""
        ...


class IdentityUnitOfWork(UnitOfWork, HasUsers, Audited, Protocol):
    @property
    def invites(self) -> InviteCodeRepository: ...

    @property
    def excluded_identities(self) -> ExcludedIdentityRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...


class StartingBalance(Protocol):
    """What a new player starts with (the wallet's, wired by the composition root), credited in the sign-up's own
    transaction: the balances after, for the sign-up's answer."""

    async def credit(self, uow: IdentityUnitOfWork, user_id: str, now: datetime) -> dict[str, int]: ...


class PasswordHasher(Protocol):
    """Slow, salted hashing that runs off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """With no hash, spend the same time as a real check and answer False (no user enumeration)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class PasswordBlocklist(Protocol):
    def __contains__(self, password: object) -> bool: ...


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


class TokenService(Protocol):
    def issue_access(self, principal: Principal, now: datetime) -> IssuedToken: ...

    def read_access(self, token: str) -> tuple[str, str]:
        """Verify an access token; returns (user id, session id) or raises Unauthorized/TokenExpired."""
        ...

    def new_refresh_token(self) -> tuple[str, str]:
        """A fresh opaque refresh token and the hash that is stored instead of it."""
        ...

    def hash_refresh_token(self, token: str) -> str: ...


class IdentityIdGenerator(IdGenerator, Protocol):
    def new_invite_code(self) -> str:
        """Unguessable: from a CSPRNG, at least 8 characters."""
        ...
