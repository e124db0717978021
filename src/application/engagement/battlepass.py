"""Battle pass use cases: the caller's status, claiming a level's reward, buying the premium track.

Rewards pay through the wallet's ledger in the same transaction as the claim row, referenced by (season,
player, level, track): the claim's primary key and the ledger's unique reference each make a second payment
impossible, so 16 concurrent claims pay once. The premium track is one gem debit referenced by (season, player).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from src.application.engagement.battlepass_ports import BattlePassUnitOfWork
from src.application.limits.controls import refuse_if_restricted
from src.application.shared.idempotency import KeyRecorder
from src.application.shared.ports import Clock, IdGenerator
from src.application.wallet.ledger import Grant, credit, record_balance_change
from src.domain.engagement.battlepass import (
    BattlePassSeason,
    LevelAlreadyClaimed,
    LevelNotClaimable,
    NoRunningSeason,
    PassProgress,
    PremiumAlreadyOwned,
    Track,
    TrackReward,
    claimable_levels,
)
from src.domain.wallet.model import Currency, Movement, balances_of

REWARD_REASON = "battlepass_reward"
PREMIUM_REASON = "battlepass_premium"
REF_TYPE = "battlepass"
REWARD_SOURCE = "battlepass"
CLAIMED_BY_PLAYER = "claim"


@dataclass
class BattlePassDeps:
    """`settlement_batch_size`: players paid per transaction by the season-end settlement."""

    uow_factory: Callable[[], BattlePassUnitOfWork]
    clock: Clock
    ids: IdGenerator
    settlement_batch_size: int = 100


@dataclass(frozen=True)
class PassStatus:
    season: BattlePassSeason
    progress: PassProgress
    level: int
    xp_to_next: int
    claimable: dict[Track, list[int]]


@dataclass(frozen=True)
class ClaimResult:
    season_id: str
    level: int
    track: Track
    reward: TrackReward
    balances: dict[str, int]


def running_season(seasons: list[BattlePassSeason], now: datetime) -> BattlePassSeason | None:
    """The enabled season whose window holds `now` (enabled seasons never overlap)."""
    return next((season for season in reversed(seasons) if season.running(now)), None)


async def _running(uow: BattlePassUnitOfWork, now: datetime) -> BattlePassSeason:
    season = running_season(await uow.battlepass.seasons(), now)
    if season is None:
        raise NoRunningSeason
    return season


async def get_status(user_id: str, deps: BattlePassDeps) -> PassStatus:
    async with deps.uow_factory() as uow:
        season = await _running(uow, deps.clock.now())
        progress = await uow.battlepass.progress(season.season_id, user_id)
        claimed = await uow.battlepass.claimed(season.season_id, user_id)
    level = season.level_for(progress.xp)
    progress = PassProgress(season.season_id, user_id, progress.xp, level, progress.premium, progress.settled_at)
    return PassStatus(
        season, progress, level, season.xp_to_next(progress.xp), claimable_levels(season, progress, claimed)
    )


async def current_level(user_id: str, deps: BattlePassDeps) -> int:
    """The level in the running season (0 when none runs): the profile's `battlepass_level`."""
    async with deps.uow_factory() as uow:
        season = running_season(await uow.battlepass.seasons(), deps.clock.now())
        if season is None:
            return 0
        progress = await uow.battlepass.progress(season.season_id, user_id)
    return season.level_for(progress.xp)


def reward_reference(season_id: str, user_id: str, what: str) -> str:
    return f"{season_id}:{user_id}:{what}"


async def pay_reward(
    uow: BattlePassUnitOfWork, user_id: str, reward: TrackReward, reference: str, now: datetime
) -> dict[str, int]:
    """One ledger row per currency of the reward (a reward of nothing writes nothing); the balances after."""
    balances: dict[str, int] = {}
    for currency, amount in ((Currency.COINS, reward.coins), (Currency.GEMS, reward.gems)):
        if amount:
            movement = Movement(user_id, currency, amount, REWARD_REASON, REF_TYPE, reference)
            entry = await credit(uow, movement, now, Grant(REWARD_SOURCE))
            balances[currency.value] = entry.balance_after
    return balances


async def claim_level(
    user_id: str, level: int, track: Track, deps: BattlePassDeps, recorder: KeyRecorder[ClaimResult] | None = None
) -> ClaimResult:
    """NOT_CLAIMABLE unless the level is reached (and, for premium, the track owned) and has a reward;
    ALREADY_CLAIMED once paid. The claim row, the ledger rows and the `recorder`'s answer commit together."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        season = await _running(uow, now)
        progress = await uow.battlepass.progress(season.season_id, user_id)
        reached = season.level(level)
        if reached is None or season.level_for(progress.xp) < level or reached.reward(track).empty:
            raise LevelNotClaimable(details={"level": level, "track": track.value})
        if track is Track.PREMIUM and not progress.premium:
            raise LevelNotClaimable("the premium track is not yours", details={"level": level, "track": track.value})
        if not await uow.battlepass.add_claim(season.season_id, user_id, level, track, CLAIMED_BY_PLAYER, now):
            raise LevelAlreadyClaimed(details={"level": level, "track": track.value})
        reward = reached.reward(track)
        reference = reward_reference(season.season_id, user_id, f"{level}:{track.value}")
        await pay_reward(uow, user_id, reward, reference, now)
        claimed = ClaimResult(season.season_id, level, track, reward, balances_of(await uow.wallets.balances(user_id)))
        if recorder is not None:
            await recorder.record(uow.idempotency_records, claimed)
        await uow.commit()
    return claimed


async def buy_premium(user_id: str, deps: BattlePassDeps) -> PassStatus:
    """One gem debit (409 INSUFFICIENT_FUNDS, nothing changed); every premium level already reached becomes
    claimable at once. Owning it already: 409 ALREADY_CLAIMED; a timed-out or self-excluded player: 403."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        await refuse_if_restricted(uow, user_id, now)
        season = await _running(uow, now)
        progress = await uow.battlepass.lock_progress(season.season_id, user_id)
        if progress.premium:
            raise PremiumAlreadyOwned(details={"season_id": season.season_id})
        reference = reward_reference(season.season_id, user_id, "premium")
        movement = Movement(user_id, Currency.GEMS, season.premium_price_gems, PREMIUM_REASON, REF_TYPE, reference)
        record_balance_change(uow, await uow.wallets.debit(movement, now))
        await uow.battlepass.set_premium(season.season_id, user_id)
        await uow.commit()
    return await get_status(user_id, deps)
