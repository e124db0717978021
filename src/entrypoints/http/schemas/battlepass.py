"""Wire formats of the battle pass routes, the season leaderboards and their admin definitions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from src.application.engagement.battlepass import ClaimResult, PassStatus
from src.application.engagement.seasons import PastSeason
from src.domain.engagement.battlepass import BattlePassSeason, PassLevel, Track, TrackReward, XpTable
from src.domain.engagement.seasons import Cadence, RankBand, SeasonBoard
from src.entrypoints.http.schemas.identity import Balances, Struct

Amount = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
SeasonId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


def _utc(moment: datetime) -> datetime:
    """A timestamp without an offset is read as UTC, the API's time zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class TrackRewardOut(Struct):
    coins: int
    gems: int

    @classmethod
    def of(cls, reward: TrackReward) -> TrackRewardOut:
        return cls(coins=reward.coins, gems=reward.gems)


class ClaimableOut(Struct):
    free: list[int]
    premium: list[int]


class BattlePassStatusOut(Struct):
    season_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    level: int
    max_level: int
    xp: int
    xp_to_next: int  # 0 at the top level
    premium: bool
    premium_price_gems: int
    claimable_levels: ClaimableOut

    @classmethod
    def of(cls, status: PassStatus) -> BattlePassStatusOut:
        season = status.season
        return cls(
            season_id=season.season_id,
            name=season.name,
            starts_at=season.starts_at,
            ends_at=season.ends_at,
            level=status.level,
            max_level=len(season.levels),
            xp=status.progress.xp,
            xp_to_next=status.xp_to_next,
            premium=status.progress.premium,
            premium_price_gems=season.premium_price_gems,
            claimable_levels=ClaimableOut(free=status.claimable[Track.FREE], premium=status.claimable[Track.PREMIUM]),
        )


class ClaimIn(Struct):
    level: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    track: Literal["free", "premium"]
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class ClaimOut(Struct):
    season_id: str
    level: int
    track: str
    reward: TrackRewardOut
    balances: Balances

    @classmethod
    def of(cls, result: ClaimResult) -> ClaimOut:
        return cls(
            season_id=result.season_id,
            level=result.level,
            track=result.track.value,
            reward=TrackRewardOut.of(result.reward),
            balances=Balances(coins=result.balances.get("coins", 0), gems=result.balances.get("gems", 0)),
        )


class PremiumIn(Struct):
    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class TrackRewardIn(Struct):
    coins: Amount = 0
    gems: Amount = 0

    def reward(self) -> TrackReward:
        return TrackReward(self.coins, self.gems)


class LevelIn(Struct):
    level: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    xp: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
    free: TrackRewardIn = msgspec.field(default_factory=TrackRewardIn)
    premium: TrackRewardIn = msgspec.field(default_factory=TrackRewardIn)


class XpTableIO(Struct):
    play: Amount = 10
    per_100_coins_wagered: Amount = 1
    purchase: Amount = 500


