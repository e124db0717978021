"""POST /api/games/slot/spin: the bet and the payout go through the ledger, at the published odds."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest

from tests.api.games.helpers import HISTORY, SPIN, get_json, grant, ledger, spin, spin_ok, wallet
from tests.support.api import bearer

STARTING_COINS = 1000


def _paytable(config: dict[str, Any], reels: list[str]) -> tuple[str, Fraction]:
    """The outcome the reels show and the multiplier the published paytable promises for it."""
    symbols = {symbol["name"]: symbol for symbol in config["symbols"]}
    name, count = Counter(reels).most_common(1)[0]
    if count == 3:
        return "triple", Fraction(str(symbols[name]["triple_multiplier"]))
    if count == 2:
        return "pair", Fraction(str(symbols[name]["pair_multiplier"]))
    return "lose", Fraction(0)


def _bonus(config: dict[str, Any], streak_before: int) -> Fraction:
    return min(streak_before * Fraction(str(config["streak_bonus_step"])), Fraction(str(config["streak_bonus_cap"])))


async def test_a_spin_debits_the_bet_and_credits_the_payout(client: Any, player: dict[str, Any]) -> None:
    sut = await spin_ok(client, player, bet=100)

    entries = await ledger(client, player)
    spin_entries = [entry for entry in entries if entry["ref_id"] == sut["spin_id"]]
    assert sut["balance_after"] == STARTING_COINS - 100 + sut["payout"]
    assert await wallet(client, player) == {"coins": sut["balance_after"], "gems": 0}
    expected = [("slot_bet", -100)] + ([("slot_win", sut["payout"])] if sut["payout"] else [])
    assert [(e["reason"], e["delta"]) for e in spin_entries] == expected
    assert {e["ref_type"] for e in spin_entries} == {"spin"}
    assert spin_entries[-1]["balance_after"] == sut["balance_after"]
    assert entries[-1]["balance_after"] == sut["balance_after"]


async def test_every_payout_follows_the_published_paytable_and_streak_bonus(
    client: Any, player: dict[str, Any]
) -> None:
    config = await get_json(client, "/api/games/slot/config", player)
    bet, streak = 20, 0

    for _ in range(25):
        sut = await spin_ok(client, player, bet=bet)

        outcome, paid = _paytable(config, sut["reels"])
        effective = paid * (1 + _bonus(config, streak)) if paid else Fraction(0)
        assert set(sut["reels"]) <= {symbol["name"] for symbol in config["symbols"]}
        assert (sut["outcome"], sut["payout"]) == (outcome, math.floor(bet * effective)), sut
        assert sut["multiplier"] == pytest.approx(float(effective))
        assert sut["streak"] == (streak + 1 if paid else 0)
        streak = sut["streak"]


@pytest.mark.parametrize("bet", [0, -5, 10_001, 2.5, "lots", None])
async def test_a_bet_outside_the_limits_is_a_validation_error(client: Any, player: dict[str, Any], bet: Any) -> None:
    response = await spin(client, player, bet=bet)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert [field["key"] for field in response.json()["error"]["details"]["fields"]] == ["bet"]
    assert await wallet(client, player) == {"coins": STARTING_COINS, "gems": 0}


async def test_the_bet_limits_themselves_are_accepted(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    config = await get_json(client, "/api/games/slot/config", player)
    await grant(client, admin, player["user"]["id"], "coins", config["max_bet"])

    smallest = await spin(client, player, bet=config["min_bet"])
    largest = await spin(client, player, bet=config["max_bet"])

    assert (smallest.status_code, largest.status_code) == (200, 200), largest.text
    coins = STARTING_COINS + config["max_bet"] - config["min_bet"] - config["max_bet"]
    assert largest.json()["balance_after"] == coins + smallest.json()["payout"] + largest.json()["payout"]


async def test_a_bet_above_the_balance_is_refused_and_changes_nothing(client: Any, player: dict[str, Any]) -> None:
    response = await spin(client, player, bet=STARTING_COINS + 1)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
    assert await wallet(client, player) == {"coins": STARTING_COINS, "gems": 0}
    assert [entry["reason"] for entry in await ledger(client, player)] == ["signup_bonus"]
    assert (await get_json(client, HISTORY, player))["items"] == []
    assert (await get_json(client, "/api/games/slot/stats", player))["play_count"] == 0


async def test_a_spin_replayed_with_its_idempotency_key_is_settled_once(client: Any, player: dict[str, Any]) -> None:
    key = uuid.uuid4().hex

    first = await spin(client, player, bet=100, **{"idempotency-key": key})
    replay = await spin(client, player, bet=100, **{"idempotency-key": key})
    reused = await client.post(SPIN, json={"bet": 50}, headers=bearer(player) | {"idempotency-key": key})

    assert first.status_code == 200, first.text
    assert (replay.status_code, replay.content) == (200, first.content)
    assert replay.headers["idempotent-replayed"] == "true"
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert await wallet(client, player) == {"coins": first.json()["balance_after"], "gems": 0}
    assert [item["id"] for item in (await get_json(client, HISTORY, player))["items"]] == [first.json()["spin_id"]]
