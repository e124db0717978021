"""SQL segments. Profiles are computed set-based: one INSERT … SELECT … ON CONFLICT per chunk of players, over
aggregates of captured purchases (net of refunds) and the game history, so a recompute never loops over players in
Python. Memberships are diffed in place (leavers, then joiners), each change also written to the history.
Only day arithmetic differs between PostgreSQL and SQLite."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.games import GameHistoryRow
from src.adapters.sqla.models.identity import UserRow
from src.adapters.sqla.models.segments import (
    PlayerProfileRow,
    SegmentChangeRow,
    SegmentJobRow,
    SegmentMemberRow,
    SegmentRow,
)
from src.adapters.sqla.models.types import UtcDateTime
from src.adapters.sqla.repositories.segment_rules import audience_sql
from src.application.liveops.segment_ports import Audience, PlayerProfile, SampleMember
from src.domain.liveops.rfm import RfmGroup, RfmThresholds
from src.domain.liveops.segments import JobStatus, MembershipChange, RecomputeJob, Segment, SegmentKind

PROFILES = cast(Table, PlayerProfileRow.__table__)
SEGMENTS = cast(Table, SegmentRow.__table__)
MEMBERS = cast(Table, SegmentMemberRow.__table__)
CHANGES = cast(Table, SegmentChangeRow.__table__)
JOBS = cast(Table, SegmentJobRow.__table__)
USERS = cast(Table, UserRow.__table__)
PLAYS = cast(Table, GameHistoryRow.__table__)
RFM_ORDER = [group.value for group in RfmGroup]

# {days}: whole days from a timestamp to :now; {greatest}/{least}: the dialect's n-ary max/min. Sums of money are
# cast back to BIGINT: PostgreSQL sums a bigint as numeric, and the LTV's division must truncate like the reference
_PROFILE_SQL = """
INSERT INTO player_profiles (
    user_id, rank, vip_tier, streak, rfm, ltv_cents, churn_risk, total_spent_cents, spent_30d_cents, purchases_30d,
    plays_30d, plays_prev_30d, plays_total, days_since_last_play, days_since_last_login, days_since_signup,
    computed_at)
SELECT user_id, rank, vip_tier, streak,
    CASE
        WHEN days_since_last_play >= :at_risk_days AND (total_spent_cents > 0 OR plays_total >= :engaged_plays)
            THEN 'At-risk'
        WHEN total_spent_cents >= :whale_cents THEN 'Whale'
        WHEN total_spent_cents >= :high_cents OR plays_30d + purchases_30d >= :high_frequency THEN 'High'
        WHEN total_spent_cents > 0 OR plays_30d + purchases_30d >= :medium_frequency THEN 'Medium'
        ELSE 'Low'
    END,
    total_spent_cents + {greatest}(0, spent_30d_cents * :ltv_months * (100 - churn_risk) / 100),
    churn_risk, total_spent_cents, spent_30d_cents, purchases_30d, plays_30d, plays_prev_30d, plays_total,
    days_since_last_play, days_since_last_login, days_since_signup, :now
