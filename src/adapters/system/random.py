"""A seeded PRNG for tests and simulations; real plays draw from their seed pair (domain/games/fairness.py)."""

from __future__ import annotations

import random


class SeededRandomSource:
    """Reproducible draws for tests and simulations; never for real play."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - deterministic on purpose
        self._getrandbits = self._rng.getrandbits

    def random(self) -> float:
        return self._rng.random()

    def randbelow(self, n: int) -> int:
        """randrange(n)'s own rejection sampling, minus its argument handling (simulations run millions)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        bits = n.bit_length()
        value = self._getrandbits(bits)
        while value >= n:
            value = self._getrandbits(bits)
        return value
