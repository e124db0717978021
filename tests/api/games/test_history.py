"""GET /api/games/history: one row per play, newest first, filtered and paged; only admins see others'."""

from __future__ import annotations

from typing import Any

from tests.api.games.helpers import HISTORY, get_json, grant, pull_ok, spin_ok
from tests.support.api import bearer, sign_up


async def _ids(client: Any, tokens: dict[str, Any], **params: Any) -> list[str]:
    return [item["id"] for item in (await get_json(client, HISTORY, tokens, **params))["items"]]


async def test_each_spin_is_one_row_paged_newest_first(client: Any, player: dict[str, Any]) -> None:
    spins = [await spin_ok(client, player, bet=10) for _ in range(5)]

    pages, cursor = [], None
    while True:
        sut = await get_json(client, HISTORY, player, limit=2, **({"cursor": cursor} if cursor else {}))
        pages.append(sut["items"])
        cursor = sut["next_cursor"]
        if cursor is None:
            break

    assert [len(page) for page in pages] == [2, 2, 1]
    rows = [row for page in pages for row in page]
    assert [row["id"] for row in rows] == [spin["spin_id"] for spin in reversed(spins)]
    for row, spin in zip(rows, reversed(spins), strict=True):
        assert (row["game_type"], row["action"], row["bet"], row["payout"]) == ("slot", "spin", 10, spin["payout"])
        assert (row["delta_coins"], row["delta_gems"], row["won"]) == (spin["payout"] - 10, 0, spin["payout"] > 0)
        assert (row["result"]["reels"], row["result"]["outcome"]) == (spin["reels"], spin["outcome"])


async def test_history_filters_by_game_action_and_time(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await grant(client, admin, player["user"]["id"], "gems", 50)
    first, second = await spin_ok(client, player, bet=10), await spin_ok(client, player, bet=10)
    pulled = await pull_ok(client, player, 1)
    third = await spin_ok(client, player, bet=10)
    rows = (await get_json(client, HISTORY, player))["items"]
    at = {row["id"]: row["created_at"] for row in rows}
    spin_ids = [third["spin_id"], second["spin_id"], first["spin_id"]]

    assert await _ids(client, player, game_type="slot") == spin_ids
    assert await _ids(client, player, game_type="gacha") == [pulled["pull_id"]]
    assert await _ids(client, player, action_type="pull") == [pulled["pull_id"]]
    assert await _ids(client, player, game_type="gacha", action_type="spin") == []
    assert await _ids(client, player, **{"from": at[second["spin_id"]]}) == [
        third["spin_id"], pulled["pull_id"], second["spin_id"]
    ]  # fmt: skip
    assert await _ids(client, player, to=at[second["spin_id"]]) == [second["spin_id"], first["spin_id"]]
    assert await _ids(
        client, player, game_type="slot", **{"from": at[second["spin_id"]], "to": at[third["spin_id"]]}
    ) == [third["spin_id"], second["spin_id"]]
    unknown = await client.get(HISTORY, params={"game_type": "poker"}, headers=bearer(player))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_an_admin_reads_any_players_history_and_a_player_only_their_own(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    spin = await spin_ok(client, player, bet=10)
    other = await sign_up(client)

    as_admin = await client.get(HISTORY, params={"user_id": player["user"]["id"]}, headers=bearer(admin))
    as_other = await client.get(HISTORY, params={"user_id": player["user"]["id"]}, headers=bearer(other))
    as_self = await client.get(HISTORY, params={"user_id": player["user"]["id"]}, headers=bearer(player))

    assert [row["id"] for row in as_admin.json()["items"]] == [spin["spin_id"]]
    assert (as_other.status_code, as_other.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert as_self.json() == as_admin.json()
    assert await _ids(client, other) == []
