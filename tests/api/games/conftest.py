"""Games API fixtures: the app with its outbox relay driven by the tests, a fresh player, odds put back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.games.helpers import deliver_events, get_json
from tests.support.api import bearer, sign_up

SLOT_ODDS = "/api/admin/slot/config"
GACHA_ODDS = "/api/admin/gacha/config"


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """As in tests/api, without the background relay: events are delivered when a test drains the outbox
    (signup still drains it itself), so boards are deterministic, and shutdown cannot hang on a relay
    that swallowed its cancellation (`OutboxRelay.run_forever` under `asyncio.wait_for` on Python 3.11)."""
    return {"outbox_relay_in_app": "false"}


@pytest.fixture(autouse=True)
async def outbox_delivered(client: Any, container: Any) -> AsyncIterator[None]:
    """Leave no event behind: the outbox is shared by the session, and another test's relay would deliver it."""
    yield
    await deliver_events(client, container)


@pytest.fixture
async def player(client: Any) -> dict[str, Any]:
    """A new player's tokens: 1000 coins, 0 gems."""
    return await sign_up(client)


def gacha_body(published: dict[str, Any]) -> dict[str, Any]:
    """The PUT shape of a published gacha config (costs are published by count)."""
    return {
        "rates": published["rates"],
        "pools": published["pools"],
        "single_cost": published["costs"]["1"],
        "ten_cost": published["costs"]["10"],
        "pity_threshold": published["pity_threshold"],
        "near_miss_rate": published["near_miss_rate"],
    }


@pytest.fixture
async def restore_odds(client: Any, admin: dict[str, Any]) -> AsyncIterator[None]:
    """The odds live in the session's shared database: whatever a test publishes is undone afterwards."""
    slot = await get_json(client, SLOT_ODDS, admin)
    gacha = await get_json(client, GACHA_ODDS, admin)
    yield
    for url, body in ((SLOT_ODDS, slot), (GACHA_ODDS, gacha_body(gacha))):
        response = await client.put(url, json=body, headers=bearer(admin))
        assert response.status_code == 200, response.text
