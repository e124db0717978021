"""Game history and statistics: per game, per player overall, and the profile summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.games.deps import GamesDeps
from src.application.games.ports import HistoryQuery, InventoryItem
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.domain.games.gacha import Rarity
from src.domain.games.play import GameStats, GameType, PlayRecord
from src.domain.shared.errors import Forbidden, InvalidInput
from src.domain.shared.principal import Principal

GAME_TYPES = {game.value for game in GameType}


def check_game_type(game_type: str | None) -> str | None:
    if game_type is not None and game_type not in GAME_TYPES:
        raise InvalidInput(f"game_type must be one of {sorted(GAME_TYPES)}", details={"fields": [{"key": "game_type"}]})
    return game_type


@dataclass(frozen=True)
class HistoryRequest:
    caller: Principal
    user_id: str | None = None
    game_type: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_history(
    request: HistoryRequest, limit: int | None, cursor: str | None, deps: GamesDeps
) -> Page[PlayRecord]:
    """Your own history; admins may look at anyone's."""
    user_id = request.user_id or request.caller.user_id
    if user_id != request.caller.user_id and not request.caller.is_admin:
        raise Forbidden("only admins may read another player's history")
    query = HistoryQuery(user_id, check_game_type(request.game_type), request.action, request.since, request.until)
    async with deps.uow_factory() as uow:
        return await uow.plays.history(query, check_limit(limit), decode_cursor(cursor))


async def recent_plays(user_id: str, limit: int, deps: GamesDeps) -> list[PlayRecord]:
    """The player's latest plays of every game, newest first (other contexts read them through this)."""
    async with deps.uow_factory() as uow:
        return (await uow.plays.history(HistoryQuery(user_id), check_limit(limit), None)).items


async def stats_by_game(user_id: str, deps: GamesDeps) -> dict[str, GameStats]:
    async with deps.uow_factory() as uow:
        found = {stats.game_type: stats for stats in await uow.plays.stats(user_id)}
    return {game.value: found.get(game.value, GameStats(game.value)) for game in GameType}


def overall(stats: dict[str, GameStats]) -> GameStats:
    return GameStats(
        game_type="all",
        play_count=sum(item.play_count for item in stats.values()),
        win_count=sum(item.win_count for item in stats.values()),
        net_coins=sum(item.net_coins for item in stats.values()),
        net_gems=sum(item.net_gems for item in stats.values()),
    )


GACHA_RARITIES = frozenset(rarity.value for rarity in Rarity)


@dataclass(frozen=True)
class PlayerSummary:
    """What /api/users/stats shows: real aggregates of play."""

    total_spins: int
    total_wins: int
    win_rate: float
    net_coins: int
    gacha_pulls: int


def _pulled(by_rarity: dict[str, int]) -> dict[str, int]:
    """Inventory counts of the gacha's rarities only: items granted otherwise (rewards) are no pulls."""
    return {rarity: count for rarity, count in by_rarity.items() if rarity in GACHA_RARITIES}


async def player_summary(user_id: str, deps: GamesDeps) -> PlayerSummary:
    stats = await stats_by_game(user_id, deps)
    async with deps.uow_factory() as uow:
        pulled = _pulled(await uow.inventory.count_by_rarity(user_id))
    slot = stats[GameType.SLOT.value]
    return PlayerSummary(
        total_spins=slot.play_count,
        total_wins=slot.win_count,
        win_rate=slot.win_rate,
        net_coins=overall(stats).net_coins,
        gacha_pulls=sum(pulled.values()),
    )


@dataclass(frozen=True)
class GachaStats:
    by_rarity: dict[str, int]
    pity_counter: int
    total_pulls: int


async def gacha_stats(user_id: str, deps: GamesDeps) -> GachaStats:
    async with deps.uow_factory() as uow:
        by_rarity = _pulled(await uow.inventory.count_by_rarity(user_id))
        state = await uow.plays.state(user_id, GameType.GACHA)
    return GachaStats(by_rarity, state.pity_counter, sum(by_rarity.values()))


async def list_inventory(user_id: str, deps: GamesDeps) -> list[InventoryItem]:
    async with deps.uow_factory() as uow:
        return await uow.inventory.list(user_id)
