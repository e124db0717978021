"""Tamper evidence for purchases: a server-side integrity hash, and a receipt signature clients can verify.

Both are HMAC-SHA256 over the transaction's key fields in a fixed canonical form. The integrity hash is
prefixed with the id of the key that made it, so keys can rotate and old rows still verify.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from src.domain.shop.transactions import PurchaseTransaction


def _canonical(tx: PurchaseTransaction, *, with_state: bool) -> bytes:
    parts = [
        tx.id,
        tx.user_id,
        tx.kind.value,
        tx.sku,
        str(tx.quantity),
        str(tx.amount_cents),
        tx.currency,
        str(tx.gems),
    ]
    if with_state:
        parts += [tx.status.value, tx.charge_id or "", str(tx.gems_granted), str(tx.refunded_cents)]
    return "\x1f".join(parts).encode()  # a unit separator cannot appear in any field


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def integrity_hash(tx: PurchaseTransaction, key_id: str, secret: str) -> str:
    """`<key id>:<hex>` over the key fields and the settled state; recomputed on every state change."""
    return f"{key_id}:{_mac(secret, _canonical(tx, with_state=True))}"


def integrity_holds(tx: PurchaseTransaction, stored: str, secrets_by_key_id: Mapping[str, str]) -> bool:
    """False for a tampered row, and for a hash made with a key we no longer have."""
    key_id, _, _digest = stored.partition(":")
    secret = secrets_by_key_id.get(key_id)
    return secret is not None and hmac.compare_digest(stored, integrity_hash(tx, key_id, secret))


def receipt_signature(tx: PurchaseTransaction, secret: str) -> str:
    """What a client keeps as proof of purchase: it covers what was bought, for how much, by whom."""
    return _mac(secret, _canonical(tx, with_state=False))


def receipt_is_valid(tx: PurchaseTransaction, signature: str, secret: str) -> bool:
    """A client may send any text; compare_digest takes ASCII only, and a real signature is hex."""
    return signature.isascii() and hmac.compare_digest(signature, receipt_signature(tx, secret))
