"""Webhook signatures: raw-body HMAC, rotated secrets, several v1 values, a 300 s window."""

from __future__ import annotations

import pytest

from src.domain.shop.webhooks import WebhookReplay, WebhookSignatureInvalid, sign, verify

SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"
NOW = 1_790_000_000
BODY = b'{"event_id":"evt_1","type":"charge.captured","data":{"charge_id":"ch_1"}}'


def _v1(secret: str, timestamp: int = NOW, body: bytes = BODY) -> str:
    return sign(secret, timestamp, body).split(",v1=")[1]


GOOD_V1 = _v1(SECRET)


def test_a_valid_signature_returns_its_timestamp() -> None:
    sut = sign(SECRET, NOW - 10, BODY)

    assert verify(sut, BODY, [SECRET], now_unix=NOW) == NOW - 10


def test_the_header_has_the_documented_shape() -> None:
    sut = sign(SECRET, NOW, BODY)

    timestamp, signature = sut.split(",")
    assert timestamp == f"t={NOW}"
    assert signature.startswith("v1=")
    assert len(signature) == len("v1=") + 64


def test_a_tampered_body_is_refused() -> None:
    sut = sign(SECRET, NOW, BODY)

    with pytest.raises(WebhookSignatureInvalid) as refused:
        verify(sut, BODY.replace(b"ch_1", b"ch_2"), [SECRET], now_unix=NOW)

    assert refused.value.code == "WEBHOOK_SIGNATURE_INVALID"


def test_a_tampered_timestamp_is_refused() -> None:
    sut = f"t={NOW + 1},v1={GOOD_V1}"

    with pytest.raises(WebhookSignatureInvalid):
        verify(sut, BODY, [SECRET], now_unix=NOW)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    sut = sign("whsec_attacker", NOW, BODY)

    with pytest.raises(WebhookSignatureInvalid):
        verify(sut, BODY, [SECRET, OLD_SECRET], now_unix=NOW)


def test_a_signature_made_with_the_previous_secret_is_accepted_during_rotation() -> None:
    sut = sign(OLD_SECRET, NOW, BODY)

    assert verify(sut, BODY, [SECRET, OLD_SECRET], now_unix=NOW) == NOW


def test_any_one_valid_v1_among_several_is_enough() -> None:
    sut = f"t={NOW},v1={'0' * 64},v1={GOOD_V1},v1={'f' * 64}"

    assert verify(sut, BODY, [SECRET], now_unix=NOW) == NOW


def test_an_uppercase_signature_and_unknown_schemes_are_tolerated() -> None:
    sut = f"t={NOW}, v0=legacy, v1={_v1(SECRET).upper()}"

    assert verify(sut, BODY, [SECRET], now_unix=NOW) == NOW


@pytest.mark.parametrize("age", [300, -300])
def test_a_signature_at_the_edge_of_the_window_is_accepted(age: int) -> None:
    sut = sign(SECRET, NOW - age, BODY)

    assert verify(sut, BODY, [SECRET], now_unix=NOW) == NOW - age


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_a_signature_outside_the_window_is_a_replay(age: int) -> None:
    sut = sign(SECRET, NOW - age, BODY)

    with pytest.raises(WebhookReplay) as refused:
        verify(sut, BODY, [SECRET], now_unix=NOW)

    assert refused.value.code == "WEBHOOK_REPLAY"


def test_an_old_request_with_a_bad_signature_is_invalid_not_a_replay() -> None:
    sut = sign("whsec_attacker", NOW - 301, BODY)

    with pytest.raises(WebhookSignatureInvalid):
        verify(sut, BODY, [SECRET], now_unix=NOW)


def test_the_tolerance_can_be_tightened() -> None:
    sut = sign(SECRET, NOW - 61, BODY)

    with pytest.raises(WebhookReplay):
        verify(sut, BODY, [SECRET], now_unix=NOW, tolerance_seconds=60)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"v1={GOOD_V1}",
        f"t={NOW}",
        f"t={NOW},v1=",
        f"t={NOW},v1=not-hex",
        f"t={NOW},v1={GOOD_V1[:63]}",
        f"t={NOW},v1={'é' * 64}",
        f"t=abc,v1={GOOD_V1}",
        f"t=-{NOW},v1={GOOD_V1}",
        f"t={NOW},t={NOW},v1={GOOD_V1}",
        f"t={NOW};v1={GOOD_V1}",
        f"t={NOW},v1={GOOD_V1},,",
        f"t={NOW},v1={GOOD_V1}" + ",v0=x" * 500,
    ],
    ids=lambda header: repr(header)[:40],
)
def test_a_missing_or_malformed_header_is_invalid(header: str | None) -> None:
    with pytest.raises(WebhookSignatureInvalid):
        verify(header, BODY, [SECRET], now_unix=NOW)


def test_no_configured_secret_is_a_configuration_error() -> None:
    sut = sign(SECRET, NOW, BODY)

    with pytest.raises(ValueError, match="no webhook secret"):
        verify(sut, BODY, [], now_unix=NOW)
