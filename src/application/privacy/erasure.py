"""Erasure ("right to be forgotten"): confirmed by password, sessions end at once, then a job erases or
pseudonymizes every row of the player, takes them off the leaderboards and out of the caches, and (through the
event pipeline) out of the OLAP store; financial records stay, pseudonymized; a tombstone says when and what."""

from __future__ import annotations

from datetime import datetime

from src.application.identity.closure import close_account, confirm_password, forget_sign_in_attempts
from src.application.privacy.deps import PrivacyDeps
from src.application.privacy.ports import PrivacyUnitOfWork
from src.application.privacy.requests import enqueue, open_request
from src.domain.identity.exclusions import identity_digests
from src.domain.privacy.events import PlayerErased
from src.domain.privacy.model import PersonalValues, PrivacyRequest, RequestKind, Tombstone
from src.domain.shared.principal import Principal


async def request_erasure(principal: Principal, password: str, deps: PrivacyDeps) -> PrivacyRequest:
    """The request is stored before the account closes, so a crash between the two leaves work to resume, never
    a closed account that nobody erases."""
    await confirm_password(principal, password, deps.identity)
    request = await open_request(principal.user_id, RequestKind.ERASURE, deps)
    await close_account(principal.user_id, deps.identity)
    await enqueue(request, deps)
    return request


async def erase_player(request_id: str, deps: PrivacyDeps) -> None:
    """The job. Redis first (boards, caches: idempotent), then one database transaction: the rows, the tombstone,
    the request done and PlayerErased (the OLAP writer deletes the player's rows when it sees it)."""
    async with deps.uow_factory() as uow:
        request = await uow.privacy_requests.get(request_id)
        personal = None if request is None else await uow.personal_data.personal_values(request.user_id)
    if request is None or request.finished or request.kind is not RequestKind.ERASURE or personal is None:
        return
    await _forget_in_redis(request.user_id, personal, deps)
    async with deps.uow_factory() as uow:
        current = await uow.privacy_requests.get_for_update(request_id)
        if current is None or current.finished:
            return
        if await uow.privacy_requests.erased(current.user_id):  # a second request that raced the first
            current.erased(deps.clock.now())
            await uow.privacy_requests.update(current)
            await uow.commit()
            return
        summary = await uow.personal_data.erase(current.user_id, personal)
        now = deps.clock.now()
        excluded = await _keep_self_exclusion(uow, personal, now)
        leaderboard_entries = await deps.leaderboard.remove_player(current.user_id)  # a late score, once more
        record = {
            "tables": summary,
            "leaderboard_entries": leaderboard_entries,
            "olap": "PlayerErased event",
            "self_exclusion_kept_until": excluded,
        }
        await uow.privacy_requests.add_tombstone(
            Tombstone(current.user_id, current.id, current.created_at, now, record)
        )
        current.erased(now)
        await uow.privacy_requests.update(current)
        uow.record(PlayerErased(aggregate_id=current.user_id, occurred_at=now))
        await uow.commit()


async def _keep_self_exclusion(uow: PrivacyUnitOfWork, personal: PersonalValues, now: datetime) -> str | None:
    """A running self-exclusion outlives the erasure: digests of the player's identifiers refuse a new sign-up with
    any of them until it ends (a legal duty the erasure does not override). The end date, for the tombstone."""
    until = personal.self_excluded_until
    if until is None or until <= now:
        return None
    digests = identity_digests(personal.site_id, personal.email, personal.phone_number)
    await uow.excluded_identities.add(digests, until)
    return until.isoformat()


async def _forget_in_redis(user_id: str, personal: PersonalValues, deps: PrivacyDeps) -> None:
    await deps.leaderboard.remove_player(user_id)
    await forget_sign_in_attempts(personal.site_id, deps.identity)
