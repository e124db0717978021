"""What the season leaderboards need from the world: definitions, per-season scores, periods, final results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.identity.ports import HasUsers
from src.application.shared.audit import Audited
from src.application.shared.ports import EventInbox
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.battlepass import TrackReward
from src.domain.engagement.seasons import SeasonBoard, SeasonPeriod


@dataclass(frozen=True)
class ScoreDelta:
    """What one relay pass adds to one player's score in one season; `at` is the time of their last such play."""

    period: SeasonPeriod
    user_id: str
    delta: int
    at: datetime


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: str
    score: int


@dataclass(frozen=True)
class FinalRank:
    rank: int
    user_id: str
    score: int
    reward: TrackReward
    paid_at: datetime | None


@dataclass(frozen=True)
class StoredPeriod:
    period: SeasonPeriod
    frozen_at: datetime | None
    settled_at: datetime | None


class SeasonBoardRepository(EventInbox, Protocol):
    async def definitions(self) -> list[SeasonBoard]:
        """Every definition, by id."""
        ...

    async def definition(self, definition_id: str) -> SeasonBoard | None: ...

    async def save_definition(self, board: SeasonBoard, now: datetime) -> None: ...

    async def add_scores(self, deltas: Sequence[ScoreDelta]) -> None:
        """Open each period (if new) and add each player's delta, in one write each."""
        ...

    async def top(self, season_id: str, limit: int, offset: int = 0) -> list[Standing]:
        """Ranked by score desc, then earlier `score_at`, then user id."""
        ...

    async def rank_of(self, season_id: str, user_id: str) -> Standing | None: ...

    async def period(self, season_id: str) -> StoredPeriod | None: ...

    async def due_periods(self, ended_before: datetime) -> list[SeasonPeriod]:
        """Periods that ended before `ended_before` and are not settled."""
        ...

    async def freeze(self, period: SeasonPeriod, board: SeasonBoard, now: datetime) -> None:
        """Once per period (its row locked): store every player's final rank and band reward, in ranking order;
        a reward of nothing is stored as paid."""
        ...

    async def take_unpaid(self, season_id: str, limit: int) -> list[FinalRank]:
        """Up to `limit` unpaid results, locked; rows another transaction holds are skipped."""
        ...

    async def mark_paid(self, season_id: str, user_ids: Sequence[str], now: datetime) -> None: ...

    async def count_unpaid(self, season_id: str) -> int: ...

    async def mark_period_settled(self, season_id: str, now: datetime) -> None: ...

    async def results(self, season_id: str, limit: int, after_rank: int) -> list[FinalRank]: ...


class SeasonUnitOfWork(WalletUnitOfWork, HasUsers, Audited, Protocol):
    @property
    def season_boards(self) -> SeasonBoardRepository: ...
