"""Wire formats of missions and achievements (the player's routes and the operators' definitions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.engagement.definitions import achievement_fields, mission_fields
from src.application.engagement.missions import AchievementView, Claimed, MissionBoard, MissionView
from src.domain.engagement.achievements import AchievementDefinition
from src.domain.engagement.missions import MissionDefinition, Prize
from src.entrypoints.http.schemas.identity import Struct

DefinitionId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Title = Annotated[str, msgspec.Meta(max_length=200)]
Name = Annotated[str, msgspec.Meta(max_length=40)]


class PrizeOut(Struct, omit_defaults=True):
    """Only what the reward holds: `{coins?, gems?, item_id?}`."""

    coins: int | None = None
    gems: int | None = None
    item_id: str | None = None

    @classmethod
    def of(cls, prize: Prize) -> PrizeOut:
        return cls(coins=prize.coins or None, gems=prize.gems or None, item_id=prize.item_id)


class MissionOut(Struct):
    mission_id: str
    title: str
    period: str  # daily | weekly | once
    progress: int  # capped at the target
    target: int
    reward: PrizeOut
    completed: bool
    claimed: bool
    claimable: bool
    resets_at: datetime | None  # when this period's progress starts again from 0; null for `once`

    @classmethod
    def of(cls, view: MissionView) -> MissionOut:
        mission = view.definition
        return cls(mission_id=mission.mission_id, title=mission.title, period=mission.period.value,
                   progress=view.progress, target=mission.target, reward=PrizeOut.of(mission.prize),
                   completed=view.completed, claimed=view.claimed, claimable=view.claimable,
                   resets_at=view.resets_at)  # fmt: skip


class MissionsOut(Struct):
    items: list[MissionOut]
    daily_resets_at: datetime
    weekly_resets_at: datetime

    @classmethod
    def of(cls, board: MissionBoard) -> MissionsOut:
        return cls(items=[MissionOut.of(view) for view in board.items], daily_resets_at=board.daily_resets_at,
                   weekly_resets_at=board.weekly_resets_at)  # fmt: skip


class RewardClaimIn(Struct):
    """The body is optional; the Idempotency-Key header wins over `idempotency_key`."""

    idempotency_key: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class MissionClaimOut(Struct):
    mission_id: str
    reward: PrizeOut
    balances: dict[str, int]

    @classmethod
    def of(cls, claimed: Claimed) -> MissionClaimOut:
        return cls(mission_id=claimed.definition_id, reward=PrizeOut.of(claimed.prize), balances=claimed.balances)


class AchievementClaimOut(Struct):
    achievement_id: str
    reward: PrizeOut
    balances: dict[str, int]

    @classmethod
    def of(cls, claimed: Claimed) -> AchievementClaimOut:
        return cls(achievement_id=claimed.definition_id, reward=PrizeOut.of(claimed.prize),
                   balances=claimed.balances)  # fmt: skip


class AchievementOut(Struct):
    achievement_id: str
    title: str
    category: str
    progress: int  # capped at the target
    target: int
    unlocked: bool
    unlocked_at: datetime | None
    claimed: bool
    claimable: bool
    reward: PrizeOut
    hidden: bool  # a hidden achievement is listed once unlocked
    auto_claim: bool  # paid at the unlock
    precondition: str | None  # the achievement that must unlock first

    @classmethod
    def of(cls, view: AchievementView) -> AchievementOut:
        definition, unlocked = view.definition, view.unlocked_at is not None
        return cls(achievement_id=definition.achievement_id, title=definition.title, category=definition.category,
                   progress=view.progress, target=definition.target, unlocked=unlocked, unlocked_at=view.unlocked_at,
                   claimed=view.claimed, claimable=unlocked and not view.claimed,
                   reward=PrizeOut.of(definition.prize), hidden=definition.hidden, auto_claim=definition.auto_claim,
                   precondition=definition.precondition)  # fmt: skip


class AchievementsOut(Struct):
    items: list[AchievementOut]
    unlocked_count: int

    @classmethod
    def of(cls, views: list[AchievementView]) -> AchievementsOut:
        return cls(items=[AchievementOut.of(view) for view in views],
                   unlocked_count=sum(1 for view in views if view.unlocked_at is not None))  # fmt: skip


# Operators' definitions


class PrizeIn(Struct):
    """Coins 0-1,000,000, gems 0-10,000 and/or a grantable item (`streak_shield`); at least one."""

    coins: int = 0
    gems: int = 0
    item_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


def _given(struct: Struct) -> dict[str, Any]:
    fields = {name: value for name, value in msgspec.structs.asdict(struct).items() if value is not msgspec.UNSET}
    if isinstance(fields.get("reward"), PrizeIn):
        fields["reward"] = msgspec.structs.asdict(fields["reward"])
    return fields


class MissionIn(Struct):
    """What the mission counts: `metric` (spins, wins, coins_wagered, coins_won, gacha_pulls, pulls_of_rarity,
    purchases, gems_bought, streak_days, logins, missions_completed), folded by `operator` (add, max, set); `rarity`
    only for pulls_of_rarity."""

    mission_id: DefinitionId
    title: Title
    period: Name
    metric: Name
    target: int
    reward: PrizeIn
    operator: Name = "add"
    rarity: Name | None = None
    enabled: bool = True
    position: int = 0

    def given(self) -> dict[str, Any]:
        return _given(self)


class MissionChangesIn(Struct):
    """Only the fields given change (`reward` replaces the whole reward); `enabled: false` disables."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    period: Name | msgspec.UnsetType = msgspec.UNSET
    metric: Name | msgspec.UnsetType = msgspec.UNSET
    operator: Name | msgspec.UnsetType = msgspec.UNSET
    rarity: Name | msgspec.UnsetType | None = msgspec.UNSET
    target: int | msgspec.UnsetType = msgspec.UNSET
    reward: PrizeIn | msgspec.UnsetType = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    position: int | msgspec.UnsetType = msgspec.UNSET

    def given(self) -> dict[str, Any]:
        return _given(self)


