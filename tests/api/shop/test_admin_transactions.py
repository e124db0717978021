"""GET /api/admin/transactions[/{id}]: every user's purchases, filtered, newest first, cursor-paginated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.api import bearer, sign_up

LIST = "/api/admin/transactions"


async def _buy(client: Any, player: dict[str, Any], sku: str = "gems_100", card_token: str = "tok_visa") -> str:  # noqa: S107
    response = await client.post(
        "/api/shop/buy",
        json={"sku": sku, "card_token": card_token},
        headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
    )
    assert response.status_code in (200, 402), response.text
    transaction_id: str = response.json().get("transaction_id") or (await _latest(client, player))
    return transaction_id


async def _latest(client: Any, player: dict[str, Any]) -> str:
    mine = (await client.get("/api/shop/transactions?limit=1", headers=bearer(player))).json()["items"]
    latest: str = mine[0]["id"]
    return latest


async def _search(client: Any, admin: dict[str, Any], **query: Any) -> Any:
    response = await client.get(f"{LIST}?{urlencode(query)}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_admin_sees_a_players_purchases_newest_first(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    first, second = await _buy(client, player), await _buy(client, player, "gems_550")

    sut = await _search(client, admin, user_id=player["user"]["id"])

    assert [item["id"] for item in sut["items"]] == [second, first]
    assert sut["next_cursor"] is None
    newest = sut["items"][0]
    assert (newest["user_id"], newest["sku"], newest["status"], newest["gems_granted"]) == (
        player["user"]["id"],
        "gems_550",
        "captured",
        550,
    )
    assert [change["status"] for change in newest["history"]] == ["pending", "authorized", "captured"]


async def test_filters_combine(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]
    captured = await _buy(client, player)
    declined = await _buy(client, player, card_token="tok_chargeDeclined")
    other_sku = await _buy(client, player, "gems_550")

    by_status = await _search(client, admin, user_id=user_id, status="failed")
    by_sku = await _search(client, admin, user_id=user_id, sku="gems_100")
    both = await _search(client, admin, user_id=user_id, sku="gems_100", status="captured")

    assert [item["id"] for item in by_status["items"]] == [declined]
    assert by_status["items"][0]["failure_reason"] == "PAYMENT_DECLINED"
    assert {item["id"] for item in by_sku["items"]} == {captured, declined}
    assert [item["id"] for item in both["items"]] == [captured]
    assert other_sku not in {item["id"] for item in by_sku["items"]}


async def test_a_time_window_selects_by_creation(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]
    tx_id = await _buy(client, player)
    now = datetime.now(UTC)

    inside = await _search(
        client, admin, user_id=user_id, **{"from": (now - timedelta(minutes=5)).isoformat(), "to": now.isoformat()}
    )
    later = await _search(client, admin, user_id=user_id, **{"from": (now + timedelta(minutes=1)).isoformat()})
    earlier = await _search(client, admin, user_id=user_id, to=(now - timedelta(minutes=5)).isoformat())
    naive_utc = await _search(client, admin, user_id=user_id, **{"from": "2000-01-01T00:00:00"})

    assert [item["id"] for item in inside["items"]] == [tx_id]
    assert (later["items"], earlier["items"]) == ([], [])
    assert [item["id"] for item in naive_utc["items"]] == [tx_id]


async def test_the_cursor_walks_every_page_once(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    bought = [await _buy(client, player) for _ in range(5)]

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        query = {"user_id": player["user"]["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await _search(client, admin, **query)
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(bought))


async def test_one_transaction_by_id(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    tx_id = await _buy(client, player)

    found = await client.get(f"{LIST}/{tx_id}", headers=bearer(admin))
    missing = await client.get(f"{LIST}/nope", headers=bearer(admin))

    assert (found.status_code, found.json()["id"], found.json()["user_id"]) == (200, tx_id, player["user"]["id"])
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    "query",
    [
        {"status": "shipped"},
        {"limit": 0},
        {"limit": 101},
        {"from": "yesterday"},
        {"cursor": "not-a-cursor"},
        {"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
    ],
)
async def test_bad_filters_are_400_validation_error(client: Any, admin: dict[str, Any], query: dict[str, Any]) -> None:
    response = await client.get(f"{LIST}?{urlencode(query)}", headers=bearer(admin))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_players_may_not_list_everyones_transactions(client: Any) -> None:
    player = await sign_up(client)

    listing = await client.get(LIST, headers=bearer(player))
    anonymous = await client.get(LIST)

    assert (listing.status_code, listing.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert anonymous.status_code == 401
