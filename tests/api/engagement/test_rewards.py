"""POST /api/rewards: admin grants of coins, gems and items, exactly once per key, audited, on the stream."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.engagement.rewards import GrantReward, grant_reward
from src.domain.engagement.rewards import RewardRequest
from src.entrypoints.container import Container
from tests.api.engagement.conftest import PROTECT, get_ok, shields
from tests.support.api import bearer, in_app
from tests.support.realtime import WS, events, settle

REWARDS = "/api/rewards"
Client = AsyncTestClient[Litestar]


async def _grant(client: Client, tokens: dict[str, Any] | None, key: str | None, **body: Any) -> Any:
    headers = (bearer(tokens) if tokens else {}) | ({"idempotency-key": key} if key else {})
    return await client.post(REWARDS, json=body, headers=headers)


def _coins(user_id: str, amount: int = 250, **extra: Any) -> dict[str, Any]:
    return {"user_id": user_id, "reward_type": "COIN", "amount": amount, "source": "tournament_prize", **extra}


async def _reward_ledger(client: Client, tokens: dict[str, Any]) -> list[dict[str, Any]]:
    body = await get_ok(client, "/api/wallet/ledger?limit=100", tokens)
    return [entry for entry in body["items"] if entry["reason"] == "reward"]


@pytest.mark.parametrize(("reward_type", "currency"), [("COIN", "coins"), ("GEM", "gems")])
async def test_a_currency_reward_credits_the_wallet_with_one_ledger_row(
    client: Client, admin: dict[str, Any], player: dict[str, Any], reward_type: str, currency: str
) -> None:
    user_id = player["user"]["id"]
    body = {"user_id": user_id, "reward_type": reward_type, "amount": 40, "source": "compensation"}

    response = await _grant(client, admin, uuid.uuid4().hex, **body)

    assert response.status_code == 201, response.text
    granted = response.json()
    assert granted["reward_id"].startswith("rw_")
    assert {key: granted[key] for key in ("user_id", "reward_type", "amount", "item_id", "source")} == {
        **body, "item_id": None
    }  # fmt: skip
    assert granted["granted_by"] == admin["user"]["id"]
    expected = {"coins": 1000, "gems": 0} | {currency: {"coins": 1000, "gems": 0}[currency] + 40}
    assert granted["balances"] == expected
    assert await get_ok(client, "/api/wallet", player) == expected
    [entry] = await _reward_ledger(client, player)
    assert (entry["currency"], entry["delta"], entry["ref_type"], entry["ref_id"]) == (
        currency, 40, "reward", granted["reward_id"]
    )  # fmt: skip


async def test_a_streak_shield_reward_lands_in_the_inventory_and_protects_the_streak(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    user_id = player["user"]["id"]
    body = {"user_id": user_id, "reward_type": "ITEM", "item_id": "streak_shield", "amount": 2, "source": "event"}

    response = await _grant(client, admin, uuid.uuid4().hex, **body)

    assert response.status_code == 201, response.text
    assert (response.json()["item_id"], response.json()["amount"]) == ("streak_shield", 2)
    assert await shields(client, player) == 2
    assert await _reward_ledger(client, player) == []  # an item moves no currency
    protected = await client.post(PROTECT, headers=bearer(player))
    assert protected.status_code == 200, protected.text
    assert await shields(client, player) == 1


async def test_granted_items_are_no_gacha_pulls(client: Client, admin: dict[str, Any], player: dict[str, Any]) -> None:
    body = {"user_id": player["user"]["id"], "reward_type": "ITEM", "item_id": "streak_shield", "amount": 3}

    granted = await _grant(client, admin, uuid.uuid4().hex, **body, source="event")
    gacha = await get_ok(client, "/api/games/gacha/stats", player)
    stats = await get_ok(client, "/api/users/stats", player)

    assert granted.status_code == 201, granted.text
    assert (gacha["total_pulls"], gacha["by_rarity"], stats["gacha_pulls"]) == (0, {}, 0)


async def test_an_item_reward_defaults_to_one_unit(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    body = {"user_id": player["user"]["id"], "reward_type": "ITEM", "item_id": "streak_shield", "source": "gift"}

    response = await _grant(client, admin, uuid.uuid4().hex, **body)

    assert (response.status_code, response.json()["amount"]) == (201, 1)
    assert await shields(client, player) == 1


async def test_a_repeated_key_replays_the_grant_and_another_body_is_refused(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    user_id, key = player["user"]["id"], uuid.uuid4().hex

    first = await _grant(client, admin, key, **_coins(user_id))
    replay = await _grant(client, admin, key, **_coins(user_id))
    reused = await _grant(client, admin, key, **_coins(user_id, amount=999))

    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (201, "true")
    assert replay.content == first.content
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert (await get_ok(client, "/api/wallet", player))["coins"] == 1250
    assert len(await _reward_ledger(client, player)) == 1


async def test_ten_concurrent_grants_with_one_key_grant_once(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    user_id, key = player["user"]["id"], uuid.uuid4().hex

    responses = await asyncio.gather(*(_grant(client, admin, key, **_coins(user_id)) for _ in range(10)))

    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} <= {"IDEMPOTENCY_IN_PROGRESS"}
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert (await get_ok(client, "/api/wallet", player))["coins"] == 1250
    assert len(await _reward_ledger(client, player)) == 1
    listed = await get_ok(client, f"{REWARDS}/users/{user_id}/rewards", player)
    assert len(listed["items"]) == 1


async def test_a_grant_needs_an_idempotency_key(client: Client, admin: dict[str, Any], player: dict[str, Any]) -> None:
    response = await _grant(client, admin, None, **_coins(player["user"]["id"]))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert response.json()["error"]["details"]["fields"][0]["key"] == "Idempotency-Key"


@pytest.mark.parametrize(
    "body",
    [
        {"reward_type": "COIN", "source": "s"},  # COIN without amount
        {"reward_type": "GEM", "amount": 5, "item_id": "streak_shield", "source": "s"},
        {"reward_type": "DIAMOND", "amount": 5, "source": "s"},
        {"reward_type": "COIN", "amount": 5, "source": "s", "bonus": True},  # unknown field
        {"reward_type": "COIN", "amount": 0, "source": "s"},
        {"reward_type": "COIN", "amount": 1_000_000_001, "source": "s"},
        {"reward_type": "COIN", "amount": "lots", "source": "s"},
        {"reward_type": "COIN", "amount": 5},  # no source
        {"reward_type": "COIN", "amount": 5, "source": "x" * 201},
        {"reward_type": "COIN", "amount": 5, "source": "   "},
        {"reward_type": "ITEM", "source": "s"},  # ITEM without item_id
        {"reward_type": "ITEM", "item_id": "golden_dragon", "source": "s"},
        {"reward_type": "ITEM", "item_id": "streak_shield", "amount": 101, "source": "s"},
    ],
)
async def test_bad_grants_are_validation_errors_and_grant_nothing(
    client: Client, admin: dict[str, Any], player: dict[str, Any], body: dict[str, Any]
) -> None:
    response = await _grant(client, admin, uuid.uuid4().hex, user_id=player["user"]["id"], **body)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR"), response.text
    assert response.json()["error"]["request_id"]
    assert await get_ok(client, "/api/wallet", player) == {"coins": 1000, "gems": 0}
    assert await shields(client, player) == 0


async def test_only_an_admin_grants(client: Client, player: dict[str, Any]) -> None:
    body = _coins(player["user"]["id"])

    anonymous = await _grant(client, None, uuid.uuid4().hex, **body)
    as_player = await _grant(client, player, uuid.uuid4().hex, **body)

    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert (as_player.status_code, as_player.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert (await get_ok(client, "/api/wallet", player))["coins"] == 1000


async def test_an_unknown_or_deleted_account_is_not_found(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    unknown = await _grant(client, admin, uuid.uuid4().hex, **_coins(str(uuid.uuid4())))
    deleted_id = player["user"]["id"]
    assert (await client.delete(f"/api/admin/users/{deleted_id}", headers=bearer(admin))).status_code == 204
    deleted = await _grant(client, admin, uuid.uuid4().hex, **_coins(deleted_id))

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (deleted.status_code, deleted.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_the_grant_is_audited(client: Client, admin: dict[str, Any], player: dict[str, Any]) -> None:
    user_id = player["user"]["id"]
    granted = (await _grant(client, admin, uuid.uuid4().hex, **_coins(user_id, amount=75))).json()

    audit = await get_ok(client, "/api/admin/audit/logs?action=reward.grant", admin)

    [entry] = [item for item in audit["items"] if item["target_id"] == user_id]
    assert entry["admin_id"] == admin["user"]["id"]
    assert entry["payload"] == {
        "reward_id": granted["reward_id"],
        "reward_type": "COIN",
        "amount": 75,
        "item_id": None,
        "source": "tournament_prize",
    }


async def test_the_player_sees_reward_granted_and_profile_update(
    client: Client, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    user_id = player["user"]["id"]
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        granted = (await _grant(client, admin, uuid.uuid4().hex, **_coins(user_id, amount=30))).json()
        got = await events(session, 2)

    by_type = {frame["type"]: frame["data"] for frame in got}
    assert by_type["reward_granted"] == {
        "currency": "coins",
        "amount": 30,
        "source": "tournament_prize",
        "reward_id": granted["reward_id"],
        "reward_type": "COIN",
    }
    assert by_type["profile_update"]["balances"] == {"coins": 1030}


async def test_server_code_grants_without_http_once_per_key(
    client: Client, container: Container, player: dict[str, Any]
) -> None:
    user_id = player["user"]["id"]
    command = GrantReward(RewardRequest(user_id, "GEM", "mission:m42", amount=15), key=f"mission:m42:{user_id}")

    first = await in_app(client, lambda: grant_reward(command, container.rewards))
    again = await in_app(client, lambda: grant_reward(command, container.rewards))
    await settle(client)

    assert again.reward == first.reward
    assert first.reward.granted_by is None
    assert (await get_ok(client, "/api/wallet", player))["gems"] == 15
    [listed] = (await get_ok(client, f"{REWARDS}/users/{user_id}/rewards", player))["items"]
    assert (listed["reward_id"], listed["granted_by"], listed["source"]) == (
        first.reward.reward_id,
        None,
        "mission:m42",
    )
