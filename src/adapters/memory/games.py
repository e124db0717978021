"""In-memory games repositories: the unit-test twins of the SQL ones, over one unit of work's tables.

Rows the SQL versions upsert (state, stats, inventory, configs) are locked until the unit of work ends
and read as last committed, so plays of one player queue and counters never lose an update.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Collection, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from src.adapters.memory.identity import Workspace, newest_first_page
from src.application.games.ports import (
    ActiveSeeds,
    HistoryQuery,
    InventoryItem,
    PlayStart,
    RevealedSeeds,
    Settlement,
    StoredConfig,
)
from src.application.limits.ports import LimitRepository, PlayTimeRepository
from src.application.shared.pagination import Page, Position
from src.application.wallet.ports import WalletRepository
from src.domain.games.play import GameStats, GameType, PlayerState, PlayRecord
from src.domain.limits.play_time import PlayClock

PlayerGame = tuple[str, GameType]  # (user_id, game_type)


@dataclass
class GamesTables:
    configs: dict[GameType, StoredConfig] = field(default_factory=dict)
    config_versions: dict[tuple[GameType, int], StoredConfig] = field(default_factory=dict)
    seeds: dict[str, ActiveSeeds] = field(default_factory=dict)  # by user_id: the active pair
    revealed: dict[str, RevealedSeeds] = field(default_factory=dict)  # by pair_id
    states: dict[PlayerGame, PlayerState] = field(default_factory=dict)
    history: dict[str, PlayRecord] = field(default_factory=dict)
    stats: dict[PlayerGame, GameStats] = field(default_factory=dict)
    inventory: dict[tuple[str, str], InventoryItem] = field(default_factory=dict)  # (user_id, item_id)


class InMemoryGameConfigRepository:
    def __init__(self, workspace: Workspace[GamesTables]) -> None:
        self._workspace = workspace

    async def get(self, game_type: GameType) -> StoredConfig | None:
        return deepcopy(self._workspace.working.configs.get(game_type))

    async def save(self, game_type: GameType, data: dict[str, Any], updated_by: str, now: datetime) -> int:
        await self._workspace.lock_row("configs", game_type)
        current = self._workspace.working.configs.get(game_type)
        version = 1 if current is None else current.version + 1
        self._workspace.working.configs[game_type] = StoredConfig(version, deepcopy(data))
        self._workspace.working.config_versions[(game_type, version)] = StoredConfig(version, deepcopy(data))
        return version

    async def version(self, game_type: GameType, version: int) -> StoredConfig | None:
        return deepcopy(self._workspace.working.config_versions.get((game_type, version)))


class InMemorySeedRepository:
    """The active pair is one row per player, locked as the SQL upsert locks it."""

    def __init__(self, workspace: Workspace[GamesTables]) -> None:
        self._workspace = workspace

    async def lock(self, candidate: ActiveSeeds) -> ActiveSeeds:
        await self._workspace.lock_row("seeds", candidate.user_id)
        return self._workspace.working.seeds.setdefault(candidate.user_id, candidate)

    async def active(self, user_id: str) -> ActiveSeeds | None:
        return self._workspace.working.seeds.get(user_id)

    async def replace(self, current: ActiveSeeds, new: ActiveSeeds, revealed: RevealedSeeds | None) -> None:
        await self._workspace.lock_row("seeds", current.user_id)
        self._workspace.working.seeds[current.user_id] = new
        if revealed is not None:
            self._workspace.working.revealed[revealed.pair_id] = revealed

    async def revealed(self, pair_id: str) -> RevealedSeeds | None:
        return self._workspace.working.revealed.get(pair_id)

    async def last_revealed(self, user_id: str) -> RevealedSeeds | None:
        mine = [pair for pair in self._workspace.working.revealed.values() if pair.user_id == user_id]
        return max(mine, key=lambda pair: (pair.revealed_at, pair.created_at), default=None)


def _matches(play: PlayRecord, query: HistoryQuery) -> bool:
    return (
        play.user_id == query.user_id
        and (not query.game_type or play.game_type == query.game_type)
        and (not query.action or play.action == query.action)
        and (not query.since or play.created_at >= query.since)
        and (not query.until or play.created_at <= query.until)
    )


class InMemoryPlayRepository:
    def __init__(
        self,
        workspace: Workspace[GamesTables],
        wallets: WalletRepository,
        limits: LimitRepository,
        play_time: PlayTimeRepository,
    ) -> None:
        self._workspace = workspace
        self._wallets = wallets
        self._limits = limits
        self._play_time = play_time

    async def settle(self, settlement: Settlement) -> int:
        """The wager (a stake not covered is refused before anything is written), then `record`'s writes."""
        balance_after = await self._wallets.settle_wager(settlement.wager(), settlement.play.created_at)
        await self.record(settlement.state, settlement.play, settlement.clock)
        return balance_after

    async def peek_play(
        self, user_id: str, game_type: GameType, parsed_versions: Collection[int] = ()
    ) -> PlayStart | None:
        """`begin_play` (locking as it does) for a player with a seed pair; None for one without."""
        seeds = await InMemorySeedRepository(self._workspace).active(user_id)
        return None if seeds is None else await self.begin_play(user_id, game_type, seeds, parsed_versions)

    async def begin_play(
        self, user_id: str, game_type: GameType, candidate: ActiveSeeds, parsed_versions: Collection[int] = ()
    ) -> PlayStart:
        """Always with the config (`parsed_versions` saves a round trip's payload only on the hot path)."""
        state = await self._lock_state(user_id, game_type)
        seeds = await InMemorySeedRepository(self._workspace).lock(candidate)
        limits, clock = await self._limits.get(user_id), await self._play_time.lock(user_id)
        return PlayStart(state, deepcopy(self._workspace.working.configs.get(game_type)), seeds, limits, clock)

    async def _lock_state(self, user_id: str, game_type: GameType) -> PlayerState:
        key = (user_id, game_type)
        await self._workspace.lock_row("states", key)
        state = self._workspace.working.states.setdefault(key, PlayerState(user_id, game_type))
        return deepcopy(state)

    async def record(self, state: PlayerState, play: PlayRecord, clock: PlayClock | None = None) -> None:
        if clock is not None:
            await self._play_time.save(clock)
        key = (state.user_id, state.game_type)
        await self._workspace.lock_row("states", key)
        if key in self._workspace.working.states:  # an UPDATE: a state never locked is not created here
            self._workspace.working.states[key] = deepcopy(state)
        if play.id in self._workspace.working.history:
            raise ValueError(f"play {play.id} is already recorded")
        if play.fair is not None:
            await self._pass_nonce(play)
        self._workspace.working.history[play.id] = deepcopy(play)
        await self._add_to_stats(play)

    async def _pass_nonce(self, play: PlayRecord) -> None:
        """Like the SQL's unique (pair, nonce) and `nonce = nonce + 1`: a nonce is used once."""
        assert play.fair is not None
        await self._workspace.lock_row("seeds", play.user_id)
        seeds = self._workspace.working.seeds.get(play.user_id)
        if seeds is None or seeds.pair_id != play.fair.pair_id or seeds.nonce != play.fair.nonce:
            raise ValueError(f"play {play.id} was not drawn at its pair's next nonce")
        self._workspace.working.seeds[play.user_id] = replace(seeds, nonce=seeds.nonce + 1)

    async def _add_to_stats(self, play: PlayRecord) -> None:
        key = (play.user_id, play.game_type)
        await self._workspace.lock_row("stats", key)
        stats = self._workspace.working.stats.get(key, GameStats(play.game_type.value))
        self._workspace.working.stats[key] = replace(
            stats,
            play_count=stats.play_count + 1,
            win_count=stats.win_count + (1 if play.won else 0),
            net_coins=stats.net_coins + play.delta_coins,
            net_gems=stats.net_gems + play.delta_gems,
        )

    async def history(self, query: HistoryQuery, limit: int, after: Position | None) -> Page[PlayRecord]:
        plays = (play for play in self._workspace.working.history.values() if _matches(play, query))
        return newest_first_page(plays, lambda play: (play.created_at, play.id), limit, after)

    async def play(self, user_id: str, play_id: str) -> PlayRecord | None:
        found = self._workspace.working.history.get(play_id)
        return deepcopy(found) if found is not None and found.user_id == user_id else None

    async def has_play(self, user_id: str, play_id: str) -> bool:
        # committed rows count too: a play committed since this unit of work's snapshot is visible, as in SQL
        found = self._workspace.working.history.get(play_id) or self._workspace.committed.history.get(play_id)
        return found is not None and found.user_id == user_id

    async def stats(self, user_id: str) -> list[GameStats]:
        rows = [stats for (owner, _), stats in self._workspace.working.stats.items() if owner == user_id]
        return sorted(rows, key=lambda stats: stats.game_type)

    async def state(self, user_id: str, game_type: GameType) -> PlayerState:
        return deepcopy(self._workspace.working.states.get((user_id, game_type), PlayerState(user_id, game_type)))


