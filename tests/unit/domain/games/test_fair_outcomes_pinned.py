"""Pinned outcomes of the provably fair derivation: the exact results of fixed seed pairs and nonces.

Players verify their plays with the published algorithm (API.md "Fairness", docs/verify_fair.py), so a faster
implementation must give the same reels, payouts, items and counters for every (server seed, client seed, nonce).
The digests below were computed with the straightforward implementation (an `hmac.digest` per round, a generator
of words, bonuses and multipliers computed per spin) before it was optimised; any change of derivation fails here.
Each case also keeps its first outcomes in readable form, so a failure shows what moved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import astuple, replace
from typing import TypeVar

import pytest

from src.domain.games.fairness import FairRandom
from src.domain.games.gacha import DEFAULT_GACHA_CONFIG, pull
from src.domain.games.slot import DEFAULT_SLOT_CONFIG, SlotConfig, SlotSymbol, spin

SERVER_SEED = "5f1c0ffee0ddba11c0ffee5eed5f1c0ffee0ddba11c0ffee5eed5f1c0ffee0dd"  # 64 hex characters, as issued
CLIENT_SEED = "pinned client seed"
T = TypeVar("T")

# A machine with fractional multipliers and a long, fine bonus ladder: flooring and every bonus step matter.
FRACTIONAL = SlotConfig(
    symbols=(
        SlotSymbol("a", 5, 3.5, 0.25),
        SlotSymbol("b", 7, 2.75, 0.5),
        SlotSymbol("c", 11, 1.3, 0.7),
        SlotSymbol("d", 13, 1.1, 0.55),
    ),
    streak_bonus_step=0.03,
    streak_bonus_cap=0.33,
    check_rtp=False,
)


def digest(rows: Iterator[object]) -> str:
    return hashlib.sha256("\n".join(repr(row) for row in rows).encode()).hexdigest()


def slot_rows(config: SlotConfig, bet: int, nonces: int, server_seed: str = SERVER_SEED) -> Iterator[object]:
    streak = 0
    for nonce in range(nonces):
        outcome = spin(config, FairRandom(server_seed, CLIENT_SEED, nonce), bet, streak)
        streak = outcome.streak
        yield astuple(outcome)


def gacha_rows(count: int, nonces: int, pity_threshold: int, separate_presentation: bool) -> Iterator[object]:
    config = replace(DEFAULT_GACHA_CONFIG, pity_threshold=pity_threshold)
    counter = 0
    for nonce in range(nonces):
        presentation = FairRandom(SERVER_SEED, "presentation", nonce) if separate_presentation else None
        outcome = pull(config, FairRandom(SERVER_SEED, CLIENT_SEED, nonce), count, counter, presentation)
        counter = outcome.pity_counter
        items = [(i.item_id, i.rarity.value, i.near_miss, i.animation_type, i.pity_triggered) for i in outcome.items]
        yield outcome.cost, outcome.pity_counter, items


def ticket_rows(n: int, draws: int, nonces: int, server_seed: str = SERVER_SEED) -> Iterator[tuple[list[int], float]]:
    """Several tickets per stream: later rounds, multi-word tickets and refused words (n just above a power of 2
    refuses almost half of the words)."""
    for nonce in range(nonces):
        stream = FairRandom(server_seed, CLIENT_SEED, nonce)
        yield [stream.randbelow(n) for _ in range(draws)], stream.random()


def first(rows: Iterator[T], count: int) -> list[T]:
    return [row for _, row in zip(range(count), rows, strict=False)]


CASES: dict[str, tuple[Callable[[], Iterator[object]], str]] = {
    "slot, default machine, bet 100": (
        lambda: slot_rows(DEFAULT_SLOT_CONFIG, 100, 5_000),
        "ef431643ab40d72701a18940057d8b35d7f99597e0ec90fa559bef9d3a9323d2",
    ),
    "slot, default machine, bet 7 (flooring)": (
        lambda: slot_rows(DEFAULT_SLOT_CONFIG, 7, 2_000),
        "6fe49e3e382d967421fe83de64512929acbbaf93fbc01fa6ae42cd800eafdf64",
    ),
    "slot, fractional multipliers, bet 13": (
        lambda: slot_rows(FRACTIONAL, 13, 3_000),
        "de48ed2b4126f8aca775d00b8e1ac27176922da9d03d485b282add51824b221b",
    ),
    "slot, a server seed longer than SHA-256's block": (
        lambda: slot_rows(DEFAULT_SLOT_CONFIG, 100, 500, "k" * 100),
        "951e73239ed1c368780137bb2d103f56f69efa661b82a2a60e30d721d2303f1c",
    ),
    "gacha, ten-pulls": (
        lambda: gacha_rows(10, 1_000, 90, separate_presentation=False),
        "eb188cf24185ff738e5b58295ef7b9895d54e88a3135f791dc4b838d27bc61aa",
    ),
    "gacha, single pulls, pity at 4": (
        lambda: gacha_rows(1, 2_000, 4, separate_presentation=False),
        "d32ed214bef1c7ca1033348ccb1ec10d9b84adb2c0a0a93de6549d15719e2801",
    ),
    "gacha, ten-pulls, pity at 20, near misses from their own stream": (
        lambda: gacha_rows(10, 300, 20, separate_presentation=True),
        "13a8c9275111624eb2e8d9f2004f78e0892945d4d767b8792f30400db484afbd",
    ),
    "tickets refusing about half of the words": (
        lambda: ticket_rows(2**31 + 1, 20, 200),
        "8d6480af306ba7a9bef0275e6e62adc8d466227721329e7e75608434f9671b8d",
    ),
    "tickets of three words, refusing some": (
        lambda: ticket_rows(3 * 2**62 + 1, 10, 200),
        "926e22e754c7101bee54252ce8c31521dc464f4cc3e151c227388d0d6df94df2",
    ),
    "small tickets, the test vector's short server seed": (
        lambda: ticket_rows(7, 40, 100, "def"),
        "daeae3ed0790eb57b23e0cbae103910bfc7e98468a52f8b83d05460cdc0aecbe",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_outcomes_of_fixed_seeds_and_nonces_never_change(case: str) -> None:
    rows, pinned = CASES[case]

    assert digest(rows()) == pinned


def test_the_first_outcomes_read_as_pinned() -> None:
    """The same derivation in readable form: where a digest failure starts."""
    assert first(slot_rows(DEFAULT_SLOT_CONFIG, 100, 5_000), 2) == [
        (("lemon", "lemon", "bell"), "pair", 1.0, 100, 1, 0.0),
        (("star", "bell", "lemon"), "lose", 0.0, 0, 0, 0.0),
    ]
    assert first(slot_rows(FRACTIONAL, 13, 3_000), 3) == [
        (("c", "b", "d"), "lose", 0.0, 0, 0, 0.0),
        (("c", "a", "c"), "pair", 0.7, 9, 1, 0.0),
        (("d", "a", "d"), "pair", 0.5665, 7, 2, 0.03),
    ]
    assert first(gacha_rows(1, 2_000, 4, separate_presentation=False), 2) == [
        (50, 1, [("bronze_chip_sticker", "Common", False, "common", False)]),
        (50, 2, [("classic_card_back", "Common", False, "common", False)]),
    ]
    tickets, then = first(ticket_rows(7, 40, 100, "def"), 1)[0]
    assert tickets[:20] == [4, 6, 4, 5, 3, 4, 3, 3, 5, 6, 6, 3, 4, 3, 2, 3, 0, 0, 4, 0]
    assert then == 0.04987050453200936
