"""The purchase state machine: legal moves, refusals, idempotent repeats and a recorded history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from src.domain.shared.errors import InvalidInput
from src.domain.shop.transactions import (
    FailureReason,
    IllegalTransition,
    PurchaseKind,
    PurchaseTransaction,
    StatusChange,
    TxStatus,
    card_fingerprint,
    refund_split,
)
from tests.unit.domain.shop.factories import AMOUNT_CENTS, GEMS, T0, at, pending_tx, tx_in

Action = Callable[[PurchaseTransaction, datetime], bool]

ACTIONS: dict[str, Action] = {
    "authorize": lambda tx, when: tx.authorize("ch_1", when),
    "capture": lambda tx, when: tx.capture(when),
    "fail": lambda tx, when: tx.fail(FailureReason.CAPTURE_FAILED, when),
    "void": lambda tx, when: tx.void(FailureReason.STALE_AUTO_VOID, when),
    "refund": lambda tx, when: tx.refund(when, AMOUNT_CENTS, GEMS, 0),
}
LEGAL = {
    (TxStatus.PENDING, "authorize"): TxStatus.AUTHORIZED,
    (TxStatus.PENDING, "capture"): TxStatus.CAPTURED,
    (TxStatus.AUTHORIZED, "capture"): TxStatus.CAPTURED,
    (TxStatus.PENDING, "fail"): TxStatus.FAILED,
    (TxStatus.AUTHORIZED, "fail"): TxStatus.FAILED,
    (TxStatus.PENDING, "void"): TxStatus.VOIDED,
    (TxStatus.AUTHORIZED, "void"): TxStatus.VOIDED,
    (TxStatus.CAPTURED, "refund"): TxStatus.REFUNDED,
}
REPEATS = {
    (TxStatus.AUTHORIZED, "authorize"),
    (TxStatus.CAPTURED, "capture"),
    (TxStatus.REFUNDED, "capture"),
    (TxStatus.FAILED, "fail"),
    (TxStatus.VOIDED, "void"),
    (TxStatus.REFUNDED, "refund"),
}
ILLEGAL = sorted((s, a) for s in TxStatus for a in ACTIONS if (s, a) not in LEGAL and (s, a) not in REPEATS)


@pytest.mark.parametrize(("start", "action"), list(LEGAL))
def test_a_legal_transition_moves_the_state_and_records_it(start: TxStatus, action: str) -> None:
    sut = tx_in(start)

    changed = ACTIONS[action](sut, at(60))

    assert changed is True
    assert sut.status is LEGAL[(start, action)]
    assert sut.history[-1].status is LEGAL[(start, action)]
    assert sut.history[-1].at == at(60)
    assert sut.updated_at == at(60)


@pytest.mark.parametrize(("start", "action"), ILLEGAL)
def test_an_illegal_transition_is_refused_and_changes_nothing(start: TxStatus, action: str) -> None:
    sut = tx_in(start)
    history_before = list(sut.history)

    with pytest.raises(IllegalTransition) as refused:
        ACTIONS[action](sut, at(60))

    assert refused.value.code == "ILLEGAL_TRANSITION"
    assert sut.status is start
    assert sut.history == history_before


@pytest.mark.parametrize(("start", "action"), sorted(REPEATS))
def test_a_repeated_transition_is_a_no_op(start: TxStatus, action: str) -> None:
    sut = tx_in(start)
    history_before = list(sut.history)

    changed = ACTIONS[action](sut, at(60))

    assert changed is False
    assert sut.status is start
    assert sut.history == history_before
    assert sut.updated_at != at(60)


def test_authorizing_again_with_another_charge_is_refused() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    with pytest.raises(IllegalTransition):
        sut.authorize("ch_other", at(60))

    assert sut.charge_id == "ch_1"


@pytest.mark.parametrize("status", list(TxStatus))
def test_only_captured_failed_voided_and_refunded_are_settled(status: TxStatus) -> None:
    sut = tx_in(status)

    assert sut.is_settled is (status not in (TxStatus.PENDING, TxStatus.AUTHORIZED))


def test_the_history_records_every_change_with_its_time_and_reason() -> None:
    sut = pending_tx()

    sut.authorize("ch_9", at(1))
    sut.capture(at(2), reason="capture_retry")
    sut.refund(at(3), AMOUNT_CENTS, 300, 200, reason="admin_refund")

    assert sut.history == [
        StatusChange(TxStatus.PENDING, T0, "created"),
        StatusChange(TxStatus.AUTHORIZED, at(1), None),
        StatusChange(TxStatus.CAPTURED, at(2), "capture_retry"),
        StatusChange(TxStatus.REFUNDED, at(3), "admin_refund"),
    ]
    assert (sut.charge_id, sut.refunded_cents, sut.clawed_back_gems, sut.outstanding_gems) == ("ch_9", 499, 300, 200)


def test_a_failure_records_its_reason_and_a_repeat_keeps_the_first() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    sut.fail(FailureReason.CAPTURE_FAILED, at(5))
    sut.fail(FailureReason.GATEWAY_TIMEOUT, at(6))

    assert sut.failure_reason is FailureReason.CAPTURE_FAILED
    assert sut.history[-1] == StatusChange(TxStatus.FAILED, at(5), "CAPTURE_FAILED")
    assert sut.gems_granted == 0


def test_a_stale_void_records_stale_auto_void() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    sut.void(FailureReason.STALE_AUTO_VOID, at(301))

    assert sut.failure_reason is FailureReason.STALE_AUTO_VOID
    assert sut.history[-1] == StatusChange(TxStatus.VOIDED, at(301), "STALE_AUTO_VOID")


def test_capture_marks_the_packs_gems_as_granted() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    sut.capture(at(2))

    assert sut.gems_granted == GEMS


@pytest.mark.parametrize(
    ("refunded_cents", "clawed_back", "outstanding"),
    [(AMOUNT_CENTS + 1, GEMS, 0), (-1, GEMS, 0), (AMOUNT_CENTS, GEMS - 1, 0), (AMOUNT_CENTS, GEMS + 1, -1)],
)
def test_a_refund_that_does_not_reverse_the_grant_exactly_is_refused(
    refunded_cents: int, clawed_back: int, outstanding: int
) -> None:
    sut = tx_in(TxStatus.CAPTURED)

    with pytest.raises(InvalidInput):
        sut.refund(at(9), refunded_cents, clawed_back, outstanding)

    assert sut.status is TxStatus.CAPTURED


def test_a_timestamp_without_a_timezone_is_refused() -> None:
    sut = pending_tx()

    with pytest.raises(InvalidInput):
        sut.authorize("ch_1", datetime(2026, 11, 26, 12, 1))

    assert sut.status is TxStatus.PENDING
    assert sut.charge_id is None


def test_capture_attempts_are_counted_while_the_transaction_is_open() -> None:
    sut = tx_in(TxStatus.AUTHORIZED)

    assert sut.record_capture_attempt(at(10)) is True
    assert sut.record_capture_attempt() is True

    assert sut.capture_attempts == 2
    assert sut.updated_at == at(10)


def test_a_capture_attempt_on_a_settled_transaction_is_ignored() -> None:
    sut = tx_in(TxStatus.FAILED)

    assert sut.record_capture_attempt(at(10)) is False
    assert sut.capture_attempts == 0


@pytest.mark.parametrize(
    ("granted", "balance", "expected"),
    [(500, 1000, (500, 0)), (500, 500, (500, 0)), (500, 200, (200, 300)), (500, 0, (0, 500)), (0, 50, (0, 0))],
)
def test_a_refund_claws_back_what_the_balance_allows_and_records_the_rest(
    granted: int, balance: int, expected: tuple[int, int]
) -> None:
    assert refund_split(granted, balance) == expected


@pytest.mark.parametrize(("granted", "balance"), [(-1, 10), (10, -1)])
def test_a_negative_grant_or_balance_is_refused(granted: int, balance: int) -> None:
    with pytest.raises(InvalidInput):
        refund_split(granted, balance)


def test_a_card_fingerprint_is_stable_distinct_and_hides_the_token() -> None:
    sut = card_fingerprint("tok_visa")

    assert sut == card_fingerprint("tok_visa")
    assert sut != card_fingerprint("tok_pending")
    assert "tok_visa" not in sut


@pytest.mark.parametrize(("quantity", "amount_cents", "gems"), [(0, 499, 500), (1, -1, 500), (1, 499, 0)])
def test_a_transaction_cannot_start_with_a_nonsense_quantity_amount_or_gems(
    quantity: int, amount_cents: int, gems: int
) -> None:
    with pytest.raises(InvalidInput):
        PurchaseTransaction.start(
            id="tx1",
            user_id="u1",
            sku="gems_500",
            kind=PurchaseKind.CATALOG,
            quantity=quantity,
            amount_cents=amount_cents,
            currency="USD",
            gems=gems,
            card_token_fingerprint=card_fingerprint("tok_visa"),
            at=T0,
        )


def test_a_new_transaction_is_pending_with_its_creation_recorded() -> None:
    sut = pending_tx()

    assert (sut.status, sut.capture_attempts, sut.gems_granted, sut.charge_id) == (TxStatus.PENDING, 0, 0, None)
    assert sut.history == [StatusChange(TxStatus.PENDING, T0, "created")]
