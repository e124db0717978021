"""The random sources behind the games (adapters; kept beside the games until tests/unit/adapters takes them)."""

from __future__ import annotations

import random

import pytest

from src.adapters.system.random import SeededRandomSource
from src.domain.games.fairness import FairRandom
from src.domain.games.random import RandomSource


def test_a_seeded_source_repeats_itself_and_matches_the_standard_library() -> None:
    sut, again, reference = SeededRandomSource(42), SeededRandomSource(42), random.Random(42)

    draws = [(sut.randbelow(n), sut.random()) for n in (1, 2, 7, 100, 10**6, 2**70 + 1) * 50]

    assert draws == [(again.randbelow(n), again.random()) for n in (1, 2, 7, 100, 10**6, 2**70 + 1) * 50]
    assert draws == [(reference.randrange(n), reference.random()) for n in (1, 2, 7, 100, 10**6, 2**70 + 1) * 50]


@pytest.mark.parametrize("sut", [SeededRandomSource(1), FairRandom("server", "client", 7)], ids=["seeded", "fair"])
def test_draws_stay_in_range_and_cover_it(sut: RandomSource) -> None:
    below = [sut.randbelow(6) for _ in range(600)]
    floats = [sut.random() for _ in range(600)]

    assert set(below) == set(range(6))
    assert all(0.0 <= f < 1.0 for f in floats)
    assert min(floats) < 0.1
    assert max(floats) > 0.9


@pytest.mark.parametrize("n", [0, -3])
@pytest.mark.parametrize("sut", [SeededRandomSource(1), FairRandom("server", "client", 7)], ids=["seeded", "fair"])
def test_an_empty_range_is_a_programming_error(n: int, sut: RandomSource) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sut.randbelow(n)
