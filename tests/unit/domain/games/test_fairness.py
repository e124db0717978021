"""The provably fair stream: the published test vector, exact tickets without modulo bias, client seed rules."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import Counter
from fractions import Fraction

import pytest

from src.domain.games.errors import InvalidPlay
from src.domain.games.fairness import FairRandom, check_client_seed, floats, seed_hash
from src.domain.games.gacha import DEFAULT_GACHA_CONFIG, Rarity
from src.domain.games.slot import SlotConfig, SlotSymbol, odds, spin


def scripted(*words: int) -> FairRandom:
    """A stream whose words are these (to reach the rare rejected values on purpose)."""
    sut = FairRandom("unused", "unused", 0)
    sut._word = iter(words).__next__  # type: ignore[method-assign]
    return sut


def test_the_published_vector() -> None:
    assert floats("def", "abc", 0, 2) == [0.8320531346835196, 0.8531235849950463]


def test_a_float_is_four_bytes_read_as_base_256_digits_eight_per_round_then_the_next_round() -> None:
    rounds = [hmac.digest(b"def", f"abc:7:{r}".encode(), "sha256") for r in (0, 1)]
    expected = [
        sum(b / 256 ** (i + 1) for i, b in enumerate(block[j : j + 4])) for block in rounds for j in range(0, 32, 4)
    ]

    assert floats("def", "abc", 7, 16) == expected


def test_the_commitment_is_the_sha256_of_the_seed_text() -> None:
    assert seed_hash("def") == hashlib.sha256(b"def").hexdigest()


def test_a_ticket_is_the_word_divided_by_the_share_of_each_ticket() -> None:
    """q = 2^32 // 100 = 42949672; the vector's first word 3573641002 gives ticket 83."""
    assert FairRandom("def", "abc", 0).randbelow(100) == 3573641002 // (2**32 // 100) == 83


def test_a_word_past_the_last_whole_share_is_skipped_so_no_ticket_is_favoured() -> None:
    """n = 3: q = 1431655765 and 3q = 2^32 - 1, so only the very last word is refused."""
    assert scripted(2**32 - 1, 5).randbelow(3) == 0
    assert scripted(2**32 - 2, 5).randbelow(3) == 2


def test_every_ticket_has_exactly_as_many_words_as_any_other() -> None:
    """Over all 2^16 values of 16-bit words, with n = 7 (a small model of the 32-bit rule): equal counts."""
    n, space = 7, 2**16
    quotient = space // n
    counts = Counter(value // quotient for value in range(space) if value < quotient * n)

    assert set(counts.values()) == {quotient}
    assert sorted(counts) == list(range(n))


def test_a_range_wider_than_a_word_joins_words_big_endian() -> None:
    assert scripted(1, 2).randbelow(2**40) == (1 << 32 | 2) // (2**64 // 2**40)


def test_the_stream_never_repeats_across_nonces_or_client_seeds() -> None:
    draws = {tuple(floats("seed", client, nonce, 8)) for client, nonce in itertools.product(("a", "b"), range(50))}

    assert len(draws) == 100


@pytest.mark.parametrize("seed", ["a", "x" * 64, " spaced ~ out ", "!#$%&'()*+,-./:;<=>?@[]^_`{|}"])
def test_a_client_seed_is_1_to_64_printable_ascii_characters(seed: str) -> None:
    assert check_client_seed(seed) == seed


@pytest.mark.parametrize("seed", ["", "x" * 65, "tab\there", "new\nline", "café", "\x7f"])
def test_anything_else_is_refused(seed: str) -> None:
    with pytest.raises(InvalidPlay) as refused:
        check_client_seed(seed)

    assert refused.value.details == {
        "fields": [{"key": "client_seed", "message": refused.value.message, "source": "body"}]
    }


SMALL = SlotConfig(
    symbols=(SlotSymbol("a", 1, 20.0, 0.0), SlotSymbol("b", 2, 0.0, 0.5), SlotSymbol("c", 3, 2.0, 1.0)),
    streak_bonus_step=0.0,
    streak_bonus_cap=0.0,
)  # W = 6: 216 tickets; base RTP (20·1 + 0.5·48 + 2·27 + 1·81) / 216 = 179/216


def test_every_slot_ticket_lands_on_reels_as_often_as_the_weights_say_so_the_return_is_exact() -> None:
    """All W^3 tickets, each drawn from a word as a play draws it: a combination occurs exactly as often as the
    product of its weights, and the return over the ticket space is the published RTP to the last digit."""
    total, bet = 6, 2
    quotient = 2**32 // total**3
    spins = [spin(SMALL, scripted(ticket * quotient), bet, 0) for ticket in range(total**3)]
    combos = Counter(outcome.reels for outcome in spins)
    weights = {"a": 1, "b": 2, "c": 3}

    assert all(n == weights[a] * weights[b] * weights[c] for (a, b, c), n in combos.items())
    assert len(combos) == 27
    assert Fraction(sum(outcome.payout for outcome in spins), bet * total**3) == Fraction(179, 216)
    assert odds(SMALL).rtp == pytest.approx(179 / 216, abs=1e-15)


def test_gacha_rarities_take_the_rates_as_exact_integer_weights() -> None:
    assert dict(DEFAULT_GACHA_CONFIG.weights) == {
        Rarity.LEGENDARY: 6,
        Rarity.EPIC: 51,
        Rarity.RARE: 243,
        Rarity.COMMON: 700,
    }
