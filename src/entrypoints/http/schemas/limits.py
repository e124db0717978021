"""Wire formats of the responsible-gaming routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from src.domain.limits.model import PURCHASE_FIELDS, PlayerLimits
from src.entrypoints.http.schemas.identity import RestrictionOut, Struct

Cents = Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=24 * 60)]
_WIRE_NAMES = {name: f"purchase.{name}" for name in PURCHASE_FIELDS.values()}  # pending fields as the body nests them


class PurchaseLimitsOut(Struct):
    daily_cents: int | None
    weekly_cents: int | None
    monthly_cents: int | None


class UsageOut(Struct):
    daily_cents: int
    weekly_cents: int
    monthly_cents: int
    play_minutes_today: int  # active play today (UTC): plays less than 5 minutes apart, see the daily limit


class PendingOut(Struct):
    field: str
    value: int | None  # null: the limit is being removed
    effective_at: datetime


class LimitsOut(Struct):
    purchase: PurchaseLimitsOut
    play_minutes_daily: int | None
    reality_check_minutes: int | None
    pending: list[PendingOut]
    usage: UsageOut  # cents counted against each purchase limit now (in flight or paid, less refunds); play time
    restriction: RestrictionOut | None

    @classmethod
    def of(cls, limits: PlayerLimits, usage: dict[str, int], play_minutes: int, now: datetime) -> LimitsOut:
        values, restriction = limits.values, limits.active_restriction(now)
        return cls(
            purchase=PurchaseLimitsOut(**{name: values[name] for name in PURCHASE_FIELDS.values()}),
            play_minutes_daily=values["play_minutes_daily"],
            reality_check_minutes=values["reality_check_minutes"],
            pending=[PendingOut(_WIRE_NAMES.get(c.field, c.field), c.value, c.effective_at) for c in limits.pending],
            usage=UsageOut(
                **{PURCHASE_FIELDS[period]: cents for period, cents in usage.items()}, play_minutes_today=play_minutes
            ),
            restriction=None if restriction is None else RestrictionOut.of(restriction),
        )


class PurchaseLimitsIn(Struct):
    """Each field left out stays as it is; null removes the limit (after the cooling-off)."""

    daily_cents: Cents | msgspec.UnsetType | None = msgspec.UNSET
    weekly_cents: Cents | msgspec.UnsetType | None = msgspec.UNSET
    monthly_cents: Cents | msgspec.UnsetType | None = msgspec.UNSET


class LimitsIn(Struct):
    purchase: PurchaseLimitsIn | msgspec.UnsetType = msgspec.UNSET
    play_minutes_daily: Minutes | msgspec.UnsetType | None = msgspec.UNSET
    reality_check_minutes: Minutes | msgspec.UnsetType | None = msgspec.UNSET

    def changes(self) -> dict[str, int | None]:
        purchase = {} if isinstance(self.purchase, msgspec.UnsetType) else msgspec.structs.asdict(self.purchase)
        flat = {**purchase, "play_minutes_daily": self.play_minutes_daily}
        flat["reality_check_minutes"] = self.reality_check_minutes
        return {name: value for name, value in flat.items() if not isinstance(value, msgspec.UnsetType)}


class TimeOutIn(Struct):
    duration: Literal["24h", "7d", "30d", "42d"]


class SelfExclusionIn(Struct):
    months: Literal[6, 12, 60]
