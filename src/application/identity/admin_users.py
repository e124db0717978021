"""Operators managing player accounts: search, detail, rank, VIP tier and status changes, soft delete, activity.

Every change is one transaction with its audit row. A suspension, ban or deletion revokes every session in that
transaction and then in the shared session-state cache, so tokens stop working on every instance at once (and
open realtime sockets close within the hub's check interval). A rank or tier change drops the cached state of the
user's live sessions, so the next request anywhere reads the new rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from src.application.identity.deps import IdentityDeps
from src.application.identity.ports import UserQuery
from src.application.shared.audit import AuditQuery, write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.pagination import Page, Position, check_limit, decode_cursor, merge_newest_first
from src.domain.identity import policies
from src.domain.identity.events import AccountUpdated
from src.domain.identity.model import AccountStatus, User
from src.domain.shared.errors import Forbidden, NotFound
from src.domain.shared.principal import Principal, Rank


@dataclass(frozen=True)
class UpdateAccount:
    admin: Principal
    client: ClientInfo
    user_id: str
    rank: Rank | None = None
    vip_tier: int | None = None
    status: AccountStatus | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DeleteAccount:
    admin: Principal
    client: ClientInfo
    user_id: str
    reason: str | None = None


@dataclass(frozen=True)
class AccountDetail:
    user: User
    live_sessions: int


@dataclass(frozen=True)
class ActivityItem:
    """One thing that happened to an account, newest first: a sign-in, or an admin's action on it."""

    id: str
    kind: str  # "sign_in" or "admin_action"
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def position(self) -> Position:
        return Position(self.at, self.id)


async def search_accounts(query: UserQuery, limit: int | None, cursor: str | None, deps: IdentityDeps) -> Page[User]:
    async with deps.uow_factory() as uow:
        return await uow.users.search(query, check_limit(limit), decode_cursor(cursor))


async def account_detail(user_id: str, deps: IdentityDeps) -> AccountDetail:
    """Deleted accounts too: an operator may need to look at one."""
    async with deps.uow_factory() as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("no such user")
        live = await uow.sessions.list_active(user_id, deps.clock.now())
    return AccountDetail(user, len(live))


def _check_not_self(cmd: UpdateAccount | DeleteAccount, what: str) -> None:
    if cmd.user_id == cmd.admin.user_id:
        raise Forbidden(f"an admin cannot {what} their own account")


async def update_account(cmd: UpdateAccount, deps: IdentityDeps) -> User:
    """Only what differs is changed and audited; the same request again changes nothing."""
    if cmd.status not in (None, AccountStatus.ACTIVE):
        _check_not_self(cmd, "ban" if cmd.status is AccountStatus.BANNED else "suspend")
    if cmd.vip_tier is not None:
        policies.check_vip_tier(cmd.vip_tier)
    now = deps.clock.now()
    revoked: list[str] = []
    stale: list[str] = []
    async with deps.uow_factory() as uow:
        user = await uow.users.get_for_update(cmd.user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("no such user")
        changes = _apply(user, cmd)
        if not changes:
            return user
        await uow.users.update(user)
        if "status" in changes and user.status is not AccountStatus.ACTIVE:
            revoked = await uow.sessions.revoke_all(user.id, now, f"account_{user.status.value}")
        elif {"rank", "vip_tier"} & changes.keys():
            stale = [session.id for session in await uow.sessions.list_active(user.id, now)]
        uow.record(
            AccountUpdated(
                aggregate_id=user.id,
                occurred_at=now,
                rank=user.rank.value,
                vip_tier=user.vip_tier,
                status=user.status.value,
                changed=sorted(changes),
                previous_vip_tier=changes["vip_tier"]["from"] if "vip_tier" in changes else None,
            )
        )
        payload: dict[str, Any] = {"changes": changes, "reason": cmd.reason}
        await write_audit(
            uow, AdminAction(cmd.admin, cmd.client, "user.update", "user", user.id, payload), deps.ids, now
        )
        await uow.commit()
    await deps.session_state.mark_revoked(revoked, user.id)
    await deps.session_state.forget(stale)
    return user


def _apply(user: User, cmd: UpdateAccount) -> dict[str, dict[str, Any]]:
    """Set the requested fields; {field: {from, to}} for those that changed."""
    changes: dict[str, dict[str, Any]] = {}
    if cmd.rank is not None and cmd.rank is not user.rank:
        changes["rank"] = {"from": user.rank.value, "to": cmd.rank.value}
        user.rank = cmd.rank
    if cmd.vip_tier is not None and cmd.vip_tier != user.vip_tier:
        changes["vip_tier"] = {"from": user.vip_tier, "to": cmd.vip_tier}
        user.vip_tier = cmd.vip_tier
    if cmd.status is not None and cmd.status is not user.status:
        changes["status"] = {"from": user.status.value, "to": cmd.status.value}
        user.status = cmd.status
    return changes


async def delete_account(cmd: DeleteAccount, deps: IdentityDeps) -> None:
    """Soft: the row stays (ledger, purchases and the audit trail point at it), sign-in and the public view end.

    Deleting an account that is already deleted changes nothing."""
    _check_not_self(cmd, "delete")
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        user = await uow.users.get_for_update(cmd.user_id)
        if user is None:
            raise NotFound("no such user")
        if user.deleted_at is not None:
            return
        user.deleted_at = now
        await uow.users.update(user)
        revoked = await uow.sessions.revoke_all(user.id, now, "account_deleted")
        payload = {"reason": cmd.reason}
        await write_audit(
            uow, AdminAction(cmd.admin, cmd.client, "user.delete", "user", user.id, payload), deps.ids, now
        )
        await uow.commit()
    await deps.session_state.mark_revoked(revoked, user.id)


async def account_activity(
    user_id: str, limit: int | None, cursor: str | None, deps: IdentityDeps
) -> Page[ActivityItem]:
    """Sign-ins and admin actions on the account as one timeline, newest first, paged by one cursor."""
    size, after = check_limit(limit), decode_cursor(cursor)
    async with deps.uow_factory() as uow:
        if await uow.users.get(user_id) is None:
            raise NotFound("no such user")
        sessions = await uow.sessions.history(user_id, size, after)
        actions = await uow.audit.search(AuditQuery(target_id=user_id), size, after)
    sign_ins = [
        ActivityItem(
            session.id,
            "sign_in",
            session.created_at,
            {
                "device": session.device,
                "ip": session.ip,
                "last_used_at": session.last_used_at,
                "ended_at": session.revoked_at,
                "end_reason": session.revoke_reason,
            },
        )
        for session in sessions.items
    ]
    admin_actions = [
        ActivityItem(
            entry.id,
            "admin_action",
            entry.created_at,
            {"action": entry.action, "admin_id": entry.admin_id, **entry.payload},
        )
        for entry in actions.items
    ]
    return merge_newest_first(
        [Page(sign_ins, sessions.next_cursor), Page(admin_actions, actions.next_cursor)],
        lambda item: item.position,
        size,
    )
