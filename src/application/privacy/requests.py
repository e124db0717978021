"""Privacy requests as a queue of work: opening one, queueing its job, re-queueing lost ones, the admin list."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.privacy.deps import ERASURE_JOB, EXPORT_JOB, PrivacyDeps
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.privacy.model import PrivacyRequest, RequestKind, RequestStatus

SWEEP_BATCH = 100
_JOBS = {RequestKind.EXPORT: EXPORT_JOB, RequestKind.ERASURE: ERASURE_JOB}


async def open_request(user_id: str, kind: RequestKind, deps: PrivacyDeps) -> PrivacyRequest:
    """A new request, or the player's one of this kind still queued or running."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        request = await uow.privacy_requests.open_of(user_id, kind)
        if request is None:
            request = PrivacyRequest(deps.ids.new_id(), user_id, kind, now, now)
            await uow.privacy_requests.add(request)
            await uow.commit()
    return request


async def enqueue(request: PrivacyRequest, deps: PrivacyDeps) -> None:
    """At most one queued job per request (its id dedupes); a lost one is re-queued by `requeue_stalled`."""
    await deps.jobs.enqueue(_JOBS[request.kind], {"request_id": request.id}, job_id=f"privacy:{request.id}")


async def requeue_stalled(deps: PrivacyDeps) -> int:
    """Scheduled: a request whose job was never queued (the queue was down) or died is queued again; one still
    unfinished a day after it was made is marked failed, for an operator to look at."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        stalled = await uow.privacy_requests.stalled(now - deps.config.stalled_after, SWEEP_BATCH)
        given_up = [r for r in stalled if r.created_at < now - deps.config.give_up_after]
        for request in given_up:
            request.fail(now)
            await uow.privacy_requests.update(request)
        await uow.commit()
    for request in stalled:
        if request not in given_up:
            await enqueue(request, deps)
    return len(stalled) - len(given_up)


async def expire_exports(deps: PrivacyDeps) -> int:
    """Scheduled: archives past their time are deleted (the request stays, as expired)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        expired = await uow.privacy_requests.expired_exports(now, SWEEP_BATCH)
        for request in expired:
            request.expire(now)
            await uow.privacy_requests.update(request)
        await uow.commit()
    return len(expired)


async def forget_ended_exclusions(deps: PrivacyDeps) -> int:
    """Scheduled: an erased player's identifier digests are kept no longer than their self-exclusion runs."""
    async with deps.uow_factory() as uow:
        forgotten = await uow.excluded_identities.forget_ended(deps.clock.now())
        await uow.commit()
    return forgotten


@dataclass(frozen=True)
class RequestQuery:
    kind: RequestKind | None = None
    status: RequestStatus | None = None


async def list_requests(
    query: RequestQuery, limit: int | None, cursor: str | None, deps: PrivacyDeps
) -> Page[PrivacyRequest]:
    size, after = check_limit(limit), decode_cursor(cursor)
    async with deps.uow_factory() as uow:
        return await uow.privacy_requests.search(query.kind, query.status, size, after)
