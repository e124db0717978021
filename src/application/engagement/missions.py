"""Player use cases of missions and achievements: the list with progress and `resets_at`, and the claims.

A claim is one transaction: the conditional claim of the row (concurrent claims: one wins, the others see it
claimed: ALREADY_CLAIMED) and the prize through the wallet's ledger, referenced by the claim. A mission is
claimed within its period (after the reset it is a new, uncompleted mission); the prize is the definition's
prize at the claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.engagement.deps import MissionDeps
from src.application.engagement.ports import MissionKey
from src.application.engagement.prizes import Claim, pay
from src.application.engagement.progress import achievement_claim
from src.application.shared.idempotency import KeyRecorder
from src.domain.engagement.achievements import AchievementDefinition, AchievementProgress
from src.domain.engagement.errors import AlreadyClaimed, NotClaimable
from src.domain.engagement.missions import (
    MissionDefinition,
    MissionProgress,
    Prize,
    next_daily_reset,
    next_weekly_reset,
    period_key,
    resets_at,
)
from src.domain.shared.errors import NotFound

MISSION_REASON, MISSION_REF = "mission_reward", "mission"


@dataclass(frozen=True)
class MissionView:
    definition: MissionDefinition
    progress: int  # capped at the target
    completed: bool
    claimed: bool
    resets_at: datetime | None

    @property
    def claimable(self) -> bool:
        return self.completed and not self.claimed


@dataclass(frozen=True)
class MissionBoard:
    items: list[MissionView]
    daily_resets_at: datetime
    weekly_resets_at: datetime


@dataclass(frozen=True)
class AchievementView:
    definition: AchievementDefinition
    progress: int
    unlocked_at: datetime | None
    claimed: bool


@dataclass(frozen=True)
class Claimed:
    definition_id: str
    prize: Prize
    balances: dict[str, int]


def _view(mission: MissionDefinition, row: MissionProgress | None, now: datetime, deps: MissionDeps) -> MissionView:
    row = row or MissionProgress("", mission.mission_id, "")
    return MissionView(mission, min(row.progress, mission.target), row.completed_at is not None,
                       row.claimed_at is not None, resets_at(mission.period, now, deps.timezone))  # fmt: skip


def _key(mission: MissionDefinition, now: datetime, deps: MissionDeps) -> MissionKey:
    return mission.mission_id, period_key(mission.period, now, deps.timezone)


async def list_missions(user_id: str, deps: MissionDeps) -> MissionBoard:
    """The enabled missions in their current periods."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        missions = [mission for mission in await uow.definitions.missions() if mission.enabled]
        rows = await uow.progress.missions_of(user_id, [_key(mission, now, deps) for mission in missions])
    items = [_view(mission, rows.get(_key(mission, now, deps)), now, deps) for mission in missions]
    return MissionBoard(items, next_daily_reset(now, deps.timezone), next_weekly_reset(now, deps.timezone))


async def claim_mission(
    user_id: str, mission_id: str, deps: MissionDeps, recorder: KeyRecorder[Claimed] | None = None
) -> Claimed:
    """The claim, its prize and the `recorder`'s answer (the request's Idempotency-Key) commit together."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        mission = await uow.definitions.mission(mission_id)
        if mission is None or not mission.enabled:
            raise NotFound("no such mission")
        key = _key(mission, now, deps)
        if not await uow.progress.claim_mission(user_id, key, now):
            row = (await uow.progress.missions_of(user_id, [key])).get(key)
            raise AlreadyClaimed if row is not None and row.claimed_at is not None else NotClaimable
        claim = Claim(user_id, mission.prize, MISSION_REASON, MISSION_REF, f"{user_id}:{key[0]}:{key[1]}",
                      f"mission:{mission_id}")  # fmt: skip
        claimed = Claimed(mission_id, mission.prize, await pay(uow, claim, now))
        if recorder is not None:
            await recorder.record(uow.idempotency_records, claimed)
        await uow.commit()
    return claimed


def _achievement_view(definition: AchievementDefinition, row: AchievementProgress | None) -> AchievementView:
    row = row or AchievementProgress("", definition.achievement_id)
    return AchievementView(definition, min(row.progress, definition.target), row.unlocked_at,
                           row.claimed_at is not None)  # fmt: skip


async def list_achievements(user_id: str, deps: MissionDeps) -> list[AchievementView]:
    """The enabled achievements; a hidden one only once the player has unlocked it."""
    async with deps.uow_factory() as uow:
        definitions = [definition for definition in await uow.definitions.achievements() if definition.enabled]
        rows = await uow.progress.achievements_of(user_id)
    views = [_achievement_view(definition, rows.get(definition.achievement_id)) for definition in definitions]
    return [view for view in views if not view.definition.hidden or view.unlocked_at is not None]


async def claim_achievement(
    user_id: str, achievement_id: str, deps: MissionDeps, recorder: KeyRecorder[Claimed] | None = None
) -> Claimed:
    """The claim, its prize and the `recorder`'s answer (the request's Idempotency-Key) commit together."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        achievement = await uow.definitions.achievement(achievement_id)
        if achievement is None or not achievement.enabled:
            raise NotFound("no such achievement")
        if not await uow.progress.claim_achievement(user_id, achievement_id, now):
            row = (await uow.progress.achievements_of(user_id)).get(achievement_id)
            if achievement.hidden and (row is None or row.unlocked_at is None):
                raise NotFound("no such achievement")  # a hidden one is not shown, so not named either
            raise AlreadyClaimed if row is not None and row.claimed_at is not None else NotClaimable
        claimed = Claimed(
            achievement_id, achievement.prize, await pay(uow, achievement_claim(user_id, achievement), now)
        )
        if recorder is not None:
            await recorder.record(uow.idempotency_records, claimed)
        await uow.commit()
    return claimed


async def achievements_unlocked(user_id: str, deps: MissionDeps) -> int:
    async with deps.uow_factory() as uow:
        return await uow.progress.unlocked_count(user_id)
