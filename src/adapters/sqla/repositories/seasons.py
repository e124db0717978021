"""SQL season leaderboards: scores upserted once per player and season per relay pass; ranks computed by the
documented order (score desc, earlier score_at, user id); results frozen under the period's row lock."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.driver import Columns, driver_execute, driver_parsed
from src.adapters.sqla.models.seasons import SeasonBoardRow, SeasonPeriodRow, SeasonResultRow, SeasonScoreRow
from src.adapters.sqla.repositories.inbox import SqlaEventInbox
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.engagement.season_ports import FinalRank, ScoreDelta, Standing, StoredPeriod
from src.domain.engagement.battlepass import TrackReward
from src.domain.engagement.seasons import Cadence, RankBand, SeasonBoard, SeasonPeriod

Score = SeasonScoreRow

# PostgreSQL, straight to the driver with one array parameter per column: a relay pass adds a score per player
# (SQLAlchemy's multi-row VALUES built and bound them row by row); same rows, same conflict rules
_PG_OPEN_PERIODS = """
INSERT INTO season_periods (season_id, definition_id, starts_at, ends_at)
SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[], $4::timestamptz[])
ON CONFLICT DO NOTHING
"""
_PG_ADD_SCORES = """
INSERT INTO season_scores AS scores (season_id, user_id, score, score_at)
SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::timestamptz[])
ON CONFLICT (season_id, user_id) DO UPDATE SET score = scores.score + excluded.score, score_at = excluded.score_at
"""
Result = SeasonResultRow
RANKING = (Score.score.desc(), Score.score_at, Score.user_id)
FREEZE_CHUNK = 1000


_PG_BOARDS = "SELECT definition_id, name, board, cadence, rewards, enabled FROM season_boards ORDER BY definition_id"


def _board(row: SeasonBoardRow | Columns) -> SeasonBoard:
    rewards = json.loads(row.rewards) if isinstance(row.rewards, str | bytes) else row.rewards
    bands = tuple(
        RankBand(int(band["rank_from"]), int(band["rank_to"]), TrackReward(int(band["coins"]), int(band["gems"])))
        for band in rewards
    )
    return SeasonBoard(row.definition_id, row.name, row.board, Cadence(row.cadence), bands, row.enabled)


def _period(row: SeasonPeriodRow) -> SeasonPeriod:
    return SeasonPeriod(row.season_id, row.definition_id, row.starts_at, row.ends_at)


def _final(row: Any) -> FinalRank:
    return FinalRank(
        int(row.rank), row.user_id, int(row.score), TrackReward(int(row.coins), int(row.gems)), row.paid_at
    )


class SqlaSeasonBoardRepository(SqlaEventInbox):
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    @property
    def _insert(self) -> Any:
        return dialect_insert(self._db)

    async def definitions(self) -> list[SeasonBoard]:
        if self._db.get_bind().dialect.name == "postgresql":  # each relay pass reads them: parsed once per change
            return await driver_parsed(self._db, _PG_BOARDS, _board)
        rows = await self._db.scalars(select(SeasonBoardRow).order_by(SeasonBoardRow.definition_id))
        return [_board(row) for row in rows.all()]

    async def definition(self, definition_id: str) -> SeasonBoard | None:
        row = await self._db.get(SeasonBoardRow, definition_id, populate_existing=True)
        return None if row is None else _board(row)

    async def save_definition(self, board: SeasonBoard, now: datetime) -> None:
        rewards = [
            {"rank_from": b.rank_from, "rank_to": b.rank_to, "coins": b.reward.coins, "gems": b.reward.gems}
            for b in board.bands
        ]
        document = {
            "definition_id": board.definition_id,
            "name": board.name,
            "board": board.board,
            "cadence": board.cadence.value,
            "rewards": rewards,
            "enabled": board.enabled,
            "updated_at": now,
        }
        statement = self._insert(SeasonBoardRow).values(**document)
        changes = {key: statement.excluded[key] for key in document if key != "definition_id"}
        await self._db.execute(statement.on_conflict_do_update(index_elements=["definition_id"], set_=changes))

    async def add_scores(self, deltas: Sequence[ScoreDelta]) -> None:
        if not deltas:
            return
        periods = {delta.period.season_id: delta.period for delta in deltas}
        if self._db.get_bind().dialect.name == "postgresql":
            seasons = list(periods.values())
            await driver_execute(
                self._db,
                _PG_OPEN_PERIODS,
                [p.season_id for p in seasons],
                [p.definition_id for p in seasons],
                [p.starts_at for p in seasons],
                [p.ends_at for p in seasons],
            )
            ordered = sorted(deltas, key=lambda d: (d.period.season_id, d.user_id))
            await driver_execute(
                self._db,
                _PG_ADD_SCORES,
                [d.period.season_id for d in ordered],
                [d.user_id for d in ordered],
                [d.delta for d in ordered],
                [d.at for d in ordered],
            )
            return
        opened = [
            {"season_id": p.season_id, "definition_id": p.definition_id, "starts_at": p.starts_at, "ends_at": p.ends_at}
            for p in periods.values()
        ]
        await self._db.execute(self._insert(SeasonPeriodRow).values(opened).on_conflict_do_nothing())
        rows = [
            {"season_id": d.period.season_id, "user_id": d.user_id, "score": d.delta, "score_at": d.at}
            for d in sorted(deltas, key=lambda d: (d.period.season_id, d.user_id))
        ]
        upsert = self._insert(Score).values(rows)
        upsert = upsert.on_conflict_do_update(
            index_elements=["season_id", "user_id"],
            set_={"score": Score.score + upsert.excluded.score, "score_at": upsert.excluded.score_at},
        )
        await self._db.execute(upsert)

    async def top(self, season_id: str, limit: int, offset: int = 0) -> list[Standing]:
        query = select(Score.user_id, Score.score).where(Score.season_id == season_id)
        rows = (await self._db.execute(query.order_by(*RANKING).limit(limit).offset(offset))).all()
        return [Standing(offset + index, row.user_id, int(row.score)) for index, row in enumerate(rows, start=1)]

    async def rank_of(self, season_id: str, user_id: str) -> Standing | None:
        mine = (
            await self._db.execute(
                select(Score.score, Score.score_at).where(Score.season_id == season_id, Score.user_id == user_id)
            )
        ).one_or_none()
        if mine is None:
            return None
        ahead = or_(
            Score.score > mine.score,
            and_(Score.score == mine.score, Score.score_at < mine.score_at),
            and_(Score.score == mine.score, Score.score_at == mine.score_at, Score.user_id < user_id),
        )
        count = (await self._db.execute(select(func.count()).where(Score.season_id == season_id, ahead))).scalar_one()
        return Standing(int(count) + 1, user_id, int(mine.score))

    async def period(self, season_id: str) -> StoredPeriod | None:
        row = await self._db.get(SeasonPeriodRow, season_id, populate_existing=True)
        return None if row is None else StoredPeriod(_period(row), row.frozen_at, row.settled_at)

    async def due_periods(self, ended_before: datetime) -> list[SeasonPeriod]:
        query = select(SeasonPeriodRow).where(
            SeasonPeriodRow.settled_at.is_(None), SeasonPeriodRow.ends_at <= ended_before
        )
        return [_period(row) for row in (await self._db.scalars(query.order_by(SeasonPeriodRow.ends_at))).all()]

    async def freeze(self, period: SeasonPeriod, board: SeasonBoard, now: datetime) -> None:
        locked = select(SeasonPeriodRow.frozen_at).where(SeasonPeriodRow.season_id == period.season_id)
        if (await self._db.execute(locked.with_for_update())).scalar_one_or_none() is not None:
            return
        ranking = select(Score.user_id, Score.score).where(Score.season_id == period.season_id).order_by(*RANKING)
        rows: list[dict[str, Any]] = []
        for rank, row in enumerate((await self._db.execute(ranking)).all(), start=1):
            reward = board.reward_for(rank)
            rows.append(
                {
                    "season_id": period.season_id,
                    "user_id": row.user_id,
                    "rank": rank,
                    "score": row.score,
                    "coins": reward.coins,
                    "gems": reward.gems,
                    "paid_at": now if reward.empty else None,
                }
            )
        for start in range(0, len(rows), FREEZE_CHUNK):
            await self._db.execute(insert(Result), rows[start : start + FREEZE_CHUNK])
        await self._db.execute(
            update(SeasonPeriodRow).where(SeasonPeriodRow.season_id == period.season_id).values(frozen_at=now)
        )

    async def take_unpaid(self, season_id: str, limit: int) -> list[FinalRank]:
        query = (
            select(Result.rank, Result.user_id, Result.score, Result.coins, Result.gems, Result.paid_at)
            .where(Result.season_id == season_id, Result.paid_at.is_(None))
            .order_by(Result.rank)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_final(row) for row in (await self._db.execute(query)).all()]

    async def mark_paid(self, season_id: str, user_ids: Sequence[str], now: datetime) -> None:
        await self._db.execute(
            update(Result).where(Result.season_id == season_id, Result.user_id.in_(list(user_ids))).values(paid_at=now)
        )

    async def count_unpaid(self, season_id: str) -> int:
        query = select(func.count()).where(Result.season_id == season_id, Result.paid_at.is_(None))
        return int((await self._db.execute(query)).scalar_one())

    async def mark_period_settled(self, season_id: str, now: datetime) -> None:
        await self._db.execute(
            update(SeasonPeriodRow)
            .where(SeasonPeriodRow.season_id == season_id, SeasonPeriodRow.settled_at.is_(None))
            .values(settled_at=now)
        )

    async def results(self, season_id: str, limit: int, after_rank: int) -> list[FinalRank]:
        query = (
            select(Result.rank, Result.user_id, Result.score, Result.coins, Result.gems, Result.paid_at)
            .where(Result.season_id == season_id, Result.rank > after_rank)
            .order_by(Result.rank)
            .limit(limit)
        )
        return [_final(row) for row in (await self._db.execute(query)).all()]
