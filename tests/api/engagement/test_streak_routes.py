"""The daily streak over HTTP on PostgreSQL: ticks across days, the reward in the wallet's ledger, refusals."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.api.engagement.conftest import (
    NEXT_REWARD,
    PROTECT,
    STATUS,
    TICK,
    SettableClock,
    get_ok,
    give_shields,
    shields,
    streak_ledger,
    tick_ok,
)
from tests.support.api import bearer

Client = AsyncTestClient[Litestar]


async def test_a_new_player_has_no_streak_and_the_next_tick_grants_day_one_now(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)

    assert await get_ok(client, STATUS, player) == {
        "count": 0,
        "best": 0,
        "last_tick_date": None,
        "next_reset_at": None,
        "protected_until": None,
    }
    assert await get_ok(client, NEXT_REWARD, player) == {
        "count": 1,
        "coins": 100,
        "gems": 0,
        "available_at": "2031-05-06T12:00:00Z",
    }


async def test_the_first_tick_counts_one_and_credits_100_coins_in_one_ledger_row(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)

    body = await tick_ok(client, player)

    assert (body["count"], body["best"]) == (1, 1)
    assert body["last_tick_date"] == "2031-05-06"
    assert body["next_reset_at"] == "2031-05-08T00:00:00Z"  # day 2 is the last day that continues it
    assert body["reward"] == {"coins": 100, "gems": 0}
    assert body["balances"] == {"coins": 1100}
    assert (await get_ok(client, "/api/wallet", player)) == {"coins": 1100, "gems": 0}
    [entry] = await streak_ledger(client, player)
    assert (entry["currency"], entry["delta"], entry["balance_after"]) == ("coins", 100, 1100)
    assert (entry["ref_type"], entry["ref_id"]) == ("streak", f"{player['user']['id']}:2031-05-06")
    assert await get_ok(client, STATUS, player) == {
        key: body[key] for key in ("count", "best", "last_tick_date", "next_reset_at", "protected_until")
    }


async def test_a_second_tick_the_same_day_is_409_already_claimed_and_grants_nothing(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    await tick_ok(client, player)
    clock.at(clock.current.date(), hour=23, minute=59)

    again = await client.post(TICK, headers=bearer(player))

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_CLAIMED"
    assert again.json()["error"]["request_id"]
    assert len(await streak_ledger(client, player)) == 1
    assert (await get_ok(client, "/api/wallet", player))["coins"] == 1100
    assert await get_ok(client, NEXT_REWARD, player) == {
        "count": 2,
        "coins": 200,
        "gems": 0,
        "available_at": "2031-05-07T00:00:00Z",
    }


async def test_seven_days_in_a_row_grow_the_reward_to_700_coins_and_add_5_gems_on_the_seventh(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    rewards = []
    for offset in range(8):
        clock.on_day(offset)
        rewards.append((await tick_ok(client, player))["reward"])

    assert [reward["coins"] for reward in rewards] == [100, 200, 300, 400, 500, 600, 700, 700]
    assert [reward["gems"] for reward in rewards] == [0, 0, 0, 0, 0, 0, 5, 0]
    assert await get_ok(client, "/api/wallet", player) == {"coins": 1000 + 3500, "gems": 5}
    entries = await streak_ledger(client, player)
    assert sorted((entry["currency"], entry["delta"]) for entry in entries if entry["ref_id"].endswith("05-12")) == [
        ("coins", 700),
        ("gems", 5),
    ]
    assert (await get_ok(client, STATUS, player))["count"] == 8


async def test_a_missed_day_breaks_the_streak_status_shows_zero_and_the_next_tick_restarts_at_one(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    for offset in (0, 1, 2):
        clock.on_day(offset)
        await tick_ok(client, player)
    clock.on_day(4)  # day 3 missed

    status = await get_ok(client, STATUS, player)
    restarted = await tick_ok(client, player)

    assert (status["count"], status["best"], status["next_reset_at"]) == (0, 3, None)
    assert (restarted["count"], restarted["best"], restarted["reward"]["coins"]) == (1, 3, 100)


async def test_protect_without_a_shield_is_409_not_claimable(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    await tick_ok(client, player)

    response = await client.post(PROTECT, headers=bearer(player))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NOT_CLAIMABLE"
    assert "shield" in response.json()["error"]["message"]
    assert (await get_ok(client, STATUS, player))["protected_until"] is None


async def test_a_shield_bought_after_a_miss_repairs_the_streak_and_is_spent_once(
    client: Client, clock: SettableClock, player: dict[str, Any], container: Container
) -> None:
    await give_shields(client, container, player["user"]["id"], count=2)
    for offset in (0, 1):
        clock.on_day(offset)
        await tick_ok(client, player)
    clock.on_day(3)  # day 2 missed
    assert (await get_ok(client, STATUS, player))["count"] == 0

    protected = await client.post(PROTECT, headers=bearer(player))
    again = await client.post(PROTECT, headers=bearer(player))
    repaired = await tick_ok(client, player)

    assert protected.status_code == 200, protected.text
    assert (protected.json()["count"], protected.json()["protected_until"]) == (2, "2031-05-10")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_APPLIED"
    assert await shields(client, player) == 1  # one spent, the refused one kept
    assert (repaired["count"], repaired["protected_until"]) == (3, None)  # the protection is used up


async def test_a_shield_bought_in_advance_covers_tomorrow_and_moves_the_reset_a_day(
    client: Client, clock: SettableClock, player: dict[str, Any], container: Container
) -> None:
    await give_shields(client, container, player["user"]["id"])
    clock.on_day(0)
    await tick_ok(client, player)

    protected = await client.post(PROTECT, headers=bearer(player))
    clock.on_day(2)  # day 1 missed
    continued = await tick_ok(client, player)

    assert protected.json()["next_reset_at"] == "2031-05-09T00:00:00Z"  # instead of 05-08
    assert await shields(client, player) == 0
    assert continued["count"] == 2


async def test_the_streak_needs_a_token_and_never_takes_a_user_from_the_request(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    for method, url in (("GET", STATUS), ("POST", TICK), ("GET", NEXT_REWARD), ("POST", PROTECT)):
        response = await client.request(method, url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"

    other = await client.post(TICK, json={"user_id": "someone-else"}, headers=bearer(player))
    assert other.status_code == 200
    assert (await get_ok(client, STATUS, player))["count"] == 1


async def test_bad_tick_bodies_and_keys_are_400_in_the_envelope(
    client: Client, clock: SettableClock, player: dict[str, Any]
) -> None:
    clock.on_day(0)
    headers = bearer(player)
    answers = [
        await client.post(TICK, content=b"{not json", headers={**headers, "content-type": "application/json"}),
        await client.post(TICK, json={"idempotency_key": 5}, headers=headers),
        await client.post(TICK, json={"idempotency_key": "k" * 256}, headers=headers),
        await client.post(TICK, json=[1, 2], headers=headers),
        await client.post(TICK, headers={**headers, "Idempotency-Key": "k" * 256}),
    ]

    assert [answer.status_code for answer in answers] == [400] * len(answers), [a.text for a in answers]
    assert {answer.json()["error"]["code"] for answer in answers} == {"VALIDATION_ERROR"}
    assert await streak_ledger(client, player) == []
