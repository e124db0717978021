from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from src.application.engagement.ports import EngagementUnitOfWork, MissionsUnitOfWork
from src.application.shared.ports import Clock, IdGenerator


@dataclass
class EngagementDeps:
    """`timezone` decides where a calendar day starts and ends for streaks (setting STREAK_TIMEZONE)."""

    uow_factory: Callable[[], EngagementUnitOfWork]
    clock: Clock
    timezone: tzinfo


@dataclass
class RewardDeps:
    """Reward grants and lists; `ids` numbers the audit entries of admin grants."""

    uow_factory: Callable[[], EngagementUnitOfWork]
    clock: Clock
    ids: IdGenerator


@dataclass
class MissionDeps:
    """Missions and achievements: `timezone` is the streak's (one setting decides every calendar boundary);
    `ids` numbers audit entries and notifications."""

    uow_factory: Callable[[], MissionsUnitOfWork]
    clock: Clock
    timezone: tzinfo
    ids: IdGenerator
