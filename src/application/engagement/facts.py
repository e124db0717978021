"""What the progress engine reads from other contexts' events: facts of play, by player.

Any consumer that counts plays (missions, achievements, battle pass XP) reads events through `facts_of`, so one
event means the same thing everywhere.
"""

from __future__ import annotations

from collections import Counter as Tally

from src.application.shared.outbox import OutboxMessage
from src.domain.engagement.progress import Fact, Metric

PROGRESS_EVENTS = ("SpinSettled", "GachaPulled", "PurchaseUpdated", "StreakUpdated", "UserLoggedIn")
CAPTURED = "captured"


def _spin(payload: dict[str, object]) -> list[Fact]:
    bet, payout = int(str(payload["bet"])), int(str(payload["payout"]))
    facts = [Fact(Metric.SPINS, 1), Fact(Metric.COINS_WAGERED, bet), Fact(Metric.COINS_WON, payout)]
    return facts + ([Fact(Metric.WINS, 1)] if payout > 0 else [])


def _pull(payload: dict[str, object]) -> list[Fact]:
    rarities = payload.get("rarities")
    tally = Tally(str(rarity) for rarity in rarities) if isinstance(rarities, list) else Tally[str]()
    facts = [Fact(Metric.GACHA_PULLS, int(str(payload["count"])))]
    return facts + [Fact(Metric.PULLS_OF_RARITY, count, rarity) for rarity, count in sorted(tally.items())]


def facts_of(message: OutboxMessage) -> tuple[str, list[Fact]] | None:
    """(player, facts) of an event, or None when it says nothing countable (a purchase not captured)."""
    payload, kind = message.payload, message.event_type
    if kind == "SpinSettled":
        return message.aggregate_id, _spin(payload)
    if kind == "GachaPulled":
        return message.aggregate_id, _pull(payload)
    if kind == "PurchaseUpdated" and payload.get("status") == CAPTURED:
        gems = int(str(payload.get("gems_granted") or 0))
        return str(payload["user_id"]), [Fact(Metric.PURCHASES, 1), Fact(Metric.GEMS_BOUGHT, gems)]
    if kind == "StreakUpdated" and payload.get("reason") == "tick":
        return message.aggregate_id, [Fact(Metric.STREAK_DAYS, int(str(payload["count"])))]
    if kind == "UserLoggedIn":
        return message.aggregate_id, [Fact(Metric.LOGINS, 1)]
    return None
