"""Responsible-gaming limits a player sets on themselves, and restrictions (time-out, self-exclusion).

Every limit is "lower is safer": a lower value, or a limit where there was none, applies at once; a higher value
or a removal waits a 24-hour cooling-off (pending, with `effective_at`). A restriction only ever lengthens: a new
one that would end sooner than the one in force changes nothing, and nothing ends one early.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from src.domain.shared.errors import DomainError

COOLING_OFF = timedelta(hours=24)
PURCHASE_WINDOWS = {"daily": timedelta(hours=24), "weekly": timedelta(days=7), "monthly": timedelta(days=30)}
PURCHASE_FIELDS = {"daily": "daily_cents", "weekly": "weekly_cents", "monthly": "monthly_cents"}
FIELDS = ("daily_cents", "weekly_cents", "monthly_cents", "play_minutes_daily", "reality_check_minutes")
TIME_OUTS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "42d": timedelta(days=42)}
EXCLUSION_MONTHS = (6, 12, 60)
DAYS_PER_MONTH = 30  # a self-exclusion of n months lasts n x 30 days, never less than the player asked for


class LimitReached(DomainError):
    code = "LIMIT_REACHED"
    default_message = "a responsible-gaming limit is reached"

    def __init__(self, limit: int, period: str, resets_at: datetime | None, kind: str = "purchase_cents") -> None:
        """`kind`: which limit, `purchase_cents` or `play_minutes` (then `limit` is in minutes)."""
        details = {"limit": limit, "period": period, "resets_at": None if resets_at is None else resets_at.isoformat()}
        details["kind"] = kind
        what = f"play-time limit of {limit} minutes" if kind == "play_minutes" else f"purchase limit of {limit} cents"
        super().__init__(f"your {period} {what} is reached", details=details)


class TimedOut(DomainError):
    code = "TIMED_OUT"
    default_message = "you have taken a time-out"

    def __init__(self, until: datetime) -> None:
        super().__init__(f"you have taken a time-out until {until.isoformat()}", details={"until": until.isoformat()})


class SelfExcluded(DomainError):
    code = "SELF_EXCLUDED"
    default_message = "you have excluded yourself"

    def __init__(self, until: datetime) -> None:
        super().__init__(f"you have excluded yourself until {until.isoformat()}", details={"until": until.isoformat()})


class RestrictionKind(StrEnum):
    TIME_OUT = "time_out"
    SELF_EXCLUSION = "self_exclusion"


@dataclass(frozen=True)
class Restriction:
    kind: RestrictionKind
    until: datetime

    def refusal(self) -> DomainError:
        return TimedOut(self.until) if self.kind is RestrictionKind.TIME_OUT else SelfExcluded(self.until)


@dataclass(frozen=True)
class PendingChange:
    field: str
    value: int | None  # None: the limit is removed
    effective_at: datetime


@dataclass
class PlayerLimits:
    user_id: str
    values: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(FIELDS))
    pending: list[PendingChange] = field(default_factory=list)
    restriction: Restriction | None = None

    def settled(self, now: datetime) -> PlayerLimits:
        """With the changes whose cooling-off is over applied."""
        due = [change for change in self.pending if change.effective_at <= now]
        values = {**self.values, **{change.field: change.value for change in due}}
        pending = [change for change in self.pending if change.effective_at > now]
        return PlayerLimits(self.user_id, values, pending, self.restriction)  # as `replace`, at a third of its cost

    def request(self, changes: dict[str, int | None], now: datetime) -> None:
        """Safer at once (and any pending loosening of that limit is dropped); looser after the cooling-off."""
        current = self.settled(now)
        self.values, self.pending = current.values, current.pending
        for name, value in changes.items():
            self.pending = [change for change in self.pending if change.field != name]
            held = self.values[name]
            if value == held:
                continue
            if value is not None and (held is None or value < held):
                self.values[name] = value
            else:
                self.pending.append(PendingChange(name, value, now + COOLING_OFF))

    def restrict(self, kind: RestrictionKind, until: datetime, now: datetime) -> None:
        """Never shortens the restriction in force; the longer one stays."""
        active = self.active_restriction(now)
        if active is None or until > active.until:
            self.restriction = Restriction(kind, until)

    def active_restriction(self, now: datetime) -> Restriction | None:
        return self.restriction if self.restriction is not None and self.restriction.until > now else None


def check_restriction(restriction: Restriction | None, now: datetime) -> None:
    if restriction is not None and restriction.until > now:
        raise restriction.refusal()


def check_purchase(limits: PlayerLimits, spent: list[tuple[datetime, int]], amount: int, now: datetime) -> None:
    """Every purchase limit must hold with this purchase added (the lowest applicable wins). The refusal names the
    limit that binds longest; `resets_at` is when enough earlier spend leaves its window (None: never, the purchase
    alone is over the limit)."""
    worst: tuple[datetime, LimitReached] | None = None
    for period, window in PURCHASE_WINDOWS.items():
        limit = limits.values[PURCHASE_FIELDS[period]]
        if limit is None:
            continue
        counted = sorted((at, cents) for at, cents in spent if at > now - window)
        if sum(cents for _, cents in counted) + amount <= limit:
            continue
        resets_at = _fits_again(counted, amount, limit, window)
        refusal = LimitReached(limit, period, resets_at)
        rank = resets_at or datetime.max.replace(tzinfo=now.tzinfo)
        if worst is None or rank > worst[0]:
            worst = (rank, refusal)
    if worst is not None:
        raise worst[1]


def _fits_again(counted: list[tuple[datetime, int]], amount: int, limit: int, window: timedelta) -> datetime | None:
    if amount > limit:
        return None
    remaining = sum(cents for _, cents in counted)
    for at, cents in counted:
        remaining -= cents
        if remaining + amount <= limit:
            return at + window
    return None
