from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from src.application.games.leaderboard import Leaderboard
from src.application.games.ports import GamesUnitOfWork, PlaysAtOnce, SeedVault, StoredConfig
from src.application.games.turns import PlayerTurns
from src.application.shared.ports import Clock, IdGenerator
from src.domain.games.fairness import FairRandom
from src.domain.games.gacha import DEFAULT_GACHA_CONFIG, GachaConfig
from src.domain.games.random import RandomSource
from src.domain.games.slot import DEFAULT_SLOT_CONFIG, SlotConfig


@dataclass
class ParsedConfigs:
    """Parsed (and validated) configs by stored version: parsing once per version keeps plays cheap."""

    slot: dict[int, SlotConfig] = field(default_factory=dict)
    gacha: dict[int, GachaConfig] = field(default_factory=dict)

    def slot_of(self, stored: StoredConfig) -> SlotConfig:
        if stored.version not in self.slot:
            self.slot[stored.version] = SlotConfig.from_dict(stored.data)
        return self.slot[stored.version]

    def gacha_of(self, stored: StoredConfig) -> GachaConfig:
        if stored.version not in self.gacha:
            self.gacha[stored.version] = GachaConfig.from_dict(stored.data)
        return self.gacha[stored.version]


Draws = Callable[[str, str, int], RandomSource]  # (server seed, client seed, nonce) → the play's random source


@dataclass
class GamesDeps:
    """`draws` is the provably fair derivation everywhere but in tests that script outcomes; `at_once`, where the
    store settles plain plays outside a unit of work (PostgreSQL)."""

    uow_factory: Callable[[], GamesUnitOfWork]
    clock: Clock
    ids: IdGenerator
    vault: SeedVault
    leaderboard: Leaderboard
    slot_max_bet: int = 10_000
    draws: Draws = FairRandom
    parsed: ParsedConfigs = field(default_factory=ParsedConfigs)
    at_once: PlaysAtOnce | None = None
    turns: PlayerTurns = field(default_factory=PlayerTurns)

    @cached_property
    def default_slot(self) -> SlotConfig:
        """Built once: constructing a config validates it and computes its odds."""
        return replace(DEFAULT_SLOT_CONFIG, max_bet=self.slot_max_bet)

    @property
    def default_gacha(self) -> GachaConfig:
        return DEFAULT_GACHA_CONFIG
