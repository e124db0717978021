"""The randomness the game rules draw from; production and tests plug in different sources."""

from __future__ import annotations

from typing import Protocol


class RandomSource(Protocol):
    def random(self) -> float:
        """A float uniformly drawn from [0, 1)."""
        ...

    def randbelow(self, n: int) -> int:
        """An int uniformly drawn from [0, n); n >= 1."""
        ...
