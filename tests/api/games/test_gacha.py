"""Gacha pulls: gem costs, refusals, pity at the threshold, and the inventory and stats they leave."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.api.games.conftest import GACHA_ODDS
from tests.api.games.helpers import get_json, grant, ledger, pull, pull_ok, wallet
from tests.support.api import bearer

EPIC_OR_BETTER = {"Epic", "Legendary"}


async def _inventory(client: Any, tokens: dict[str, Any]) -> dict[str, int]:
    items = (await get_json(client, "/api/inventory", tokens))["items"]
    return {item["item_id"]: item["quantity"] for item in items}


async def test_one_pull_costs_50_gems_and_ten_cost_450(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    published = await get_json(client, "/api/games/gacha/config", player)
    await grant(client, admin, player["user"]["id"], "gems", 500)

    single = await pull_ok(client, player, 1)
    ten = await pull_ok(client, player, 10)

    assert published["costs"] == {"1": 50, "10": 450}
    assert (single["cost"], single["balance_after"], len(single["items"])) == (50, 450, 1)
    assert (ten["cost"], ten["balance_after"], len(ten["items"])) == (450, 0, 10)
    assert await wallet(client, player) == {"coins": 1000, "gems": 0}
    pulls = [(e["delta"], e["ref_id"]) for e in await ledger(client, player) if e["reason"] == "gacha_pull"]
    assert pulls == [(-50, single["pull_id"]), (-450, ten["pull_id"])]
    items = single["items"] + ten["items"]
    pools = {rarity: {item["item_id"] for item in pool} for rarity, pool in published["pools"].items()}
    assert all(item["item_id"] in pools[item["rarity"]] for item in items), items
    near_misses = [item for item in items if item["near_miss"]]
    assert all(item["rarity"] not in EPIC_OR_BETTER and item["animation_type"] == "near_miss" for item in near_misses)
    assert await _inventory(client, player) == Counter(item["item_id"] for item in items)
    stats = await get_json(client, "/api/games/gacha/stats", player)
    assert stats["by_rarity"] == Counter(item["rarity"] for item in items)
    assert (stats["total_pulls"], stats["pity_counter"]) == (11, ten["pity_counter"])
    assert (stats["play_count"], stats["net_gems"]) == (2, -500)


async def test_a_count_other_than_1_or_10_is_a_validation_error(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await grant(client, admin, player["user"]["id"], "gems", 1000)

    answers = [await pull(client, player, count) for count in (0, 2, 9, 11, -1)]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(400, "VALIDATION_ERROR")] * 5
    assert await wallet(client, player) == {"coins": 1000, "gems": 1000}
    assert await _inventory(client, player) == {}


async def test_a_pull_the_gems_do_not_cover_is_refused(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    broke = await pull(client, player, 1)
    await grant(client, admin, player["user"]["id"], "gems", 449)

    short = await pull(client, player, 10)
    covered = await pull(client, player, 1)

    for refused in (broke, short):
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
    assert (covered.status_code, covered.json()["balance_after"]) == (200, 399)
    assert await wallet(client, player) == {"coins": 1000, "gems": 399}
    assert sum((await _inventory(client, player)).values()) == 1


# Common almost always, so a pull of Epic or better is (nearly) only ever the pity's doing.
LOW_PITY_BANNER = {
    "rates": {"Legendary": 0.000001, "Epic": 0.000001, "Rare": 0.0, "Common": 0.999998},
    "pools": {
        "Legendary": [{"item_id": "p_sun_throne", "name": "Sun Throne"}],
        "Epic": [{"item_id": "p_tide_harp", "name": "Tide Harp"}],
        "Common": [{"item_id": "p_sand_grain", "name": "Sand Grain"}],
    },
    "pity_threshold": 3,
}


@pytest.mark.usefixtures("restore_odds")
async def test_the_pull_at_the_pity_threshold_is_epic_or_better_and_resets_the_counter(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    changed = await client.put(GACHA_ODDS, json=LOW_PITY_BANNER, headers=bearer(admin))
    assert changed.status_code == 200, changed.text
    await grant(client, admin, player["user"]["id"], "gems", 450 + 3 * 50)

    ten = await pull_ok(client, player, 10)
    singles = [await pull_ok(client, player, 1) for _ in range(3)]

    forced = [item["pity_triggered"] for item in ten["items"]]
    assert forced == [False, False, True] * 3 + [False]
    assert [item["rarity"] in EPIC_OR_BETTER for item in ten["items"]] == forced
    assert ten["pity_counter"] == 1
    assert [(s["items"][0]["pity_triggered"], s["pity_counter"]) for s in singles] == [
        (False, 2),
        (True, 0),
        (False, 1),
    ]
    assert singles[1]["items"][0]["rarity"] in EPIC_OR_BETTER
    items = ten["items"] + [single["items"][0] for single in singles]
    assert await _inventory(client, player) == Counter(item["item_id"] for item in items)
    stats = await get_json(client, "/api/games/gacha/stats", player)
    assert stats["by_rarity"] == Counter(item["rarity"] for item in items)
    assert (stats["total_pulls"], stats["pity_counter"]) == (13, 1)