class BattlePassSeasonIn(Struct):
    """A whole season (POST creates, PUT replaces); `season_id` is taken from the path on PUT."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    starts_at: datetime
    ends_at: datetime
    levels: Annotated[list[LevelIn], msgspec.Meta(max_length=1000)]
    premium_price_gems: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
    xp_table: XpTableIO = msgspec.field(default_factory=XpTableIO)
    enabled: bool = True
    season_id: SeasonId | None = None

    def season(self, season_id: str) -> BattlePassSeason:
        levels = tuple(PassLevel(lv.level, lv.xp, lv.free.reward(), lv.premium.reward()) for lv in self.levels)
        xp = XpTable(self.xp_table.play, self.xp_table.per_100_coins_wagered, self.xp_table.purchase)
        starts_at, ends_at = _utc(self.starts_at), _utc(self.ends_at)
        return BattlePassSeason(
            season_id, self.name, starts_at, ends_at, levels, xp, self.premium_price_gems, self.enabled
        )


class LevelOut(Struct):
    level: int
    xp: int
    free: TrackRewardOut
    premium: TrackRewardOut

    @classmethod
    def of(cls, level: PassLevel) -> LevelOut:
        return cls(
            level=level.level, xp=level.xp, free=TrackRewardOut.of(level.free), premium=TrackRewardOut.of(level.premium)
        )


class BattlePassSeasonOut(Struct):
    season_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    levels: list[LevelOut]
    xp_table: XpTableIO
    premium_price_gems: int
    enabled: bool
    settled_at: datetime | None

    @classmethod
    def of(cls, season: BattlePassSeason) -> BattlePassSeasonOut:
        xp = season.xp
        return cls(
            season_id=season.season_id,
            name=season.name,
            starts_at=season.starts_at,
            ends_at=season.ends_at,
            levels=[LevelOut.of(level) for level in season.levels],
            xp_table=XpTableIO(play=xp.play, per_100_coins_wagered=xp.per_100_coins_wagered, purchase=xp.purchase),
            premium_price_gems=season.premium_price_gems,
            enabled=season.enabled,
            settled_at=season.settled_at,
        )


class RankBandIO(Struct):
    rank_from: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    rank_to: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    coins: Amount = 0
    gems: Amount = 0


class SeasonBoardIn(Struct):
    """A recurring season leaderboard (POST creates, PUT replaces); `season_id` is taken from the path on PUT."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    board: Annotated[str, msgspec.Meta(max_length=32)]
    rewards: Annotated[list[RankBandIO], msgspec.Meta(max_length=100)]
    cadence: Literal["daily", "weekly"] = "weekly"
    enabled: bool = True
    season_id: SeasonId | None = None

    def definition(self, definition_id: str) -> SeasonBoard:
        bands = tuple(RankBand(b.rank_from, b.rank_to, TrackReward(b.coins, b.gems)) for b in self.rewards)
        return SeasonBoard(definition_id, self.name, self.board, Cadence(self.cadence), bands, self.enabled)


class SeasonBoardOut(Struct):
    season_id: str  # the definition's id; each period is the season `<season_id>.<period>`
    name: str
    board: str
    cadence: str
    rewards: list[RankBandIO]
    enabled: bool

    @classmethod
    def of(cls, board: SeasonBoard) -> SeasonBoardOut:
        bands = [
            RankBandIO(rank_from=b.rank_from, rank_to=b.rank_to, coins=b.reward.coins, gems=b.reward.gems)
            for b in board.bands
        ]
        return cls(
            season_id=board.definition_id,
            name=board.name,
            board=board.board,
            cadence=board.cadence.value,
            rewards=bands,
            enabled=board.enabled,
        )


class FinalRankOut(Struct):
    rank: int
    user_id: str
    nickname: str
    score: int
    reward: TrackRewardOut
    paid_at: datetime | None  # null while the settlement is still paying this rank


class PastSeasonOut(Struct):
    season_id: str
    definition_id: str
    name: str | None
    board: str | None
    starts_at: datetime
    ends_at: datetime
    settled_at: datetime | None
    items: list[FinalRankOut]
    next_cursor: str | None

    @classmethod
    def of(cls, past: PastSeason) -> PastSeasonOut:
        period = past.period.period
        items = [
            FinalRankOut(
                rank=r.rank,
                user_id=r.user_id,
                nickname=nickname,
                score=r.score,
                reward=TrackRewardOut.of(r.reward),
                paid_at=r.paid_at,
            )
            for r, nickname in past.items
        ]
        return cls(
            season_id=period.season_id,
            definition_id=period.definition_id,
            name=None if past.board is None else past.board.name,
            board=None if past.board is None else past.board.board,
            starts_at=period.starts_at,
            ends_at=period.ends_at,
            settled_at=past.period.settled_at,
            items=items,
            next_cursor=None if past.next_after_rank is None else str(past.next_after_rank),
        )
