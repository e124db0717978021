"""GET /api/notifications (filters, paging), unread count, read one (others' → 404), read all; admin send."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.api import bearer, sign_up


async def _me(client: Any, tokens: dict[str, Any]) -> str:
    user_id: str = (await client.get("/api/auth/me", headers=bearer(tokens))).json()["id"]
    return user_id


async def _send(client: Any, admin: dict[str, Any], user_id: str, **fields: Any) -> Any:
    body = {"target": {"type": "user", "value": user_id}, "channels": ["inbox"], "title": "Hello", **fields}
    response = await client.post("/api/admin/notifications/send", json=body, headers=bearer(admin))
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_admin_message_lands_in_the_inbox_unread(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = await _me(client, player)

    sent = await _send(client, admin, user_id, body="Welcome aboard", type="system", data={"k": 1})

    inbox = (await client.get("/api/notifications", headers=bearer(player))).json()
    count = (await client.get("/api/notifications/unread-count", headers=bearer(player))).json()
    assert (sent["targeted"], sent["inbox"]) == (1, 1)
    assert [(n["title"], n["body"], n["type"], n["read"]) for n in inbox["items"]] == [
        ("Hello", "Welcome aboard", "system", False)
    ]
    assert inbox["items"][0]["data"]["k"] == 1
    assert inbox["next_cursor"] is None
    assert count == {"count": 1}


async def test_filters_and_cursor_pages(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = await _me(client, player)
    for index in range(3):
        await _send(client, admin, user_id, title=f"n{index}", type="reward" if index != 1 else "system")

    first = (await client.get("/api/notifications?limit=2", headers=bearer(player))).json()
    rest = (await client.get(f"/api/notifications?cursor={first['next_cursor']}", headers=bearer(player))).json()
    rewards = (await client.get("/api/notifications?type=reward", headers=bearer(player))).json()

    assert [n["title"] for n in first["items"] + rest["items"]] == ["n2", "n1", "n0"]
    assert [n["title"] for n in rewards["items"]] == ["n2", "n0"]


async def test_read_one_then_all(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = await _me(client, player)
    for index in range(3):
        await _send(client, admin, user_id, title=f"n{index}")
    newest = (await client.get("/api/notifications", headers=bearer(player))).json()["items"][0]

    read = await client.post(f"/api/notifications/{newest['id']}/read", headers=bearer(player))
    unread = (await client.get("/api/notifications?unread_only=true", headers=bearer(player))).json()
    all_read = await client.post("/api/notifications/read-all", headers=bearer(player))
    count = (await client.get("/api/notifications/unread-count", headers=bearer(player))).json()

    assert (read.status_code, read.json()["read"]) == (200, True)
    assert [n["title"] for n in unread["items"]] == ["n1", "n0"]
    assert (all_read.status_code, all_read.json()) == (200, {"updated": 2})
    assert count == {"count": 0}


async def test_another_players_notification_is_not_found(client: Any, admin: dict[str, Any]) -> None:
    owner, other = await sign_up(client), await sign_up(client)
    await _send(client, admin, await _me(client, owner))
    notification = (await client.get("/api/notifications", headers=bearer(owner))).json()["items"][0]

    response = await client.post(f"/api/notifications/{notification['id']}/read", headers=bearer(other))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")
    owner_view = (await client.get("/api/notifications", headers=bearer(owner))).json()["items"][0]
    assert owner_view["read"] is False


async def test_players_cannot_send_and_bad_sends_are_400(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    body = {"target": {"type": "everyone"}, "channels": ["inbox"], "title": "x"}

    forbidden = await client.post("/api/admin/notifications/send", json=body, headers=bearer(player))
    bad_channel = await client.post(
        "/api/admin/notifications/send", json={**body, "channels": ["pigeon"]}, headers=bearer(admin)
    )
    bad_rank = await client.post(
        "/api/admin/notifications/send",
        json={**body, "target": {"type": "rank", "value": "GOD"}},
        headers=bearer(admin),
    )

    assert forbidden.status_code == 403
    assert (bad_channel.status_code, bad_channel.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (bad_rank.status_code, bad_rank.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_a_send_is_audit_logged(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    sent = await _send(client, admin, await _me(client, player), title="Audited")

    audit = (await client.get("/api/admin/audit/logs?action=notification.send", headers=bearer(admin))).json()

    entry = next(item for item in audit["items"] if item["target_id"] == sent["id"])
    assert entry["payload"]["title"] == "Audited"


async def test_a_grant_becomes_a_reward_notification(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = await _me(client, player)
    headers = {**bearer(admin), "idempotency-key": f"grant-{user_id}"}
    body = {"currency": "gems", "amount": 40, "reason": "sorry for the outage"}

    granted = await client.post(f"/api/admin/users/{user_id}/grant", json=body, headers=headers)
    async with asyncio.timeout(10):
        while not (items := (await client.get("/api/notifications", headers=bearer(player))).json()["items"]):  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    assert granted.status_code in (200, 201), granted.text
    assert [(n["type"], n["title"], n["body"]) for n in items] == [
        ("reward", "You received 40 gems", "From: sorry for the outage")
    ]
