"""How events become OLAP rows: the keys that make redelivery and backfill harmless, and the ledger's legs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.rows import event_row, ledger_rows
from src.application.analytics.tables import EVENT_COLUMNS, LEDGER_COLUMNS, STREAM
from src.application.shared.outbox import OutboxMessage

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def event(event_type: str, payload: dict[str, Any], aggregate_type: str = "user", aggregate_id: str = "p1") -> Any:
    message = OutboxMessage(1, "e" * 32, event_type, aggregate_type, aggregate_id, payload, AT)
    return AnalyticsEvent.of(message)


def row(e: AnalyticsEvent) -> dict[str, object]:
    return dict(zip(EVENT_COLUMNS, event_row(e, STREAM), strict=True))


def legs(e: AnalyticsEvent) -> list[dict[str, object]]:
    return [dict(zip(LEDGER_COLUMNS, leg, strict=True)) for leg in ledger_rows(e, STREAM)]


def test_a_spin_is_keyed_by_its_id_and_stands_for_its_bet_and_win_ledger_rows() -> None:
    spin = event("SpinSettled", {"spin_id": "s1", "bet": 100, "payout": 250, "outcome": "win", "streak": 1})

    assert row(spin)["dedup_key"] == "SpinSettled:s1"
    assert (row(spin)["amount"], row(spin)["currency"], row(spin)["status"]) == (100, "coins", "win")
    assert [(leg["entry_key"], leg["reason"], leg["delta"]) for leg in legs(spin)] == [
        ("spin:s1:coins:slot_bet", "slot_bet", -100),
        ("spin:s1:coins:slot_win", "slot_win", 250),
    ]


def test_a_lost_spin_has_no_win_row_and_its_net_balance_change_no_ledger_row() -> None:
    lost = event("SpinSettled", {"spin_id": "s2", "bet": 100, "payout": 0, "outcome": "lose", "streak": 0})
    net = event("BalanceChanged", {"currency": "coins", "delta": -100, "balance_after": 0, "reason": "slot_spin"})

    assert [leg["reason"] for leg in legs(lost)] == ["slot_bet"]
    assert legs(net) == []
    assert row(net)["dedup_key"] == "e" * 32


def test_a_balance_change_is_keyed_by_the_ledger_reference_and_its_player_is_the_wallet() -> None:
    credit = event(
        "BalanceChanged",
        {"currency": "gems", "delta": 50, "balance_after": 50, "reason": "purchase", "ref_type": "tx", "ref_id": "t1"},
        aggregate_type="wallet",
    )

    assert row(credit)["dedup_key"] == "BalanceChanged:tx:t1:gems:purchase"
    assert [(leg["entry_key"], leg["player_id"], leg["delta"]) for leg in legs(credit)] == [
        ("tx:t1:gems:purchase", "p1", 50)
    ]


def test_each_state_of_a_purchase_is_one_row_for_its_buyer_with_its_promo_code() -> None:
    payload = {"user_id": "buyer", "status": "captured", "amount_cents": 499, "currency": "USD", "promo_code": "SPRING"}
    captured = event(
        "PurchaseUpdated", payload | {"failure_reason": None}, aggregate_type="purchase", aggregate_id="t1"
    )
    refunded = event("PurchaseUpdated", payload | {"status": "refunded"}, aggregate_type="purchase", aggregate_id="t1")

    assert row(captured)["dedup_key"] == "PurchaseUpdated:t1:captured"
    assert row(refunded)["dedup_key"] == "PurchaseUpdated:t1:refunded"
    assert (row(captured)["player_id"], row(captured)["amount"], row(captured)["promo_code"]) == (
        "buyer",
        499,
        "SPRING",
    )
    assert row(captured)["reason"] == ""


def test_a_gacha_pull_keeps_one_rarity_per_item_and_an_action_its_type_and_client_time() -> None:
    pulled = event("GachaPulled", {"pull_id": "g1", "count": 2, "cost": 300, "rarities": ["RARE", "EPIC"]})
    action = event("ActionTracked", {"action_type": "open_shop", "client_ts": "2026-12-01T11:59:58+00:00"})
    naive = event("ActionTracked", {"action_type": "open_shop", "client_ts": "2026-12-01T11:59:58"})

    assert (row(pulled)["dedup_key"], row(pulled)["rarities"], row(pulled)["amount"]) == (
        "GachaPulled:g1",
        ["RARE", "EPIC"],
        300,
    )
    assert (row(action)["reason"], row(action)["client_ts"]) == (
        "open_shop",
        datetime(2026, 12, 1, 11, 59, 58, tzinfo=UTC),
    )
    assert row(naive)["client_ts"] is None  # a time without a zone is not a time we can place


def test_an_announcement_is_about_no_player() -> None:
    announced = event("AnnouncementPublished", {"title": "hi"}, aggregate_type="announcement", aggregate_id="a1")

    assert row(announced)["player_id"] == ""
