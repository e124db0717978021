"""Signed gateway webhooks: `X-Signature: t=<unix>,v1=<hex hmac_sha256(secret, "<t>.<raw body>")>`.

Several `v1=` values and several secrets may be in play during a secret rotation: any match is accepted.
The signature is checked before the timestamp, so only an authentic but old (or future) request is a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from src.domain.shared.errors import DomainError

DEFAULT_TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 2048
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class WebhookSignatureInvalid(DomainError):
    code = "WEBHOOK_SIGNATURE_INVALID"
    default_message = "the webhook signature is missing or invalid"


class WebhookReplay(DomainError):
    code = "WEBHOOK_REPLAY"
    default_message = "the webhook is outside the accepted time window"


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """The full X-Signature header value for one secret."""
    return f"t={timestamp},v1={_digest(secret, str(timestamp), raw_body)}"


def verify(
    header: str | None,
    raw_body: bytes,
    secrets: Sequence[str],
    now_unix: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """The header's timestamp if one of its v1 signatures matches one of the secrets within the tolerance."""
    if not secrets:
        raise ValueError("no webhook secret is configured")
    timestamp_text, signatures = _parse(header)
    expected = [_digest(secret, timestamp_text, raw_body) for secret in secrets]
    if not any(hmac.compare_digest(sig, exp) for sig in signatures for exp in expected):
        raise WebhookSignatureInvalid()
    timestamp = int(timestamp_text)
    if abs(now_unix - timestamp) > tolerance_seconds:
        raise WebhookReplay(details={"timestamp": timestamp, "tolerance_seconds": tolerance_seconds})
    return timestamp


def _parse(header: str | None) -> tuple[str, list[str]]:
    """One `t=` and at least one well-formed `v1=`; other schemes (e.g. `v0=`) are ignored."""
    if not header or len(header) > MAX_HEADER_LENGTH:
        raise WebhookSignatureInvalid()
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookSignatureInvalid()
        if key == "t":
            timestamps.append(value)
        elif key == "v1" and _SIGNATURE.fullmatch(value):
            signatures.append(value.lower())
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]) or not signatures:
        raise WebhookSignatureInvalid()
    return timestamps[0], signatures


def _digest(secret: str, timestamp_text: str, raw_body: bytes) -> str:
    message = timestamp_text.encode() + b"." + raw_body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
