"""Segment use cases: create and preview custom segments, list them, and recompute every membership.

A recompute rebuilds every active player's profile set-based, a chunk of players per transaction (the progress a
job reports), then diffs each segment's members in place: only joins and leaves are written, each one recorded in
the player's segment history. Recency moves every player every day, so profiles are always rebuilt whole; the
writes to memberships and history are incremental. Membership is as of the last recompute (a new custom segment
gets its members when it is created).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from src.application.liveops.deps import LiveOpsDeps
from src.application.liveops.segment_ports import Audience, PlayerProfile, SampleMember
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.liveops import rules
from src.domain.liveops.rfm import RfmGroup
from src.domain.liveops.segments import (
    JobStatus,
    MembershipChange,
    RecomputeJob,
    Segment,
    SegmentExists,
    SegmentKind,
    SegmentNotFound,
    checked_name,
)
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal

RECOMPUTE_JOB = "recompute_segments"
STALE_RUN = timedelta(minutes=30)  # a running recompute older than this died with its worker
PROFILE_SHARE = 0.8  # of a job's progress: the profiles; the rest is the memberships
PREVIEW_SAMPLE = 20


@dataclass(frozen=True)
class CreateSegment:
    admin: Principal
    client: ClientInfo
    name: str
    rule: str


@dataclass(frozen=True)
class Preview:
    segment: Segment
    count: int
    sample: list[SampleMember]


@dataclass(frozen=True)
class PlayerSegments:
    profile: PlayerProfile | None
    segments: list[str]
    history: list[MembershipChange]


def audience_of(segment: Segment) -> Audience:
    if segment.kind is SegmentKind.RFM:
        return RfmGroup(segment.name)
    return rules.parse(segment.rule or "")


async def create_segment(cmd: CreateSegment, deps: LiveOpsDeps) -> Segment:
    """Validate the name and the rule (400 with the rule's error position), store it, and find its members."""
    name = checked_name(cmd.name)
    rule = rules.parse(cmd.rule)
    now = deps.clock.now()
    segment = Segment(name, SegmentKind.CUSTOM, cmd.rule, 0, now, None)
    async with deps.uow_factory() as uow:
        if not await uow.segments.add(segment, cmd.admin.user_id):
            raise SegmentExists()
        await uow.segments.refresh_members(name, rule, now, None)
        payload = {"name": name, "rule": cmd.rule}
        await write_audit(
            uow, AdminAction(cmd.admin, cmd.client, "segment.create", "segment", name, payload), deps.ids, now
        )
        await uow.commit()
    return await get_segment(name, deps)


async def get_segment(name: str, deps: LiveOpsDeps) -> Segment:
    async with deps.uow_factory() as uow:
        segment = await uow.segments.get(name)
    if segment is None:
        raise SegmentNotFound(f"no segment named {name!r}")
    return segment


async def list_segments(deps: LiveOpsDeps) -> list[Segment]:
    async with deps.uow_factory() as uow:
        return list(await uow.segments.all())


async def preview_segment(name: str, deps: LiveOpsDeps, sample_size: int = PREVIEW_SAMPLE) -> Preview:
    """Who the segment's rule matches in the current profiles: a count and the first players by id."""
    segment = await get_segment(name, deps)
    audience = audience_of(segment)
    async with deps.uow_factory() as uow:
        count = await uow.segments.count(audience)
        sample = await uow.segments.sample(audience, sample_size)
    return Preview(segment, count, sample)


async def request_recompute(deps: LiveOpsDeps, trigger: str = "admin") -> RecomputeJob:
    """Queue a recompute on the maintenance queue; its id answers `GET …/jobs/{id}`."""
    job = _new_job(deps, trigger)
    async with deps.uow_factory() as uow:
        await uow.segments.add_job(job)
        await uow.commit()
    await deps.jobs.enqueue(RECOMPUTE_JOB, {"job_id": job.id}, job_id=f"{RECOMPUTE_JOB}:{job.id}")
    return job


async def recompute_on_schedule(deps: LiveOpsDeps) -> RecomputeJob:
    job = _new_job(deps, "schedule")
    async with deps.uow_factory() as uow:
        await uow.segments.add_job(job)
        await uow.commit()
    return await run_recompute(job.id, deps)


def _new_job(deps: LiveOpsDeps, trigger: str) -> RecomputeJob:
    now = deps.clock.now()
    return RecomputeJob(deps.ids.new_id(), JobStatus.QUEUED, 0.0, trigger, now, None, None, None, None)


async def job_status(job_id: str, deps: LiveOpsDeps) -> RecomputeJob:
    async with deps.uow_factory() as uow:
        job = await uow.segments.get_job(job_id)
    if job is None:
        raise NotFound(f"no recompute job {job_id!r}")
    return job


async def run_recompute(job_id: str, deps: LiveOpsDeps) -> RecomputeJob:
    """Run a queued recompute; a job that finds another running ends failed ("busy") rather than racing it."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        claimed = await uow.segments.claim_job(job_id, now, now - STALE_RUN)
        await uow.commit()
    if not claimed:
        async with deps.uow_factory() as uow:
            await uow.segments.finish_job(job_id, deps.clock.now(), players=0, changes=0, error="busy")
            await uow.commit()
        return await job_status(job_id, deps)
    try:
        players = await _recompute_profiles(job_id, now, deps)
        changes = await _refresh_all_members(job_id, now, deps)
    except Exception as failure:
        async with deps.uow_factory() as uow:
            error = f"{type(failure).__name__}: {failure}"[:500]
            await uow.segments.finish_job(job_id, deps.clock.now(), players=0, changes=0, error=error)
            await uow.commit()
        raise
    async with deps.uow_factory() as uow:
        await uow.segments.finish_job(job_id, deps.clock.now(), players=players, changes=changes)
        await uow.commit()
    return await job_status(job_id, deps)


async def _recompute_profiles(job_id: str, now: datetime, deps: LiveOpsDeps) -> int:
    async with deps.uow_factory() as uow:
        bounds = await uow.segments.chunk_bounds(deps.segment_chunk_size)
    players = 0
    for index, lower in enumerate(bounds):
        upper = bounds[index + 1] if index + 1 < len(bounds) else None
        async with deps.uow_factory() as uow:
            players += await uow.segments.compute_profiles(lower, upper, now, deps.rfm)
            await uow.segments.set_progress(job_id, PROFILE_SHARE * (index + 1) / len(bounds))
            await uow.commit()
    async with deps.uow_factory() as uow:
        await uow.segments.drop_stale_profiles(now)
        await uow.commit()
    return players


async def _refresh_all_members(job_id: str, now: datetime, deps: LiveOpsDeps) -> int:
    """Each segment in a transaction of its own: its members and their history change together."""
    segments = await list_segments(deps)
    changes = 0
    for index, segment in enumerate(segments):
        try:
            audience = audience_of(segment)
        except rules.RuleError:
            continue  # stored rules were valid when created; a property since retired leaves the segment as it was
        async with deps.uow_factory() as uow:
            changes += await uow.segments.refresh_members(segment.name, audience, now, job_id)
            share = PROFILE_SHARE + (1 - PROFILE_SHARE) * (index + 1) / len(segments)
            await uow.segments.set_progress(job_id, share)
            await uow.commit()
    return changes


async def player_segments(user_id: str, deps: LiveOpsDeps, history: int = 20) -> PlayerSegments:
    """A player's profile (LTV, risk, RFM group), current segments and latest joins and leaves."""
    async with deps.uow_factory() as uow:
        profile = await uow.segments.profile(user_id)
        names = await uow.segments.memberships(user_id)
        changes = await uow.segments.changes(user_id, history)
    return PlayerSegments(profile, names, changes)
