"""GET/PUT /api/notifications/settings: defaults, partial changes, validation, and quiet hours in the player's
timezone holding back push and email while the inbox keeps the notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.api import bearer, sign_up, unique

DEFAULT_TYPES = {"reward": True, "purchase": True, "achievement": True, "streak": True, "campaign": True,
                 "system": True}  # fmt: skip


async def test_a_new_player_has_everything_on(client: Any) -> None:
    player = await sign_up(client)

    response = await client.get("/api/notifications/settings", headers=bearer(player))

    assert response.json() == {"types_enabled": DEFAULT_TYPES, "dnd": None, "email": True, "push": True,
                               "timezone": "UTC"}  # fmt: skip


async def test_put_changes_the_given_fields_and_keeps_the_rest(client: Any) -> None:
    player = await sign_up(client)
    change = {"types_enabled": {"reward": False}, "dnd": {"start": "23:00", "end": "08:00"}, "email": False,
              "timezone": "Europe/Berlin"}  # fmt: skip

    put = await client.put("/api/notifications/settings", json=change, headers=bearer(player))
    cleared = await client.put("/api/notifications/settings", json={"dnd": None}, headers=bearer(player))
    stored = (await client.get("/api/notifications/settings", headers=bearer(player))).json()

    assert put.json() == {"types_enabled": {**DEFAULT_TYPES, "reward": False},
                          "dnd": {"start": "23:00", "end": "08:00"}, "email": False, "push": True,
                          "timezone": "Europe/Berlin"}  # fmt: skip
    assert cleared.json()["dnd"] is None
    assert stored == {**put.json(), "dnd": None}


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"dnd": {"start": "25:00", "end": "08:00"}},
        {"dnd": {"start": "7:00", "end": "08:00"}},
        {"types_enabled": {"lottery": True}},
        {"email": "yes"},
    ],
)
async def test_bad_settings_are_400(client: Any, change: dict[str, Any]) -> None:
    player = await sign_up(client)

    response = await client.put("/api/notifications/settings", json=change, headers=bearer(player))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


def _window_around_now(zone: str, inside: bool) -> dict[str, str]:
    """A one-hour window that contains the player's local now (or ended an hour ago), crossing midnight or not."""
    local = datetime.now(UTC).astimezone(ZoneInfo(zone))
    start = local - timedelta(minutes=30) if inside else local - timedelta(hours=2)
    return {"start": start.strftime("%H:%M"), "end": (start + timedelta(hours=1)).strftime("%H:%M")}


@pytest.mark.parametrize(("zone", "inside"), [("Pacific/Kiritimati", True), ("America/Adak", True),
                                              ("Asia/Kolkata", False)])  # fmt: skip
async def test_quiet_hours_in_the_players_timezone_hold_back_email_not_the_inbox(
    client: Any, admin: dict[str, Any], zone: str, inside: bool
) -> None:
    player = await sign_up(client, email=f"{unique('q')}@example.test")
    user_id = (await client.get("/api/auth/me", headers=bearer(player))).json()["id"]
    change = {"timezone": zone, "dnd": _window_around_now(zone, inside)}
    await client.put("/api/notifications/settings", json=change, headers=bearer(player))
    body = {"target": {"type": "user", "value": user_id}, "channels": ["inbox", "email"], "title": "Night"}

    sent = (await client.post("/api/admin/notifications/send", json=body, headers=bearer(admin))).json()

    assert (sent["inbox"], sent["email_queued"]) == (1, 0 if inside else 1)
