"""POST/GET /api/admin/campaigns and …/cancel: scheduled delivery once per targeted player (here by the app's own
dispatcher; tests/e2e runs two workers), progress in GET, cancelled campaigns never delivered, audit entries."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up


@pytest.fixture(scope="module")
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "campaign_dispatch_interval_seconds": 0.2}


async def _players_in_tier(client: AsyncTestClient[Litestar], container: Container, count: int) -> tuple[int, list]:
    """Players moved to a VIP tier of their own, so the campaign's audience is exactly them."""
    tier = random.randint(10_000, 10**9)
    players = [await sign_up(client) for _ in range(count)]
    ids = [(await client.get("/api/auth/me", headers=bearer(p))).json()["id"] for p in players]

    async def move() -> None:
        async with container.uow_factory() as uow:
            for user_id in ids:
                user = await uow.users.get(user_id)  # type: ignore[attr-defined]
                user.vip_tier = tier
                await uow.users.update(user)  # type: ignore[attr-defined]
            await uow.commit()

    await in_app(client, move)
    return tier, players


async def _schedule(client: Any, admin: dict[str, Any], tier: int, seconds_ahead: float, **fields: Any) -> Any:
    body = {"title": "Weekend", "body": "Double coins", "channels": ["inbox", "realtime"],
            "target": {"type": "vip_tier", "value": tier},
            "scheduled_at": (datetime.now(UTC) + timedelta(seconds=seconds_ahead)).isoformat(), **fields}  # fmt: skip
    return await client.post("/api/admin/campaigns", json=body, headers=bearer(admin))


async def _campaign(client: Any, admin: dict[str, Any], campaign_id: str) -> dict[str, Any]:
    listed = (await client.get("/api/admin/campaigns?limit=100", headers=bearer(admin))).json()["items"]
    found: dict[str, Any] = next(item for item in listed if item["id"] == campaign_id)
    return found


async def _wait_done(client: Any, admin: dict[str, Any], campaign_id: str) -> dict[str, Any]:
    async with asyncio.timeout(15):
        while (campaign := await _campaign(client, admin, campaign_id))["status"] != "done":  # noqa: ASYNC110 - polling the API
            await asyncio.sleep(0.1)
    return campaign


async def _dispatcher_passed(client: Any, admin: dict[str, Any], tier: int, seconds_ahead: float) -> str:
    """A positive barrier for "nothing else was delivered": a later campaign to the same tier, delivered, means
    the dispatcher ran past everything due before it."""
    later = await _schedule(client, admin, tier, seconds_ahead, title="Barrier")
    assert later.status_code == 201, later.text
    await _wait_done(client, admin, later.json()["id"])
    return str(later.json()["id"])


async def test_a_scheduled_campaign_is_delivered_once_per_targeted_player(
    client: Any, admin: dict[str, Any], container: Container
) -> None:
    tier, players = await _players_in_tier(client, container, 3)

    created = await _schedule(client, admin, tier, 1.0)
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["progress"]) == (
        "scheduled",
        {"targeted": 0, "sent": 0, "failed": 0},
    )
    done = await _wait_done(client, admin, created.json()["id"])
    barrier = await _dispatcher_passed(client, admin, tier, 0.3)  # more dispatcher runs: nothing more is delivered

    inboxes = [(await client.get("/api/notifications", headers=bearer(p))).json()["items"] for p in players]
    assert done["progress"] == {"targeted": 3, "sent": 3, "failed": 0}
    assert [sorted((n["type"], n["title"], n["data"]["campaign_id"]) for n in inbox) for inbox in inboxes] == [
        [("campaign", "Barrier", barrier), ("campaign", "Weekend", created.json()["id"])]
    ] * 3


async def test_a_cancelled_campaign_is_never_delivered(
    client: Any, admin: dict[str, Any], container: Container
) -> None:
    tier, players = await _players_in_tier(client, container, 2)
    created = (await _schedule(client, admin, tier, 1.0)).json()

    cancelled = await client.post(f"/api/admin/campaigns/{created['id']}/cancel", headers=bearer(admin))
    again = await client.post(f"/api/admin/campaigns/{created['id']}/cancel", headers=bearer(admin))
    barrier = await _dispatcher_passed(client, admin, tier, 1.2)  # due after the cancelled one

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "NOT_CANCELLABLE")
    assert (await _campaign(client, admin, created["id"]))["progress"]["sent"] == 0
    for player in players:
        inbox = (await client.get("/api/notifications", headers=bearer(player))).json()["items"]
        assert [n["data"]["campaign_id"] for n in inbox] == [barrier]


async def test_unreachable_players_count_as_failed(client: Any, admin: dict[str, Any], container: Container) -> None:
    tier, _ = await _players_in_tier(client, container, 2)  # no address, no push subscription
    created = (await _schedule(client, admin, tier, 0, channels=["email"])).json()

    done = await _wait_done(client, admin, created["id"])

    assert done["progress"] == {"targeted": 2, "sent": 0, "failed": 2}


async def test_campaigns_are_audited_and_checked(client: Any, admin: dict[str, Any]) -> None:
    created = (await _schedule(client, admin, 1, 3600)).json()
    await client.post(f"/api/admin/campaigns/{created['id']}/cancel", headers=bearer(admin))
    bad = await _schedule(client, admin, 1, 10, channels=["smoke"])
    missing = await client.post("/api/admin/campaigns/nope/cancel", headers=bearer(admin))

    audit = (await client.get("/api/admin/audit/logs?limit=100", headers=bearer(admin))).json()["items"]
    actions = {entry["action"] for entry in audit if entry["target_id"] == created["id"]}
    assert actions == {"campaign.create", "campaign.cancel"}
    assert (bad.status_code, missing.status_code) == (400, 404)


async def test_a_campaign_to_everyone_spares_a_restricted_player_whose_inbox_still_takes_account_messages(
    client: Any, admin: dict[str, Any]
) -> None:
    free, restricted = await sign_up(client), await sign_up(client)
    taken = await client.post("/api/limits/time-out", json={"duration": "24h"}, headers=bearer(restricted))
    assert taken.status_code == 200, taken.text
    title = f"Everyone {random.randint(0, 10**9)}"

    created = await _schedule(client, admin, 0, 0, title=title, target={"type": "everyone"}, channels=["inbox"])
    assert created.status_code == 201, created.text
    await _wait_done(client, admin, created.json()["id"])
    target = {"type": "user", "value": restricted["user"]["id"]}
    receipt = {"target": target, "channels": ["inbox"], "title": "Your receipt", "type": "purchase"}
    account = await client.post("/api/admin/notifications/send", json=receipt, headers=bearer(admin))

    assert account.status_code in (200, 201), account.text
    inboxes = [(await client.get("/api/notifications", headers=bearer(p))).json()["items"] for p in (free, restricted)]
    assert [n["title"] for n in inboxes[0]] == [title]
    assert [(n["type"], n["title"]) for n in inboxes[1]] == [("purchase", "Your receipt")]
