"""Sign-up, login with lockout, and refresh-token rotation."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from src.application.identity.commands import LogIn, Refresh, SignUp
from src.application.identity.deps import IdentityDeps
from src.application.identity.ports import IdentityUnitOfWork, RefreshOutcome
from src.application.shared.commands import ClientInfo
from src.domain.identity import policies
from src.domain.identity.errors import (
    AccountBanned,
    AccountSuspended,
    InvalidCredentials,
    InviteExhausted,
    LoginLocked,
    RefreshReused,
    TokenExpired,
    TokenRevoked,
)
from src.domain.identity.events import UserLoggedIn, UserSignedUp
from src.domain.identity.exclusions import SignUpExcluded, identity_digests
from src.domain.identity.model import AccountStatus, Session, User, check_invite_found
from src.domain.shared.errors import Forbidden, Unauthorized
from src.domain.shared.principal import Principal


@dataclass(frozen=True)
class AuthResult:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    session_id: str
    balances: dict[str, int] | None = None  # a sign-up's starting balances, credited in its transaction


async def _consume_invite(uow: IdentityUnitOfWork, deps: IdentityDeps, code: str, now: datetime) -> None:
    if deps.config.dev_invite_code and code == deps.config.dev_invite_code:
        return
    invite = check_invite_found(await uow.invites.get(code))
    invite.check_usable(now)
    if not await uow.invites.consume(code, now):
        raise InviteExhausted  # another signup took the last use in the meantime


async def _open_session(
    uow: IdentityUnitOfWork, deps: IdentityDeps, user: User, client: ClientInfo, now: datetime
) -> AuthResult:
    config = deps.config
    session = Session(
        id=deps.ids.new_id(),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + config.refresh_ttl,
        idle_expires_at=now + min(config.refresh_idle_ttl, config.refresh_ttl),
        device=policies.describe_device(client.user_agent),
        user_agent=client.user_agent[:512],
        ip=client.ip,
    )
    await uow.sessions.add(session)
    refresh_token, refresh_hash = deps.tokens.new_refresh_token()
    await uow.sessions.add_refresh_token(refresh_hash, session.id, now)
    access = deps.tokens.issue_access(Principal(user.id, session.id, user.rank, user.is_admin), now)
    return AuthResult(access.token, refresh_token, access.expires_in, user, session.id)


async def sign_up(cmd: SignUp, deps: IdentityDeps) -> AuthResult:
    """A new STANDARD player, admitted by an invite code that is consumed atomically."""
    site_id = policies.check_site_id(cmd.site_id)
    nickname = policies.check_nickname(cmd.nickname)
    policies.check_password(cmd.password, deps.blocklist)
    email = policies.check_email(cmd.email)
    phone_number = policies.check_phone_number(cmd.phone_number)
    password_hash = await deps.hasher.hash(cmd.password)  # slow: done before the transaction opens
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        digests = identity_digests(site_id, email, phone_number)
        if (excluded_until := await uow.excluded_identities.excluded_until(digests, now)) is not None:
            raise SignUpExcluded(excluded_until)
        await _consume_invite(uow, deps, cmd.invite_code.strip(), now)
        user = User(
            id=deps.ids.new_id(),
            site_id=site_id,
            nickname=nickname,
            password_hash=password_hash,
            created_at=now,
            email=email,
            phone_number=phone_number,
            last_login_at=now,
        )
        await uow.users.add(user)
        result = await _open_session(uow, deps, user, cmd.client, now)
        uow.record(
            UserSignedUp(
                aggregate_id=user.id, occurred_at=now, site_id=site_id, nickname=nickname, invite_code=cmd.invite_code
            )
        )
        balances = await deps.starting_balance.credit(uow, user.id, now) if deps.starting_balance else None
        await uow.commit()
    return replace(result, balances=balances)


def attempts_key(site_id: str) -> str:
    return f"login:attempts:{site_id}"


async def _user_if_password_matches(deps: IdentityDeps, site_id: str, password: str) -> User | None:
    """Unknown site ids and wrong passwords cost one real verification each and look the same."""
    async with deps.uow_factory() as uow:
        user = await uow.users.by_site_id(site_id)
    stored_hash = user.password_hash if user is not None and user.deleted_at is None else None
    verified = await deps.hasher.verify(stored_hash, password)
    return user if user is not None and stored_hash is not None and verified else None


async def check_password(deps: IdentityDeps, site_id: str, password: str) -> User:
    """Each verification holds one of the account's `max_failed_logins` slots, taken atomically before it, so
    no more wrong passwords than that are ever verified per window, whatever the concurrency. A failure keeps its
    slot (the limit-th one locks the account); a right password frees it and forgets the failures.

    Unknown site ids are counted the same way: if they were not, the lockout itself would tell which ids exist.
    """
    config, key, attempt = deps.config, attempts_key(site_id), uuid.uuid4().hex
    window = config.failed_login_window.total_seconds()
    reserved = await deps.cache.reserve_attempt(key, attempt, config.max_failed_logins, window)
    if not reserved.allowed:
        raise LoginLocked(math.ceil(reserved.retry_after_seconds))
    try:
        user = await _user_if_password_matches(deps, site_id, password)
    except BaseException:
        await deps.cache.release_attempt(key, attempt)  # no verdict reached the client: the slot counts for nothing
        raise
    if user is None:
        await deps.cache.fail_attempt(key, attempt, config.max_failed_logins, window, config.lockout.total_seconds())
        raise InvalidCredentials
    await deps.cache.release_attempt(key, attempt, forget_failures=True)
    return user


def _check_may_sign_in(user: User) -> None:
    if user.status is AccountStatus.SUSPENDED:
        raise AccountSuspended
    if user.status is AccountStatus.BANNED:
        raise AccountBanned


async def log_in(cmd: LogIn, deps: IdentityDeps) -> AuthResult:
    """Unknown site ids and wrong passwords cost the same and answer the same; both count toward the lockout."""
    site_id = policies.normalise_site_id(cmd.site_id)
    user = await check_password(deps, site_id, cmd.password)
    if cmd.admin_only and not user.is_admin:
        raise Forbidden("this login is for administrators only")
    _check_may_sign_in(user)
    new_hash = await deps.hasher.hash(cmd.password) if deps.hasher.needs_rehash(user.password_hash) else None
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        user.last_login_at = now
        if new_hash:
            user.password_hash = new_hash
        await uow.users.update(user)
        result = await _open_session(uow, deps, user, cmd.client, now)
        uow.record(UserLoggedIn(aggregate_id=user.id, occurred_at=now, session_id=result.session_id))
        await uow.commit()
    return result


async def _end_family(uow: IdentityUnitOfWork, deps: IdentityDeps, session: Session, now: datetime) -> None:
    session.revoke(now, "refresh_reused")
    await uow.sessions.update(session)
    await uow.commit()
    await deps.session_state.mark_revoked([session.id], session.user_id)


async def refresh(cmd: Refresh, deps: IdentityDeps) -> AuthResult:
    """Rotate: the presented token is spent; presenting a spent token again ends the whole session."""
    token_hash = deps.tokens.hash_refresh_token(cmd.refresh_token)
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        spend = await uow.sessions.spend_refresh_token(token_hash, now)
        session = await uow.sessions.get(spend.session_id) if spend.session_id else None
        if spend.outcome is RefreshOutcome.UNKNOWN or session is None:
            raise Unauthorized("the refresh token is not valid")
        if spend.outcome is RefreshOutcome.ALREADY_SPENT:
            await _end_family(uow, deps, session, now)
            raise RefreshReused
        if session.revoked_at is not None:
            raise TokenRevoked
        if not session.is_active(now):
            raise TokenExpired("the session has expired; log in again")
        user = await uow.users.get(session.user_id)
        if user is None or not user.can_sign_in:
            raise TokenRevoked
        session.touch(now, deps.config.refresh_idle_ttl)
        await uow.sessions.update(session)
        refresh_token, refresh_hash = deps.tokens.new_refresh_token()
        await uow.sessions.add_refresh_token(refresh_hash, session.id, now)
        await uow.commit()
    access = deps.tokens.issue_access(Principal(user.id, session.id, user.rank, user.is_admin), now)
    return AuthResult(access.token, refresh_token, access.expires_in, user, session.id)
