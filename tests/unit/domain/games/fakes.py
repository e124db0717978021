"""Random sources that say what they will draw, so a test can force any outcome."""

from __future__ import annotations

from collections.abc import Iterable

from src.domain.games.slot import SlotConfig


class ScriptedRandom:
    """Hands out the queued values in order; running out means the test scripted too few draws."""

    def __init__(self, randoms: Iterable[float] = (), belows: Iterable[int] = ()) -> None:
        self._randoms = list(randoms)
        self._belows = list(belows)

    def random(self) -> float:
        return self._randoms.pop(0)

    def randbelow(self, n: int) -> int:
        value = self._belows.pop(0)
        assert 0 <= value < n, f"scripted {value} is outside [0, {n})"
        return value


class ConstantRandom:
    """Always the same draw: `random()` returns `value`; `randbelow(n)` the ticket at that fraction, floor(value·n),
    so a roll lands in the same cumulative band whatever the weights' total (unless `below` is given)."""

    def __init__(self, value: float, below: int | None = None) -> None:
        self.value = value
        self.below = below

    def random(self) -> float:
        return self.value

    def randbelow(self, n: int) -> int:
        return int(self.value * n) if self.below is None else self.below


def reel_ticket(config: SlotConfig, first: str, second: str, third: str) -> int:
    """The single `randbelow(total**3)` draw that lands the three reels on these symbols."""
    names = [s.name for s in config.symbols]
    starts = [sum(s.weight for s in config.symbols[:i]) for i in range(len(names))]
    total = sum(s.weight for s in config.symbols)
    return sum(starts[names.index(name)] * total**i for i, name in enumerate((first, second, third)))


def spins(config: SlotConfig, *reels: tuple[str, str, str]) -> ScriptedRandom:
    return ScriptedRandom(belows=[reel_ticket(config, *r) for r in reels])
