"""Idempotency-Key on spins, pulls, gem-shop buys and grants, whose record is written in the work's own
transaction, and on buys, whose claim is completed in the capture's transaction: requests sent at once with one key
play, charge and grant once, and a refusal is remembered under its key like an answer.

The app serves these tests on their own event loop (httpx's ASGI transport): the shared test client hands each
request to the app's thread and blocks until it is answered, so requests gathered through it never overlap.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from litestar import Litestar

from src.application.shared.idempotency import IdempotencyScope
from tests.api.games.helpers import HISTORY, PULL, SPIN, get_json, grant, ledger, wallet
from tests.support.api import ADMIN_PASSWORD, bearer, sign_up
from tests.support.round_trips import counted, instrumented

pytestmark = pytest.mark.own_app

AT_ONCE = 8
BUY = "/api/shop/buy"


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """The relay runs when `_served` drains the outbox at the end, not on a loop that shutdown must stop."""
    return {"outbox_relay_in_app": "false"}


@asynccontextmanager
async def _served(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        yield client
        await app.state.container.relay.drain(max_passes=100)  # the outbox is the session's: leave nothing in it


async def _admin(client: httpx.AsyncClient, site_id: str) -> dict[str, Any]:
    response = await client.post("/api/auth/admin/login", json={"site_id": site_id, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def _answered_once(responses: list[Any], refused: set[tuple[int, str]], status: int = 200) -> list[Any]:
    """The `status` answers (all one body, one of them not a replay); every other answer is one of `refused`."""
    answered = [response for response in responses if response.status_code == status]
    assert answered, [response.text for response in responses]
    assert len({response.content for response in answered}) == 1
    assert [response.headers.get("idempotent-replayed") for response in answered].count(None) == 1
    others = {(r.status_code, r.json()["error"]["code"]) for r in responses if r.status_code != status}
    assert others <= refused, others
    return answered


async def test_spins_sent_at_once_with_one_key_bet_once(own_app: Litestar) -> None:
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]  # any client that posts JSON
        headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}

        responses = await asyncio.gather(
            *(client.post(SPIN, json={"bet": 100}, headers=headers) for _ in range(AT_ONCE))
        )

        played = _answered_once(responses, {(409, "IDEMPOTENCY_IN_PROGRESS")})[0].json()
        bets = [entry for entry in await ledger(client, player) if entry["reason"] == "slot_bet"]
        assert [(entry["ref_id"], entry["delta"]) for entry in bets] == [(played["spin_id"], -100)]
        assert await wallet(client, player) == {"coins": played["balance_after"], "gems": 0}
        assert [item["id"] for item in (await get_json(client, HISTORY, player))["items"]] == [played["spin_id"]]


async def test_spins_sent_at_once_with_one_key_and_other_bets_bet_once(own_app: Litestar) -> None:
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]
        headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}
        bets = [100, 50] * (AT_ONCE // 2)

        responses = await asyncio.gather(*(client.post(SPIN, json={"bet": bet}, headers=headers) for bet in bets))

        refused = {(409, "IDEMPOTENCY_IN_PROGRESS"), (422, "IDEMPOTENCY_KEY_REUSED")}
        played = _answered_once(responses, refused)[0].json()
        bets_taken = [entry for entry in await ledger(client, player) if entry["reason"] == "slot_bet"]
        assert [entry["ref_id"] for entry in bets_taken] == [played["spin_id"]]
        assert await wallet(client, player) == {"coins": played["balance_after"], "gems": 0}


async def test_pulls_sent_at_once_with_one_key_take_the_gems_once(own_app: Litestar, admin_site_id: str) -> None:
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]
        await grant(client, await _admin(client, admin_site_id), player["user"]["id"], "gems", 500)
        headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}

        responses = await asyncio.gather(
            *(client.post(PULL, json={"count": 1}, headers=headers) for _ in range(AT_ONCE))
        )

        pulled = _answered_once(responses, {(409, "IDEMPOTENCY_IN_PROGRESS")})[0].json()
        debits = [entry for entry in await ledger(client, player) if entry["reason"] == "gacha_pull"]
        assert [(entry["ref_id"], entry["delta"]) for entry in debits] == [(pulled["pull_id"], -50)]
        assert await wallet(client, player) == {"coins": 1000, "gems": 450}


async def test_a_refused_spin_is_replayed_under_its_key_after_the_wallet_could_cover_it(
    own_app: Litestar, admin_site_id: str
) -> None:
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]
        headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}

        refused = await client.post(SPIN, json={"bet": 2000}, headers=headers)
        await grant(client, await _admin(client, admin_site_id), player["user"]["id"], "coins", 5000)
        again = await client.post(SPIN, json={"bet": 2000}, headers=headers)

        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "INSUFFICIENT_FUNDS")
        replayed = (again.status_code, again.content, again.headers["idempotent-replayed"])
        assert replayed == (409, refused.content, "true")
        assert await wallet(client, player) == {"coins": 6000, "gems": 0}


async def test_buys_sent_at_once_with_one_key_charge_and_grant_once(own_app: Litestar) -> None:
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]
        headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}
        body = {"sku": "gems_100", "card_token": "tok_visa"}

        responses = await asyncio.gather(*(client.post(BUY, json=body, headers=headers) for _ in range(AT_ONCE)))
        replay = await client.post(BUY, json=body, headers=headers)

        bought = _answered_once(responses, {(409, "IDEMPOTENCY_IN_PROGRESS")})[0]
        assert (bought.json()["status"], bought.json()["gems_granted"]) == ("captured", 100)
        assert (replay.content, replay.headers["idempotent-replayed"]) == (bought.content, "true")
        grants = [entry for entry in await ledger(client, player) if entry["reason"] == "purchase"]
        assert [(entry["ref_id"], entry["delta"]) for entry in grants] == [(bought.json()["transaction_id"], 100)]
        transactions = (await get_json(client, "/api/shop/transactions", player))["items"]
        assert [(tx["status"], tx["gems_granted"]) for tx in transactions] == [("captured", 100)]
        assert await wallet(client, player) == {"coins": 1000, "gems": 100}


async def test_a_key_adds_three_statements_to_a_spin_and_no_transaction(own_app: Litestar) -> None:
    """Holding the key, finding its earlier play and writing its record, all in the spin's own transaction: a keyed
    spin is the five round trips of a spin in its transaction (BEGIN, begin, settle, outbox, COMMIT) and these three;
    a plain one is two, settled at once (tests/contract/games/test_pg_spin_at_once.py)."""
    with instrumented():
        async with _served(own_app) as client:
            player = await sign_up(client)  # type: ignore[arg-type]
            await client.post(SPIN, json={"bet": 10}, headers=bearer(player))  # the config's version parsed

            async def spin(**key: str) -> None:
                response = await client.post(SPIN, json={"bet": 10}, headers=bearer(player) | key)
                assert response.status_code == 200, response.text

            plain = await counted(spin)
            keyed = await counted(lambda: spin(**{"idempotency-key": uuid.uuid4().hex}))

    assert plain["statements"] == 2
    assert keyed["statements"] == 5 + 3  # with holding the key from its first statement


async def test_grants_and_gem_buys_sent_at_once_with_one_key_apply_once(own_app: Litestar, admin_site_id: str) -> None:
    async with _served(own_app) as client:
        player, admin = await sign_up(client), await _admin(client, admin_site_id)  # type: ignore[arg-type]
        grant_path = f"/api/admin/users/{player['user']['id']}/grant"
        grant_body = {"currency": "gems", "amount": 300, "reason": "at once"}
        grant_headers = bearer(admin) | {"idempotency-key": uuid.uuid4().hex}
        buy_headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}
        buy_body = {"item_id": "streak_shield", "quantity": 2}

        grants = await asyncio.gather(
            *(client.post(grant_path, json=grant_body, headers=grant_headers) for _ in range(AT_ONCE))
        )
        buys = await asyncio.gather(
            *(client.post("/api/shop/items/buy", json=buy_body, headers=buy_headers) for _ in range(AT_ONCE))
        )

        _answered_once(grants, {(409, "IDEMPOTENCY_IN_PROGRESS")}, status=201)
        bought = _answered_once(buys, {(409, "IDEMPOTENCY_IN_PROGRESS")})[0].json()
        assert (bought["gems_spent"], bought["new_gem_balance"], bought["owned"]) == (100, 200, 2)
        gem_moves = sorted(e["delta"] for e in await ledger(client, player) if e["currency"] == "gems")
        assert gem_moves == [-100, 300]
        assert await wallet(client, player) == {"coins": 1000, "gems": 200}


async def test_streak_ticks_sent_at_once_with_one_key_tick_once(own_app: Litestar) -> None:
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]
        headers = bearer(player) | {"idempotency-key": uuid.uuid4().hex}
        coins_before = (await wallet(client, player))["coins"]

        ticks = await asyncio.gather(*(client.post("/api/streak/tick", headers=headers) for _ in range(AT_ONCE)))

        ticked = _answered_once(ticks, {(409, "IDEMPOTENCY_IN_PROGRESS")})[0].json()
        assert (await get_json(client, "/api/streak/status", player))["count"] == 1
        rewards = [entry for entry in await ledger(client, player) if entry["reason"] == "streak_reward"]
        paid = {"coins": ticked["reward"]["coins"], "gems": ticked["reward"]["gems"]}
        assert sorted((e["currency"], e["delta"]) for e in rewards) == sorted((c, n) for c, n in paid.items() if n)
        assert (await wallet(client, player))["coins"] == coins_before + paid["coins"]
        assert ticked == (await client.post("/api/streak/tick", headers=headers)).json()


@pytest.mark.parametrize(
    ("path", "route", "body"), [(SPIN, "POST /slot/spin", {"bet": 100}), (PULL, "POST /gacha/pull", {"count": 1})]
)
async def test_a_repeat_while_the_first_request_still_runs_is_409_in_progress_and_free_after(
    own_app: Litestar, admin_site_id: str, path: str, route: str, body: dict[str, Any]
) -> None:
    """The contract: same key while the first request is still running → 409 IDEMPOTENCY_IN_PROGRESS. The first
    request is stood in for by a transaction holding the key, as a running play's does from its first statement."""
    async with _served(own_app) as client:
        player = await sign_up(client)  # type: ignore[arg-type]
        await grant(client, await _admin(client, admin_site_id), player["user"]["id"], "gems", 500)
        key = uuid.uuid4().hex
        headers = bearer(player) | {"idempotency-key": key}
        container = own_app.state.container
        scope = IdempotencyScope(player["user"]["id"], route, key)  # the route as its handler names it

        async with container.uow_factory() as running:
            assert await running.idempotency_records.hold(scope) is True
            while_running = await client.post(path, json=body, headers=headers)
        after = await client.post(path, json=body, headers=headers)

        assert (while_running.status_code, while_running.json()["error"]["code"]) == (409, "IDEMPOTENCY_IN_PROGRESS")
        assert after.status_code == 200, after.text
        assert "idempotent-replayed" not in after.headers  # the refusal was not stored under the key
