"""The counters of play in one outbox consumer: season scores, battle pass XP, mission and achievement progress and
the VIP totals, one transaction per relay pass with one once-only key per event.

Each of the four adds a pass's plays to running counts, so none is idempotent by construction: each must count an
event once, also when a pass is delivered again (after a crash, or when a consumer later in the pass failed). Each
had its own transaction and its own key per event (three `processed_events` rows and one `progress_events` row per
spin). Here the progress engine's `progress_events` row (an event always names one player) is the key of all four:
written in the same transaction as every count, so a pass delivered again finds its events' keys and counts none of
them twice, and a pass that fails anywhere rolls back everything, keys included, and counts whole when delivered
again. `award_xp`, `record_scores`, `upgrade_players` and `apply_progress` remain each consumer alone (its own
transaction and key), for the tests and tools that drive one of them.

Order inside the transaction: the definitions, the players locked (`progress_players`, in id order: passes sharing
players queue), the keys; then season scores, the VIP totals (a tier crossing locks the player's `users` row FOR NO
KEY UPDATE, which a spin's foreign-key check does not wait for), battle pass XP (a battle pass claim locks its
progress row, then the wallet: XP is added before any wallet row here is locked), and progress last: its automatic
prizes are credited last before the commit, so their wallet rows, which the players' spins wait for, are held
shortest. (A late play that pays a settled battle pass level locks a wallet row before progress's mission rows:
rare, and a deadlock there fails the pass, which is delivered again.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from src.application.engagement.battlepass import BattlePassDeps
from src.application.engagement.battlepass_ports import BattlePassUnitOfWork
from src.application.engagement.battlepass_xp import XP_EVENTS, award_counted
from src.application.engagement.deps import EngagementDeps, MissionDeps
from src.application.engagement.facts import PROGRESS_EVENTS, facts_of
from src.application.engagement.ports import EngagementUnitOfWork, MissionsUnitOfWork
from src.application.engagement.progress import enabled_definitions, progress_counted
from src.application.engagement.season_ports import SeasonUnitOfWork
from src.application.engagement.seasons import SCORE_EVENTS, SeasonDeps, score_counted
from src.application.engagement.vip import UPGRADE_EVENTS, progress_delta, upgrade_counted
from src.application.shared.outbox import OutboxMessage

PLAY_EVENTS = tuple(dict.fromkeys((*SCORE_EVENTS, *XP_EVENTS, *PROGRESS_EVENTS, *UPGRADE_EVENTS)))


class PlaysUnitOfWork(MissionsUnitOfWork, BattlePassUnitOfWork, SeasonUnitOfWork, EngagementUnitOfWork, Protocol):
    """One transaction over the four counters' tables."""


@dataclass(frozen=True)
class PlaysDeps:
    """The four counters' own deps (clocks, calendars, ids), and units of work over all their tables."""

    uow_factory: Callable[[], PlaysUnitOfWork]
    seasons: SeasonDeps
    battlepass: BattlePassDeps
    missions: MissionDeps
    vip: EngagementDeps


def player_of(message: OutboxMessage) -> str | None:
    """The player an event counts for with any of the four; None when none counts it."""
    if (found := facts_of(message)) is not None and found[1]:
        return found[0]
    if (delta := progress_delta(message)) is not None:
        return delta.user_id
    return None


async def count_plays(messages: Sequence[OutboxMessage], deps: PlaysDeps) -> None:
    """A relay pass's plays into the four counters, in one transaction; events counted before are skipped."""
    players = {message.event_id: player for message in messages if (player := player_of(message)) is not None}
    if not players:
        return
    now = deps.missions.clock.now()
    async with deps.uow_factory() as uow:
        definitions = await enabled_definitions(uow)
        await uow.progress.lock_players(sorted(set(players.values())))
        new = await uow.progress.first_seen(players, now)
        fresh = list({m.event_id: m for m in messages if m.event_id in new}.values())  # each event once, in order
        if not fresh:
            return
        await score_counted(uow, fresh, deps.seasons)
        await upgrade_counted(uow, fresh, deps.vip)
        await award_counted(uow, fresh, deps.battlepass)
        await progress_counted(uow, fresh, definitions, deps.missions)
        await uow.commit()
