"""The progress engine: an outbox consumer that counts a relay pass's plays into missions and achievements.

A pass is ONE transaction of a constant number of statements, whatever its players, events and definitions: the
enabled definitions are read (an operator's change applies from the next pass), the pass's players are locked in
one statement, its event ids recorded in one (a redelivered event is dropped there, so it never counts twice, even
after a pass that failed), then each table's counts are added in one statement: the store compares with the targets
and returns only the missions completed and the players with an achievement to unlock. Those crossings alone
produce MissionCompleted, AchievementUnlocked, the unlock's inbox notification (NotificationCreated) and, for
`auto_claim`, its prize, in the same transaction. The relay runs it inside the counters of play (`plays.count_plays`,
whose progress_events rows are the once-only keys of all four counters) as `progress_counted`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from src.application.engagement.deps import MissionDeps
from src.application.engagement.facts import facts_of
from src.application.engagement.ports import MissionKey, MissionsUnitOfWork
from src.application.engagement.prizes import Claim, announce_prize, credit_prizes, prize_json
from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.achievements import AchievementCount, AchievementDefinition, unlocks
from src.domain.engagement.events import AchievementUnlocked, MissionCompleted
from src.domain.engagement.missions import MissionCount, MissionDefinition, period_key_on
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


@dataclass
class Crossings:
    """What a pass completed and unlocked, by player: the events and prizes it owes."""

    missions: dict[str, list[tuple[MissionDefinition, str]]] = field(default_factory=dict)
    achievements: dict[str, list[AchievementDefinition]] = field(default_factory=dict)


def by_player(messages: Sequence[OutboxMessage]) -> dict[str, list[Counted]]:
    players: dict[str, list[Counted]] = {}
    for message in messages:
        found = facts_of(message)
        if found is not None and found[1]:
            user_id, facts = found
            players.setdefault(user_id, []).append(Counted(message.event_id, message.created_at, tuple(facts)))
    return players


async def apply_progress(messages: Sequence[OutboxMessage], deps: MissionDeps) -> None:
    """A relay pass's plays, in one transaction; events counted before are skipped."""
    players = by_player(messages)
    if not players:
        return
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        definitions = await enabled_definitions(uow)
        await uow.progress.lock_players(sorted(players))
        events = {event.event_id: user_id for user_id, counted in players.items() for event in counted}
        fresh = await uow.progress.first_seen(events, now)
        players = {user_id: kept for user_id, counted in players.items()
                   if (kept := [event for event in counted if event.event_id in fresh])}  # fmt: skip
        if not players:
            return
        await _count(uow, players, definitions, deps, now)
        await uow.commit()


async def enabled_definitions(uow: MissionsUnitOfWork) -> Definitions:
    """The enabled missions and achievements, read at the start of a pass: an operator's change applies from the
    next one."""
    return Definitions(
        [d for d in await uow.definitions.missions() if d.enabled],
        [d for d in await uow.definitions.achievements() if d.enabled],
    )


async def progress_counted(
    uow: MissionsUnitOfWork, fresh: Sequence[OutboxMessage], definitions: Definitions, deps: MissionDeps
) -> None:
    """`apply_progress` in the caller's transaction, for events it has already kept once-only (`count_plays`, in
    progress_events, with the players locked): each of `fresh` counts."""
    if players := by_player(fresh):
        await _count(uow, players, definitions, deps, deps.clock.now())


async def _count(
    uow: MissionsUnitOfWork, players: dict[str, list[Counted]], definitions: Definitions, deps: MissionDeps,
    now: datetime,
) -> None:  # fmt: skip
    crossings = Crossings(await _count_missions(uow, players, definitions.missions, deps, now))
    crossings.achievements = await _count_achievements(uow, players, crossings, definitions.achievements, now)
    await _settle(uow, list(players), crossings, now)


Shape = tuple[tuple[Metric, str | None], ...]  # an event's facts' metrics and rarities, in order
Plan = list[tuple[MissionDefinition, list[int]]]  # the missions facts of a shape touch, with their facts' positions


def _mission_facts(
    counted: list[Counted], missions: list[MissionDefinition], plans: dict[Shape, Plan], deps: MissionDeps
) -> dict[MissionKey, tuple[MissionDefinition, list[Fact]]]:
    """Each (mission, period) these events touch, with its facts in order. A pass's events come in a few shapes (a
    spin's, a winning spin's, a pull's): `plans` matches each shape with the missions once for the pass."""
    touched: dict[MissionKey, tuple[MissionDefinition, list[Fact]]] = {}
    for event in counted:
        shape = tuple((fact.metric, fact.rarity) for fact in event.facts)
        plan = plans.get(shape)
        if plan is None:
            plan = plans[shape] = _plan(event.facts, missions)
        day = event.occurred_at.astimezone(deps.timezone).date() if plan else None
        for mission, positions in plan:
            assert day is not None
            key = (mission.mission_id, period_key_on(mission.period, day))
            touched.setdefault(key, (mission, []))[1].extend(event.facts[index] for index in positions)
    return touched


def _plan(facts: tuple[Fact, ...], missions: list[MissionDefinition]) -> Plan:
    plan = []
    for mission in missions:
        positions = [index for index, fact in enumerate(facts) if mission.counter.matches(fact)]
        if positions:
            plan.append((mission, positions))
    return plan


