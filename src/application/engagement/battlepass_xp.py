"""Battle pass XP from plays and purchases: one outbox consumer, batched per relay pass.

A pass's events are recorded in the inbox in one write (a redelivered event is dropped there), the XP of the new
ones is summed per (season, player) by the season's XP table in force at the event's time, and each season's
players get their XP in one write. Every level reached is announced (BattlePassLevelReached → level_up) in the
same transaction. XP that lands in a season due for settlement (a play committed just before the end, relayed
late) pays its newly reached levels at once, so settlement never misses them, even for a player it never saw.

The relay runs it inside the counters of play (`plays.count_plays`: one transaction and one once-only key per event
for four counters) as `award_counted`; `award_xp` is the consumer alone, with its own inbox marks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from src.application.engagement.battlepass import BattlePassDeps
from src.application.engagement.battlepass_ports import BattlePassUnitOfWork, XpGain
from src.application.engagement.battlepass_settlement import SETTLEMENT_GRACE, settle_player
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.battlepass import BattlePassSeason, XpTable
from src.domain.engagement.events import BattlePassLevelReached

XP_EVENTS = ("SpinSettled", "GachaPulled", "PurchaseUpdated")
CONSUMER = "battlepass_xp"
CAPTURED = "captured"


def xp_of(message: OutboxMessage, table: XpTable) -> tuple[str, int] | None:
    """(player, XP) one event earns by `table`; None when it earns nothing."""
    payload = message.payload
    if message.event_type == "SpinSettled":
        user_id, xp = message.aggregate_id, table.play + table.per_100_coins_wagered * (int(payload["bet"]) // 100)
    elif message.event_type == "GachaPulled":
        user_id, xp = message.aggregate_id, table.play
    elif message.event_type == "PurchaseUpdated" and payload.get("status") == CAPTURED:
        user_id, xp = str(payload["user_id"]), table.purchase
    else:
        return None
    return (user_id, xp) if xp > 0 else None


def _season_at(seasons: list[BattlePassSeason], message: OutboxMessage) -> BattlePassSeason | None:
    return next((season for season in seasons if season.running(message.created_at)), None)


def _gains(seasons: list[BattlePassSeason], messages: Sequence[OutboxMessage]) -> dict[str, dict[str, int]]:
    """Season id → player → XP."""
    gains: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for message in messages:
        season = _season_at(seasons, message)
        if season is not None and (earned := xp_of(message, season.xp)) is not None:
            gains[season.season_id][earned[0]] += earned[1]
    return gains


async def _announce(uow: BattlePassUnitOfWork, season: BattlePassSeason, gain: XpGain, deps: BattlePassDeps) -> None:
    progress, now = gain.progress, deps.clock.now()
    before, after = season.level_for(progress.xp - gain.gained), season.level_for(progress.xp)
    for level in range(before + 1, after + 1):
        uow.record(
            BattlePassLevelReached(
                aggregate_id=progress.user_id, occurred_at=now, season_id=season.season_id, level=level
            )
        )
    if after > before and (progress.settled_at is not None or now >= season.ends_at + SETTLEMENT_GRACE):
        await settle_player(uow, season, progress, now)
        await uow.battlepass.mark_progress_settled(season.season_id, [progress.user_id], now)


INBOX_RETENTION = timedelta(days=8)  # an event is never redelivered this late


async def forget_processed(deps: BattlePassDeps) -> int:
    """Drop the consumer's inbox marks past retention, so the inbox does not grow with every play."""
    async with deps.uow_factory() as uow:
        forgotten = await uow.battlepass.forget_events(CONSUMER, deps.clock.now() - INBOX_RETENTION)
        await uow.commit()
    return forgotten


async def award_xp(messages: Sequence[OutboxMessage], deps: BattlePassDeps) -> None:
    """One transaction for the pass: the inbox write, one XP write per season, the level-ups."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        new = await uow.battlepass.first_events(CONSUMER, [message.event_id for message in messages], now)
        if not new:
            return
        fresh = list({m.event_id: m for m in messages if m.event_id in new}.values())  # each event once
        await _award(uow, fresh, deps)
        await uow.commit()


async def award_counted(uow: BattlePassUnitOfWork, fresh: Sequence[OutboxMessage], deps: BattlePassDeps) -> None:
    """`award_xp` in the caller's transaction, for events it has already kept once-only, each once (`count_plays`):
    nothing is remembered here."""
    if plays := [message for message in fresh if message.event_type in XP_EVENTS]:
        await _award(uow, plays, deps)


async def _award(uow: BattlePassUnitOfWork, fresh: Sequence[OutboxMessage], deps: BattlePassDeps) -> None:
    now = deps.clock.now()
    seasons = {season.season_id: season for season in await uow.battlepass.seasons()}
    for season_id, players in _gains(list(seasons.values()), fresh).items():
        for gain in await uow.battlepass.add_xp(season_id, players, now):
            await _announce(uow, seasons[season_id], gain, deps)
