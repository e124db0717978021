"""Contract of the PushSender port: RecordingPushSender and WebPushSender deliver the same pushes.

The tests at the end are WebPushSender's own: what the push service sees (VAPID) and how its answers and its
absence come back as outcomes.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from src.adapters.webpush.sender import WebPushSender
from src.adapters.webpush.vapid import VapidKeys
from src.application.notifications.ports import PushMessage, PushOutcome, PushSubscription
from tests.contract.push.conftest import CONTACT, SUBSCRIBED_AT, Arrived, PushUnderTest
from tests.support.processes import free_port
from tests.support.push_service import BrowserKeys, PushServiceStub, b64url

GIFT = PushMessage(b'{"title":"A gift \\u2014 100 coins","body":"Gr\\u00fc\\u00dfe","url":"/wallet"}', 3600, "high")


async def test_the_public_key_is_the_vapid_application_server_key(push: PushUnderTest) -> None:
    raw = base64.urlsafe_b64decode(push.sut.public_key + "==")

    assert push.sut.public_key == push.keys.application_server_key
    assert (len(raw), raw[0]) == (65, 4)  # an uncompressed P-256 point


async def test_a_push_is_delivered_once_to_its_endpoint_with_payload_ttl_and_urgency(push: PushUnderTest) -> None:
    subscription = push.subscribe("phone", "u1")

    result = await push.sut.send(subscription, GIFT)

    assert result.outcome is PushOutcome.DELIVERED
    assert 200 <= (result.status or 0) < 300
    assert push.arrived() == [
        Arrived(subscription.endpoint, {"title": "A gift — 100 coins", "body": "Grüße", "url": "/wallet"}, 3600, "high")
    ]


async def test_each_push_reaches_only_its_own_subscription_in_the_order_sent(push: PushUnderTest) -> None:
    phone, laptop = push.subscribe("phone", "u1"), push.subscribe("laptop", "u2")

    for n, subscription in enumerate([phone, laptop, phone]):
        result = await push.sut.send(subscription, PushMessage(f'{{"n":{n}}}'.encode(), 60, "low"))
        assert result.outcome is PushOutcome.DELIVERED

    arrived = push.arrived()
    assert [(item.endpoint, item.payload["n"]) for item in arrived] == [
        (phone.endpoint, 0),
        (laptop.endpoint, 1),
        (phone.endpoint, 2),
    ]
    assert {(item.ttl_seconds, item.urgency) for item in arrived} == {(60, "low")}


# --- WebPushSender only ----------------------------------------------------------------------------------------------


async def test_the_push_service_sees_a_vapid_jwt_for_its_origin_signed_by_our_key(
    push_service_stub: PushServiceStub,
) -> None:
    keys = VapidKeys.generate()
    async with push_service_stub as stub, httpx.AsyncClient(timeout=10) as client:
        subscription = PushSubscription(
            stub.endpoint("phone"), "u1", stub.browser.p256dh, b64url(stub.browser.auth), SUBSCRIBED_AT
        )
        await WebPushSender(keys, CONTACT, client).send(subscription, GIFT)

    [received] = stub.received
    assert stub.refused == []
    assert received.vapid_key == keys.application_server_key
    assert (received.claims["aud"], received.claims["sub"]) == ("http://127.0.0.1", f"mailto:{CONTACT}")


@pytest.mark.parametrize(
    ("status", "outcome"), [(410, PushOutcome.GONE), (429, PushOutcome.RETRY), (400, PushOutcome.REJECTED)]
)
async def test_the_push_services_answer_becomes_the_outcome(
    push_service_stub: PushServiceStub, status: int, outcome: PushOutcome
) -> None:
    push_service_stub.answers.append(status)
    async with push_service_stub as stub, httpx.AsyncClient(timeout=10) as client:
        subscription = PushSubscription(
            stub.endpoint("phone"), "u1", stub.browser.p256dh, b64url(stub.browser.auth), SUBSCRIBED_AT
        )
        result = await WebPushSender(VapidKeys.generate(), CONTACT, client).send(subscription, GIFT)

    assert (result.outcome, result.status) == (outcome, status)


async def test_an_unreachable_push_service_is_retried_later() -> None:
    browser = BrowserKeys()
    endpoint = f"http://127.0.0.1:{free_port()}/push/phone"
    subscription = PushSubscription(endpoint, "u1", browser.p256dh, b64url(browser.auth), SUBSCRIBED_AT)
    async with httpx.AsyncClient(timeout=10) as client:
        result = await WebPushSender(VapidKeys.generate(), CONTACT, client).send(subscription, GIFT)

    assert (result.outcome, result.status) == (PushOutcome.RETRY, None)