class DefinitionRewardOut(Struct):
    coins: int
    gems: int
    item_id: str | None


class MissionDefinitionOut(Struct):
    mission_id: str
    title: str
    period: str
    metric: str
    operator: str
    rarity: str | None
    target: int
    reward: DefinitionRewardOut
    enabled: bool
    position: int

    @classmethod
    def of(cls, definition: MissionDefinition) -> MissionDefinitionOut:
        return msgspec.convert(mission_fields(definition), cls)


class AchievementIn(Struct):
    """As a mission, with a `category`, an optional `precondition` (another achievement's id), `hidden` (listed once
    unlocked) and `auto_claim` (paid at the unlock)."""

    achievement_id: DefinitionId
    title: Title
    category: Name
    metric: Name
    target: int
    reward: PrizeIn
    operator: Name = "add"
    rarity: Name | None = None
    hidden: bool = False
    auto_claim: bool = False
    precondition: DefinitionId | None = None
    enabled: bool = True
    position: int = 0

    def given(self) -> dict[str, Any]:
        return _given(self)


class AchievementChangesIn(Struct):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    category: Name | msgspec.UnsetType = msgspec.UNSET
    metric: Name | msgspec.UnsetType = msgspec.UNSET
    operator: Name | msgspec.UnsetType = msgspec.UNSET
    rarity: Name | msgspec.UnsetType | None = msgspec.UNSET
    target: int | msgspec.UnsetType = msgspec.UNSET
    reward: PrizeIn | msgspec.UnsetType = msgspec.UNSET
    hidden: bool | msgspec.UnsetType = msgspec.UNSET
    auto_claim: bool | msgspec.UnsetType = msgspec.UNSET
    precondition: DefinitionId | msgspec.UnsetType | None = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    position: int | msgspec.UnsetType = msgspec.UNSET

    def given(self) -> dict[str, Any]:
        return _given(self)


class AchievementDefinitionOut(Struct):
    achievement_id: str
    title: str
    category: str
    metric: str
    operator: str
    rarity: str | None
    target: int
    reward: DefinitionRewardOut
    hidden: bool
    auto_claim: bool
    precondition: str | None
    enabled: bool
    position: int

    @classmethod
    def of(cls, definition: AchievementDefinition) -> AchievementDefinitionOut:
        return msgspec.convert(achievement_fields(definition), cls)
