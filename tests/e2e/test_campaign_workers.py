"""Campaigns on two real `casino-club worker --queue notifications` processes (PostgreSQL + Redis, arq).

Both workers dispatch every second (the cron is deliberately not unique), so they race for the same players;
each player still gets the campaign once: in the inbox, as one Web Push through the arq queue to a local push
service and as one email to a real SMTP server (aiosmtpd). A campaign cancelled before its time is never delivered."""

from __future__ import annotations

import asyncio
import email
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient

from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.api import ADMIN_PASSWORD, bearer, in_app, sign_up, unique
from tests.support.env import TEST_REDIS_URL
from tests.support.processes import free_port, started_workers
from tests.support.push_service import BrowserKeys, PushServiceStub, b64url

pytestmark = pytest.mark.e2e

PLAYERS, SUBSCRIBED = 12, 3


def _env(pg_url: str, redis_namespace: str, smtp_port: int) -> dict[str, str]:
    return {
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "JOB_QUEUE": "arq",
        "PUSH_SENDER": "webpush",
        "NOTIFICATION_RETRY_BASE_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
    }


class SmtpInbox:
    """aiosmtpd handler keeping (recipient, subject) of every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = str(email.message_from_bytes(envelope.content)["Subject"])
        self.messages += [(recipient, subject) for recipient in envelope.rcpt_tos]
        return "250 OK"

    def titled(self, subject: str) -> list[str]:
        return [recipient for recipient, title in self.messages if title == subject]

    def recipients_of(self, subject: str) -> list[str]:
        return list(dict.fromkeys(self.titled(subject)))


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    inbox, port = SmtpInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def _until_started(logs: list[Path]) -> None:
    """Each worker has opened its container: its development VAPID key appeared in its VAR_DIR (arq polls next,
    and a job queued before it polls waits in Redis for it)."""
    async with asyncio.timeout(60):
        while not all((log.parent / "vapid" / "private_key.pem").exists() for log in logs):  # noqa: ASYNC110
            await asyncio.sleep(0.2)


async def _tier_of_players(client: Any, count: int) -> tuple[int, list[dict[str, Any]]]:
    tier = random.randint(10_000, 10**9)
    players = [await sign_up(client, email=f"{unique('c')}@example.test") for _ in range(count)]
    ids = [(await client.get("/api/auth/me", headers=bearer(p))).json()["id"] for p in players]
    container = client.app.state.container

    async def move() -> None:
        async with container.uow_factory() as uow:
            for user_id in ids:
                user = await uow.users.get(user_id)
                user.vip_tier = tier
                await uow.users.update(user)
            await uow.commit()

    await in_app(client, move)
    return tier, players


async def _schedule(client: Any, admin: dict[str, Any], tier: int, title: str, at: datetime) -> str:
    body = {"title": title, "body": "Spin now", "channels": ["inbox", "push", "email"],
            "target": {"type": "vip_tier", "value": tier}, "scheduled_at": at.isoformat()}  # fmt: skip
    response = await client.post("/api/admin/campaigns", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    campaign_id: str = response.json()["id"]
    return campaign_id


async def _campaign(client: Any, admin: dict[str, Any], campaign_id: str) -> dict[str, Any]:
    items = (await client.get("/api/admin/campaigns?limit=100", headers=bearer(admin))).json()["items"]
    found: dict[str, Any] = next(item for item in items if item["id"] == campaign_id)
    return found


async def _delivered(
    client: Any, admin: dict[str, Any], campaign: tuple[str, str], mail: SmtpInbox, pushes: PushServiceStub
) -> None:
    """The campaign is done, its emails reached every player and its pushes the push service (one per campaign)."""
    campaign_id, title = campaign
    async with asyncio.timeout(30):
        while (await _campaign(client, admin, campaign_id))["status"] != "done":  # noqa: ASYNC110 - polling
            await asyncio.sleep(0.2)
        while not sum(push.payload["title"] == title for push in pushes.received) >= SUBSCRIBED:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        while len(mail.titled(title)) < PLAYERS:  # noqa: ASYNC110 - SMTP runs on its own thread
            await asyncio.sleep(0.2)


async def test_two_workers_deliver_a_campaign_once_per_player_and_never_a_cancelled_one(
    pg_url: str, redis_namespace: str, tmp_path: Path, olap_dsn: str, smtp_server: tuple[SmtpInbox, int]
) -> None:
    mail, smtp_port = smtp_server
    env = _env(pg_url, redis_namespace, smtp_port)
    admin_site_id = unique("admin")
    app_env = {"VAR_DIR": str(tmp_path / "app"), "CLICKHOUSE_DSN": olap_dsn, "ADMIN_SITE_ID": admin_site_id,
               "ADMIN_PASSWORD": ADMIN_PASSWORD}  # fmt: skip
    settings = load_settings({**env, **app_env}, env_file=None)
    browser = BrowserKeys()
    with started_workers("notifications", env, tmp_path, 2) as workers:
        logs = [worker.log for worker in workers]
        async with AsyncTestClient(create_app(settings)) as client, PushServiceStub(browser) as push_service:
            login = {"site_id": admin_site_id, "password": ADMIN_PASSWORD}
            admin = (await client.post("/api/auth/admin/login", json=login)).json()
            tier, players = await _tier_of_players(client, PLAYERS)
            for index, player in enumerate(players[:SUBSCRIBED]):
                keys = {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}
                subscription = {"endpoint": push_service.endpoint(f"player-{index}"), "keys": keys}
                await client.post("/api/notifications/push/subscribe", headers=bearer(player), json=subscription)
            await _until_started(logs)

            due = datetime.now(UTC) + timedelta(seconds=2)  # time enough to cancel one before it is due
            delivered = await _schedule(client, admin, tier, "Delivered once", due)
            cancelled = await _schedule(client, admin, tier, "Never delivered", due)
            assert (
                await client.post(f"/api/admin/campaigns/{cancelled}/cancel", headers=bearer(admin))
            ).status_code == 200
            await _delivered(client, admin, (delivered, "Delivered once"), mail, push_service)
            # both workers keep dispatching: a campaign due later, delivered in full, means nothing more may arrive
            # (due already: nothing is cancelled before it)
            barrier = await _schedule(client, admin, tier, "Barrier", due + timedelta(milliseconds=100))
            await _delivered(client, admin, (barrier, "Barrier"), mail, push_service)

            inboxes = [(await client.get("/api/notifications", headers=bearer(p))).json()["items"] for p in players]
            done, never = await _campaign(client, admin, delivered), await _campaign(client, admin, cancelled)

    assert [sorted(n["title"] for n in inbox) for inbox in inboxes] == [["Barrier", "Delivered once"]] * PLAYERS
    assert done["progress"] == {"targeted": PLAYERS, "sent": PLAYERS, "failed": 0}
    assert sorted(mail.titled("Delivered once")) == sorted(mail.recipients_of("Delivered once"))
    assert len(set(mail.titled("Delivered once"))) == PLAYERS
    assert mail.titled("Never delivered") == []
    assert (never["status"], never["progress"]["sent"]) == ("cancelled", 0)
    assert push_service.refused == []
    once = [push for push in push_service.received if push.payload["title"] == "Delivered once"]
    assert sorted(push.path for push in once) == [f"/push/player-{i}" for i in range(SUBSCRIBED)]
    assert {push.payload["title"] for push in push_service.received} == {"Delivered once", "Barrier"}
