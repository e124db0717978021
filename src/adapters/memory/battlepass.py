"""In-memory battle pass: the unit-test twin of the SQL repository. Standings and claims are taken with row locks,
so two claims of one level queue as on a primary key; settlement batches wait for rows instead of skipping them
(one process, nothing to share the work with) and leave out what another transaction settled meanwhile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.adapters.memory.inbox import InMemoryEventInbox
from src.application.engagement.battlepass_ports import XpGain
from src.domain.engagement.battlepass import BattlePassSeason, PassProgress, Track

ProgressKey = tuple[str, str]  # season, player


@dataclass
class BattlePassTables:
    seasons: dict[str, BattlePassSeason] = field(default_factory=dict)
    progress: dict[ProgressKey, PassProgress] = field(default_factory=dict)
    claims: dict[tuple[str, str, int, str], str] = field(default_factory=dict)  # → how it was paid
    processed: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (consumer, event id) → when


class InMemoryBattlePassRepository(InMemoryEventInbox["BattlePassTables"]):
    def __init__(self, workspace: Workspace[BattlePassTables]) -> None:
        self._workspace = workspace

    @property
    def _tables(self) -> BattlePassTables:
        return self._workspace.working

    async def seasons(self) -> list[BattlePassSeason]:
        return sorted(self._tables.seasons.values(), key=lambda season: (season.starts_at, season.season_id))

    async def season(self, season_id: str) -> BattlePassSeason | None:
        return self._tables.seasons.get(season_id)

    async def save_season(self, season: BattlePassSeason, now: datetime) -> None:
        await self._workspace.lock_row("seasons", season.season_id)
        stored = self._tables.seasons.get(season.season_id)
        self._tables.seasons[season.season_id] = replace(
            season, settled_at=None if stored is None else stored.settled_at
        )

    async def due_for_settlement(self, ended_before: datetime) -> list[BattlePassSeason]:
        due = [
            s for s in self._tables.seasons.values() if s.enabled and s.settled_at is None and s.ends_at <= ended_before
        ]
        return sorted(due, key=lambda season: season.ends_at)

    async def mark_settled(self, season_id: str, now: datetime) -> None:
        await self._workspace.lock_row("seasons", season_id)
        season = self._tables.seasons.get(season_id)
        if season is not None and season.settled_at is None:
            self._tables.seasons[season_id] = replace(season, settled_at=now)

    async def progress(self, season_id: str, user_id: str) -> PassProgress:
        return self._tables.progress.get((season_id, user_id), PassProgress(season_id, user_id))

    async def lock_progress(self, season_id: str, user_id: str) -> PassProgress:
        await self._workspace.lock_row("progress", (season_id, user_id))
        return self._tables.progress.setdefault((season_id, user_id), PassProgress(season_id, user_id))

    async def set_premium(self, season_id: str, user_id: str) -> None:
        await self._workspace.lock_row("progress", (season_id, user_id))
        if (stored := self._tables.progress.get((season_id, user_id))) is not None:
            self._tables.progress[(season_id, user_id)] = replace(stored, premium=True)

    async def add_xp(self, season_id: str, gains: Mapping[str, int], now: datetime) -> list[XpGain]:
        added = []
        for user_id, xp in sorted(gains.items()):
            stored = await self.lock_progress(season_id, user_id)
            after = replace(stored, xp=stored.xp + xp)
            self._tables.progress[(season_id, user_id)] = after
            added.append(XpGain(xp, after))
        return added

    async def claimed(self, season_id: str, user_id: str) -> set[tuple[int, Track]]:
        return {(level, Track(track)) for (s, u, level, track) in self._tables.claims if (s, u) == (season_id, user_id)}

    async def add_claim(self, season_id: str, user_id: str, level: int, track: Track, via: str, now: datetime) -> bool:
        key = (season_id, user_id, level, track.value)
        await self._workspace.lock_row("claims", key)  # a claim in flight elsewhere decides first
        if key in self._tables.claims:
            return False
        self._tables.claims[key] = via
        return True

    async def take_unsettled(self, season_id: str, limit: int) -> list[PassProgress]:
        taken: list[PassProgress] = []
        for key in sorted(k for k, p in self._tables.progress.items() if k[0] == season_id and p.settled_at is None):
            await self._workspace.lock_row("progress", key)
            if (stored := self._tables.progress.get(key)) is not None and stored.settled_at is None:
                taken.append(stored)
            if len(taken) == limit:
                break
        return taken

    async def count_unsettled(self, season_id: str) -> int:
        return sum(1 for (s, _), p in self._tables.progress.items() if s == season_id and p.settled_at is None)

    async def mark_progress_settled(self, season_id: str, user_ids: Sequence[str], now: datetime) -> None:
        for user_id in user_ids:
            await self._workspace.lock_row("progress", (season_id, user_id))
            if (stored := self._tables.progress.get((season_id, user_id))) is not None:
                self._tables.progress[(season_id, user_id)] = replace(stored, settled_at=now)
