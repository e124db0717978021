"""SQL battle pass: seasons as JSON documents, standings updated by one multi-row upsert per relay pass, claims
paid once by their primary key, and settlement batches taken with SKIP LOCKED (PostgreSQL; SQLite has one writer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_execute, driver_parsed
from src.adapters.sqla.models.battlepass import BattlePassClaimRow, BattlePassProgressRow, BattlePassSeasonRow
from src.adapters.sqla.repositories.inbox import SqlaEventInbox
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.engagement.battlepass_ports import XpGain
from src.domain.engagement.battlepass import BattlePassSeason, PassLevel, PassProgress, Track, TrackReward, XpTable

Progress = BattlePassProgressRow


def _reward(document: Mapping[str, Any]) -> TrackReward:
    return TrackReward(int(document.get("coins", 0)), int(document.get("gems", 0)))


_PG_SEASONS = (
    "SELECT season_id, name, starts_at, ends_at, levels, xp_table, premium_price_gems, enabled, settled_at "
    "FROM battlepass_seasons ORDER BY starts_at, season_id"
)


def _json(value: Any) -> Any:
    """A JSON column's value: decoded already through SQLAlchemy, text when the driver has no codec for it."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _season(row: BattlePassSeasonRow | Columns) -> BattlePassSeason:
    levels = tuple(
        PassLevel(int(level["level"]), int(level["xp"]), _reward(level["free"]), _reward(level["premium"]))
        for level in _json(row.levels)
    )
    xp = XpTable(**{key: int(value) for key, value in _json(row.xp_table).items()})
    return BattlePassSeason(
        row.season_id,
        row.name,
        row.starts_at,
        row.ends_at,
        levels,
        xp,
        row.premium_price_gems,
        row.enabled,
        row.settled_at,
    )


def _document(season: BattlePassSeason, now: datetime) -> dict[str, Any]:
    def reward(value: TrackReward) -> dict[str, int]:
        return {"coins": value.coins, "gems": value.gems}

    levels = [
        {"level": lv.level, "xp": lv.xp, "free": reward(lv.free), "premium": reward(lv.premium)} for lv in season.levels
    ]
    xp = season.xp
    return {
        "season_id": season.season_id,
        "name": season.name,
        "starts_at": season.starts_at,
        "ends_at": season.ends_at,
        "levels": levels,
        "xp_table": {"play": xp.play, "per_100_coins_wagered": xp.per_100_coins_wagered, "purchase": xp.purchase},
        "premium_price_gems": season.premium_price_gems,
        "enabled": season.enabled,
        "updated_at": now,
    }


def _progress(season_id: str, user_id: str, row: Any) -> PassProgress:
    if row is None:
        return PassProgress(season_id, user_id)
    return PassProgress(season_id, user_id, int(row.xp), 0, bool(row.premium), row.settled_at)


_STANDING = (Progress.user_id, Progress.xp, Progress.premium, Progress.settled_at)

# PostgreSQL, straight to the driver: a relay pass's XP per player by one array parameter per column (SQLAlchemy's
# multi-row VALUES bound row by row); same rows, order (user id: concurrent writers lock in one order) and upsert
_PG_ADD_XP = """
INSERT INTO battlepass_progress AS progress (season_id, user_id, xp, premium, updated_at)
SELECT $1, gain.user_id, gain.xp, false, $4 FROM unnest($2::varchar[], $3::bigint[]) AS gain (user_id, xp)
ON CONFLICT (season_id, user_id) DO UPDATE SET xp = progress.xp + excluded.xp, updated_at = excluded.updated_at
RETURNING progress.user_id, progress.xp, progress.premium, progress.settled_at
"""


