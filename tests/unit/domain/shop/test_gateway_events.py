"""Gateway webhooks drive the transaction forward only, whatever their order or number."""

from __future__ import annotations

from itertools import permutations

import pytest

from src.domain.shared.errors import InvalidInput
from src.domain.shop.transactions import FailureReason, GatewayEvent, RefundSplit, TxStatus
from tests.unit.domain.shop.factories import AMOUNT_CENTS, GEMS, at, tx_in

FULL_CLAWBACK = RefundSplit(GEMS, 0)
ORDERS = list(permutations(list(GatewayEvent)))
# How far along each state is: a transaction's history only ever climbs this ladder.
RANK = {
    TxStatus.PENDING: 0,
    TxStatus.AUTHORIZED: 1,
    TxStatus.CAPTURED: 2,
    TxStatus.FAILED: 3,
    TxStatus.VOIDED: 3,
    TxStatus.REFUNDED: 3,
}


@pytest.mark.parametrize("start", [TxStatus.PENDING, TxStatus.AUTHORIZED])
@pytest.mark.parametrize("order", ORDERS, ids=lambda order: ">".join(e.split(".")[1] for e in order))
def test_events_in_any_order_never_move_the_transaction_backwards(
    start: TxStatus, order: tuple[GatewayEvent, ...]
) -> None:
    sut = tx_in(start)

    for step, event in enumerate(order):
        sut.apply_gateway_event(event, at(10 + step), split=FULL_CLAWBACK)

    expected = TxStatus.FAILED if order[0] is GatewayEvent.FAILED else TxStatus.REFUNDED
    assert sut.status is expected
    ranks = [RANK[change.status] for change in sut.history]
    assert ranks == sorted(ranks)
    assert [c.status for c in sut.history].count(expected) == 1


@pytest.mark.parametrize("event", list(GatewayEvent))
def test_a_repeated_event_is_a_no_op(event: GatewayEvent) -> None:
    sut = tx_in(TxStatus.AUTHORIZED)
    sut.apply_gateway_event(event, at(10), split=FULL_CLAWBACK)
    history_before = list(sut.history)

    changed = sut.apply_gateway_event(event, at(11), split=FULL_CLAWBACK)

    assert changed is False
    assert sut.history == history_before


@pytest.mark.parametrize("settled", [TxStatus.FAILED, TxStatus.VOIDED, TxStatus.REFUNDED])
@pytest.mark.parametrize("event", list(GatewayEvent))
def test_a_late_event_leaves_a_closed_transaction_alone(settled: TxStatus, event: GatewayEvent) -> None:
    sut = tx_in(settled)
    history_before = list(sut.history)

    changed = sut.apply_gateway_event(event, at(10), split=FULL_CLAWBACK)

    assert changed is False
    assert sut.status is settled
    assert sut.history == history_before


def test_captured_settles_an_open_transaction_and_grants_the_gems() -> None:
    sut = tx_in(TxStatus.PENDING)

    changed = sut.apply_gateway_event("charge.captured", at(10))

    assert changed is True
    assert (sut.status, sut.gems_granted) == (TxStatus.CAPTURED, GEMS)
    assert sut.history[-1].reason == "charge.captured"


def test_failed_after_captured_changes_nothing() -> None:
    sut = tx_in(TxStatus.CAPTURED)

    changed = sut.apply_gateway_event("charge.failed", at(10))

    assert changed is False
    assert (sut.status, sut.failure_reason, sut.gems_granted) == (TxStatus.CAPTURED, None, GEMS)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [(None, FailureReason.PAYMENT_DECLINED), (FailureReason.CAPTURE_FAILED, FailureReason.CAPTURE_FAILED)],
)
def test_failed_records_the_gateways_reason_or_a_decline(reason: FailureReason | None, expected: FailureReason) -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    sut.apply_gateway_event("charge.failed", at(10), reason=reason)

    assert (sut.status, sut.failure_reason) == (TxStatus.FAILED, expected)


def test_refunded_on_a_captured_transaction_records_the_clawback_split() -> None:
    sut = tx_in(TxStatus.CAPTURED)

    changed = sut.apply_gateway_event("charge.refunded", at(10), split=RefundSplit(120, GEMS - 120))

    assert changed is True
    assert (sut.refunded_cents, sut.clawed_back_gems, sut.outstanding_gems) == (AMOUNT_CENTS, 120, GEMS - 120)


def test_refunded_before_captured_settles_with_nothing_granted_and_a_late_capture_grants_nothing() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    sut.apply_gateway_event("charge.refunded", at(10))
    late = sut.apply_gateway_event("charge.captured", at(11))

    assert late is False
    assert (sut.status, sut.gems_granted, sut.clawed_back_gems, sut.outstanding_gems) == (TxStatus.REFUNDED, 0, 0, 0)
    assert sut.refunded_cents == AMOUNT_CENTS


def test_refunded_on_a_captured_transaction_without_a_split_is_refused() -> None:
    sut = tx_in(TxStatus.CAPTURED)

    with pytest.raises(InvalidInput):
        sut.apply_gateway_event("charge.refunded", at(10))

    assert sut.status is TxStatus.CAPTURED


def test_an_unknown_event_kind_is_refused() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    with pytest.raises(InvalidInput):
        sut.apply_gateway_event("charge.disputed", at(10))

    assert sut.status is TxStatus.AUTHORIZED
