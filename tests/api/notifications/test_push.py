"""Web Push against a local push service: the VAPID JWT verifies, the aes128gcm payload decrypts to what was
sent, 410 deletes the subscription, 503 is retried; subscriptions are deduplicated by endpoint."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from src.application.notifications.push import send_push
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.polling import eventually
from tests.support.push_service import BrowserKeys, PushServiceStub, b64url


@pytest.fixture(scope="module")
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "push_sender": "webpush", "push_ttl_seconds": 120, "push_urgency": "high"}


@pytest.fixture
async def push_service() -> AsyncIterator[PushServiceStub]:
    async with PushServiceStub(BrowserKeys()) as stub:
        yield stub


async def _subscribe(client: Any, tokens: dict[str, Any], stub: PushServiceStub, name: str | None = None) -> str:
    endpoint = stub.endpoint(name or uuid.uuid4().hex)
    keys = {"p256dh": stub.browser.p256dh, "auth": b64url(stub.browser.auth)}
    response = await client.post("/api/notifications/push/subscribe", json={"endpoint": endpoint, "keys": keys},
                                 headers=bearer(tokens))  # fmt: skip
    assert response.status_code == 201, response.text
    return endpoint


async def test_a_test_push_arrives_signed_and_decrypts_to_the_sent_payload(
    client: Any, push_service: PushServiceStub
) -> None:
    player = await sign_up(client)
    await _subscribe(client, player, push_service)
    vapid = (await client.get("/api/notifications/push/vapid-public", headers=bearer(player))).json()

    queued = await client.post("/api/notifications/push/test", headers=bearer(player))
    async with asyncio.timeout(10):
        await push_service.wait_for(1)

    assert (queued.status_code, queued.json()) == (202, {"queued": 1})
    assert push_service.refused == []
    push = push_service.received[0]
    assert push.vapid_key == vapid["public_key"]
    assert push.claims["sub"].startswith("mailto:")
    assert (push.headers["ttl"], push.headers["urgency"]) == ("120", "high")
    assert push.payload["title"] == "Test notification"
    assert push.payload["type"] == "system"


async def test_an_admin_push_carries_the_message_as_sent(
    client: Any, admin: dict[str, Any], push_service: PushServiceStub
) -> None:
    player = await sign_up(client)
    user_id = (await client.get("/api/auth/me", headers=bearer(player))).json()["id"]
    await _subscribe(client, player, push_service)
    target = {"type": "user", "value": user_id}
    data = {"coins": 500, "deep_link": "/rewards"}
    body = {"target": target, "channels": ["inbox", "push"], "title": "Bonus ✨", "body": "500 coins are waiting",
            "type": "reward", "data": data}  # fmt: skip

    sent = (await client.post("/api/admin/notifications/send", json=body, headers=bearer(admin))).json()
    async with asyncio.timeout(10):
        await push_service.wait_for(1)

    inbox = (await client.get("/api/notifications", headers=bearer(player))).json()["items"]
    payload = push_service.received[0].payload
    assert sent["push_queued"] == 1
    assert payload == {"notification_id": inbox[0]["id"], "type": "reward", "title": "Bonus ✨",
                       "body": "500 coins are waiting", "data": {**body["data"], "send_id": sent["id"]}}  # fmt: skip


async def test_a_gone_subscription_is_deleted(client: Any, container: Container, push_service: PushServiceStub) -> None:
    player = await sign_up(client)
    endpoint = await _subscribe(client, player, push_service)
    push_service.answers.append(410)

    await client.post("/api/notifications/push/test", headers=bearer(player))
    async with asyncio.timeout(10):
        await push_service.wait_for(1)

    async def deleted() -> bool:  # the job deletes the subscription after the answer
        async with container.notifications.uow_factory() as uow:
            return await uow.push_subscriptions.get(endpoint) is None

    await eventually(lambda: in_app(client, deleted))
    again = await client.post("/api/notifications/push/test", headers=bearer(player))

    assert again.json() == {"queued": 0}
    assert len(push_service.received) == 1


async def test_a_busy_push_service_is_retried_with_backoff(client: Any, push_service: PushServiceStub) -> None:
    player = await sign_up(client)
    await _subscribe(client, player, push_service)
    push_service.answers.extend([503, 429])

    await client.post("/api/notifications/push/test", headers=bearer(player))
    async with asyncio.timeout(10):
        await push_service.wait_for(3)
    again = await client.post("/api/notifications/push/test", headers=bearer(player))

    assert len(push_service.received) == 3
    assert len({push.payload["notification_id"] for push in push_service.received}) == 1
    assert again.json() == {"queued": 1}


async def test_subscribing_twice_keeps_one_subscription_and_unsubscribe_removes_it(
    client: Any, push_service: PushServiceStub
) -> None:
    player = await sign_up(client)
    endpoint = await _subscribe(client, player, push_service)
    await _subscribe(client, player, push_service, name=endpoint.rsplit("/", 1)[1])

    queued = (await client.post("/api/notifications/push/test", headers=bearer(player))).json()
    removed = await client.post("/api/notifications/push/unsubscribe", json={"endpoint": endpoint},
                                headers=bearer(player))  # fmt: skip
    after = (await client.post("/api/notifications/push/test", headers=bearer(player))).json()

    assert queued == {"queued": 1}
    assert removed.json() == {"removed": True}
    assert after == {"queued": 0}


async def test_push_honours_the_players_switch_but_the_inbox_keeps_it(
    client: Any, admin: dict[str, Any], push_service: PushServiceStub
) -> None:
    player = await sign_up(client)
    user_id = (await client.get("/api/auth/me", headers=bearer(player))).json()["id"]
    await _subscribe(client, player, push_service)
    await client.put("/api/notifications/settings", json={"push": False}, headers=bearer(player))
    body = {"target": {"type": "user", "value": user_id}, "channels": ["inbox", "push"], "title": "Quiet"}

    sent = (await client.post("/api/admin/notifications/send", json=body, headers=bearer(admin))).json()

    assert (sent["inbox"], sent["push_queued"]) == (1, 0)
    assert (await client.get("/api/notifications/unread-count", headers=bearer(player))).json() == {"count": 1}


async def test_a_timed_out_player_gets_no_push_and_no_campaign_but_the_inbox_keeps_account_messages(
    client: Any, admin: dict[str, Any], push_service: PushServiceStub
) -> None:
    player = await sign_up(client)
    user_id = (await client.get("/api/auth/me", headers=bearer(player))).json()["id"]
    await _subscribe(client, player, push_service)
    taken = await client.post("/api/limits/time-out", json={"duration": "7d"}, headers=bearer(player))
    target = {"type": "user", "value": user_id}
    account = {"target": target, "channels": ["inbox", "push"], "title": "Refunded", "type": "purchase"}
    marketing = {"target": target, "channels": ["inbox", "push"], "title": "Come back", "type": "campaign"}

    sent = (await client.post("/api/admin/notifications/send", json=account, headers=bearer(admin))).json()
    spared = (await client.post("/api/admin/notifications/send", json=marketing, headers=bearer(admin))).json()

    assert taken.status_code == 200, taken.text
    assert (sent["inbox"], sent["push_queued"]) == (1, 0)
    assert (spared["targeted"], spared["inbox"], spared["push_queued"]) == (1, 0, 0)
    inbox = (await client.get("/api/notifications", headers=bearer(player))).json()["items"]
    assert [n["title"] for n in inbox] == ["Refunded"]


async def test_a_push_queued_before_a_time_out_is_not_sent_after_it(
    client: Any, container: Container, push_service: PushServiceStub
) -> None:
    player = await sign_up(client)
    user_id = (await client.get("/api/auth/me", headers=bearer(player))).json()["id"]
    endpoint = await _subscribe(client, player, push_service)
    job = {"endpoint": endpoint, "user_id": user_id, "notification_id": uuid.uuid4().hex, "type": "campaign",
           "title": "Queued", "body": "", "data": {}}  # fmt: skip
    taken = await client.post("/api/limits/time-out", json={"duration": "24h"}, headers=bearer(player))

    outcome = await in_app(client, lambda: send_push(job, container.notifications))

    assert taken.status_code == 200, taken.text
    assert outcome is None
    assert push_service.received == []


@pytest.mark.parametrize(
    "subscription",
    [
        {"endpoint": "ftp://push.example/x", "keys": {"p256dh": "BA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "not base64!", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
        {"endpoint": "https://push.example/x"},
    ],
)
async def test_bad_subscriptions_are_400(client: Any, subscription: dict[str, Any]) -> None:
    player = await sign_up(client)

    response = await client.post("/api/notifications/push/subscribe", json=subscription, headers=bearer(player))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