FROM (
    SELECT base.*,
        {least}(100, {least}(days_since_last_play, 30) * 2
            + CASE WHEN plays_prev_30d > plays_30d THEN 40 * (plays_prev_30d - plays_30d) / plays_prev_30d ELSE 0 END
        ) AS churn_risk
    FROM (
        SELECT u.id AS user_id, u.rank AS rank, u.vip_tier AS vip_tier, COALESCE(s.count, 0) AS streak,
            COALESCE(pu.total, 0) AS total_spent_cents, COALESCE(pu.spent_30d, 0) AS spent_30d_cents,
            COALESCE(pu.purchases_30d, 0) AS purchases_30d, COALESCE(g.plays_30d, 0) AS plays_30d,
            COALESCE(g.plays_prev_30d, 0) AS plays_prev_30d, COALESCE(g.plays_total, 0) AS plays_total,
            {days_last_play} AS days_since_last_play,
            {days_last_login} AS days_since_last_login,
            {days_signup} AS days_since_signup
        FROM users u
        LEFT JOIN streaks s ON s.user_id = u.id
        LEFT JOIN (
            SELECT user_id, CAST(SUM(amount_cents - refunded_cents) AS BIGINT) AS total,
                CAST(SUM(CASE WHEN created_at >= :since_30d THEN amount_cents - refunded_cents ELSE 0 END) AS BIGINT)
                    AS spent_30d,
                SUM(CASE WHEN created_at >= :since_30d THEN 1 ELSE 0 END) AS purchases_30d,
                MAX(created_at) AS last_purchase
            FROM purchase_transactions
            WHERE status IN ('captured', 'refunded') AND user_id >= :lower {upper_purchases}
            GROUP BY user_id
        ) pu ON pu.user_id = u.id
        LEFT JOIN (
            SELECT user_id, SUM(CASE WHEN created_at >= :since_30d THEN 1 ELSE 0 END) AS plays_30d,
                SUM(CASE WHEN created_at >= :since_60d AND created_at < :since_30d THEN 1 ELSE 0 END)
                    AS plays_prev_30d,
                COUNT(*) AS plays_total, MAX(created_at) AS last_play
            FROM game_history
            WHERE user_id >= :lower {upper_plays}
            GROUP BY user_id
        ) g ON g.user_id = u.id
        WHERE u.status = 'active' AND u.deleted_at IS NULL AND u.id >= :lower {upper_users}
    ) base
) scored
WHERE true
ON CONFLICT (user_id) DO UPDATE SET
    rank = excluded.rank, vip_tier = excluded.vip_tier, streak = excluded.streak, rfm = excluded.rfm,
    ltv_cents = excluded.ltv_cents, churn_risk = excluded.churn_risk, total_spent_cents = excluded.total_spent_cents,
    spent_30d_cents = excluded.spent_30d_cents, purchases_30d = excluded.purchases_30d,
    plays_30d = excluded.plays_30d, plays_prev_30d = excluded.plays_prev_30d, plays_total = excluded.plays_total,
    days_since_last_play = excluded.days_since_last_play, days_since_last_login = excluded.days_since_last_login,
    days_since_signup = excluded.days_since_signup, computed_at = excluded.computed_at
