"""Every money route whose idempotency record a dead process abandoned: the retry runs again, nothing applies twice.

Each test makes one request that completes, then leaves its key's record as a killed process would (in flight,
an hour old, no answer), so the retry with the key runs the operation a second time: rewards, admin grants,
refunds, streak ticks, spins and pulls are keyed by something the second run cannot apply again.
(Purchases: tests/api/shop/test_buy_abandoned_key.py.)
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.idempotency import abandon_key
from tests.support.realtime import settle

REPLAYED = "idempotent-replayed"


async def _post(client: Any, tokens: dict[str, Any], path: str, key: str, body: dict[str, Any]) -> Any:
    return await client.post(path, json=body, headers={**bearer(tokens), "idempotency-key": key})


async def _abandon(
    client: Any, container: Container, tokens: dict[str, Any], path: str, key: str, body: Any, route: str | None = None
) -> None:
    user_id = tokens["user"]["id"]
    await in_app(client, lambda: abandon_key(container, user_id, path, key, body, route))


async def _wallet(client: Any, tokens: dict[str, Any]) -> dict[str, Any]:
    wallet: dict[str, Any] = (await client.get("/api/wallet", headers=bearer(tokens))).json()
    return wallet


async def test_a_reward_grant_run_again_returns_the_first_reward(
    client: Any, container: Container, admin: dict[str, Any]
) -> None:
    player, key = await sign_up(client), uuid.uuid4().hex
    body = {"user_id": player["user"]["id"], "reward_type": "COIN", "amount": 7, "source": "abandoned"}
    coins_before = (await _wallet(client, player))["coins"]
    first = await _post(client, admin, "/api/rewards", key, body)
    await _abandon(client, container, admin, "/api/rewards", key, body)

    again = await _post(client, admin, "/api/rewards", key, body)

    assert first.status_code == again.status_code == 201, again.text
    assert REPLAYED not in again.headers  # it ran again
    assert again.json()["reward_id"] == first.json()["reward_id"]
    assert (await _wallet(client, player))["coins"] == coins_before + 7


async def test_an_admin_grant_run_again_answers_the_first_grant(
    client: Any, container: Container, admin: dict[str, Any]
) -> None:
    player, key = await sign_up(client), uuid.uuid4().hex
    path, body = f"/api/admin/users/{player['user']['id']}/grant", {"currency": "gems", "amount": 9, "reason": "x"}
    first = await _post(client, admin, path, key, body)
    await _abandon(client, container, admin, path, key, body, "/api/admin/users/{user_id:str}/grant")

    again = await _post(client, admin, path, key, body)

    assert first.status_code == again.status_code == 201, again.text
    assert REPLAYED not in again.headers  # it ran again
    assert again.json() == first.json()  # a grant is a reward named by its key: the first one, unchanged
    assert (await _wallet(client, player))["gems"] == 9


async def test_a_refund_run_again_answers_the_refund_and_claws_back_once(
    client: Any, container: Container, admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    bought = await _post(
        client, player, "/api/shop/buy", uuid.uuid4().hex, {"sku": "gems_100", "card_token": "tok_visa"}
    )
    path, key = f"/api/admin/transactions/{bought.json()['transaction_id']}/refund", uuid.uuid4().hex
    first = await _post(client, admin, path, key, {})
    await _abandon(client, container, admin, path, key, {}, "/api/admin/transactions/{transaction_id:str}/refund")

    again = await _post(client, admin, path, key, {})

    assert first.status_code == again.status_code == 200, again.text
    assert REPLAYED not in again.headers  # it ran again
    assert {k: again.json()[k] for k in ("refunded_cents", "clawed_back_gems")} == {
        k: first.json()[k] for k in ("refunded_cents", "clawed_back_gems")
    }
    assert (await _wallet(client, player))["gems"] == 0


async def test_a_streak_tick_run_again_is_already_claimed(client: Any, container: Container) -> None:
    player, key = await sign_up(client), uuid.uuid4().hex
    first = await _post(client, player, "/api/streak/tick", key, {})
    after_first = await _wallet(client, player)
    await _abandon(client, container, player, "/api/streak/tick", key, {})

    again = await _post(client, player, "/api/streak/tick", key, {})

    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_CLAIMED")
    assert await _wallet(client, player) == after_first


@pytest.mark.parametrize(
    ("path", "body", "currency"),
    [("/api/games/slot/spin", {"bet": 10}, "coins"), ("/api/games/gacha/pull", {"count": 1}, "gems")],
)
async def test_a_keyed_play_run_again_is_refused_and_charged_once(
    client: Any, container: Container, admin: dict[str, Any], path: str, body: dict[str, Any], currency: str
) -> None:
    player, key = await sign_up(client), uuid.uuid4().hex
    grant = {"currency": "gems", "amount": 500, "reason": "pulls"}
    await _post(client, admin, f"/api/admin/users/{player['user']['id']}/grant", uuid.uuid4().hex, grant)
    first = await _post(client, player, path, key, body)
    await settle(client)  # a first play may unlock an achievement whose prize the relay credits after the answer
    after_first = await _wallet(client, player)
    await _abandon(client, container, player, path, key, body)

    again = await _post(client, player, path, key, body)
    await settle(client)
    history = (await client.get("/api/games/history?limit=100", headers=bearer(player))).json()["items"]

    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_APPLIED")
    assert (await _wallet(client, player))[currency] == after_first[currency]
    assert len(history) == 1
