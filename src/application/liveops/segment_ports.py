"""What segments need from storage: profiles computed set-based in the database, memberships diffed in place."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.domain.liveops.rfm import RfmGroup, RfmThresholds
from src.domain.liveops.rules import Rule
from src.domain.liveops.segments import MembershipChange, RecomputeJob, Segment

Audience = Rule | RfmGroup  # a custom rule, or an RFM group's members


@dataclass(frozen=True)
class PlayerProfile:
    user_id: str
    rfm: RfmGroup
    ltv_cents: int
    churn_risk: int
    total_spent_cents: int
    plays_30d: int
    purchases_30d: int
    days_since_last_play: int
    days_since_signup: int
    computed_at: datetime


@dataclass(frozen=True)
class SampleMember:
    user_id: str
    nickname: str


class SegmentRepository(Protocol):
    async def add(self, segment: Segment, created_by: str | None) -> bool:
        """Store a new custom segment; False when the name is taken (case-insensitively)."""
        ...

    async def get(self, name: str) -> Segment | None: ...
    async def all(self) -> Sequence[Segment]:
        """Every segment, RFM groups first, then custom ones by name, with their member counts."""
        ...

    async def chunk_bounds(self, chunk_size: int) -> builtins.list[str]:
        """User ids that cut the active players into chunks of about `chunk_size` (each a lower bound)."""
        ...

    async def compute_profiles(self, lower: str, upper: str | None, now: datetime, thresholds: RfmThresholds) -> int:
        """Recompute the profiles of active players with lower <= id < upper (None: no upper bound), set-based;
        returns how many."""
        ...

    async def drop_stale_profiles(self, computed_before: datetime) -> int:
        """Profiles the recompute did not write (players gone or no longer active)."""
        ...

    async def refresh_members(self, name: str, audience: Audience, now: datetime, job_id: str | None) -> int:
        """Make the segment's members those whose profile matches, recording each join and leave; returns how many
        changed."""
        ...

    async def count(self, audience: Audience) -> int: ...
    async def sample(self, audience: Audience, limit: int) -> builtins.list[SampleMember]: ...

    async def add_job(self, job: RecomputeJob) -> None: ...
    async def get_job(self, job_id: str) -> RecomputeJob | None: ...
    async def claim_job(self, job_id: str, now: datetime, stale_before: datetime) -> bool:
        """Mark the job running unless another runs (a running one started before `stale_before` is failed as
        abandoned first); False when it cannot start now."""
        ...

    async def set_progress(self, job_id: str, progress: float) -> None: ...
    async def finish_job(
        self, job_id: str, now: datetime, *, players: int, changes: int, error: str | None = None
    ) -> None: ...

    async def profile(self, user_id: str) -> PlayerProfile | None: ...
    async def memberships(self, user_id: str) -> builtins.list[str]: ...

    async def recent_plays(self, user_id: str, now: datetime, days: int) -> dict[str, int]:
        """The player's plays per game type over the last `days` days (the game history)."""
        ...

    async def days_since_signup(self, user_id: str, now: datetime) -> int:
        """Whole days since the account was created (0 for an unknown player)."""
        ...

    async def changes(self, user_id: str, limit: int) -> builtins.list[MembershipChange]: ...
