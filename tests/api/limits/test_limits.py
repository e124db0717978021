"""Acceptance: responsible-gaming limits the server enforces. A purchase over a limit is 403 LIMIT_REACHED with
resets_at, and 16 concurrent ones never exceed it; a time-out or a self-exclusion blocks plays and purchases at once
and cannot be shortened (the cooling-off of a raised limit: test_limits_cooling_off.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.api import bearer, sign_up

LIMITS = "/api/limits"
PRICE = 99  # gems_100, for a player without a VIP discount


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process"}


async def put_limits(client: Any, player: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.put(LIMITS, json=body, headers=bearer(player))
    assert response.status_code == 200, response.text
    limits: dict[str, Any] = response.json()
    return limits


async def buy(client: Any, player: dict[str, Any]) -> Any:
    body = {"sku": "gems_100", "card_token": "tok_visa"}
    return await client.post(
        "/api/shop/buy", json=body, headers={**bearer(player), "idempotency-key": uuid.uuid4().hex}
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_purchase_over_the_daily_limit_is_refused_with_when_it_resets(client: Any) -> None:
    player = await sign_up(client)
    await put_limits(client, player, {"purchase": {"daily_cents": 2 * PRICE + 10}})

    first, second, third = [await buy(client, player) for _ in range(3)]

    assert [first.status_code, second.status_code] == [200, 200], first.text
    assert third.status_code == 403
    error = third.json()["error"]
    assert (error["code"], error["details"]["limit"], error["details"]["period"]) == (
        "LIMIT_REACHED",
        2 * PRICE + 10,
        "daily",
    )
    bought_at = at(first.json()["created_at"]) if "created_at" in first.json() else None
    resets_at = at(error["details"]["resets_at"])
    if bought_at is not None:
        assert resets_at == bought_at + timedelta(hours=24)
    limits = (await client.get(LIMITS, headers=bearer(player))).json()
    assert limits["usage"]["daily_cents"] == 2 * PRICE


async def test_16_concurrent_purchases_never_exceed_the_limit(client: Any) -> None:
    player = await sign_up(client)
    await put_limits(client, player, {"purchase": {"weekly_cents": 5 * PRICE}})

    responses = await asyncio.gather(*(buy(client, player) for _ in range(16)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [403] * 11
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 403} == {"LIMIT_REACHED"}
    limits = (await client.get(LIMITS, headers=bearer(player))).json()
    assert limits["usage"]["weekly_cents"] == 5 * PRICE
    gems = (await client.get("/api/wallet", headers=bearer(player))).json()["gems"]
    assert gems == 5 * 100


async def test_a_time_out_blocks_plays_and_purchases_at_once(client: Any) -> None:
    player = await sign_up(client)

    taken = await client.post(f"{LIMITS}/time-out", json={"duration": "24h"}, headers=bearer(player))
    spin = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
    purchase = await buy(client, player)
    limits = (await client.get(LIMITS, headers=bearer(player))).json()

    assert taken.status_code == 200, taken.text
    until = taken.json()["until"]
    assert taken.json()["kind"] == "time_out"
    for refused in (spin, purchase):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "TIMED_OUT"
        assert at(refused.json()["error"]["details"]["until"]) == at(until)
    assert limits["restriction"] == {"kind": "time_out", "until": until}


async def test_a_self_exclusion_is_not_shortened_by_a_later_time_out(client: Any) -> None:
    player = await sign_up(client)

    excluded = await client.post(f"{LIMITS}/self-exclusion", json={"months": 6}, headers=bearer(player))
    shorter = await client.post(f"{LIMITS}/time-out", json={"duration": "24h"}, headers=bearer(player))
    pull = await client.post("/api/games/gacha/pull", json={"count": 1}, headers=bearer(player))

    assert excluded.status_code == shorter.status_code == 200
    assert shorter.json() == excluded.json()
    assert excluded.json()["kind"] == "self_exclusion"
    assert at(excluded.json()["until"]) - datetime.now(at(excluded.json()["until"]).tzinfo) > timedelta(days=179)
    assert (pull.status_code, pull.json()["error"]["code"]) == (403, "SELF_EXCLUDED")


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (LIMITS, {"purchase": {"daily_cents": 0}}, "purchase.daily_cents"),
        (LIMITS, {"play_minutes_daily": 2000}, "play_minutes_daily"),
        (f"{LIMITS}/time-out", {"duration": "1h"}, "duration"),
        (f"{LIMITS}/self-exclusion", {"months": 3}, "months"),
    ],
)
async def test_bad_limits_are_refused(client: Any, path: str, body: dict[str, Any], key: str) -> None:
    player = await sign_up(client)

    response = await client.request("PUT" if path == LIMITS else "POST", path, json=body, headers=bearer(player))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert response.json()["error"]["details"]["fields"][0]["key"] == key


async def test_a_restriction_is_audit_logged(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)

    taken = await client.post(f"{LIMITS}/time-out", json={"duration": "7d"}, headers=bearer(player))
    logs = await client.get(
        "/api/admin/audit/logs",
        params={"action": "limits.time_out", "admin_id": player["user"]["id"]},
        headers=bearer(admin),
    )

    assert taken.status_code == 200, taken.text
    assert logs.status_code == 200, logs.text
    [entry] = logs.json()["items"]
    assert entry["target_id"] == player["user"]["id"]
    assert at(entry["payload"]["until"]) == at(taken.json()["until"])
