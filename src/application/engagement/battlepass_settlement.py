"""Season-end settlement: every reached-but-unclaimed reward is paid to its player, online or not, exactly once.

A job run (any number of workers at once) takes unsettled standings of an ended season in batches locked with
SKIP LOCKED, so workers share the players instead of queueing on them; each batch is one transaction: the claim
rows (their primary key pays each level and track once), one ledger row per currency per player (referenced by
the settlement), the standing marked settled. A worker killed mid-batch rolls its batch back; the next run takes
those players again. The season is marked settled once no unsettled standing is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from src.application.engagement.battlepass import BattlePassDeps, pay_reward, reward_reference
from src.application.engagement.battlepass_ports import BattlePassUnitOfWork
from src.domain.engagement.battlepass import BattlePassSeason, PassProgress, TrackReward, claimable_levels

# plays committed just before the end reach the consumer a moment later; a later one still pays (see award_xp)
SETTLEMENT_GRACE = timedelta(seconds=30)
SETTLED_BY_SEASON_END = "season_end"
MAX_BATCHES_PER_RUN = 50


async def settle_player(
    uow: BattlePassUnitOfWork, season: BattlePassSeason, progress: PassProgress, now: datetime
) -> TrackReward:
    """Pay the player's unclaimed reached levels (premium ones too for a holder) as one credit per currency."""
    level = season.level_for(progress.xp)
    standing = PassProgress(season.season_id, progress.user_id, progress.xp, level, progress.premium)
    claimed = await uow.battlepass.claimed(season.season_id, progress.user_id)
    coins = gems = 0
    for track, levels in claimable_levels(season, standing, claimed).items():
        for number in levels:
            if await uow.battlepass.add_claim(
                season.season_id, progress.user_id, number, track, SETTLED_BY_SEASON_END, now
            ):
                reward = season.levels[number - 1].reward(track)
                coins, gems = coins + reward.coins, gems + reward.gems
    total = TrackReward(coins, gems)
    reference = reward_reference(season.season_id, progress.user_id, f"end@{level}")
    await pay_reward(uow, progress.user_id, total, reference, now)
    return total


async def _settle_batch(season: BattlePassSeason, deps: BattlePassDeps) -> bool:
    """One batch of players in one transaction; False when nothing is left to take (or all is taken)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        batch = await uow.battlepass.take_unsettled(season.season_id, deps.settlement_batch_size)
        if not batch:
            if await uow.battlepass.count_unsettled(season.season_id) == 0:
                await uow.battlepass.mark_settled(season.season_id, now)
                await uow.commit()
            return False
        for progress in batch:
            await settle_player(uow, season, progress, now)
        await uow.battlepass.mark_progress_settled(season.season_id, [p.user_id for p in batch], now)
        await uow.commit()
    return True


async def settle_ended_seasons(deps: BattlePassDeps) -> int:
    """Settle every ended season not settled yet; returns the batches paid by this run."""
    async with deps.uow_factory() as uow:
        due = await uow.battlepass.due_for_settlement(deps.clock.now() - SETTLEMENT_GRACE)
    batches = 0
    for season in due:
        while batches < MAX_BATCHES_PER_RUN and await _settle_batch(season, deps):
            batches += 1
    return batches
