"""Logout, logout everywhere, and the sessions list: only your own."""

from __future__ import annotations

from typing import Any

from tests.support.api import bearer, log_in, sign_up


async def _me_status(client: Any, tokens: dict[str, Any]) -> tuple[int, str | None]:
    response = await client.get("/api/auth/me", headers=bearer(tokens))
    return response.status_code, response.json().get("error", {}).get("code")


async def test_logout_stops_the_access_token_at_once(client: Any) -> None:
    tokens = await sign_up(client)
    assert await _me_status(client, tokens) == (200, None)

    response = await client.post("/api/auth/logout", headers=bearer(tokens), json={})

    assert response.status_code == 204
    assert await _me_status(client, tokens) == (401, "TOKEN_REVOKED")
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_logout_leaves_other_sessions_alive(client: Any) -> None:
    first = await sign_up(client)
    second = (await log_in(client, first["user"]["site_id"])).json()

    await client.post("/api/auth/logout", headers=bearer(first))

    assert await _me_status(client, second) == (200, None)


async def test_logout_all_ends_every_session(client: Any) -> None:
    first = await sign_up(client)
    second = (await log_in(client, first["user"]["site_id"])).json()

    response = await client.post("/api/auth/logout-all", headers=bearer(second))

    assert response.status_code == 204
    assert await _me_status(client, first) == (401, "TOKEN_REVOKED")
    assert await _me_status(client, second) == (401, "TOKEN_REVOKED")


async def test_sessions_list_marks_the_current_one(client: Any) -> None:
    chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
    first = await sign_up(client)
    second = (
        await client.post(
            "/api/auth/login",
            json={"site_id": first["user"]["site_id"], "password": "plum-orbit-canyon-42"},
            headers={"user-agent": chrome},
        )
    ).json()

    sut = (await client.get("/api/auth/sessions", headers=bearer(second))).json()

    assert len(sut["items"]) == 2
    current = [item for item in sut["items"] if item["current"]]
    assert len(current) == 1
    assert current[0]["device"] == "Chrome on Windows"
    assert {"id", "ip", "created_at", "last_used_at"} <= set(current[0])


async def test_revoking_one_of_your_sessions(client: Any) -> None:
    first = await sign_up(client)
    second = (await log_in(client, first["user"]["site_id"])).json()
    sessions = (await client.get("/api/auth/sessions", headers=bearer(second))).json()["items"]
    other_id = next(item["id"] for item in sessions if not item["current"])

    response = await client.delete(f"/api/auth/sessions/{other_id}", headers=bearer(second))

    assert response.status_code == 204
    assert await _me_status(client, first) == (401, "TOKEN_REVOKED")
    assert await _me_status(client, second) == (200, None)


async def test_you_cannot_see_or_revoke_another_users_session(client: Any) -> None:
    alice, mallory = await sign_up(client), await sign_up(client)
    alice_session = (await client.get("/api/auth/sessions", headers=bearer(alice))).json()["items"][0]["id"]

    listed = (await client.get("/api/auth/sessions", headers=bearer(mallory))).json()["items"]
    response = await client.delete(f"/api/auth/sessions/{alice_session}", headers=bearer(mallory))

    assert alice_session not in [item["id"] for item in listed]
    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert await _me_status(client, alice) == (200, None)


async def test_logout_needs_a_token(client: Any) -> None:
    response = await client.post("/api/auth/logout")

    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHORIZED")
