"""SQL repositories of the identity context; rows are mapped to domain objects explicitly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.errors import violated_constraint
from src.adapters.sqla.models.identity import ExcludedIdentityRow, InviteCodeRow, UserRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.identity.ports import UserQuery
from src.application.shared.pagination import Page, Position
from src.domain.identity.errors import NicknameTaken, SiteIdTaken
from src.domain.identity.model import AccountStatus, InviteCode, User
from src.domain.identity.policies import nickname_key
from src.domain.shared.principal import Rank

_USER_CONFLICTS = {"uq_users_site_id": "users.site_id", "uq_users_nickname_key": "users.nickname_key"}


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        site_id=row.site_id,
        nickname=row.nickname,
        password_hash=row.password_hash,
        created_at=row.created_at,
        rank=Rank(row.rank),
        vip_tier=row.vip_tier,
        is_admin=row.is_admin,
        status=AccountStatus(row.status),
        email=row.email,
        phone_number=row.phone_number,
        last_login_at=row.last_login_at,
        deleted_at=row.deleted_at,
    )


def _user_values(user: User) -> dict[str, object]:
    return {
        "site_id": user.site_id,
        "nickname": user.nickname,
        "nickname_key": nickname_key(user.nickname),
        "password_hash": user.password_hash,
        "rank": user.rank.value,
        "vip_tier": user.vip_tier,
        "is_admin": user.is_admin,
        "status": user.status.value,
        "email": user.email,
        "phone_number": user.phone_number,
        "last_login_at": user.last_login_at,
        "deleted_at": user.deleted_at,
    }


def _raise_user_conflict(error: IntegrityError) -> NoReturn:
    constraint = violated_constraint(error, _USER_CONFLICTS)
    if constraint == "uq_users_site_id":
        raise SiteIdTaken from error
    if constraint == "uq_users_nickname_key":
        raise NicknameTaken from error
    raise error


class SqlaUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        self._session.add(UserRow(id=user.id, created_at=user.created_at, **_user_values(user)))
        try:
            await self._session.flush()
        except IntegrityError as exc:
            _raise_user_conflict(exc)

    async def get(self, user_id: str) -> User | None:
        row = await self._session.get(UserRow, user_id)
        return None if row is None else _user(row)

    async def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        if not user_ids:
            return {}
        rows = (await self._session.execute(select(UserRow).where(UserRow.id.in_(list(user_ids))))).scalars()
        return {row.id: _user(row) for row in rows}

    async def get_for_update(self, user_id: str) -> User | None:
        # FOR NO KEY UPDATE (what an UPDATE of non-key columns takes): writers of the row queue on it, but the
        # foreign-key checks of the player's own inserts (a spin's history and ledger rows, FOR KEY SHARE) do not
        # wait for it; FOR UPDATE held every spin of a player through a VIP upgrade's whole relay pass. An update that
        # changes a key column (a unique one) takes the stronger lock itself.
        statement = select(UserRow).where(UserRow.id == user_id).with_for_update(key_share=True)
        row = (await self._session.execute(statement.execution_options(populate_existing=True))).scalar_one_or_none()
        return None if row is None else _user(row)

    async def by_site_id(self, site_id: str) -> User | None:
        row = (await self._session.execute(select(UserRow).where(UserRow.site_id == site_id))).scalar_one_or_none()
        return None if row is None else _user(row)

    async def nicknames(self, user_ids: Sequence[str]) -> dict[str, str]:
        if not user_ids:
            return {}
        statement = select(UserRow.id, UserRow.nickname).where(UserRow.id.in_(list(user_ids)))
        return {str(row.id): str(row.nickname) for row in await self._session.execute(statement)}

    async def update(self, user: User) -> None:
        try:
            await self._session.execute(update(UserRow).where(UserRow.id == user.id).values(**_user_values(user)))
        except IntegrityError as exc:
            _raise_user_conflict(exc)

    async def raise_vip_tier(self, user_id: str, tier: int) -> bool:
        # default session synchronisation: a user already read in this unit of work sees the new tier
        statement = update(UserRow).where(UserRow.id == user_id, UserRow.vip_tier < tier).values(vip_tier=tier)
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def search(self, query: UserQuery, limit: int, after: Position | None) -> Page[User]:
        statement = after_position(_user_search(query), UserRow.created_at, UserRow.id, after)
        rows = (await self._session.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, _user, lambda row: Position(row.created_at, row.id))


def _user_search(query: UserQuery) -> Select[Any]:
    statement = select(UserRow).where(
        UserRow.deleted_at.is_not(None) if query.deleted else UserRow.deleted_at.is_(None)
    )
    if query.text:
        statement = statement.where(
            or_(
                UserRow.id == query.text,
                func.lower(UserRow.site_id).contains(query.text.lower(), autoescape=True),
                UserRow.nickname_key.contains(nickname_key(query.text), autoescape=True),
            )
        )
    if query.rank is not None:
        statement = statement.where(UserRow.rank == query.rank.value)
    if query.status is not None:
        statement = statement.where(UserRow.status == query.status.value)
    return statement


def _invite(row: InviteCodeRow) -> InviteCode:
    return InviteCode(
        code=row.code,
        created_at=row.created_at,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        use_count=row.use_count,
        created_by=row.created_by,
    )


class SqlaInviteCodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, invite: InviteCode) -> None:
        self._session.add(
            InviteCodeRow(
                code=invite.code,
                created_at=invite.created_at,
                expires_at=invite.expires_at,
                max_uses=invite.max_uses,
                use_count=invite.use_count,
                created_by=invite.created_by,
            )
        )
        await self._session.flush()

    async def get(self, code: str) -> InviteCode | None:
        row = await self._session.get(InviteCodeRow, code)
        return None if row is None else _invite(row)

    async def consume(self, code: str, now: datetime) -> bool:
        """One conditional UPDATE: the database decides who gets the last use."""
        statement = (
            update(InviteCodeRow)
            .where(InviteCodeRow.code == code)
            .where((InviteCodeRow.max_uses.is_(None)) | (InviteCodeRow.use_count < InviteCodeRow.max_uses))
            .where((InviteCodeRow.expires_at.is_(None)) | (InviteCodeRow.expires_at > now))
            .values(use_count=InviteCodeRow.use_count + 1)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def list(self, limit: int, after: Position | None) -> Page[InviteCode]:
        statement = after_position(select(InviteCodeRow), InviteCodeRow.created_at, InviteCodeRow.code, after)
        rows = (await self._session.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, _invite, lambda row: Position(row.created_at, row.code))


class SqlaExcludedIdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, digests: frozenset[str], until: datetime) -> None:
        if not digests:
            return
        table = ExcludedIdentityRow
        upsert = dialect_insert(self._db)(table).values(
            [{"digest": digest, "excluded_until": until} for digest in sorted(digests)]
        )
        # the later end wins: PostgreSQL's GREATEST, SQLite's two-argument MAX
        pick = func.greatest if self._db.get_bind().dialect.name == "postgresql" else func.max
        later = pick(table.excluded_until, upsert.excluded.excluded_until)
        await self._db.execute(upsert.on_conflict_do_update(index_elements=["digest"], set_={"excluded_until": later}))

    async def excluded_until(self, digests: frozenset[str], now: datetime) -> datetime | None:
        if not digests:
            return None
        table = ExcludedIdentityRow
        latest = select(func.max(table.excluded_until)).where(
            table.digest.in_(sorted(digests)), table.excluded_until > now
        )
        until: datetime | None = (await self._db.execute(latest)).scalar_one_or_none()
        return until

    async def forget_ended(self, now: datetime) -> int:
        ended = delete(ExcludedIdentityRow).where(ExcludedIdentityRow.excluded_until <= now)
        return int((await self._db.execute(ended)).rowcount or 0)  # type: ignore[attr-defined]
