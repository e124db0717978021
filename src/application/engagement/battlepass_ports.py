"""What the battle pass use cases need from the world: seasons, each player's progress, claims, an inbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.limits.ports import HasLimits
from src.application.shared.audit import Audited
from src.application.shared.idempotency import HasIdempotencyRecords
from src.application.shared.ports import EventInbox
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.engagement.battlepass import BattlePassSeason, PassProgress, Track


@dataclass(frozen=True)
class XpGain:
    """XP a relay pass adds to one player in one season; `progress` is their standing after it."""

    gained: int
    progress: PassProgress


class BattlePassRepository(EventInbox, Protocol):
    async def seasons(self) -> list[BattlePassSeason]:
        """Every season, oldest start first."""
        ...

    async def season(self, season_id: str) -> BattlePassSeason | None: ...

    async def save_season(self, season: BattlePassSeason, now: datetime) -> None:
        """Insert or replace a season's definition (its settlement mark is kept)."""
        ...

    async def due_for_settlement(self, ended_before: datetime) -> list[BattlePassSeason]:
        """Seasons that ended before `ended_before` and are not marked settled."""
        ...

    async def mark_settled(self, season_id: str, now: datetime) -> None: ...

    async def progress(self, season_id: str, user_id: str) -> PassProgress:
        """As last committed (an empty standing when the player has none); no lock."""
        ...

    async def lock_progress(self, season_id: str, user_id: str) -> PassProgress:
        """The standing, its row created if needed and locked until the transaction ends."""
        ...

    async def set_premium(self, season_id: str, user_id: str) -> None:
        """Mark a standing taken with `lock_progress` as a premium holder."""
        ...

    async def add_xp(self, season_id: str, gains: Mapping[str, int], now: datetime) -> list[XpGain]:
        """Add each player's XP in one write (rows created as needed); every player's standing after it."""
        ...

    async def claimed(self, season_id: str, user_id: str) -> set[tuple[int, Track]]: ...

    async def add_claim(self, season_id: str, user_id: str, level: int, track: Track, via: str, now: datetime) -> bool:
        """Record a level's reward on one track as paid; False (nothing written) when it already was. A concurrent
        claim of the same level and track waits for the first to commit or roll back, as a primary key does."""
        ...

    async def take_unsettled(self, season_id: str, limit: int) -> list[PassProgress]:
        """Up to `limit` standings not yet settled, locked for this transaction; rows another transaction holds
        are skipped (two settlement workers share the work instead of queueing on it)."""
        ...

    async def count_unsettled(self, season_id: str) -> int: ...

    async def mark_progress_settled(self, season_id: str, user_ids: Sequence[str], now: datetime) -> None: ...


class BattlePassUnitOfWork(WalletUnitOfWork, HasLimits, Audited, HasIdempotencyRecords, Protocol):
    """Seasons, progress and claims, with the wallet (rewards, the premium debit), the buyer's responsible-gaming
    restriction and the audit log."""

    @property
    def battlepass(self) -> BattlePassRepository: ...
