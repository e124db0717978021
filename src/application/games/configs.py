"""Published odds are the odds used: plays and the public config both read the stored version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from src.application.games.deps import GamesDeps
from src.application.games.ports import GamesUnitOfWork, PlayStart, StoredConfig
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.games.gacha import GachaConfig, effective_rates
from src.domain.games.play import GameType
from src.domain.games.slot import RTP_MAX, RTP_MIN, SlotConfig, SlotOdds, odds
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shared.principal import Principal


def slot_of(stored: StoredConfig | None, deps: GamesDeps) -> SlotConfig:
    return deps.default_slot if stored is None else deps.parsed.slot_of(stored)


def gacha_of(stored: StoredConfig | None, deps: GamesDeps) -> GachaConfig:
    return deps.default_gacha if stored is None else deps.parsed.gacha_of(stored)


def slot_of_start(start: PlayStart, deps: GamesDeps) -> SlotConfig:
    """The config a play began with: parsed already when only its version was fetched."""
    if start.known_version is not None:
        return deps.parsed.slot[start.known_version]
    return slot_of(start.config, deps)


def gacha_of_start(start: PlayStart, deps: GamesDeps) -> GachaConfig:
    if start.known_version is not None:
        return deps.parsed.gacha[start.known_version]
    return gacha_of(start.config, deps)


async def slot_config(uow: GamesUnitOfWork, deps: GamesDeps) -> SlotConfig:
    return slot_of(await uow.game_configs.get(GameType.SLOT), deps)


async def gacha_config(uow: GamesUnitOfWork, deps: GamesDeps) -> GachaConfig:
    return gacha_of(await uow.game_configs.get(GameType.GACHA), deps)


@dataclass(frozen=True)
class SlotView:
    config: SlotConfig
    odds: SlotOdds


@dataclass(frozen=True)
class GachaView:
    config: GachaConfig
    effective_rates: dict[str, float]


def _gacha_view(config: GachaConfig) -> GachaView:
    return GachaView(config, {rarity.value: rate for rarity, rate in effective_rates(config).items()})


async def stored_version(uow: GamesUnitOfWork, game: GameType, version: int) -> StoredConfig | None:
    """A version a play may name: 0 is the built-in default (None), an unknown one is NOT_FOUND."""
    if version == 0:
        return None
    stored = await uow.game_configs.version(game, version)
    if stored is None:
        raise NotFound(f"{game.value} has no config version {version}")
    return stored


async def get_slot_view(deps: GamesDeps, version: int | None = None) -> SlotView:
    """The odds in force, or those of an earlier version (a proof names the version it was drawn under)."""
    async with deps.uow_factory() as uow:
        if version is None:
            config = await slot_config(uow, deps)
        else:
            config = slot_of(await stored_version(uow, GameType.SLOT, version), deps)
    return SlotView(config, odds(config))


async def get_gacha_view(deps: GamesDeps, version: int | None = None) -> GachaView:
    async with deps.uow_factory() as uow:
        if version is None:
            return _gacha_view(await gacha_config(uow, deps))
        return _gacha_view(gacha_of(await stored_version(uow, GameType.GACHA, version), deps))


@dataclass(frozen=True)
class UpdateGameConfig:
    admin: Principal
    client: ClientInfo
    data: dict[str, Any]


async def _save(
    uow: GamesUnitOfWork, deps: GamesDeps, cmd: UpdateGameConfig, game: GameType, data: dict[str, Any]
) -> None:
    """A new stored version, audit-logged in the same transaction; the next play reads it."""
    now = deps.clock.now()
    version = await uow.game_configs.save(game, data, cmd.admin.user_id, now)
    payload = {"version": version, "config": data}
    action = AdminAction(cmd.admin, cmd.client, f"{game.value}.config.update", "game_config", game.value, payload)
    await write_audit(uow, action, deps.ids, now)
    await uow.commit()


async def update_slot_config(cmd: UpdateGameConfig, deps: GamesDeps) -> SlotView:
    """Validated (RTP bounds included) before it is stored; the next spin uses it.

    A config that leaves out `max_bet` keeps the operator's SLOT_MAX_BET rather than the library default.
    """
    config = SlotConfig.from_dict({"max_bet": deps.slot_max_bet, **cmd.data})
    async with deps.uow_factory() as uow:
        await _save(uow, deps, cmd, GameType.SLOT, config.to_dict())
    return SlotView(config, odds(config))


@dataclass(frozen=True)
class SlotDraft:
    """What a proposed slot config would publish, before anything is saved: its odds and whether the RTP is within
    the bounds a save requires."""

    config: SlotConfig
    odds: SlotOdds
    rtp_min: float
    rtp_max: float

    @property
    def acceptable(self) -> bool:
        return self.rtp_min <= self.odds.rtp <= self.rtp_max


def preview_slot_config(data: dict[str, Any], deps: GamesDeps) -> SlotDraft:
    """Every rule but the RTP bounds is checked (400 as a save would); nothing is stored or audited."""
    config = SlotConfig.from_dict({"max_bet": deps.slot_max_bet, **data}, check_rtp=False)
    return SlotDraft(config, odds(config), RTP_MIN, RTP_MAX)


def preview_gacha_config(data: dict[str, Any]) -> GachaView:
    """The rates a proposed gacha config would publish (with pity: the effective ones), validated as a save would
    (400); nothing is stored or audited."""
    return _gacha_view(GachaConfig.from_dict(data))


async def update_gacha_config(cmd: UpdateGameConfig, deps: GamesDeps) -> GachaView:
    config = GachaConfig.from_dict(cmd.data)
    async with deps.uow_factory() as uow:
        await _save(uow, deps, cmd, GameType.GACHA, config.to_dict())
    return _gacha_view(config)


def require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("the config must be a JSON object", details={"fields": [{"key": "body"}]})
    return data
