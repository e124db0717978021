"""In-memory season leaderboards: the unit-test twin of the SQL repository (same ranking order, results frozen
once under the period's row lock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.adapters.memory.inbox import InMemoryEventInbox
from src.application.engagement.season_ports import FinalRank, ScoreDelta, Standing, StoredPeriod
from src.domain.engagement.seasons import SeasonBoard, SeasonPeriod

ScoreKey = tuple[str, str]  # season, player


@dataclass
class SeasonTables:
    boards: dict[str, SeasonBoard] = field(default_factory=dict)
    periods: dict[str, StoredPeriod] = field(default_factory=dict)
    scores: dict[ScoreKey, tuple[int, datetime]] = field(default_factory=dict)  # → (score, score_at)
    results: dict[ScoreKey, FinalRank] = field(default_factory=dict)
    processed: dict[tuple[str, str], datetime] = field(default_factory=dict)


class InMemorySeasonBoardRepository(InMemoryEventInbox["SeasonTables"]):
    def __init__(self, workspace: Workspace[SeasonTables]) -> None:
        self._workspace = workspace

    @property
    def _tables(self) -> SeasonTables:
        return self._workspace.working

    async def definitions(self) -> list[SeasonBoard]:
        return [self._tables.boards[key] for key in sorted(self._tables.boards)]

    async def definition(self, definition_id: str) -> SeasonBoard | None:
        return self._tables.boards.get(definition_id)

    async def save_definition(self, board: SeasonBoard, now: datetime) -> None:
        await self._workspace.lock_row("boards", board.definition_id)
        self._tables.boards[board.definition_id] = board

    async def add_scores(self, deltas: Sequence[ScoreDelta]) -> None:
        for delta in sorted(deltas, key=lambda d: (d.period.season_id, d.user_id)):
            season_id = delta.period.season_id
            await self._workspace.lock_row("periods", season_id)
            self._tables.periods.setdefault(season_id, StoredPeriod(delta.period, None, None))
            await self._workspace.lock_row("scores", (season_id, delta.user_id))
            score, _ = self._tables.scores.get((season_id, delta.user_id), (0, delta.at))
            self._tables.scores[(season_id, delta.user_id)] = (score + delta.delta, delta.at)

    def _ranking(self, season_id: str) -> list[tuple[str, int]]:
        rows = [(user, score, at) for (season, user), (score, at) in self._tables.scores.items() if season == season_id]
        return [(user, score) for user, score, _ in sorted(rows, key=lambda row: (-row[1], row[2], row[0]))]

    async def top(self, season_id: str, limit: int, offset: int = 0) -> list[Standing]:
        ranking = self._ranking(season_id)[offset : offset + limit]
        return [Standing(offset + index, user, score) for index, (user, score) in enumerate(ranking, start=1)]

    async def rank_of(self, season_id: str, user_id: str) -> Standing | None:
        for rank, (user, score) in enumerate(self._ranking(season_id), start=1):
            if user == user_id:
                return Standing(rank, user, score)
        return None

    async def period(self, season_id: str) -> StoredPeriod | None:
        return self._tables.periods.get(season_id)

    async def due_periods(self, ended_before: datetime) -> list[SeasonPeriod]:
        due = [
            p.period for p in self._tables.periods.values() if p.settled_at is None and p.period.ends_at <= ended_before
        ]
        return sorted(due, key=lambda period: period.ends_at)

    async def freeze(self, period: SeasonPeriod, board: SeasonBoard, now: datetime) -> None:
        await self._workspace.lock_row("periods", period.season_id)
        stored = self._tables.periods.get(period.season_id)
        if stored is None or stored.frozen_at is not None:
            return
        for rank, (user_id, score) in enumerate(self._ranking(period.season_id), start=1):
            reward = board.reward_for(rank)
            final = FinalRank(rank, user_id, score, reward, now if reward.empty else None)
            self._tables.results[(period.season_id, user_id)] = final
        self._tables.periods[period.season_id] = replace(stored, frozen_at=now)

    def _unpaid(self, season_id: str) -> list[FinalRank]:
        found = [r for (season, _), r in self._tables.results.items() if season == season_id and r.paid_at is None]
        return sorted(found, key=lambda result: result.rank)

    async def take_unpaid(self, season_id: str, limit: int) -> list[FinalRank]:
        taken: list[FinalRank] = []
        for result in self._unpaid(season_id):
            await self._workspace.lock_row("results", (season_id, result.user_id))
            stored = self._tables.results.get((season_id, result.user_id))
            if stored is not None and stored.paid_at is None:
                taken.append(stored)
            if len(taken) == limit:
                break
        return taken

    async def mark_paid(self, season_id: str, user_ids: Sequence[str], now: datetime) -> None:
        for user_id in user_ids:
            await self._workspace.lock_row("results", (season_id, user_id))
            if (stored := self._tables.results.get((season_id, user_id))) is not None:
                self._tables.results[(season_id, user_id)] = replace(stored, paid_at=now)

    async def count_unpaid(self, season_id: str) -> int:
        return len(self._unpaid(season_id))

    async def mark_period_settled(self, season_id: str, now: datetime) -> None:
        await self._workspace.lock_row("periods", season_id)
        stored = self._tables.periods.get(season_id)
        if stored is not None and stored.settled_at is None:
            self._tables.periods[season_id] = replace(stored, settled_at=now)

    async def results(self, season_id: str, limit: int, after_rank: int) -> list[FinalRank]:
        found = [r for (season, _), r in self._tables.results.items() if season == season_id and r.rank > after_rank]
        return sorted(found, key=lambda result: result.rank)[:limit]
