"""Server seeds from the OS CSPRNG, sealed with AES-256-GCM under FAIRNESS_SEED_KEY until they are revealed.

A seal is `v1.<base64url(12-byte nonce ‖ ciphertext ‖ tag)>`, bound to its pair id (associated data), so a sealed
seed copied onto another pair does not open.

An opened seed is kept in a small bounded in-process map (least recently used out first) keyed by the pair id and
its seal, so a player's spins do not decrypt their pair's seed at each draw: a pair's server seed never changes
(rotation makes a new pair with a new id and a new seal; a client seed set before the first play keeps both), and a
seal that differs in any way is a miss and opens (or is refused) as before. The map is process memory only, as the
key is.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections import OrderedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from src.domain.games.fairness import SERVER_SEED_BYTES

_VERSION = "v1."
_NONCE_BYTES = 12
CLIENT_SEED_BYTES = 16
OPENED_SEEDS_KEPT = 4096  # ≈ 1 MB at most; players spinning at once on one process are far fewer


class AesGcmSeedVault:
    def __init__(self, key: str, kept: int = OPENED_SEEDS_KEPT) -> None:
        if not key:
            raise ValueError("the seed key must not be empty")
        self._aead = AESGCM(hashlib.sha256(key.encode()).digest())  # any configured text → a 256-bit key
        self._kept = kept
        self._opened: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __repr__(self) -> str:
        return "AesGcmSeedVault(<key hidden>)"

    def new_server_seed(self) -> str:
        return secrets.token_hex(SERVER_SEED_BYTES)

    def new_client_seed(self) -> str:
        return secrets.token_hex(CLIENT_SEED_BYTES)

    def seal(self, pair_id: str, server_seed: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, server_seed.encode(), pair_id.encode())
        return _VERSION + base64.urlsafe_b64encode(sealed).decode()

    def open(self, pair_id: str, sealed: str) -> str:
        opened = self._opened
        seed = opened.get((pair_id, sealed))
        if seed is not None:
            opened.move_to_end((pair_id, sealed))
            return seed
        seed = self._open(pair_id, sealed)
        opened[pair_id, sealed] = seed
        if len(opened) > self._kept:
            opened.popitem(last=False)
        return seed

    def _open(self, pair_id: str, sealed: str) -> str:
        if not sealed.startswith(_VERSION):
            raise ValueError("unknown seal format")
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :])
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], pair_id.encode()).decode()
        except InvalidTag as exc:
            raise ValueError("the seal does not open with this key for this pair") from exc
