"""Provably fair draws: every outcome comes from the player's seed pair and nonce, by a published algorithm.

`HMAC_SHA256(key=server_seed, msg="{client_seed}:{nonce}:{round}")` yields 32 bytes per round, read as eight
32-bit words (big-endian), each a float `word / 2^32` in [0, 1) (the same as `Σ byte_i / 256^(i+1)`); rounds
0, 1, 2, … follow when a play needs more. A draw among `n` equally likely tickets is exact: it takes
`k = ceil(bits(n-1) / 32)` words as one number `v` below `2^(32k)`, keeps it when `v < n·q` with
`q = floor(2^(32k) / n)`, and answers `floor(v / q)`; a `v` above that (probability below n / 2^(32k)) is
skipped and the next words are read. Weighted choices take a ticket below the weights' total and pick the entry
whose cumulative-weight band holds it, so every outcome has exactly the probability its weights say.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from src.domain.games.errors import InvalidPlay

WORD_BITS = 32
WORDS_PER_ROUND = 8
CLIENT_SEED_MAX_LENGTH = 64
SERVER_SEED_BYTES = 32
_ROUND = struct.Struct(">8I")  # a round's 32 bytes as eight big-endian words


def seed_hash(server_seed: str) -> str:
    """The commitment shown before any play: SHA-256 of the server seed's text, in hex."""
    return hashlib.sha256(server_seed.encode()).hexdigest()


def check_client_seed(client_seed: str, key: str = "client_seed") -> str:
    """1–64 printable ASCII characters (space to tilde)."""
    if not 1 <= len(client_seed) <= CLIENT_SEED_MAX_LENGTH or not all(" " <= ch <= "~" for ch in client_seed):
        raise InvalidPlay.field(key, f"{key} must be 1 to {CLIENT_SEED_MAX_LENGTH} printable ASCII characters")
    return client_seed


def check_nonce(nonce: int) -> int:
    if nonce < 0:
        raise InvalidPlay.field("nonce", "nonce must not be negative")
    return nonce


def _words(key: bytes, prefix: str) -> Iterator[int]:
    """Round 0's eight words, then round 1's, and so on."""
    for round_ in itertools.count():
        yield from _ROUND.unpack(hmac.digest(key, f"{prefix}{round_}".encode(), "sha256"))


class FairRandom:
    """The random source of one play: the words of its HMAC stream, in order (a `RandomSource`)."""

    def __init__(self, server_seed: str, client_seed: str, nonce: int) -> None:
        self._word = _words(server_seed.encode(), f"{client_seed}:{nonce}:").__next__

    def random(self) -> float:
        """The next float, `word / 2^32` (exact in a double)."""
        return self._word() / (1 << WORD_BITS)

    def randbelow(self, n: int) -> int:
        """An exactly uniform ticket in [0, n): the words' number when it falls below a multiple of n, else the next."""
        if n < 1:
            raise ValueError("n must be at least 1")
        words = max(1, -(-(n - 1).bit_length() // WORD_BITS))
        quotient = (1 << (WORD_BITS * words)) // n
        if words == 1:  # the common case, without the loop that joins words
            while (value := self._word()) >= quotient * n:
                pass
            return value // quotient
        while True:
            value = 0
            for _ in range(words):
                value = (value << WORD_BITS) | self._word()
            if value < quotient * n:
                return value // quotient


def floats(server_seed: str, client_seed: str, nonce: int, count: int) -> list[float]:
    """The first `count` floats of a play's stream (the published test vector reads them)."""
    stream = FairRandom(server_seed, client_seed, nonce)
    return [stream.random() for _ in range(count)]


@dataclass(frozen=True)
class FairRef:
    """What a play was drawn from: the seed pair, the nonce and the config version (0: the built-in default)."""

    pair_id: str
    nonce: int
    config_version: int
