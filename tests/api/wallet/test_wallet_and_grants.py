"""GET /api/wallet, the ledger, and the admin grant with its idempotency guarantees."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from src.adapters.sqla.models import OutboxRow
from tests.support.api import bearer, in_app, sign_up


def _grant_url(user_id: str) -> str:
    return f"/api/admin/users/{user_id}/grant"


async def _grant(client: Any, admin: dict[str, Any], user_id: str, key: str | None, **body: Any) -> Any:
    headers = bearer(admin) | ({"idempotency-key": key} if key else {})
    payload = {"currency": "gems", "amount": 100, "reason": "compensation", **body}
    return await client.post(_grant_url(user_id), json=payload, headers=headers)


async def _wallet(client: Any, tokens: dict[str, Any]) -> dict[str, int]:
    wallet: dict[str, int] = (await client.get("/api/wallet", headers=bearer(tokens))).json()
    return wallet


async def test_a_new_player_starts_with_the_signup_bonus(client: Any) -> None:
    tokens = await sign_up(client)

    wallet = await _wallet(client, tokens)
    ledger = (await client.get("/api/wallet/ledger", headers=bearer(tokens))).json()

    assert wallet == {"coins": 1000, "gems": 0}
    [entry] = ledger["items"]
    assert (entry["currency"], entry["delta"], entry["balance_after"], entry["reason"]) == (
        "coins", 1000, 1000, "signup_bonus"
    )  # fmt: skip
    assert ledger["next_cursor"] is None


async def test_admin_grant_credits_once_and_replays_identically(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    key = uuid.uuid4().hex

    first = await _grant(client, admin, player["user"]["id"], key)
    replay = await _grant(client, admin, player["user"]["id"], key)

    assert first.status_code == 201, first.text
    assert first.json()["balances"] == {"coins": 1000, "gems": 100}
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _wallet(client, player) == {"coins": 1000, "gems": 100}


async def test_the_same_key_with_another_body_is_refused(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    key = uuid.uuid4().hex
    await _grant(client, admin, player["user"]["id"], key, amount=100)

    response = await _grant(client, admin, player["user"]["id"], key, amount=999)

    assert (response.status_code, response.json()["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert await _wallet(client, player) == {"coins": 1000, "gems": 100}


async def test_the_key_may_come_in_the_body(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    key = uuid.uuid4().hex

    first = await _grant(client, admin, player["user"]["id"], None, idempotency_key=key)
    again = await _grant(client, admin, player["user"]["id"], None, idempotency_key=key)

    assert first.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert await _wallet(client, player) == {"coins": 1000, "gems": 100}


async def test_sixteen_concurrent_requests_with_one_key_grant_once(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    key = uuid.uuid4().hex

    responses = await asyncio.gather(*(_grant(client, admin, player["user"]["id"], key) for _ in range(16)))

    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    conflicts = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert conflicts <= {"IDEMPOTENCY_IN_PROGRESS"}
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert await _wallet(client, player) == {"coins": 1000, "gems": 100}


async def test_grant_needs_an_idempotency_key(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)

    response = await _grant(client, admin, player["user"]["id"], None)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert response.json()["error"]["details"]["fields"][0]["key"] == "Idempotency-Key"


@pytest.mark.parametrize(
    "body",
    [{"amount": 0}, {"amount": -5}, {"amount": "lots"}, {"currency": "diamonds"}, {"reason": ""}, {"currency": None}],
)
async def test_invalid_grants_are_validation_errors(client: Any, admin: dict[str, Any], body: dict[str, Any]) -> None:
    player = await sign_up(client)

    response = await _grant(client, admin, player["user"]["id"], uuid.uuid4().hex, **body)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_grant_to_an_unknown_user_is_not_found_and_remembered(client: Any, admin: dict[str, Any]) -> None:
    key = uuid.uuid4().hex

    first = await _grant(client, admin, "00000000-0000-0000-0000-000000000000", key)
    again = await _grant(client, admin, "00000000-0000-0000-0000-000000000000", key)

    assert (first.status_code, first.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"


async def test_only_admins_grant(client: Any) -> None:
    player = await sign_up(client)

    response = await _grant(client, player, player["user"]["id"], uuid.uuid4().hex)

    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")


async def test_grant_is_audited_and_recorded_as_events(client: Any, admin: dict[str, Any], container: Any) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]

    granted = await _grant(client, admin, user_id, uuid.uuid4().hex, currency="coins", amount=250, reason="prize")
    audit = (await client.get("/api/admin/audit/logs?action=reward.grant", headers=bearer(admin))).json()["items"]

    async def event_types() -> list[str]:
        async with container.uow_factory() as uow:
            query = select(OutboxRow.event_type).where(OutboxRow.aggregate_id == user_id)
            return list((await uow.session.execute(query)).scalars())

    assert {"RewardGranted", "BalanceChanged"} <= set(await in_app(client, event_types))
    [entry] = [item for item in audit if item["target_id"] == user_id]
    assert entry["admin_id"] == admin["user"]["id"]
    assert {key: entry["payload"][key] for key in ("reward_type", "amount", "source")} == {
        "reward_type": "COIN", "amount": 250, "source": "prize"
    }  # fmt: skip
    assert granted.json()["balance_after"] == 1250


async def test_a_grant_is_listed_with_the_players_rewards(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]
    reason = "apology for the outage of " + "x" * 100  # the grant's reason may be up to 200 characters

    granted = await _grant(client, admin, user_id, uuid.uuid4().hex, currency="gems", amount=40, reason=reason)
    listed = await client.get(f"/api/rewards/users/{user_id}/rewards", headers=bearer(player))

    assert granted.status_code == 201, granted.text
    [reward] = listed.json()["items"]
    assert {key: reward[key] for key in ("user_id", "reward_type", "amount", "item_id", "source", "granted_by")} == {
        "user_id": user_id, "reward_type": "GEM", "amount": 40, "item_id": None, "source": reason,
        "granted_by": admin["user"]["id"],
    }  # fmt: skip
    ledger = (await client.get("/api/wallet/ledger", headers=bearer(player))).json()["items"]
    assert [entry["id"] for entry in ledger if entry["ref_id"] == reward["reward_id"]] == [
        granted.json()["ledger_entry_id"]
    ]


async def test_a_blank_reason_names_the_reason(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)

    response = await _grant(client, admin, player["user"]["id"], uuid.uuid4().hex, reason="   ")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "reason" in response.text
    assert await _wallet(client, player) == {"coins": 1000, "gems": 0}


async def test_ledger_pages_newest_first(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    for amount in (1, 2, 3):
        await _grant(client, admin, player["user"]["id"], uuid.uuid4().hex, amount=amount)

    first = (await client.get("/api/wallet/ledger?limit=2", headers=bearer(player))).json()
    rest = (
        await client.get(f"/api/wallet/ledger?limit=2&cursor={first['next_cursor']}", headers=bearer(player))
    ).json()

    deltas = [entry["delta"] for entry in first["items"] + rest["items"]]
    assert deltas == [3, 2, 1, 1000]
    assert rest["next_cursor"] is None
    bad = await client.get("/api/wallet/ledger?cursor=abc", headers=bearer(player))
    assert bad.status_code == 400
