"""Wire formats of segments, their preview and recompute jobs (admin routes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.liveops.segments import Preview
from src.domain.liveops.rules import MAX_RULE_LENGTH, PROPERTIES
from src.domain.liveops.segments import RecomputeJob, Segment
from src.entrypoints.http.schemas.identity import Struct

RULE_HELP = "; ".join(f"{name} ({kind.value}: {meaning})" for name, (kind, meaning) in PROPERTIES.items())


class SegmentIn(Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["lapsed_spenders"])]
    rule: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_RULE_LENGTH,
            description="comparisons (= != < <= > >=, in (...), not in (...)) joined by and / or / not, with "
            f"parentheses, over: {RULE_HELP}",
            examples=['ltv_cents >= 10000 and days_since_last_play > 7 and rank in ("VIP", "PREMIUM")'],
        ),
    ]


class SegmentOut(Struct):
    name: str
    kind: str  # rfm | custom
    rule: str | None
    count: int  # members at the last recompute (or at creation)
    created_at: datetime | None
    computed_at: datetime | None
    params: dict[str, Any] | None  # the remote-config override (PUT …/{name}/params)

    @classmethod
    def of(cls, segment: Segment) -> SegmentOut:
        return cls(
            name=segment.name,
            kind=segment.kind.value,
            rule=segment.rule,
            count=segment.members,
            created_at=segment.created_at,
            computed_at=segment.computed_at,
            params=segment.params,
        )


class SegmentListOut(Struct):
    items: list[SegmentOut]


class SampleMemberOut(Struct):
    user_id: str
    nickname: str


class SegmentPreviewOut(Struct):
    name: str
    count: int  # players the rule matches in the current profiles
    sample: list[SampleMemberOut]

    @classmethod
    def of(cls, preview: Preview) -> SegmentPreviewOut:
        sample = [SampleMemberOut(user_id=member.user_id, nickname=member.nickname) for member in preview.sample]
        return cls(name=preview.segment.name, count=preview.count, sample=sample)


class RecomputeAcceptedOut(Struct):
    job_id: str


class RecomputeJobOut(Struct):
    job_id: str
    status: str  # queued | running | done | failed
    progress: float  # 0.0-1.0
    trigger: str
    created_at: datetime
    finished_at: datetime | None
    players: int | None
    changes: int | None
    error: str | None

    @classmethod
    def of(cls, job: RecomputeJob) -> RecomputeJobOut:
        return cls(
            job_id=job.id,
            status=job.status.value,
            progress=job.progress,
            trigger=job.trigger,
            created_at=job.created_at,
            finished_at=job.finished_at,
            players=job.players,
            changes=job.changes,
            error=job.error,
        )


class SegmentParamsIn(Struct, forbid_unknown_fields=True):
    params: dict[str, Any] | None  # remote-config keys (README: Remote config); null clears the override


class SegmentParamsOut(Struct):
    segment: str
    params: dict[str, Any] | None
