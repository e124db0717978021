"""GET /api/rewards/users/{user_id}/rewards: newest awarded_at first, paged; the player's own, or an admin's view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.api.engagement.conftest import DAY_ONE, SettableClock, get_ok
from tests.support.api import bearer, sign_up

Client = AsyncTestClient[Litestar]


def _url(user_id: str, query: str = "") -> str:
    return f"/api/rewards/users/{user_id}/rewards{query}"


@pytest.fixture
def reward_clock(container: Container) -> Iterator[SettableClock]:
    """Only the reward use cases read it, so grants get the awarded_at a test chooses."""
    settable, real = SettableClock(), container.rewards.clock
    container.rewards.clock = settable
    yield settable
    container.rewards.clock = real


async def _grant_at(
    client: Client, clock: SettableClock, admin: dict[str, Any], user_id: str, hour: int, amount: int
) -> str:
    clock.at(DAY_ONE, hour)
    body = {"user_id": user_id, "reward_type": "GEM", "amount": amount, "source": f"hour_{hour}"}
    response = await client.post(
        "/api/rewards", json=body, headers=bearer(admin) | {"idempotency-key": uuid.uuid4().hex}
    )
    assert response.status_code == 201, response.text
    reward_id: str = response.json()["reward_id"]
    return reward_id


async def test_rewards_page_newest_awarded_first(
    client: Client, admin: dict[str, Any], player: dict[str, Any], reward_clock: SettableClock
) -> None:
    user_id = player["user"]["id"]
    # granted out of time order: the list follows awarded_at, not the order of the requests
    ids = {hour: await _grant_at(client, reward_clock, admin, user_id, hour, hour) for hour in (9, 15, 11)}

    first = await get_ok(client, _url(user_id, "?limit=2"), player)
    rest = await get_ok(client, _url(user_id, f"?limit=2&cursor={first['next_cursor']}"), player)

    assert [item["reward_id"] for item in first["items"] + rest["items"]] == [ids[15], ids[11], ids[9]]
    assert first["next_cursor"] is not None
    assert rest["next_cursor"] is None
    newest = first["items"][0]
    assert newest == {
        "reward_id": ids[15],
        "user_id": user_id,
        "reward_type": "GEM",
        "amount": 15,
        "item_id": None,
        "source": "hour_15",
        "granted_by": admin["user"]["id"],
        "awarded_at": "2031-05-06T15:00:00Z",
    }


async def test_a_player_reads_only_their_own_rewards_and_an_admin_anyones(
    client: Client, admin: dict[str, Any], player: dict[str, Any], reward_clock: SettableClock
) -> None:
    user_id, other = player["user"]["id"], await sign_up(client)
    await _grant_at(client, reward_clock, admin, user_id, 10, 5)

    own = await client.get(_url(user_id), headers=bearer(player))
    someone_elses = await client.get(_url(other["user"]["id"]), headers=bearer(player))
    as_admin = await client.get(_url(user_id), headers=bearer(admin))
    other_own = await client.get(_url(other["user"]["id"]), headers=bearer(other))
    anonymous = await client.get(_url(user_id))

    assert own.status_code == 200
    assert len(own.json()["items"]) == 1
    assert (someone_elses.status_code, someone_elses.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert as_admin.json() == own.json()
    assert other_own.json() == {"items": [], "next_cursor": None}
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "UNAUTHORIZED")


async def test_bad_list_queries_are_refused(client: Client, admin: dict[str, Any], player: dict[str, Any]) -> None:
    user_id = player["user"]["id"]

    unknown = await client.get(_url(str(uuid.uuid4())), headers=bearer(admin))
    bad_cursor = await client.get(_url(user_id, "?cursor=not-a-cursor"), headers=bearer(player))
    bad_limit = await client.get(_url(user_id, "?limit=101"), headers=bearer(player))

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (bad_cursor.status_code, bad_cursor.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (bad_limit.status_code, bad_limit.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_both_reward_routes_are_in_the_openapi_document(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    grant = paths["/api/rewards"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    listed = paths["/api/rewards/users/{user_id}/rewards"]["get"]
    assert grant == {"$ref": "#/components/schemas/RewardGrantOut"}
    assert {parameter["name"] for parameter in listed["parameters"]} >= {"user_id", "limit", "cursor"}
