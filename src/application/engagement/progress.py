"""The progress engine: an outbox consumer that counts a relay pass's plays into missions and achievements.

Per pass: the enabled definitions are read once (an operator's change applies from the next pass), the events are
grouped by player, and each player's share is ONE transaction whatever the number of events and definitions:
lock the player, record the event ids (a redelivered event is dropped there, so it never counts twice, even after
a pass that failed half-way), read the affected rows, fold the facts, write the changed rows back in one statement
per table. Completions and unlocks are decided in that same transaction: MissionCompleted, AchievementUnlocked,
the unlock's inbox notification (NotificationCreated) and, for `auto_claim`, its prize.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from src.application.engagement.deps import MissionDeps
from src.application.engagement.facts import facts_of
from src.application.engagement.ports import MissionKey, MissionsUnitOfWork
from src.application.engagement.prizes import Claim, pay, prize_json
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.achievements import AchievementDefinition, AchievementProgress, unlocks
from src.domain.engagement.events import AchievementUnlocked, MissionCompleted
from src.domain.engagement.missions import MissionDefinition, MissionProgress, advance, period_key
from src.domain.engagement.progress import Fact, Metric
from src.domain.notifications.events import NotificationCreated
from src.domain.notifications.model import Notification

ACHIEVEMENT_REASON, ACHIEVEMENT_REF = "achievement_reward", "achievement"
# A counted event id is kept this long: the relay redelivers only what it has not yet published (seconds, or the
# length of an outage), so a week is far past any redelivery.
COUNTED_EVENT_RETENTION = timedelta(days=7)
FORGET_BATCH = 5_000
_NOTICE_IDS = uuid.UUID("3f0d8a61-2b9e-4f57-b6c2-5e1d7a9c4b80")  # namespace of unlock notification ids


@dataclass(frozen=True)
class Counted:
    event_id: str
    occurred_at: datetime
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Definitions:
    missions: list[MissionDefinition] = field(default_factory=list)
    achievements: list[AchievementDefinition] = field(default_factory=list)


def by_player(messages: Sequence[OutboxMessage]) -> dict[str, list[Counted]]:
    players: dict[str, list[Counted]] = {}
    for message in messages:
        found = facts_of(message)
        if found is not None and found[1]:
            user_id, facts = found
            players.setdefault(user_id, []).append(Counted(message.event_id, message.created_at, tuple(facts)))
    return players


async def apply_progress(messages: Sequence[OutboxMessage], deps: MissionDeps) -> None:
    players = by_player(messages)
    if not players:
        return
    async with deps.uow_factory() as uow:
        definitions = Definitions(
            [d for d in await uow.definitions.missions() if d.enabled],
            [d for d in await uow.definitions.achievements() if d.enabled],
        )
    for user_id, counted in players.items():
        await count_player(user_id, counted, definitions, deps)


async def count_player(user_id: str, counted: list[Counted], definitions: Definitions, deps: MissionDeps) -> None:
    """One player's events of a pass, in one transaction; events counted before are skipped."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        await uow.progress.lock_player(user_id)
        fresh = await uow.progress.first_seen(user_id, [event.event_id for event in counted], now)
        counted = [event for event in counted if event.event_id in fresh]
        if not counted:
            return
        completed = await _count_missions(uow, user_id, counted, definitions.missions, deps, now)
        facts = [fact for event in counted for fact in event.facts]
        facts += [Fact(Metric.MISSIONS_COMPLETED, 1)] * completed
        await _count_achievements(uow, user_id, facts, definitions.achievements, now)
        await uow.commit()


def _mission_keys(
    counted: list[Counted], missions: list[MissionDefinition], deps: MissionDeps
) -> dict[MissionKey, tuple[MissionDefinition, list[Fact]]]:
    """Each (mission, period) these events touch, with its facts in order."""
    touched: dict[MissionKey, tuple[MissionDefinition, list[Fact]]] = {}
    for event in counted:
        for mission in missions:
            facts = [fact for fact in event.facts if mission.counter.matches(fact)]
            if facts:
                key = (mission.mission_id, period_key(mission.period, event.occurred_at, deps.timezone))
                touched.setdefault(key, (mission, []))[1].extend(facts)
    return touched


