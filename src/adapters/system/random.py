"""Random sources: the OS CSPRNG in production, a seeded PRNG for tests and simulations."""

from __future__ import annotations

import random
import secrets


class SystemRandomSource:
    """Unpredictable draws (os.urandom), so outcomes cannot be foreseen from earlier ones."""

    def __init__(self) -> None:
        self._rng = secrets.SystemRandom()

    def random(self) -> float:
        return self._rng.random()

    def randbelow(self, n: int) -> int:
        return self._rng.randrange(n)


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
