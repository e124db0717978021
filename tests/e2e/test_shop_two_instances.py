"""Two app processes on one PostgreSQL database and one Redis: limited stock, per-user limits and promo uses hold;
a time-out or self-exclusion taken on one instance blocks plays and purchases on the other at once, and a
restricted player gets no campaign."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import httpx
import pytest

from tests.support.api import ADMIN_PASSWORD, bearer, sign_up
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import two_instances

pytestmark = pytest.mark.e2e

ADMIN_SITE_ID = "shop_e2e_admin"


class Instances(NamedTuple):
    """The system under test: the base URLs of two app processes sharing PostgreSQL and Redis."""

    a: str
    b: str


@pytest.fixture(scope="module")
def sut(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    admin = {
        "ADMIN_SITE_ID": ADMIN_SITE_ID,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JOB_QUEUE": "in-process",
        "CAMPAIGN_DISPATCH_INTERVAL_SECONDS": "0.2",
    }
    with two_instances(pg_url, TEST_REDIS_URL, tmp_path_factory.mktemp("shop"), admin) as (first, second):
        yield Instances(first, second)


async def _admin(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/api/auth/admin/login", json={"site_id": ADMIN_SITE_ID, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def _package(client: httpx.AsyncClient, admin: dict[str, Any], stock: int, per_user_limit: int) -> str:
    now = datetime.now(UTC)
    package_id = f"e2e_{uuid.uuid4().hex[:10]}"
    body = {
        "package_id": package_id,
        "name": "Flash bundle",
        "price_cents": 199,
        "gems": 250,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "max_global_stock": stock,
        "per_user_limit": per_user_limit,
    }
    response = await client.post("/api/admin/limited-packages/upsert", json=body, headers=bearer(admin))
    assert response.status_code == 200, response.text
    return package_id


async def _buy_limited(client: httpx.AsyncClient, player: dict[str, Any], package_id: str, token: str) -> Any:
    return await client.post(
        "/api/shop/limited/buy",
        json={"package_id": package_id, "card_token": token},
        headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
    )


def _codes(responses: list[httpx.Response]) -> list[str]:
    return sorted(r.json()["error"]["code"] for r in responses if r.status_code != 200)


async def _remaining(client: httpx.AsyncClient, player: dict[str, Any], package_id: str) -> dict[str, Any]:
    catalog = (await client.get("/api/shop/limited/catalog", headers=bearer(player))).json()
    return next(package for package in catalog if package["package_id"] == package_id)


async def test_stock_of_five_across_two_instances_sells_exactly_five(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=60) as a, httpx.AsyncClient(base_url=sut.b, timeout=60) as b:
        package_id = await _package(a, await _admin(a), stock=5, per_user_limit=1)
        players = await asyncio.gather(*(sign_up((a, b)[i % 2]) for i in range(20)))

        responses = await asyncio.gather(
            *(_buy_limited((a, b)[i % 2], player, package_id, "tok_visa") for i, player in enumerate(players))
        )

        captured = [r.json() for r in responses if r.status_code == 200]
        assert [tx["status"] for tx in captured] == ["captured"] * 5, [r.text for r in responses]
        assert _codes(responses) == ["OUT_OF_STOCK"] * 15
        view = await _remaining(b, players[0], package_id)
        assert view["stock_remaining"] == 0


async def test_a_declined_card_gives_the_stock_back_to_the_next_buyer(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=60) as a, httpx.AsyncClient(base_url=sut.b, timeout=60) as b:
        package_id = await _package(a, await _admin(a), stock=1, per_user_limit=1)
        first, second = await sign_up(a), await sign_up(b)

        declined = await _buy_limited(a, first, package_id, "tok_chargeDeclined")
        bought = await _buy_limited(b, second, package_id, "tok_visa")
        after = await _buy_limited(a, first, package_id, "tok_visa")

        assert (declined.status_code, declined.json()["error"]["code"]) == (402, "PAYMENT_FAILED")
        assert (bought.status_code, bought.json()["status"]) == (200, "captured")
        assert (after.status_code, after.json()["error"]["code"]) == (409, "OUT_OF_STOCK")


async def test_the_per_user_limit_holds_under_concurrent_buys_on_both_instances(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=60) as a, httpx.AsyncClient(base_url=sut.b, timeout=60) as b:
        package_id = await _package(a, await _admin(a), stock=50, per_user_limit=2)
        player = await sign_up(a)

        responses = await asyncio.gather(
            *(_buy_limited((a, b)[i % 2], player, package_id, "tok_visa") for i in range(8))
        )

        assert sum(r.status_code == 200 for r in responses) == 2, [r.text for r in responses]
        assert _codes(responses) == ["USER_LIMIT"] * 6
        view = await _remaining(b, player, package_id)
        assert (view["user_purchased"], view["stock_remaining"]) == (2, 48)


async def test_a_promo_with_three_uses_and_ten_concurrent_buyers_is_used_three_times(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=60) as a, httpx.AsyncClient(base_url=sut.b, timeout=60) as b:
        admin = await _admin(a)
        code = f"E2E{uuid.uuid4().hex[:8].upper()}"
        created = await a.post(
            "/api/admin/promo-codes",
            json={"code": code, "discount_percent": 50, "max_uses": 3},
            headers=bearer(admin),
        )
        assert created.status_code == 201, created.text
        players = await asyncio.gather(*(sign_up((a, b)[i % 2]) for i in range(10)))

        responses = await asyncio.gather(
            *(
                (a, b)[i % 2].post(
                    "/api/shop/buy",
                    json={"sku": "gems_550", "card_token": "tok_visa", "promo_code": code},
                    headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
                )
                for i, player in enumerate(players)
            )
        )

        discounted = [r.json() for r in responses if r.status_code == 200]
        assert [tx["amount_cents"] for tx in discounted] == [250] * 3, [r.text for r in responses]  # 499 x 0.5
        assert _codes(responses) == ["PROMO_EXHAUSTED"] * 7
        listing = (await b.get("/api/admin/promo-codes?limit=100", headers=bearer(admin))).json()
        [promo] = [item for item in listing["items"] if item["code"] == code]
        assert promo["used_count"] == 3


async def _refusals(client: httpx.AsyncClient, player: dict[str, Any], package_id: str) -> list[tuple[int, str]]:
    """A spin, a pull, a catalog buy and a limited buy, at once: each answer's status and error code."""
    keyed = {**bearer(player), "idempotency-key": uuid.uuid4().hex}
    responses = await asyncio.gather(
        client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player)),
        client.post("/api/games/gacha/pull", json={"count": 1}, headers=bearer(player)),
        client.post("/api/shop/buy", json={"sku": "gems_100", "card_token": "tok_visa"}, headers=keyed),
        _buy_limited(client, player, package_id, "tok_visa"),
    )
    return [(r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else "") for r in responses]