async def _count_missions(
    uow: MissionsUnitOfWork,
    user_id: str,
    counted: list[Counted],
    missions: list[MissionDefinition],
    deps: MissionDeps,
    now: datetime,
) -> int:
    """Fold the facts into the missions' rows; how many missions completed."""
    touched = _mission_keys(counted, missions, deps)
    if not touched:
        return 0
    stored = await uow.progress.missions_of(user_id, list(touched))
    changed: list[MissionProgress] = []
    completions = 0
    for key, (mission, facts) in touched.items():
        current = stored.get(key) or MissionProgress(user_id, *key)
        after = advance(mission, current, mission.counter.fold(current.progress, facts), now)
        if after == current:
            continue
        changed.append(after)
        if current.completed_at is None and after.completed_at is not None:
            completions += 1
            uow.record(completed_event(user_id, mission, key[1], now))
    await uow.progress.save_missions(changed, now)
    return completions


async def _count_achievements(
    uow: MissionsUnitOfWork,
    user_id: str,
    facts: list[Fact],
    achievements: list[AchievementDefinition],
    now: datetime,
) -> None:
    counting = [a for a in achievements if any(a.counter.matches(fact) for fact in facts)]
    if not counting:
        return
    before = await uow.progress.achievements_of(user_id)
    rows = dict(before)
    for achievement in counting:
        current = rows.get(achievement.achievement_id) or AchievementProgress(user_id, achievement.achievement_id)
        rows[achievement.achievement_id] = replace(current, progress=achievement.counter.fold(current.progress, facts))
    for achievement in unlocks(achievements, rows, now):
        await _unlocked(uow, user_id, achievement, now)
    await uow.progress.save_achievements([row for key, row in rows.items() if before.get(key) != row], now)


async def _unlocked(uow: MissionsUnitOfWork, user_id: str, achievement: AchievementDefinition, now: datetime) -> None:
    """The unlock's event and inbox notification; the prize too when it is claimed automatically."""
    reward = prize_json(achievement.prize)
    if achievement.auto_claim:
        await pay(uow, achievement_claim(user_id, achievement), now)
    uow.record(AchievementUnlocked(aggregate_id=user_id, occurred_at=now, achievement_id=achievement.achievement_id,
                                   title=achievement.title, category=achievement.category, reward=reward,
                                   claimed=achievement.auto_claim))  # fmt: skip
    notice_id = str(uuid.uuid5(_NOTICE_IDS, f"{user_id}:{achievement.achievement_id}"))
    then = "its reward is in your balance" if achievement.auto_claim else "claim its reward in your achievements"
    title, body = "Achievement unlocked", f"{achievement.title}: {then}."
    data = {"achievement_id": achievement.achievement_id, "title": achievement.title, "reward": reward}
    await uow.notifications.add_many([Notification(notice_id, user_id, "achievement", title, body, now, data)])
    uow.record(NotificationCreated(aggregate_id=user_id, occurred_at=now, notification_id=notice_id,
                                   type="achievement", title=title, body=body, data=data))  # fmt: skip


def completed_event(user_id: str, mission: MissionDefinition, period: str, now: datetime) -> MissionCompleted:
    return MissionCompleted(aggregate_id=user_id, occurred_at=now, mission_id=mission.mission_id,
                            title=mission.title, period=mission.period.value, period_key=period)  # fmt: skip


def achievement_claim(user_id: str, achievement: AchievementDefinition) -> Claim:
    return Claim(user_id, achievement.prize, ACHIEVEMENT_REASON, ACHIEVEMENT_REF,
                 f"{user_id}:{achievement.achievement_id}", f"achievement:{achievement.achievement_id}")  # fmt: skip


async def forget_counted_events(deps: MissionDeps) -> int:
    """The hourly purge of counted event ids past their retention, in batches."""
    cutoff, total = deps.clock.now() - COUNTED_EVENT_RETENTION, 0
    while True:
        async with deps.uow_factory() as uow:
            forgotten = await uow.progress.forget_counted_before(cutoff, FORGET_BATCH)
            await uow.commit()
        total += forgotten
        if forgotten < FORGET_BATCH:
            return total
