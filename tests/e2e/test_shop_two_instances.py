"""Two app processes on one PostgreSQL database and one Redis: limited stock, per-user limits and promo uses hold."""

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
    admin = {"ADMIN_SITE_ID": ADMIN_SITE_ID, "ADMIN_PASSWORD": ADMIN_PASSWORD, "JOB_QUEUE": "in-process"}
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
