from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from src.application.engagement.ports import EngagementUnitOfWork
from src.application.shared.ports import Clock


@dataclass
class EngagementDeps:
    """`timezone` decides where a calendar day starts and ends for streaks (setting STREAK_TIMEZONE)."""

    uow_factory: Callable[[], EngagementUnitOfWork]
    clock: Clock
    timezone: tzinfo
