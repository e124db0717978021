"""The PushSender contract runs against RecordingPushSender (JSON files) and WebPushSender, which sends to the
local push service of tests/support/push_service.py (it checks the VAPID JWT and decrypts each payload).

Both have handed a push over when `send` returns, so a test reads what arrived right after sending.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from src.adapters.webpush.sender import RecordingPushSender, WebPushSender
from src.adapters.webpush.vapid import VapidKeys
from src.application.notifications.ports import PushSender, PushSubscription
from tests.support.push_service import BrowserKeys, PushServiceStub, b64url

CONTACT = "ops@casino-club.test"
SUBSCRIBED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Arrived:
    endpoint: str
    payload: dict[str, Any]
    ttl_seconds: int
    urgency: str


@dataclass
class PushUnderTest:
    sut: PushSender
    keys: VapidKeys
    subscribe: Callable[[str, str], PushSubscription]
    """(name, user id) → a subscription whose endpoint this adapter can reach."""
    arrived: Callable[[], list[Arrived]]
    """Every push handed over so far, in the order sent."""


def _recorded(directory: Path) -> list[Arrived]:
    records = [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))] if directory.exists() else []
    return [Arrived(r["endpoint"], r["payload"], r["ttl"], r["urgency"]) for r in records]


@pytest.fixture
def push_service_stub() -> PushServiceStub:
    return PushServiceStub(BrowserKeys())


@pytest_asyncio.fixture(params=["recording", "webpush"])
async def push(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PushUnderTest]:
    keys = VapidKeys.generate()
    if request.param == "recording":
        directory = tmp_path / "push"

        def anywhere(name: str, user_id: str) -> PushSubscription:
            return PushSubscription(f"https://push.example/{name}", user_id, "p256dh", "auth", SUBSCRIBED_AT)

        yield PushUnderTest(RecordingPushSender(keys, directory), keys, anywhere, lambda: _recorded(directory))
        return
    stub: PushServiceStub = request.getfixturevalue("push_service_stub")
    async with stub, httpx.AsyncClient(timeout=10) as client:

        def at_the_stub(name: str, user_id: str) -> PushSubscription:
            browser = stub.browser
            return PushSubscription(stub.endpoint(name), user_id, browser.p256dh, b64url(browser.auth), SUBSCRIBED_AT)

        def received() -> list[Arrived]:
            return [
                Arrived(f"http://127.0.0.1:{stub.port}{push.path}", push.payload, int(push.headers["ttl"]),
                        push.headers["urgency"])
                for push in stub.received
            ]  # fmt: skip

        yield PushUnderTest(WebPushSender(keys, CONTACT, client), keys, at_the_stub, received)
