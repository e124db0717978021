"""Per-game, profile and user stats are the sums of the plays behind them."""

from __future__ import annotations

from typing import Any

from tests.api.games.helpers import get_json, grant, pull_ok, spin_ok
from tests.support.api import bearer


def _stats(plays: int, wins: int, net_coins: int, net_gems: int) -> dict[str, Any]:
    return {
        "play_count": plays,
        "win_count": wins,
        "win_rate": round(wins / plays, 4) if plays else 0.0,
        "net_coins": net_coins,
        "net_gems": net_gems,
    }


async def test_stats_add_up_the_spins_and_pulls(client: Any, admin: dict[str, Any], player: dict[str, Any]) -> None:
    spins = [await spin_ok(client, player, bet=bet) for bet in (10, 20, 30, 40, 50, 60)]
    await grant(client, admin, player["user"]["id"], "gems", 500)
    pulls = [await pull_ok(client, player, 1), await pull_ok(client, player, 10)]

    slot = await get_json(client, "/api/games/slot/stats", player)
    profile = await get_json(client, "/api/games/profile/stats", player)
    user = await get_json(client, "/api/users/stats", player)

    spin_wins = sum(1 for spin in spins if spin["payout"] > 0)
    net_coins = sum(spin["payout"] for spin in spins) - 210
    pull_wins = sum(1 for p in pulls if any(item["rarity"] in {"Epic", "Legendary"} for item in p["items"]))
    assert slot == _stats(6, spin_wins, net_coins, 0)
    assert profile["games"] == {"slot": slot, "gacha": _stats(2, pull_wins, 0, -500)}
    assert {key: value for key, value in profile.items() if key != "games"} == _stats(
        8, spin_wins + pull_wins, net_coins, -500
    )
    assert (user["total_spins"], user["total_wins"], user["net_coins"], user["gacha_pulls"]) == (
        6, spin_wins, net_coins, 11
    )  # fmt: skip
    assert user["win_rate"] == slot["win_rate"]


async def test_a_new_player_has_zero_stats_and_an_unknown_game_has_none(client: Any, player: dict[str, Any]) -> None:
    slot = await get_json(client, "/api/games/slot/stats", player)
    unknown = await client.get("/api/games/poker/stats", headers=bearer(player))

    assert slot == _stats(0, 0, 0, 0)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
