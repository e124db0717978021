"""Integrity hashes and receipt signatures: any change to a signed field is detected; keys can rotate."""

from __future__ import annotations

from dataclasses import replace

import pytest

from src.domain.shop.receipts import integrity_hash, integrity_holds, receipt_is_valid, receipt_signature
from src.domain.shop.transactions import TxStatus
from tests.unit.domain.shop.factories import tx_in

KEYS = {"k1": "first-integrity-secret", "k2": "second-integrity-secret"}


def test_an_untouched_row_verifies_under_its_own_key_after_rotation() -> None:
    sut = tx_in(TxStatus.CAPTURED)

    stored = integrity_hash(sut, "k1", KEYS["k1"])

    assert stored.startswith("k1:")
    assert integrity_holds(sut, stored, KEYS)
    assert integrity_hash(sut, "k2", KEYS["k2"]) != stored


@pytest.mark.parametrize(
    "tampering",
    [
        {"amount_cents": 1},
        {"gems": 999_999},
        {"user_id": "someone-else"},
        {"status": TxStatus.REFUNDED},
        {"gems_granted": 0},
        {"charge_id": "ch_forged"},
    ],
)
def test_changing_a_signed_field_breaks_the_integrity_hash(tampering: dict[str, object]) -> None:
    sut = tx_in(TxStatus.CAPTURED)
    stored = integrity_hash(sut, "k1", KEYS["k1"])

    assert not integrity_holds(replace(sut, **tampering), stored, KEYS)  # type: ignore[arg-type]


def test_a_hash_made_with_a_retired_key_no_longer_verifies() -> None:
    sut = tx_in(TxStatus.CAPTURED)
    stored = integrity_hash(sut, "k0", "a-retired-secret")

    assert not integrity_holds(sut, stored, KEYS)
    assert not integrity_holds(sut, "garbage-without-a-key-id", KEYS)


def test_a_receipt_verifies_only_with_the_right_secret_and_the_same_purchase() -> None:
    sut = tx_in(TxStatus.CAPTURED)

    signature = receipt_signature(sut, "receipt-secret")

    assert receipt_is_valid(sut, signature, "receipt-secret")
    assert not receipt_is_valid(sut, signature, "another-secret")
    assert not receipt_is_valid(replace(sut, amount_cents=sut.amount_cents + 1), signature, "receipt-secret")
    assert not receipt_is_valid(sut, signature[:-1] + ("0" if signature[-1] != "0" else "1"), "receipt-secret")


@pytest.mark.parametrize("forged", ["ãüÝ", "", "\udbed", "0" * 1000])
def test_any_text_a_client_sends_as_a_signature_is_simply_invalid(forged: str) -> None:
    assert not receipt_is_valid(tx_in(TxStatus.CAPTURED), forged, "receipt-secret")
