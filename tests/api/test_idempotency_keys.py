"""An Idempotency-Key that is sent must be 1-255 characters on every route that reads it (API.md conventions).

An empty header used to count as no key, so a spin ran unkeyed; now it is a 400 and nothing runs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import bearer, sign_up

MISSING_ID = "00000000-0000-4000-8000-000000000000"
# (path, body, as admin): every POST that runs through the idempotency mechanism
ROUTES = [
    ("/api/shop/buy", {"sku": "gems_100", "card_token": "tok_visa"}, False),
    ("/api/shop/limited/buy", {"package_id": "launch_bundle", "card_token": "tok_visa"}, False),
    ("/api/games/slot/spin", {"bet": 10}, False),
    ("/api/games/gacha/pull", {"count": 1}, False),
    ("/api/streak/tick", {}, False),
    ("/api/rewards", {"user_id": "{me}", "reward_type": "COIN", "amount": 5, "source": "keys"}, True),
    ("/api/admin/users/{me}/grant", {"currency": "coins", "amount": 5, "reason": "keys"}, True),
    (f"/api/admin/transactions/{MISSING_ID}/refund", {}, True),
]
BAD_KEYS = [pytest.param("", "empty", id="empty"), pytest.param("k" * 256, "too long", id="256-chars")]


async def _caller(client: Any, admin: dict[str, Any], as_admin: bool) -> dict[str, Any]:
    return admin if as_admin else await sign_up(client)


async def _balances(client: Any, tokens: dict[str, Any]) -> dict[str, Any]:
    wallet: dict[str, Any] = (await client.get("/api/wallet", headers=bearer(tokens))).json()
    return wallet


def _filled(text: str, user_id: str) -> str:
    return text.replace("{me}", user_id)


@pytest.mark.parametrize(("path", "body", "as_admin"), ROUTES)
@pytest.mark.parametrize(("key", "problem"), BAD_KEYS)
async def test_a_bad_key_header_is_refused_and_nothing_runs(
    client: Any, admin: dict[str, Any], path: str, body: dict[str, Any], as_admin: bool, key: str, problem: str
) -> None:
    caller = await _caller(client, admin, as_admin)
    me = caller["user"]["id"]
    before = await _balances(client, caller)
    payload = {name: _filled(value, me) if isinstance(value, str) else value for name, value in body.items()}

    response = await client.post(_filled(path, me), json=payload, headers={**bearer(caller), "idempotency-key": key})

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"] == [{"key": "Idempotency-Key", "message": problem, "source": "header"}]
    assert await _balances(client, caller) == before


async def test_an_empty_body_key_is_refused_too(client: Any) -> None:
    player = await sign_up(client)
    before = await _balances(client, player)

    body = {"bet": 10, "idempotency_key": ""}
    response = await client.post("/api/games/slot/spin", json=body, headers=bearer(player))

    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["fields"] == [
        {"key": "idempotency_key", "message": "empty", "source": "body"}
    ]
    assert await _balances(client, player) == before


async def test_a_255_character_key_is_accepted(client: Any) -> None:
    player = await sign_up(client)
    headers = {**bearer(player), "idempotency-key": "k" * 255}

    first = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=headers)
    again = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=headers)

    assert first.status_code == 200, first.text
    assert (again.content, again.headers["idempotent-replayed"]) == (first.content, "true")
