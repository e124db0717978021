"""Leaderboards: fed by play events (idempotent by event id), read with the caller's own rank."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from src.application.games.leaderboard import (
    BOARDS,
    PERIODS,
    Leaderboard,
    ScoredEvent,
    check_board,
    check_period,
    period_key,
)
from src.application.identity.ports import HasUsers
from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import MAX_LIMIT, check_limit
from src.application.shared.ports import UnitOfWork


def increments_of(message: OutboxMessage) -> dict[str, float]:
    """What one play adds to each board; zero increments are left out, so boards list only real scores."""
    payload = message.payload
    if message.event_type == "SpinSettled":
        increments = {"net_coins": float(payload["payout"] - payload["bet"]), "wins": 1.0 if payload["payout"] else 0.0}
    elif message.event_type == "GachaPulled":
        increments = {"gacha_legendary": float(payload["legendary_count"])}
    else:
        increments = {}
    return {board: value for board, value in increments.items() if value}


async def apply_plays(messages: Sequence[OutboxMessage], leaderboard: Leaderboard) -> None:
    """A relay pass's plays, in one leaderboard round trip (each event still counted at most once)."""
    scored = [
        ScoredEvent(message.event_id, message.aggregate_id, increments, message.created_at)
        for message in messages
        if (increments := increments_of(message))
    ]
    await leaderboard.apply_many(scored)


class BoardUnitOfWork(UnitOfWork, HasUsers, Protocol):
    """A board shows nicknames."""


@dataclass(frozen=True)
class BoardEntry:
    rank: int
    user_id: str
    nickname: str
    score: int


@dataclass(frozen=True)
class BoardView:
    items: list[BoardEntry]
    me: tuple[int, int] | None


async def view_board(
    board: str,
    period: str,
    limit: int | None,
    caller_id: str,
    leaderboard: Leaderboard,
    uow_factory: Callable[[], BoardUnitOfWork],
    now: datetime,
) -> BoardView:
    """Every board counts whole units (coins, wins, pulls); the store keeps them as floats (sorted-set scores)."""
    board, period = check_board(board), check_period(period)
    top = await leaderboard.top(board, period, min(check_limit(limit), MAX_LIMIT), now)
    async with uow_factory() as uow:
        nicknames = await uow.users.nicknames([user_id for user_id, _ in top])
    items = [
        BoardEntry(rank, user_id, nicknames.get(user_id, "(gone)"), round(score))
        for rank, (user_id, score) in enumerate(top, start=1)
    ]
    me = await leaderboard.rank_of(board, period, caller_id, now)
    return BoardView(items, None if me is None else (me[0], round(me[1])))


class PlayScoreSource(Protocol):
    async def scores_since(self, since: datetime | None) -> dict[str, dict[str, float]]:
        """Per user, per board: the score earned by plays at or after `since` (all plays when None)."""
        ...


def period_start(period: str, now: datetime) -> datetime | None:
    day = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    if period == "daily":
        return day
    if period == "weekly":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    return None


def period_end(period: str, now: datetime) -> datetime | None:
    """When the period containing `now` ends and its board starts over (UTC); None for all time."""
    start = period_start(period, now)
    if start is None:
        return None
    return start + (timedelta(days=1) if period == "daily" else timedelta(days=7))


def _listed(board: str, by_board: dict[str, float]) -> bool:
    """As the live boards list players: everyone who spun stays on net_coins even when their net is back at zero;
    wins and legendaries list only players who have some."""
    return board in by_board and (board == "net_coins" or bool(by_board[board]))


async def rebuild_leaderboards(source: PlayScoreSource, leaderboard: Leaderboard, now: datetime) -> dict[str, int]:
    """Recompute the current daily, weekly and all-time boards from the play history (the record)."""
    sizes: dict[str, int] = {}
    for period in PERIODS:
        scores = await source.scores_since(period_start(period, now))
        for board in BOARDS:
            board_scores = {user: by_board[board] for user, by_board in scores.items() if _listed(board, by_board)}
            await leaderboard.replace(board, period_key(period, now), board_scores)
            sizes[f"{board}:{period}"] = len(board_scores)
    return sizes
