"""A claimed key's answer held for a number only the work's last write learns (a buy's balance after)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from src.application.shared.idempotency import (
    HELD_NUMBER,
    IdempotencyPolicy,
    IdempotencyScope,
    KeyRecorder,
    StoredResponse,
)

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _recorder(status: int = 200, *, final: bool = True, claimed: bool = True, extra: str = "") -> KeyRecorder[int]:
    def answer(balance: int) -> StoredResponse:
        body = json.dumps({"status": "captured", "new_gem_balance": balance, "note": extra}).encode()
        return StoredResponse(status, body, final=final)

    scope = IdempotencyScope(str(uuid.uuid4()), "POST /api/shop/buy", "key-1")
    return KeyRecorder(scope, "a" * 64, answer, NOW, IdempotencyPolicy(), claimed=claimed)


def test_a_held_answer_is_the_answer_with_the_number_the_write_learns() -> None:
    sut = _recorder()

    held = sut.held_answer(lambda balance: balance)
    assert held is not None
    sut.answered_with(1234)

    expected = json.dumps({"status": "captured", "new_gem_balance": 1234, "note": ""}).encode()
    assert held.body(1234) == expected
    assert sut.recorded == StoredResponse(200, expected)
    assert (held.entry.created_at, held.entry.fingerprint) == (NOW, "a" * 64)  # the claim it completes


def test_no_answer_is_held_when_it_would_not_be_stored_or_its_number_cannot_be_placed() -> None:
    assert _recorder(claimed=False).held_answer(lambda balance: balance) is None  # `record` writes those
    assert _recorder(final=False).held_answer(lambda balance: balance) is None
    assert _recorder(503).held_answer(lambda balance: balance) is None
    twice = _recorder(extra=str(HELD_NUMBER))  # the stand-in's digits elsewhere in the body
    assert twice.held_answer(lambda balance: balance) is None
    assert twice.recorded is None
