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

import functools
import hashlib
import itertools
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from src.domain.games.errors import InvalidPlay

WORD_BITS = 32
WORDS_PER_ROUND = 8
CLIENT_SEED_MAX_LENGTH = 64
SERVER_SEED_BYTES = 32
_ROUND = struct.Struct(">8I")  # a round's 32 bytes as eight big-endian words
_WORD_RANGE = 1 << WORD_BITS
# HMAC (RFC 2104) over SHA-256: the key padded to the 64-byte block, XORed with 0x36 (inner) and 0x5c (outer)
_BLOCK = hashlib.sha256().block_size
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))
KEYED_SEEDS_CACHED = 1024  # server seeds whose keyed HMAC states are kept (a player plays on one seed at a time)


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


Hasher = Callable[[], Any]  # a fresh copy of a SHA-256 state (hashlib's type is private)


@functools.lru_cache(maxsize=KEYED_SEEDS_CACHED)
def _keyed(server_seed: str) -> tuple[Hasher, Hasher]:
    """HMAC-SHA256's inner and outer states after the padded key, as their `copy` methods.

    `hmac.digest(key, msg, "sha256")` hashes the two padded key blocks again on every call (and OpenSSL 3 sets up
    its MAC each time); copying these states costs a third of that. Every play of a seed pair, and every round of
    a play, starts from the same two states. The result is HMAC itself (tests compare it with `hmac.digest`)."""
    key = server_seed.encode()
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(key.translate(_INNER_PAD)).copy, hashlib.sha256(key.translate(_OUTER_PAD)).copy


def _words(inner: Hasher, outer: Hasher, prefix: bytes) -> Iterator[int]:
    """Round 0's eight words, then round 1's, and so on: HMAC(server seed, prefix + round) read big-endian."""
    for round_ in itertools.count():
        message = inner()
        message.update(b"%s%d" % (prefix, round_))
        mac = outer()
        mac.update(message.digest())
        yield from _ROUND.unpack(mac.digest())


class FairRandom:
    """The random source of one play: the words of its HMAC stream, in order (a `RandomSource`)."""

    __slots__ = ("_word",)

    def __init__(self, server_seed: str, client_seed: str, nonce: int) -> None:
        self._word: Callable[[], int] = _words(*_keyed(server_seed), f"{client_seed}:{nonce}:".encode()).__next__

    def random(self) -> float:
        """The next float, `word / 2^32` (exact in a double)."""
        return self._word() / (1 << WORD_BITS)

    def randbelow(self, n: int) -> int:
        """An exactly uniform ticket in [0, n): the words' number when it falls below a multiple of n, else the next."""
        if n <= _WORD_RANGE:  # one word (bits(n - 1) <= 32): the common case, without the loop that joins words
            if n < 1:
                raise ValueError("n must be at least 1")
            quotient = _WORD_RANGE // n
            limit, word = quotient * n, self._word
            while (value := word()) >= limit:
                pass
            return value // quotient
        words = -(-(n - 1).bit_length() // WORD_BITS)
        quotient = (1 << (WORD_BITS * words)) // n
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