"""


def _profile_sql(dialect: str, bounded: bool) -> str:
    if dialect == "postgresql":

        def days(column: str) -> str:
            return f"CAST(FLOOR(EXTRACT(EPOCH FROM (:now - {column})) / 86400) AS INTEGER)"

        greatest, least = "GREATEST", "LEAST"
    else:

        def days(column: str) -> str:
            return f"CAST(julianday(:now) - julianday({column}) AS INTEGER)"

        greatest, least = "MAX", "MIN"
    last_play = f"{greatest}(COALESCE(g.last_play, u.created_at), COALESCE(pu.last_purchase, u.created_at))"
    return _PROFILE_SQL.format(
        greatest=greatest,
        least=least,
        days_last_play=days(last_play),
        days_last_login=days("COALESCE(u.last_login_at, u.created_at)"),
        days_signup=days("u.created_at"),
        upper_purchases="AND user_id < :upper" if bounded else "",
        upper_plays="AND user_id < :upper" if bounded else "",
        upper_users="AND u.id < :upper" if bounded else "",
    )


def _segment(row: Any) -> Segment:
    return Segment(row.name, SegmentKind(row.kind), row.rule, row.members, row.created_at, row.computed_at, row.params)


def _job(row: Any) -> RecomputeJob:
    return RecomputeJob(
        id=row.id,
        status=JobStatus(row.status),
        progress=float(row.progress),
        trigger=row.trigger,
        created_at=row.created_at,
        finished_at=row.finished_at,
        players=row.players,
        changes=row.changes,
        error=row.error,
    )


class SqlaSegmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    @property
    def _dialect(self) -> str:
        return self._db.get_bind().dialect.name

    async def add(self, segment: Segment, created_by: str | None) -> bool:
        taken = select(SEGMENTS.c.name).where(func.lower(SEGMENTS.c.name) == segment.name.lower())
        if (await self._db.execute(taken)).first() is not None:
            return False
        values = {"name": segment.name, "kind": segment.kind.value, "rule": segment.rule, "members": 0}
        try:
            async with self._db.begin_nested():
                await self._db.execute(
                    insert(SEGMENTS).values(**values, created_by=created_by, created_at=segment.created_at)
                )
        except IntegrityError:
            return False
        return True

    async def get(self, name: str) -> Segment | None:
        row = (await self._db.execute(select(SEGMENTS).where(SEGMENTS.c.name == name))).first()
        return None if row is None else _segment(row)

    async def all(self) -> Sequence[Segment]:
        rows = (await self._db.execute(select(SEGMENTS))).all()
        segments = [_segment(row) for row in rows]
        rfm = sorted((s for s in segments if s.kind is SegmentKind.RFM), key=lambda s: RFM_ORDER.index(s.name))
        custom = sorted((s for s in segments if s.kind is SegmentKind.CUSTOM), key=lambda s: s.name)
        return rfm + custom

    async def chunk_bounds(self, chunk_size: int) -> builtins.list[str]:
        """Every chunk_size-th active player's id, from the users (new players have no profile yet)."""
        users = text(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM users "
            "WHERE status = 'active' AND deleted_at IS NULL) numbered WHERE (n - 1) % :size = 0 ORDER BY id"
        )
        bounds = [str(row.id) for row in await self._db.execute(users, {"size": chunk_size})]
        return bounds or [""]

    async def compute_profiles(self, lower: str, upper: str | None, now: datetime, thresholds: RfmThresholds) -> int:
        statement = text(_profile_sql(self._dialect, upper is not None)).bindparams(
            bindparam("now", type_=UtcDateTime),
            bindparam("since_30d", type_=UtcDateTime),
            bindparam("since_60d", type_=UtcDateTime),
        )
        parameters: dict[str, Any] = {
            "now": now,
            "since_30d": now - timedelta(days=30),
            "since_60d": now - timedelta(days=60),
            "lower": lower,
            "at_risk_days": thresholds.at_risk_days,
            "engaged_plays": thresholds.engaged_plays,
            "whale_cents": thresholds.whale_cents,
            "high_cents": thresholds.high_cents,
            "high_frequency": thresholds.high_frequency,
            "medium_frequency": thresholds.medium_frequency,
            "ltv_months": thresholds.ltv_months,
        }
        if upper is not None:
            parameters["upper"] = upper
        result = await self._db.execute(statement, parameters)
        return int(getattr(result, "rowcount", 0) or 0)

    async def drop_stale_profiles(self, computed_before: datetime) -> int:
        result = await self._db.execute(delete(PROFILES).where(PROFILES.c.computed_at < computed_before))
        return int(getattr(result, "rowcount", 0) or 0)

    async def refresh_members(self, name: str, audience: Audience, now: datetime, job_id: str | None) -> int:
        matching = audience_sql(audience)
        member = MEMBERS.c
        is_member = select(member.user_id).where(member.segment_name == name)
        still_matches = select(PROFILES.c.user_id).where(PROFILES.c.user_id == member.user_id, matching).exists()
        leavers = select(member.user_id).where(member.segment_name == name, ~still_matches)
        joiners = select(PROFILES.c.user_id).where(matching, PROFILES.c.user_id.not_in(is_member))
        left = await self._record(leavers, name, joined=False, now=now, job_id=job_id)
        await self._db.execute(delete(MEMBERS).where(member.segment_name == name, ~still_matches))
        joined = await self._record(joiners, name, joined=True, now=now, job_id=job_id)
        columns = ["segment_name", "user_id", "since"]
        rows = select(bindparam("segment", name), PROFILES.c.user_id, bindparam("since", now, type_=UtcDateTime))
        await self._db.execute(
            insert(MEMBERS).from_select(columns, rows.where(matching, PROFILES.c.user_id.not_in(is_member)))
        )
        count = select(func.count()).select_from(MEMBERS).where(member.segment_name == name).scalar_subquery()
        await self._db.execute(update(SEGMENTS).where(SEGMENTS.c.name == name).values(members=count, computed_at=now))
        return left + joined

    async def _record(self, who: Any, name: str, *, joined: bool, now: datetime, job_id: str | None) -> int:
        columns = ["user_id", "segment_name", "joined", "changed_at", "job_id"]
        subquery = who.subquery()
        rows = select(
            subquery.c.user_id,
            bindparam("segment_name", name),
            bindparam("joined", joined),
            bindparam("changed_at", now, type_=UtcDateTime),
            bindparam("job_id", job_id),
        )
        result = await self._db.execute(insert(CHANGES).from_select(columns, rows))
        return int(getattr(result, "rowcount", 0) or 0)

    async def count(self, audience: Audience) -> int:
        statement = select(func.count()).select_from(PROFILES).where(audience_sql(audience))
        return int((await self._db.execute(statement)).scalar_one())

    async def sample(self, audience: Audience, limit: int) -> builtins.list[SampleMember]:
        query = (
            select(PROFILES.c.user_id, USERS.c.nickname)
            .join(USERS, USERS.c.id == PROFILES.c.user_id)
            .where(audience_sql(audience))
            .order_by(PROFILES.c.user_id)
            .limit(limit)
        )
        return [SampleMember(row.user_id, row.nickname) for row in await self._db.execute(query)]

    async def add_job(self, job: RecomputeJob) -> None:
        await self._db.execute(
            insert(JOBS).values(
                id=job.id, status=job.status.value, progress=job.progress, trigger=job.trigger,
                created_at=job.created_at,
            )
        )  # fmt: skip

    async def get_job(self, job_id: str) -> RecomputeJob | None:
        row = (await self._db.execute(select(JOBS).where(JOBS.c.id == job_id))).first()
        return None if row is None else _job(row)

    async def claim_job(self, job_id: str, now: datetime, stale_before: datetime) -> bool:
        job = JOBS.c
        running = JobStatus.RUNNING.value
        await self._db.execute(
            update(JOBS)
            .where(job.status == running, job.started_at < stale_before)
            .values(status=JobStatus.FAILED.value, finished_at=now, error="abandoned")
        )
        try:
            async with self._db.begin_nested():
                result = await self._db.execute(
                    update(JOBS)
                    .where(job.id == job_id, job.status == JobStatus.QUEUED.value)
                    .values(status=running, started_at=now)
                )
        except IntegrityError:  # the partial unique index: another recompute runs
            return False
        return bool(getattr(result, "rowcount", 0))

    async def set_progress(self, job_id: str, progress: float) -> None:
        await self._db.execute(update(JOBS).where(JOBS.c.id == job_id).values(progress=round(progress, 4)))

    async def finish_job(
        self, job_id: str, now: datetime, *, players: int, changes: int, error: str | None = None
    ) -> None:
        status = JobStatus.FAILED if error else JobStatus.DONE
        values: dict[str, Any] = {"status": status.value, "finished_at": now, "players": players, "changes": changes}
        values |= {"error": error} if error else {"progress": 1.0}
        open_statuses = [JobStatus.QUEUED.value, JobStatus.RUNNING.value]
        await self._db.execute(
            update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status.in_(open_statuses)).values(**values)
        )

    async def profile(self, user_id: str) -> PlayerProfile | None:
        row = (await self._db.execute(select(PROFILES).where(PROFILES.c.user_id == user_id))).first()
        if row is None:
            return None
        return PlayerProfile(
            user_id=row.user_id,
            rfm=RfmGroup(row.rfm),
            ltv_cents=row.ltv_cents,
            churn_risk=row.churn_risk,
            total_spent_cents=row.total_spent_cents,
            plays_30d=row.plays_30d,
            purchases_30d=row.purchases_30d,
            days_since_last_play=row.days_since_last_play,
            days_since_signup=row.days_since_signup,
            computed_at=row.computed_at,
        )

    async def memberships(self, user_id: str) -> builtins.list[str]:
        statement = select(MEMBERS.c.segment_name).where(MEMBERS.c.user_id == user_id).order_by(MEMBERS.c.segment_name)
        return [str(name) for name in (await self._db.execute(statement)).scalars()]

    async def recent_plays(self, user_id: str, now: datetime, days: int) -> dict[str, int]:
        plays = PLAYS.c
        statement = (
            select(plays.game_type, func.count())
            .where(plays.user_id == user_id, plays.created_at >= now - timedelta(days=days))
            .group_by(plays.game_type)
        )
        return {str(game): int(count) for game, count in (await self._db.execute(statement)).all()}

    async def days_since_signup(self, user_id: str, now: datetime) -> int:
        created = (await self._db.execute(select(USERS.c.created_at).where(USERS.c.id == user_id))).scalar()
        return 0 if created is None else max(0, (now - created).days)

    async def changes(self, user_id: str, limit: int) -> builtins.list[MembershipChange]:
        change = CHANGES.c
        statement = (
            select(change.segment_name, change.joined, change.changed_at)
            .where(change.user_id == user_id)
            .order_by(change.changed_at.desc(), change.id.desc())
            .limit(limit)
        )
        return [
            MembershipChange(row.segment_name, row.joined, row.changed_at) for row in await self._db.execute(statement)
        ]
