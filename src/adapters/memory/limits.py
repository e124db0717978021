"""In-memory twin of the players' limits: a row per player, locked as the SQL upsert locks it."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.games import GamesTables
from src.adapters.memory.identity import Workspace
from src.adapters.memory.shop import ShopTables
from src.domain.limits.model import PlayerLimits
from src.domain.limits.play_time import PlayClock
from src.domain.shop.transactions import TxStatus


@dataclass
class LimitTables:
    limits: dict[str, PlayerLimits] = field(default_factory=dict)
    play_time: dict[str, PlayClock] = field(default_factory=dict)  # frozen values: shared, never changed in place


class InMemoryLimitRepository:
    def __init__(self, workspace: Workspace[LimitTables]) -> None:
        self._workspace = workspace

    async def lock(self, user_id: str) -> PlayerLimits:
        await self._workspace.lock_row("limits", user_id)
        return deepcopy(self._workspace.working.limits.setdefault(user_id, PlayerLimits(user_id)))

    async def get(self, user_id: str) -> PlayerLimits:
        """As last committed (a restriction taken elsewhere counts at once), or as this transaction changed it."""
        tables = self._workspace.working if self._workspace.holds("limits", user_id) else self._workspace.committed
        return deepcopy(tables.limits.get(user_id) or PlayerLimits(user_id))

    async def save(self, limits: PlayerLimits) -> None:
        await self._workspace.lock_row("limits", limits.user_id)
        self._workspace.working.limits[limits.user_id] = deepcopy(limits)

    async def restricted_among(self, user_ids: Sequence[str], now: datetime) -> set[str]:
        committed = self._workspace.committed.limits
        return {
            user_id
            for user_id in user_ids
            if (limits := committed.get(user_id)) is not None
            and limits.restriction is not None
            and limits.restriction.until > now
        }


class InMemoryPlayTimeRepository:
    """The games' and the shop's tables are read for a sitting's totals, as the SQL twin reads theirs."""

    def __init__(
        self, workspace: Workspace[LimitTables], games: Workspace[GamesTables], shop: Workspace[ShopTables]
    ) -> None:
        self._workspace = workspace
        self._games = games
        self._shop = shop

    async def lock(self, user_id: str) -> PlayClock:
        await self._workspace.lock_row("play_time", user_id)
        return self._workspace.working.play_time.setdefault(user_id, PlayClock(user_id))

    async def get(self, user_id: str) -> PlayClock:
        tables = self._workspace.working if self._workspace.holds("play_time", user_id) else self._workspace.committed
        return tables.play_time.get(user_id) or PlayClock(user_id)

    async def save(self, clock: PlayClock) -> None:
        await self._workspace.lock_row("play_time", clock.user_id)
        self._workspace.working.play_time[clock.user_id] = clock

    async def session_totals(self, user_id: str, since: datetime) -> tuple[int, int]:
        plays = self._games.working.history.values()
        net = sum(play.delta_coins for play in plays if play.user_id == user_id and play.created_at >= since)
        paid = (TxStatus.CAPTURED, TxStatus.REFUNDED)
        spent = sum(
            tx.amount_cents - tx.refunded_cents
            for tx in self._shop.working.transactions.values()
            if tx.user_id == user_id and tx.created_at >= since and tx.status in paid
        )
        return net, spent