@pytest.mark.parametrize(
    ("route", "body", "code"),
    [
        ("/api/limits/time-out", {"duration": "24h"}, "TIMED_OUT"),
        ("/api/limits/self-exclusion", {"months": 6}, "SELF_EXCLUDED"),
    ],
)
async def test_a_restriction_taken_on_one_instance_blocks_plays_and_purchases_on_the_other_at_once(
    sut: Instances, route: str, body: dict[str, Any], code: str
) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=60) as a, httpx.AsyncClient(base_url=sut.b, timeout=60) as b:
        package_id = await _package(a, await _admin(a), stock=100, per_user_limit=5)
        player = await sign_up(a)
        before = await b.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))

        taken = await a.post(route, json=body, headers=bearer(player))
        on_b, on_a = await _refusals(b, player, package_id), await _refusals(a, player, package_id)

    assert before.status_code == 200, before.text
    assert taken.status_code == 200, taken.text
    assert on_b == [(403, code)] * 4
    assert on_a == [(403, code)] * 4


async def test_a_campaign_scheduled_on_one_instance_spares_a_player_restricted_on_the_other(sut: Instances) -> None:
    async with httpx.AsyncClient(base_url=sut.a, timeout=60) as a, httpx.AsyncClient(base_url=sut.b, timeout=60) as b:
        admin = await _admin(b)
        free, restricted = await sign_up(a), await sign_up(a)
        taken = await a.post("/api/limits/self-exclusion", json={"months": 6}, headers=bearer(restricted))
        title = f"Double coins {uuid.uuid4().hex[:8]}"
        ids = [await _schedule_campaign(b, admin, player["user"]["id"], title) for player in (restricted, free)]
        for campaign_id in ids:  # the restricted player's first: once the free one's is done, both were dispatched
            await _campaign_done(b, admin, campaign_id)
        inboxes = [
            (await client.get("/api/notifications", headers=bearer(player))).json()["items"]
            for client, player in ((a, free), (b, restricted))
        ]

    assert taken.status_code == 200, taken.text
    assert [n["title"] for n in inboxes[0]] == [title]
    assert [n["title"] for n in inboxes[1]] == []


async def _schedule_campaign(client: httpx.AsyncClient, admin: dict[str, Any], user_id: str, title: str) -> str:
    body = {
        "title": title,
        "body": "This weekend only",
        "channels": ["inbox", "realtime"],
        "target": {"type": "user", "value": user_id},
        "scheduled_at": datetime.now(UTC).isoformat(),
    }
    response = await client.post("/api/admin/campaigns", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _campaign_done(client: httpx.AsyncClient, admin: dict[str, Any], campaign_id: str) -> None:
    async with asyncio.timeout(30):
        while True:
            listed = (await client.get("/api/admin/campaigns?limit=100", headers=bearer(admin))).json()["items"]
            if next(item for item in listed if item["id"] == campaign_id)["status"] == "done":
                return
            await asyncio.sleep(0.1)  # polling the API under the deadline above
