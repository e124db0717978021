"""Email through a real SMTP server run in the test (aiosmtpd): both parts arrive; the trigger and settings."""

from __future__ import annotations

import asyncio
import email
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.api import bearer, sign_up, unique
from tests.support.processes import free_port


class Inbox:
    """aiosmtpd handler: keeps every message it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    async def wait_for(self, recipient: str, count: int = 1) -> list[Message]:
        while len(mine := [message for to, message in self.messages if recipient in to]) < count:  # noqa: ASYNC110 - the server is on its own thread
            await asyncio.sleep(0.05)
        return mine


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def app_settings(app_settings: dict[str, Any], smtp: tuple[Inbox, int]) -> dict[str, Any]:
    return {**app_settings, "smtp_url": f"smtp://127.0.0.1:{smtp[1]}"}


def _parts(message: Message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
            if not part.is_multipart()}  # fmt: skip


async def _player(client: Any) -> tuple[dict[str, Any], str, str]:
    address = f"{unique('p')}@example.test"
    tokens = await sign_up(client, email=address)
    user_id = (await client.get("/api/auth/me", headers=bearer(tokens))).json()["id"]
    return tokens, user_id, address


async def test_signing_up_with_an_address_sends_the_welcome_email(client: Any, smtp: tuple[Inbox, int]) -> None:
    _, _, address = await _player(client)

    async with asyncio.timeout(15):
        [welcome] = await smtp[0].wait_for(address)

    assert welcome["Subject"].startswith("Welcome to Casino-Club")
    assert welcome.get_content_type() == "multipart/alternative"
    parts = _parts(welcome)
    assert set(parts) == {"text/plain", "text/html"}
    assert "your account is ready" in parts["text/plain"]
    assert "<p>" in parts["text/html"]


async def test_the_trigger_sends_a_template_with_both_parts(
    client: Any, admin: dict[str, Any], smtp: tuple[Inbox, int]
) -> None:
    _, user_id, address = await _player(client)
    body = {"template": "reward", "user_id": user_id,
            "context": {"amount": 250, "currency": "gems", "source": "<launch> bonus"}}  # fmt: skip

    response = await client.post("/api/admin/email/trigger", json=body, headers=bearer(admin))
    async with asyncio.timeout(15):
        messages = await smtp[0].wait_for(address, 2)  # the welcome email and this one

    assert (response.status_code, response.json()) == (200, {"ok": True, "targeted": 1, "sent": 1})
    reward = next(message for message in messages if message["Subject"] == "You received 250 gems")
    parts = _parts(reward)
    assert "250 gems were added to your balance (<launch> bonus)" in parts["text/plain"]
    assert "&lt;launch&gt; bonus" in parts["text/html"]


async def test_email_honours_the_players_settings(client: Any, admin: dict[str, Any]) -> None:
    tokens, user_id, _ = await _player(client)
    await client.put("/api/notifications/settings", json={"email": False}, headers=bearer(tokens))

    response = await client.post("/api/admin/email/trigger", json={"template": "campaign", "user_id": user_id},
                                 headers=bearer(admin))  # fmt: skip

    assert response.json() == {"ok": True, "targeted": 1, "sent": 0}


async def test_a_self_excluded_player_gets_no_triggered_email(client: Any, admin: dict[str, Any]) -> None:
    tokens, user_id, _ = await _player(client)
    excluded = await client.post("/api/limits/self-exclusion", json={"months": 6}, headers=bearer(tokens))

    response = await client.post("/api/admin/email/trigger", json={"template": "campaign", "user_id": user_id},
                                 headers=bearer(admin))  # fmt: skip

    assert excluded.status_code == 200, excluded.text
    assert response.json() == {"ok": True, "targeted": 1, "sent": 0}


async def test_a_segment_targets_a_rank(client: Any, admin: dict[str, Any]) -> None:
    response = await client.post("/api/admin/email/trigger", json={"template": "campaign", "segment": "rank:VIP"},
                                 headers=bearer(admin))  # fmt: skip

    assert response.status_code == 200
    assert response.json()["ok"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"template": "nope", "segment": "everyone"},
        {"template": "welcome"},
        {"template": "welcome", "user_id": "x", "segment": "everyone"},
        {"template": "welcome", "segment": "whales:yes"},
    ],
)
async def test_bad_triggers_are_400(client: Any, admin: dict[str, Any], body: dict[str, Any]) -> None:
    response = await client.post("/api/admin/email/trigger", json=body, headers=bearer(admin))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