class SqlaBattlePassRepository(SqlaEventInbox):
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    @property
    def _insert(self) -> Any:
        return dialect_insert(self._db)

    async def seasons(self) -> list[BattlePassSeason]:
        if self._db.get_bind().dialect.name == "postgresql":  # each relay pass reads them: parsed once per change
            return await driver_parsed(self._db, _PG_SEASONS, _season)
        query = select(BattlePassSeasonRow).order_by(BattlePassSeasonRow.starts_at, BattlePassSeasonRow.season_id)
        return [_season(row) for row in (await self._db.scalars(query)).all()]

    async def season(self, season_id: str) -> BattlePassSeason | None:
        row = await self._db.get(BattlePassSeasonRow, season_id, populate_existing=True)
        return None if row is None else _season(row)

    async def save_season(self, season: BattlePassSeason, now: datetime) -> None:
        document = _document(season, now)
        statement = self._insert(BattlePassSeasonRow).values(**document)
        changes = {key: statement.excluded[key] for key in document if key != "season_id"}
        statement = statement.on_conflict_do_update(index_elements=["season_id"], set_=changes)
        await self._db.execute(statement)

    async def due_for_settlement(self, ended_before: datetime) -> list[BattlePassSeason]:
        query = select(BattlePassSeasonRow).where(
            BattlePassSeasonRow.ends_at <= ended_before,
            BattlePassSeasonRow.settled_at.is_(None),
            BattlePassSeasonRow.enabled.is_(True),
        )
        return [_season(row) for row in (await self._db.scalars(query.order_by(BattlePassSeasonRow.ends_at))).all()]

    async def mark_settled(self, season_id: str, now: datetime) -> None:
        await self._db.execute(
            update(BattlePassSeasonRow)
            .where(BattlePassSeasonRow.season_id == season_id, BattlePassSeasonRow.settled_at.is_(None))
            .values(settled_at=now)
        )

    async def progress(self, season_id: str, user_id: str) -> PassProgress:
        query = select(*_STANDING).where(Progress.season_id == season_id, Progress.user_id == user_id)
        return _progress(season_id, user_id, (await self._db.execute(query)).one_or_none())

    async def lock_progress(self, season_id: str, user_id: str) -> PassProgress:
        """One statement: insert an empty standing or touch the existing one (the update takes its row lock)."""
        upsert = self._insert(Progress).values(
            season_id=season_id, user_id=user_id, xp=0, premium=False, updated_at=func.now()
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=["season_id", "user_id"], set_={"updated_at": upsert.excluded.updated_at}
        ).returning(*_STANDING)
        return _progress(season_id, user_id, (await self._db.execute(upsert)).one())

    async def set_premium(self, season_id: str, user_id: str) -> None:
        await self._db.execute(
            update(Progress)
            .where(Progress.season_id == season_id, Progress.user_id == user_id)
            .values(premium=True, updated_at=func.now())
        )

    async def add_xp(self, season_id: str, gains: Mapping[str, int], now: datetime) -> list[XpGain]:
        if not gains:
            return []
        if self._db.get_bind().dialect.name == "postgresql":
            users = sorted(gains)
            added = await driver_execute(self._db, _PG_ADD_XP, season_id, users, [gains[user] for user in users], now)
            return [XpGain(gains[row["user_id"]], _progress(season_id, row["user_id"], Columns(row))) for row in added]
        rows = [
            {"season_id": season_id, "user_id": user, "xp": xp, "premium": False, "updated_at": now}
            for user, xp in sorted(gains.items())
        ]  # sorted: concurrent writers lock rows in one order
        upsert = self._insert(Progress).values(rows)
        upsert = upsert.on_conflict_do_update(
            index_elements=["season_id", "user_id"],
            set_={"xp": Progress.xp + upsert.excluded.xp, "updated_at": upsert.excluded.updated_at},
        ).returning(*_STANDING)
        result = (await self._db.execute(upsert)).all()
        return [XpGain(gains[row.user_id], _progress(season_id, row.user_id, row)) for row in result]

    async def claimed(self, season_id: str, user_id: str) -> set[tuple[int, Track]]:
        query = select(BattlePassClaimRow.level, BattlePassClaimRow.track).where(
            BattlePassClaimRow.season_id == season_id, BattlePassClaimRow.user_id == user_id
        )
        return {(int(level), Track(track)) for level, track in (await self._db.execute(query)).all()}

    async def add_claim(self, season_id: str, user_id: str, level: int, track: Track, via: str, now: datetime) -> bool:
        statement = self._insert(BattlePassClaimRow).values(
            season_id=season_id, user_id=user_id, level=level, track=track.value, via=via, claimed_at=now
        )
        result = await self._db.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def take_unsettled(self, season_id: str, limit: int) -> list[PassProgress]:
        query = (
            select(*_STANDING)
            .where(Progress.season_id == season_id, Progress.settled_at.is_(None))
            .order_by(Progress.user_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_progress(season_id, row.user_id, row) for row in (await self._db.execute(query)).all()]

    async def count_unsettled(self, season_id: str) -> int:
        query = select(func.count()).where(Progress.season_id == season_id, Progress.settled_at.is_(None))
        return int((await self._db.execute(query)).scalar_one())

    async def mark_progress_settled(self, season_id: str, user_ids: Sequence[str], now: datetime) -> None:
        await self._db.execute(
            update(Progress)
            .where(Progress.season_id == season_id, Progress.user_id.in_(list(user_ids)))
            .values(settled_at=now, updated_at=now)
        )
