"""Everything the privacy use cases depend on, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from src.application.analytics.ports import OlapStore
from src.application.games.leaderboard import Leaderboard
from src.application.identity.deps import IdentityDeps
from src.application.privacy.ports import PrivacyUnitOfWork
from src.application.shared.jobs import JobQueue
from src.application.shared.ports import Clock, IdGenerator

EXPORT_JOB = "build_privacy_export"
ERASURE_JOB = "erase_player"


@dataclass(frozen=True)
class PrivacyConfig:
    export_ttl: timedelta = timedelta(hours=48)  # how long a ready archive can be downloaded
    stalled_after: timedelta = timedelta(minutes=10)  # a queued or running request untouched this long is re-queued
    exports_per_day: int = 5  # a new export beyond this within 24 h → 429 RATE_LIMITED
    give_up_after: timedelta = timedelta(hours=24)  # ... unless it is older than this: then it failed (admins see it)


@dataclass(frozen=True)
class PrivacyDeps:
    """`olap` None: this process has no OLAP store open (an export then says so; erasure reaches OLAP anyway,
    through the event pipeline)."""

    uow_factory: Callable[[], PrivacyUnitOfWork]
    clock: Clock
    ids: IdGenerator
    jobs: JobQueue
    leaderboard: Leaderboard
    identity: IdentityDeps
    olap: OlapStore | None
    config: PrivacyConfig
