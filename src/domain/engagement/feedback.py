"""Feedback after an action: a message, an emotion and an animation chosen from the player's own recent context.

Rules (API.md only says "context-aware", so they are decided here):
- the context is the player's last 10 plays (slot and gacha), their daily streak today and their latest VIP change;
- a situation is chosen by the first rule that holds, most specific first: a big win (payout of at least 10 x the
  bet), a near miss (a slot loss whose outer reels match, or a pair that paid less than the bet), a win streak or
  a loss streak (3 or more plays in a row), a streak milestone (a tick that reaches 3, 7, 14, 30, 50, 100 or a
  multiple of 100 days), a level up (a VIP tier raised in the last 24 hours), then the plain outcome;
- a loss streak answers with calm, never with a push to play on (responsible play);
- within a situation the variant is chosen by a hash of the situation and the context (latest play, streak,
  tier change), so the same inputs with the same context always give the same message, in every language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from src.domain.shared.errors import InvalidInput

RECENT_PLAYS = 10
STREAK_RUN = 3
BIG_WIN_MULTIPLE = 10
MILESTONES = frozenset({3, 7, 14, 30, 50, 100})
LEVEL_UP_WINDOW = timedelta(hours=24)


class ActionType(StrEnum):
    SPIN = "spin"
    GACHA = "gacha"
    STREAK = "streak"
    PURCHASE = "purchase"
    LEVEL_UP = "level_up"
    LOGIN = "login"


class Outcome(StrEnum):
    WIN = "win"
    LOSS = "loss"
    NEAR_MISS = "near_miss"
    BIG_WIN = "big_win"
    NEUTRAL = "neutral"


class Situation(StrEnum):
    BIG_WIN = "big_win"
    NEAR_MISS = "near_miss"
    WIN_STREAK = "win_streak"
    LOSS_STREAK = "loss_streak"
    STREAK_MILESTONE = "streak_milestone"
    LEVEL_UP = "level_up"
    WIN = "win"
    LOSS = "loss"
    STREAK_TICK = "streak_tick"
    PURCHASE = "purchase"
    WELCOME = "welcome"


@dataclass(frozen=True)
class RecentPlay:
    """What feedback needs of a play: its id (the context's fingerprint), stake, payout and slot reels."""

    play_id: str
    bet: int
    payout: int
    won: bool
    reels: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlayerContext:
    plays: Sequence[RecentPlay]  # newest first
    streak_count: int  # the daily streak as it stands today
    last_tier_raise: datetime | None  # when the VIP tier last went up
    now: datetime

    @property
    def latest(self) -> RecentPlay | None:
        return self.plays[0] if self.plays else None

    def run_of(self, won: bool) -> int:
        """How many of the latest plays in a row were wins (or losses)."""
        run = 0
        for play in self.plays:
            if play.won is not won:
                break
            run += 1
        return run

    @property
    def fingerprint(self) -> str:
        latest = self.latest
        raise_at = "" if self.last_tier_raise is None else self.last_tier_raise.isoformat()
        return f"{'' if latest is None else latest.play_id}|{self.streak_count}|{raise_at}"


def _choice(value: str | None, kind: type[StrEnum], key: str) -> StrEnum | None:
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in kind)
        message = f"{key} must be one of {allowed}"
        raise InvalidInput(message, details={"fields": [{"key": key, "message": message, "source": "query"}]}) from exc


def parse_request(action_type: str | None, outcome: str | None) -> tuple[ActionType | None, Outcome | None]:
    """The query's values (absent or empty: none given); an unknown one is 400 naming it."""
    action = _choice(action_type, ActionType, "action_type")
    result = _choice(outcome, Outcome, "outcome")
    return (None if action is None else ActionType(action)), (None if result is None else Outcome(result))


def is_big_win(play: RecentPlay) -> bool:
    return play.bet > 0 and play.payout >= BIG_WIN_MULTIPLE * play.bet


def is_near_miss(play: RecentPlay) -> bool:
    reels = play.reels
    if len(reels) != 3:
        return False
    if play.payout == 0:
        return reels[0] == reels[2] != reels[1]
    return 0 < play.payout < play.bet and len(set(reels)) == 2


def is_milestone(count: int) -> bool:
    return count in MILESTONES or (count > 0 and count % 100 == 0)


def _outcome_of(outcome: Outcome | None, context: PlayerContext) -> Outcome:
    """The outcome given, else the latest play's."""
    if outcome is not None:
        return outcome
    latest = context.latest
    if latest is None:
        return Outcome.NEUTRAL
    if is_big_win(latest):
        return Outcome.BIG_WIN
    if is_near_miss(latest):
        return Outcome.NEAR_MISS
    return Outcome.WIN if latest.won else Outcome.LOSS


def _leveled_up(context: PlayerContext) -> bool:
    raised = context.last_tier_raise
    return raised is not None and context.now - raised <= LEVEL_UP_WINDOW


def situation_of(action: ActionType | None, outcome: Outcome | None, context: PlayerContext) -> Situation:
    """The most specific situation that holds (see the module's rules)."""
    result = _outcome_of(outcome, context)
    rules: tuple[tuple[bool, Situation], ...] = (
        (result is Outcome.BIG_WIN, Situation.BIG_WIN),
        (result is Outcome.NEAR_MISS, Situation.NEAR_MISS),
        (result is Outcome.WIN and context.run_of(True) >= STREAK_RUN, Situation.WIN_STREAK),
        (result is Outcome.LOSS and context.run_of(False) >= STREAK_RUN, Situation.LOSS_STREAK),
        (action is ActionType.STREAK and is_milestone(context.streak_count), Situation.STREAK_MILESTONE),
        (action is ActionType.LEVEL_UP or (action is None and _leveled_up(context)), Situation.LEVEL_UP),
        (result is Outcome.WIN, Situation.WIN),
        (result is Outcome.LOSS, Situation.LOSS),
        (action is ActionType.STREAK, Situation.STREAK_TICK),
        (action is ActionType.PURCHASE, Situation.PURCHASE),
    )
    return next((situation for holds, situation in rules if holds), Situation.WELCOME)


def variant_index(situation: Situation, context: PlayerContext, variants: int) -> int:
    """Deterministic: a hash of the situation and the context's fingerprint, never a random draw."""
    digest = hashlib.sha256(f"{situation.value}|{context.fingerprint}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % variants