async def _count_missions(
    uow: MissionsUnitOfWork,
    players: dict[str, list[Counted]],
    missions: list[MissionDefinition],
    deps: MissionDeps,
    now: datetime,
) -> dict[str, list[tuple[MissionDefinition, str]]]:
    """Every player's facts into their missions' rows in one call; the missions completed, by player, in order."""
    counts, order = [], []
    plans: dict[Shape, Plan] = {}
    for user_id, counted in players.items():
        for key, (mission, facts) in _mission_facts(counted, missions, plans, deps).items():
            value = mission.counter.fold(0, facts)
            counts.append(MissionCount(user_id, *key, mission.counter.operator, value, mission.target))
            order.append((user_id, mission, key[1]))
    if not counts:
        return {}
    completed = set(await uow.progress.count_missions(counts, now))
    crossed: dict[str, list[tuple[MissionDefinition, str]]] = {}
    for user_id, mission, period in order:
        if (user_id, (mission.mission_id, period)) in completed:
            crossed.setdefault(user_id, []).append((mission, period))
    return crossed


async def _count_achievements(
    uow: MissionsUnitOfWork,
    players: dict[str, list[Counted]],
    crossings: Crossings,
    achievements: list[AchievementDefinition],
    now: datetime,
) -> dict[str, list[AchievementDefinition]]:
    """Every player's facts (and missions completed) into their achievements in one call; the unlocks, by player."""
    counts = []
    for user_id, counted in players.items():
        by_metric: dict[Metric, list[Fact]] = {}  # each metric's facts in order: an achievement folds only its own
        for event in counted:
            for fact in event.facts:
                by_metric.setdefault(fact.metric, []).append(fact)
        if completed := len(crossings.missions.get(user_id, [])):
            by_metric.setdefault(Metric.MISSIONS_COMPLETED, []).extend([Fact(Metric.MISSIONS_COMPLETED, 1)] * completed)
        for achievement in achievements:
            counter = achievement.counter
            facts = by_metric.get(counter.metric, [])
            if counter.rarity is not None:
                facts = [fact for fact in facts if fact.rarity == counter.rarity]
            if facts:
                value = counter.fold(0, facts)
                counts.append(AchievementCount(user_id, achievement.achievement_id, counter.operator, value))
    if not counts:
        return {}
    candidates = await uow.progress.count_achievements(counts, achievements, now)
    unlocked = {user_id: unlocks(achievements, rows, now) for user_id, rows in candidates.items()}
    # `unlocks` marked the rows it unlocked (and auto-claimed) in `candidates`: those are written back
    rows = [candidates[user_id][a.achievement_id] for user_id, done in unlocked.items() for a in done]
    await uow.progress.unlock_achievements(rows, now)
    return {user_id: done for user_id, done in unlocked.items() if done}


async def _settle(uow: MissionsUnitOfWork, user_ids: list[str], crossings: Crossings, now: datetime) -> None:
    """The crossings' events and prizes, player after player as they came; the unlocks' notices in one insert.

    The automatic prizes are credited in one wallet write, last before the commit: from that write to the commit
    their wallet rows stay locked, and every spin of those players waits for them (a pass of a hundred first-spin
    prizes held spins up for 100+ ms while the notices and the rest of the pass were written after it)."""
    unlocks = [(user_id, achievement, _unlock_notice(user_id, achievement, now))
               for user_id in user_ids for achievement in crossings.achievements.get(user_id, [])]  # fmt: skip
    if unlocks:
        await uow.notifications.add_many([notice for _, _, notice in unlocks])
    automatic = [
        achievement_claim(user_id, achievement) for user_id, achievement, _ in unlocks if achievement.auto_claim
    ]
    paid = await credit_prizes(uow, automatic, now) if automatic else {}
    unlocked = iter(unlocks)
    for user_id in user_ids:
        for mission, period in crossings.missions.get(user_id, []):
            uow.record(completed_event(user_id, mission, period, now))
        for achievement in crossings.achievements.get(user_id, []):
            _, _, notice = next(unlocked)
            if achievement.auto_claim:
                claim = achievement_claim(user_id, achievement)
                await announce_prize(uow, claim, paid[claim], now)
            _record_unlock(uow, achievement, notice)


def _unlock_notice(user_id: str, achievement: AchievementDefinition, now: datetime) -> Notification:
    reward = prize_json(achievement.prize)
    notice_id = str(uuid.uuid5(_NOTICE_IDS, f"{user_id}:{achievement.achievement_id}"))
    then = "its reward is in your balance" if achievement.auto_claim else "claim its reward in your achievements"
    title, body = "Achievement unlocked", f"{achievement.title}: {then}."
    data = {"achievement_id": achievement.achievement_id, "title": achievement.title, "reward": reward}
    return Notification(notice_id, user_id, "achievement", title, body, now, data)


def _record_unlock(uow: MissionsUnitOfWork, achievement: AchievementDefinition, notice: Notification) -> None:
    """The unlock's events: AchievementUnlocked, then its inbox notification's."""
    user_id, now = notice.user_id, notice.created_at
    uow.record(AchievementUnlocked(aggregate_id=user_id, occurred_at=now, achievement_id=achievement.achievement_id,
                                   title=achievement.title, category=achievement.category,
                                   reward=prize_json(achievement.prize), claimed=achievement.auto_claim))  # fmt: skip
    uow.record(NotificationCreated(aggregate_id=user_id, occurred_at=now, notification_id=notice.id, type=notice.type,
                                   title=notice.title, body=notice.body, data=notice.data))  # fmt: skip


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
