"""Achievements: lifetime counters that unlock once, by category, optionally after another one, maybe hidden.

Rules (API.md fixes the shape; the rest is decided here):
- progress counts from the first fact on, whatever the precondition's state; the achievement unlocks the moment
  its progress has reached the target AND its precondition (if any) is unlocked, so it may unlock in the same
  pass as its precondition, right after it;
- preconditions form no cycle (checked when an operator saves a definition);
- a hidden achievement is not shown to its player until it unlocks;
- `auto_claim` pays the prize at the unlock, in the same transaction; others are claimed like missions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from src.domain.engagement.missions import Prize
from src.domain.engagement.progress import Counter, Operator, combined, field_error

MAX_CATEGORY = 40


@dataclass(frozen=True)
class AchievementDefinition:
    achievement_id: str
    title: str
    category: str
    counter: Counter
    target: int
    prize: Prize
    hidden: bool = False
    auto_claim: bool = False
    precondition: str | None = None  # another achievement's id
    enabled: bool = True
    position: int = 0


@dataclass(frozen=True)
class AchievementProgress:
    user_id: str
    achievement_id: str
    progress: int = 0
    unlocked_at: datetime | None = None
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class AchievementCount:
    """What a relay pass adds to one player's achievement: its facts folded from 0 into `value`."""

    user_id: str
    achievement_id: str
    operator: Operator
    value: int


def counted(count: AchievementCount, stored: AchievementProgress | None) -> AchievementProgress:
    current = stored or AchievementProgress(count.user_id, count.achievement_id)
    return replace(current, progress=combined(count.operator, current.progress, count.value))


def unlock_candidates(
    rows: Mapping[str, AchievementProgress], definitions: Sequence[AchievementDefinition]
) -> dict[str, AchievementProgress]:
    """What `unlocks` needs of one player's rows: those at their target and not unlocked yet (none: nothing to
    unlock), with the unlocked rows of the definitions' preconditions."""
    targets = {definition.achievement_id: definition.target for definition in definitions}
    preconditions = {definition.precondition for definition in definitions}
    pending = {key: row for key, row in rows.items()
               if row.unlocked_at is None and key in targets and row.progress >= targets[key]}  # fmt: skip
    if not pending:
        return {}
    unlocked = {key: row for key, row in rows.items() if row.unlocked_at is not None and key in preconditions}
    return pending | unlocked


def check_category(category: str) -> str:
    category = category.strip().lower()
    if not 1 <= len(category) <= MAX_CATEGORY:
        raise field_error("category", f"category must be 1-{MAX_CATEGORY} characters")
    return category


def check_precondition(achievement_id: str, precondition: str | None, preconditions: Mapping[str, str | None]) -> None:
    """`preconditions`: every stored achievement's precondition. The new one must exist and close no cycle."""
    seen = {achievement_id}
    current = precondition
    while current is not None:
        if current not in preconditions:
            raise field_error("precondition", f"no achievement {current!r}")
        if current in seen:
            raise field_error("precondition", "preconditions would form a cycle")
        seen.add(current)
        current = preconditions[current]


def unlocks(
    definitions: list[AchievementDefinition], rows: dict[str, AchievementProgress], now: datetime
) -> list[AchievementDefinition]:
    """Unlock (in `rows`) every achievement of `definitions` (the enabled ones) whose target is reached and whose
    precondition is unlocked (a disabled precondition holds nothing back), following chains to the end; the newly
    unlocked, in unlock order. `auto_claim` ones are claimed at the same instant."""
    unlocked: list[AchievementDefinition] = []
    enabled = {definition.achievement_id for definition in definitions}
    changed = True
    while changed:
        changed = False
        for definition in definitions:
            row = rows.get(definition.achievement_id)
            if row is None or row.unlocked_at is not None or row.progress < definition.target:
                continue
            before = definition.precondition
            if before in enabled and (rows.get(before) is None or rows[before].unlocked_at is None):
                continue
            claimed_at = now if definition.auto_claim else None
            rows[definition.achievement_id] = replace(row, unlocked_at=now, claimed_at=claimed_at)
            unlocked.append(definition)
            changed = True
    return unlocked