class InMemoryInventoryRepository:
    def __init__(self, workspace: Workspace[GamesTables]) -> None:
        self._workspace = workspace

    async def add(self, user_id: str, items: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Rows are locked in item order, so two units of work adding overlapping items cannot deadlock."""
        for (item_id, name, rarity), quantity in sorted(Counter(items).items()):
            key = (user_id, item_id)
            await self._workspace.lock_row("inventory", key)
            held = self._workspace.working.inventory.get(key)
            self._workspace.working.inventory[key] = (
                InventoryItem(item_id, name, rarity, quantity, now)
                if held is None
                else replace(held, quantity=held.quantity + quantity)
            )

    async def take(self, user_id: str, item_id: str, quantity: int = 1) -> bool:
        """Like `UPDATE … WHERE quantity >= :quantity`: the row is locked and checked as last committed."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        key = (user_id, item_id)
        await self._workspace.lock_row("inventory", key)
        held = self._workspace.working.inventory.get(key)
        if held is None or held.quantity < quantity:
            return False
        self._workspace.working.inventory[key] = replace(held, quantity=held.quantity - quantity)
        return True

    async def list(self, user_id: str) -> builtins.list[InventoryItem]:
        items = [
            item for (owner, _), item in self._workspace.working.inventory.items() if owner == user_id and item.quantity
        ]
        items.sort(key=lambda item: item.item_id)
        items.sort(key=lambda item: item.first_acquired_at, reverse=True)  # stable: item_id breaks ties
        return items

    async def count_by_rarity(self, user_id: str) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (owner, _), item in self._workspace.working.inventory.items():
            if owner == user_id and item.quantity:
                counts[item.rarity] += item.quantity
        return dict(counts)
