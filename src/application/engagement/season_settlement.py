"""Season leaderboard settlement: at the reset the final ranks are frozen once, then each rank band's reward is
paid once per player and season, online or not.

Freezing takes the period's row lock, so of two workers one stores the ranks and the other finds them stored.
Paying takes unpaid results in batches locked with SKIP LOCKED: one transaction per batch writes one ledger row
per currency per player (referenced by season and player, so the ledger itself refuses a second payment) and
marks the results paid. A worker killed mid-batch rolls back; the next run pays those players.
"""

from __future__ import annotations

from datetime import timedelta

from src.application.engagement.seasons import SeasonDeps
from src.application.wallet.ledger import Grant, credit
from src.domain.engagement.seasons import SeasonPeriod
from src.domain.wallet.model import Currency, Movement

SETTLEMENT_GRACE = timedelta(seconds=30)  # the period's last plays are relayed a moment after its end
REWARD_REASON = "season_reward"
REF_TYPE = "season"
REWARD_SOURCE = "season_leaderboard"
MAX_BATCHES_PER_RUN = 50


async def _freeze(period: SeasonPeriod, deps: SeasonDeps) -> bool:
    """False when the definition is gone (nothing to pay by)."""
    async with deps.uow_factory() as uow:
        board = await uow.season_boards.definition(period.definition_id)
        if board is None:
            return False
        await uow.season_boards.freeze(period, board, deps.clock.now())
        await uow.commit()
    return True


async def _pay_batch(season_id: str, deps: SeasonDeps) -> bool:
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        batch = await uow.season_boards.take_unpaid(season_id, deps.settlement_batch_size)
        if not batch:
            if await uow.season_boards.count_unpaid(season_id) == 0:
                await uow.season_boards.mark_period_settled(season_id, now)
                await uow.commit()
            return False
        for result in batch:
            for currency, amount in ((Currency.COINS, result.reward.coins), (Currency.GEMS, result.reward.gems)):
                if amount:
                    reference = f"{season_id}:{result.user_id}"
                    movement = Movement(result.user_id, currency, amount, REWARD_REASON, REF_TYPE, reference)
                    await credit(uow, movement, now, Grant(REWARD_SOURCE))
        await uow.season_boards.mark_paid(season_id, [result.user_id for result in batch], now)
        await uow.commit()
    return True


async def settle_ended_seasons(deps: SeasonDeps) -> int:
    """Freeze and pay every ended season leaderboard; returns the batches paid by this run."""
    async with deps.uow_factory() as uow:
        due = await uow.season_boards.due_periods(deps.clock.now() - SETTLEMENT_GRACE)
    batches = 0
    for period in due:
        if not await _freeze(period, deps):
            continue
        while batches < MAX_BATCHES_PER_RUN and await _pay_batch(period.season_id, deps):
            batches += 1
    return batches
