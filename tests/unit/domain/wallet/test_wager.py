"""A wager: a stake and its payout on one wallet, under one reference (the spin's money)."""

from __future__ import annotations

import pytest

from src.domain.shared.errors import InvalidInput
from src.domain.wallet.model import Currency, Movement, Wager

STAKE = Movement("user-1", Currency.COINS, 100, "slot_bet", "spin", "play-1")


def test_a_payout_is_credited_to_the_stakes_wallet_under_its_reference() -> None:
    sut = Wager(STAKE, 250, "slot_win")

    assert sut.payout_movement() == Movement("user-1", Currency.COINS, 250, "slot_win", "spin", "play-1")


def test_a_lost_wager_pays_nothing() -> None:
    assert Wager(STAKE, 0, "slot_win").payout_movement() is None


def test_a_payout_below_zero_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Wager(STAKE, -1, "slot_win")
