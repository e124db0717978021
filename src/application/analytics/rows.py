"""How an event becomes OLAP rows: one `events` row, and the wallet ledger rows it stands for.

A row's key is a business identity where the event has one (a spin's id, a purchase's id and state, a ledger
row's unique reference), so the live pipeline and a backfill from the database write the same keys and
ReplacingMergeTree keeps one of each.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from src.application.analytics.events import AnalyticsEvent

Row = tuple[object, ...]

SLOT_BET, SLOT_WIN, SPIN_REF = "slot_bet", "slot_win", "spin"  # the ledger rows a spin settles (games.plays)


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return "" if value is None else str(value)


def _int(payload: dict[str, Any], key: str) -> int:
    value = payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def entry_key(ref_type: str, ref_id: str, currency: str, reason: str) -> str:
    """The ledger's unique reference (ref_type, ref_id, currency, reason) as one string."""
    return f"{ref_type}:{ref_id}:{currency}:{reason}"


def _typed(event: AnalyticsEvent) -> tuple[str, int, str, str, str]:
    """(dedup_key, amount, currency, reason, status) by event type."""
    p, kind = event.payload, event.event_type
    if kind == "UserSignedUp":
        return f"{kind}:{event.aggregate_id}", 0, "", "", ""
    if kind == "UserLoggedIn" and p.get("session_id"):
        return f"{kind}:{p['session_id']}", 0, "", "", ""
    if kind == "SpinSettled":
        return f"{kind}:{_text(p, 'spin_id')}", _int(p, "bet"), "coins", "", _text(p, "outcome")
    if kind == "GachaPulled":
        return f"{kind}:{_text(p, 'pull_id')}", _int(p, "cost"), "gems", "", ""
    if kind == "PurchaseUpdated":
        key = f"{kind}:{event.aggregate_id}:{_text(p, 'status')}"
        return key, _int(p, "amount_cents"), _text(p, "currency"), _text(p, "failure_reason"), _text(p, "status")
    if kind == "BalanceChanged":
        reference = _ledger_reference(event)
        key = f"{kind}:{reference}" if reference else event.event_id
        return key, _int(p, "delta"), _text(p, "currency"), _text(p, "reason"), ""
    if kind == "RewardGranted":
        return event.event_id, _int(p, "amount"), _text(p, "currency"), _text(p, "source"), _text(p, "reward_type")
    if kind == "ExperimentExposed":  # once per player and experiment (the stored assignment): variant, phase
        return f"{kind}:{event.aggregate_id}:{event.player_id}", 0, "", _text(p, "variant"), _text(p, "phase")
    if kind == "StreakUpdated":
        return event.event_id, _int(p, "count"), "", _text(p, "reason"), ""
    if "action_type" in p:
        return event.event_id, 0, "", _text(p, "action_type"), ""
    return event.event_id, 0, "", "", ""


def _ledger_reference(event: AnalyticsEvent) -> str | None:
    p = event.payload
    if not (p.get("ref_type") and p.get("ref_id")):
        return None  # the spin's one net BalanceChanged: its ledger rows come from SpinSettled
    return entry_key(_text(p, "ref_type"), _text(p, "ref_id"), _text(p, "currency"), _text(p, "reason"))


def event_row(event: AnalyticsEvent, source: str) -> Row:
    """The `events` row, in tables.EVENT_COLUMNS order."""
    key, amount, currency, reason, status = _typed(event)
    p = event.payload
    rarities = [str(r) for r in p.get("rarities", [])] if event.event_type == "GachaPulled" else []
    return (
        key,
        event.event_id,
        event.event_type,
        event.version,
        event.occurred_at,
        event.player_id,
        event.aggregate_type,
        event.aggregate_id,
        amount,
        currency,
        reason,
        status,
        rarities,
        _text(p, "promo_code") if event.event_type == "PurchaseUpdated" else "",
        _timestamp(p.get("client_ts")),
        json.dumps(p, separators=(",", ":"), default=str),
        source,
    )


def ledger_row(
    key: str, event_id: str, at: datetime, player_id: str, currency: str, reason: str, delta: int, source: str
) -> Row:
    """A `ledger_movements` row, in tables.LEDGER_COLUMNS order."""
    return (key, event_id, at, player_id, currency, reason, delta, source)


def ledger_rows(event: AnalyticsEvent, source: str) -> list[Row]:
    """The wallet ledger rows the event announces (none for most events)."""
    p = event.payload
    if event.event_type == "BalanceChanged" and (reference := _ledger_reference(event)):
        currency, reason = _text(p, "currency"), _text(p, "reason")
        return [
            ledger_row(
                reference,
                event.event_id,
                event.occurred_at,
                event.player_id,
                currency,
                reason,
                _int(p, "delta"),
                source,
            )
        ]
    if event.event_type == "SpinSettled":
        spin, bet, payout = _text(p, "spin_id"), _int(p, "bet"), _int(p, "payout")
        legs = [(SLOT_BET, -bet)] + ([(SLOT_WIN, payout)] if payout > 0 else [])
        return [
            ledger_row(
                entry_key(SPIN_REF, spin, "coins", reason),
                event.event_id,
                event.occurred_at,
                event.player_id,
                "coins",
                reason,
                delta,
                source,
            )
            for reason, delta in legs
        ]
    return []
