"""Wire formats of the games routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.games.configs import GachaView, SlotDraft, SlotView
from src.application.games.history import GachaStats
from src.application.games.plays import PullResult, SpinResult
from src.application.games.ports import InventoryItem
from src.domain.games.play import GameStats, PlayRecord
from src.entrypoints.http.schemas.identity import Struct


class SpinIn(Struct):
    bet: Annotated[int, msgspec.Meta(ge=1)]
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class SpinOut(Struct):
    spin_id: str
    reels: list[str]
    outcome: str
    multiplier: float
    payout: int
    streak: int
    balance_after: int

    @classmethod
    def of(cls, result: SpinResult) -> SpinOut:
        return cls(
            spin_id=result.spin_id,
            reels=list(result.reels),
            outcome=result.outcome,
            multiplier=result.multiplier,
            payout=result.payout,
            streak=result.streak,
            balance_after=result.balance_after,
        )


class SlotConfigOut(Struct):
    symbols: list[dict[str, Any]]
    min_bet: int
    max_bet: int
    streak_bonus_step: float
    streak_bonus_cap: float
    rtp: float
    base_rtp: float
    hit_rate: float
    triple_probability: float
    pair_probability: float

    @classmethod
    def of(cls, view: SlotView) -> SlotConfigOut:
        config = view.config
        return cls(
            symbols=[
                {
                    "name": s.name,
                    "weight": s.weight,
                    "probability": s.weight / sum(x.weight for x in config.symbols),
                    "triple_multiplier": s.triple_multiplier,
                    "pair_multiplier": s.pair_multiplier,
                }
                for s in config.symbols
            ],
            min_bet=config.min_bet,
            max_bet=config.max_bet,
            streak_bonus_step=config.streak_bonus_step,
            streak_bonus_cap=config.streak_bonus_cap,
            rtp=view.odds.rtp,
            base_rtp=view.odds.base_rtp,
            hit_rate=view.odds.hit_rate,
            triple_probability=view.odds.triple_probability,
            pair_probability=view.odds.pair_probability,
        )


class SlotPreviewOut(SlotConfigOut):
    """A draft's odds: what saving it would publish, and whether a save would accept its RTP."""

    acceptable: bool
    rtp_min: float
    rtp_max: float

    @classmethod
    def of_draft(cls, draft: SlotDraft) -> SlotPreviewOut:
        published = SlotConfigOut.of(SlotView(draft.config, draft.odds))
        fields = {name: getattr(published, name) for name in SlotConfigOut.__struct_fields__}
        return cls(**fields, acceptable=draft.acceptable, rtp_min=draft.rtp_min, rtp_max=draft.rtp_max)


class GachaConfigOut(Struct):
    rates: dict[str, float]
    effective_rates: dict[str, float]
    pools: dict[str, list[dict[str, str]]]
    costs: dict[str, int]
    pity_threshold: int
    pity_guarantee: str
    near_miss_rate: float

    @classmethod
    def of(cls, view: GachaView) -> GachaConfigOut:
        config = view.config
        return cls(
            rates={rarity.value: rate for rarity, rate in config.rates.items()},
            effective_rates=view.effective_rates,
            pools={
                rarity.value: [{"item_id": item.item_id, "name": item.name} for item in items]
                for rarity, items in config.pools.items()
            },
            costs={"1": config.single_cost, "10": config.ten_cost},
            pity_threshold=config.pity_threshold,
            pity_guarantee="Epic",
            near_miss_rate=config.near_miss_rate,
        )


class PullIn(Struct):
    count: int
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class PulledItemOut(Struct):
    item_id: str
    name: str
    rarity: str
    near_miss: bool
    animation_type: str
    pity_triggered: bool


class PullOut(Struct):
    pull_id: str
    items: list[PulledItemOut]
    cost: int
    pity_counter: int
    balance_after: int

    @classmethod
    def of(cls, result: PullResult) -> PullOut:
        items = [
            PulledItemOut(
                item_id=item.item_id,
                name=item.name,
                rarity=item.rarity.value,
                near_miss=item.near_miss,
                animation_type=item.animation_type,
                pity_triggered=item.pity_triggered,
            )
            for item in result.items
        ]
        return cls(result.pull_id, items, result.cost, result.pity_counter, result.balance_after)


class GameStatsOut(Struct):
    play_count: int
    win_count: int
    win_rate: float
    net_coins: int
    net_gems: int

    @classmethod
    def of(cls, stats: GameStats) -> GameStatsOut:
        return cls(stats.play_count, stats.win_count, stats.win_rate, stats.net_coins, stats.net_gems)


class GachaStatsOut(GameStatsOut):
    """Pulls by rarity and the pity counter, plus the per-game figures of `/{game_type}/stats`
    (this route answers for `game_type=gacha` too)."""

    by_rarity: dict[str, int]
    total_pulls: int
    pity_counter: int

    @classmethod
    def of_gacha(cls, stats: GachaStats, game: GameStats) -> GachaStatsOut:
        figures = msgspec.structs.asdict(GameStatsOut.of(game))
        return cls(**figures, by_rarity=stats.by_rarity, total_pulls=stats.total_pulls, pity_counter=stats.pity_counter)


class ProfileStatsOut(GameStatsOut):
    games: dict[str, GameStatsOut] = msgspec.field(default_factory=dict)


class HistoryOut(Struct):
    id: str
    game_type: str
    action: str
    bet: int
    payout: int
    delta_coins: int
    delta_gems: int
    won: bool
    result: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, record: PlayRecord) -> HistoryOut:
        return cls(
            id=record.id,
            game_type=record.game_type.value,
            action=record.action,
            bet=record.bet,
            payout=record.payout,
            delta_coins=record.delta_coins,
            delta_gems=record.delta_gems,
            won=record.won,
            result=record.result_meta,
            created_at=record.created_at,
        )


class InventoryItemOut(Struct):
    item_id: str
    name: str
    rarity: str
    quantity: int
    first_acquired_at: datetime

    @classmethod
    def of(cls, item: InventoryItem) -> InventoryItemOut:
        return cls(item.item_id, item.name, item.rarity, item.quantity, item.first_acquired_at)


class LeaderboardEntryOut(Struct):
    rank: int
    user_id: str
    nickname: str
    score: int


class MyRankOut(Struct):
    rank: int | None
    score: int | None


class LeaderboardOut(Struct):
    board: str
    period: str
    items: list[LeaderboardEntryOut]
    me: MyRankOut
    resets_at: datetime | None = None  # when this board starts over; null for all_time
    season_id: str | None = None  # period=season: the running season (`<definition>.<period>`)
    around_me: list[LeaderboardEntryOut] | None = None  # period=season: the caller and a few ranks either side
