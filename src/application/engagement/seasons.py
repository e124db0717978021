"""Season leaderboards: scores from plays (an outbox consumer, batched per relay pass), the live board with the
caller's neighbours and the next reset, and a past season's final ranks with the rewards paid.

Scores live in the database (the record the settlement pays from), not only in the cache-backed boards: each
relay pass writes one row per player and season, after dropping redelivered events in the inbox. The relay runs it
inside the counters of play (`plays.count_plays`, one once-only key per event for four counters) as `score_counted`;
`record_scores` is the consumer alone, with its own inbox marks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from src.application.engagement.battlepass_xp import INBOX_RETENTION
from src.application.engagement.season_ports import FinalRank, ScoreDelta, SeasonUnitOfWork, Standing, StoredPeriod
from src.application.games.boards import increments_of
from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import MAX_LIMIT, check_limit
from src.application.shared.ports import Clock, IdGenerator
from src.domain.engagement.seasons import SeasonBoard, SeasonPeriod, period_of
from src.domain.shared.errors import NotFound

SCORE_EVENTS = ("SpinSettled", "GachaPulled")
CONSUMER = "season_scores"
AROUND = 3  # ranks shown above and below the caller


@dataclass
class SeasonDeps:
    """`timezone`: the game's calendar (STREAK_TIMEZONE) where daily and weekly seasons start and end."""

    uow_factory: Callable[[], SeasonUnitOfWork]
    clock: Clock
    ids: IdGenerator
    timezone: tzinfo
    settlement_batch_size: int = 100


@dataclass(frozen=True)
class RankedEntry:
    rank: int
    user_id: str
    nickname: str
    score: int


@dataclass(frozen=True)
class SeasonBoardView:
    board: SeasonBoard
    period: SeasonPeriod
    items: list[RankedEntry]
    me: Standing | None
    around_me: list[RankedEntry]


@dataclass(frozen=True)
class PastSeason:
    board: SeasonBoard | None
    period: StoredPeriod
    items: list[tuple[FinalRank, str]]  # with the player's nickname
    next_after_rank: int | None


def _deltas(boards: list[SeasonBoard], messages: Sequence[OutboxMessage], zone: tzinfo) -> list[ScoreDelta]:
    """One delta per (season, player): the pass's plays summed; `at` the last play that changed the score."""
    found: dict[tuple[str, str], ScoreDelta] = {}
    for message in messages:
        increments = increments_of(message)
        for board in boards:
            if not board.enabled or not (value := round(increments.get(board.board, 0.0))):
                continue
            period, user_id = period_of(board, message.created_at, zone), message.aggregate_id
            previous = found.get((period.season_id, user_id))
            total = value + (previous.delta if previous else 0)
            found[(period.season_id, user_id)] = ScoreDelta(period, user_id, total, message.created_at)
    return list(found.values())


async def record_scores(messages: Sequence[OutboxMessage], deps: SeasonDeps) -> None:
    """One transaction per pass: the inbox write, then one score write per player and season."""
    async with deps.uow_factory() as uow:
        repository = uow.season_boards
        new = await repository.first_events(CONSUMER, [m.event_id for m in messages], deps.clock.now())
        if not new:
            return
        fresh = list({m.event_id: m for m in messages if m.event_id in new}.values())  # each event once
        await repository.add_scores(_deltas(await repository.definitions(), fresh, deps.timezone))
        await uow.commit()


async def score_counted(uow: SeasonUnitOfWork, fresh: Sequence[OutboxMessage], deps: SeasonDeps) -> None:
    """`record_scores` in the caller's transaction, for events it has already kept once-only, each once
    (`count_plays`): nothing is remembered here."""
    if plays := [message for message in fresh if message.event_type in SCORE_EVENTS]:
        repository = uow.season_boards
        await repository.add_scores(_deltas(await repository.definitions(), plays, deps.timezone))


async def forget_processed(deps: SeasonDeps) -> int:
    """Drop the consumer's inbox marks past retention (the battle pass consumer's), so the inbox stays small."""
    async with deps.uow_factory() as uow:
        forgotten = await uow.season_boards.forget_events(CONSUMER, deps.clock.now() - INBOX_RETENTION)
        await uow.commit()
    return forgotten


async def _named(uow: SeasonUnitOfWork, standings: list[Standing]) -> list[RankedEntry]:
    nicknames = await uow.users.nicknames([standing.user_id for standing in standings])
    return [RankedEntry(s.rank, s.user_id, nicknames.get(s.user_id, "(gone)"), s.score) for s in standings]


def pick_board(boards: list[SeasonBoard], definition_id: str | None, board: str) -> SeasonBoard:
    """The named definition, else the first enabled one counting `board`; 404 when there is none."""
    enabled = [candidate for candidate in boards if candidate.enabled]
    if definition_id is not None:
        found = next((candidate for candidate in enabled if candidate.definition_id == definition_id), None)
    else:
        found = next((candidate for candidate in enabled if candidate.board == board), None)
    if found is None:
        raise NotFound("no such season leaderboard")
    return found


async def view_season_board(
    caller_id: str, board: str, definition_id: str | None, limit: int | None, deps: SeasonDeps
) -> SeasonBoardView:
    """The running season's top, the caller's rank and `AROUND` neighbours either side, and when it resets."""
    size = min(check_limit(limit), MAX_LIMIT)
    async with deps.uow_factory() as uow:
        repository = uow.season_boards
        chosen = pick_board(await repository.definitions(), definition_id, board)
        period = period_of(chosen, deps.clock.now(), deps.timezone)
        top = await repository.top(period.season_id, size)
        me = await repository.rank_of(period.season_id, caller_id)
        around: list[Standing] = []
        if me is not None:
            around = await repository.top(period.season_id, 2 * AROUND + 1, max(0, me.rank - 1 - AROUND))
        items, around_me = await _named(uow, top), await _named(uow, around)
    return SeasonBoardView(chosen, period, items, me, around_me)


async def past_season(season_id: str, limit: int | None, after_rank: int, deps: SeasonDeps) -> PastSeason:
    """A finished season's final ranks and rewards (paid_at null while its settlement runs); 404 before it ends."""
    size = min(check_limit(limit), MAX_LIMIT)
    async with deps.uow_factory() as uow:
        repository = uow.season_boards
        stored = await repository.period(season_id)
        if stored is None or stored.frozen_at is None:
            raise NotFound("no finished season with this id")
        results = await repository.results(season_id, size + 1, after_rank)
        nicknames = await uow.users.nicknames([result.user_id for result in results])
        board = await repository.definition(stored.period.definition_id)
    page = results[:size]
    items = [(result, nicknames.get(result.user_id, "(gone)")) for result in page]
    return PastSeason(board, stored, items, page[-1].rank if len(results) > size else None)


def resets_at(view: SeasonBoardView) -> datetime:
    return view.period.ends_at
