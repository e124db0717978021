"""Profiles (self and public views), rank and admin guards, admin invite codes and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar, get

from src.domain.shared.principal import Rank
from src.entrypoints.http.security import rank_at_least
from tests.support.api import bearer, sign_up

SELF_FIELDS = {
    "id", "site_id", "nickname", "rank", "vip_tier", "is_admin", "balances", "battlepass_level",
    "total_spent_cents", "created_at", "last_login_at",
}  # fmt: skip
PUBLIC_FIELDS = {"id", "nickname", "rank", "vip_tier", "battlepass_level", "created_at"}


@get("/test/premium-lounge", guards=[rank_at_least(Rank.PREMIUM)], sync_to_thread=False)
def premium_lounge() -> dict[str, bool]:
    return {"welcome": True}


async def test_me_and_profile_are_the_same_self_view(client: Any) -> None:
    tokens = await sign_up(client)

    me = (await client.get("/api/auth/me", headers=bearer(tokens))).json()
    profile = (await client.get("/api/users/profile", headers=bearer(tokens))).json()

    assert me == profile
    assert set(me) >= SELF_FIELDS
    assert me["balances"] == {"coins": 1000, "gems": 0}


async def test_public_profile_shows_only_public_fields(client: Any) -> None:
    viewer, subject = await sign_up(client), await sign_up(client)

    sut = (await client.get(f"/api/users/{subject['user']['id']}", headers=bearer(viewer))).json()

    assert set(sut) == PUBLIC_FIELDS
    assert sut["nickname"] == subject["user"]["nickname"]


async def test_unknown_user_is_not_found(client: Any) -> None:
    tokens = await sign_up(client)

    response = await client.get("/api/users/00000000-0000-0000-0000-000000000000", headers=bearer(tokens))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_stats_of_a_new_player(client: Any) -> None:
    tokens = await sign_up(client)

    sut = (await client.get("/api/users/stats", headers=bearer(tokens))).json()

    assert sut == {
        "total_spins": 0, "total_wins": 0, "win_rate": 0.0, "net_coins": 0, "gacha_pulls": 0,
        "purchases": 0, "achievements_unlocked": 0, "current_streak": 0,
    }  # fmt: skip


async def test_rank_guard_names_the_required_and_current_rank(app: Litestar, client: Any) -> None:
    app.register(premium_lounge)
    tokens = await sign_up(client)

    response = await client.get("/test/premium-lounge", headers=bearer(tokens))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "RANK_REQUIRED"
    assert error["details"] == {"required": "PREMIUM", "current": "STANDARD"}


async def test_admin_routes_need_a_token_and_the_admin_role(client: Any) -> None:
    player = await sign_up(client)

    anonymous = await client.get("/api/admin/invite-codes")
    not_admin = await client.get("/api/admin/invite-codes", headers=bearer(player))
    audit = await client.get("/api/admin/audit/logs", headers=bearer(player))

    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "UNAUTHORIZED")
    assert (not_admin.status_code, not_admin.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert audit.status_code == 403


async def test_admin_creates_unguessable_invite_codes(client: Any, admin: dict[str, Any]) -> None:
    codes = [
        (await client.post("/api/admin/invite-codes", json={"max_uses": 5}, headers=bearer(admin))).json()["code"]
        for _ in range(5)
    ]

    assert len(set(codes)) == 5
    assert all(len(code) >= 8 for code in codes)


async def test_invalid_invite_parameters_are_refused(client: Any, admin: dict[str, Any]) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    naive = datetime.now().replace(microsecond=0).isoformat()

    for body in ({"max_uses": 0}, {"expires_at": past}, {"expires_at": naive}, {"max_uses": "many"}):
        response = await client.post("/api/admin/invite-codes", json=body, headers=bearer(admin))
        assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR"), body


async def test_invite_list_pages_newest_first(client: Any, admin: dict[str, Any]) -> None:
    """Pages of two, newest first, until the three codes made here are all seen: other modules sharing the database
    may have made codes too (some at a moved clock's later time), so ours are checked in the order they come."""
    created = [
        (await client.post("/api/admin/invite-codes", json={}, headers=bearer(admin))).json()["code"] for _ in range(3)
    ]

    listed: list[dict[str, Any]] = []
    query = "limit=2"
    while not set(created) <= {item["code"] for item in listed}:
        page = (await client.get(f"/api/admin/invite-codes?{query}", headers=bearer(admin))).json()
        listed += page["items"]
        assert page["next_cursor"] or set(created) <= {item["code"] for item in listed}, "our codes never came"
        query = f"limit=2&cursor={page['next_cursor']}"

    codes = [item["code"] for item in listed]
    assert [code for code in codes if code in created] == list(reversed(created))
    assert len(set(codes)) == len(codes)
    stamps = [item["created_at"] for item in listed]
    assert stamps == sorted(stamps, reverse=True)


async def test_bad_list_parameters_are_validation_errors(client: Any, admin: dict[str, Any]) -> None:
    for query in ("limit=0", "limit=101", "limit=ten", "cursor=%%%"):
        response = await client.get(f"/api/admin/invite-codes?{query}", headers=bearer(admin))
        assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR"), query


async def test_admin_actions_are_audited_and_filterable(client: Any, admin: dict[str, Any]) -> None:
    admin_id = admin["user"]["id"]
    started = datetime.now(UTC) - timedelta(seconds=1)
    code = (await client.post("/api/admin/invite-codes", json={"max_uses": 2}, headers=bearer(admin))).json()["code"]

    query = f"action=invite_code.create&admin_id={admin_id}&from={started.isoformat().replace('+00:00', 'Z')}"
    logs = (await client.get(f"/api/admin/audit/logs?{query}", headers=bearer(admin))).json()["items"]
    other_action = (await client.get("/api/admin/audit/logs?action=user.status", headers=bearer(admin))).json()

    [entry] = [item for item in logs if item["target_id"] == code]
    assert entry["admin_id"] == admin_id
    assert entry["payload"] == {"expires_at": None, "max_uses": 2}
    assert entry["ip"]
    assert all(item["action"] == "user.status" for item in other_action["items"])


async def test_stats_and_the_self_view_count_purchases_spending_and_the_streak(client: Any) -> None:
    player = await sign_up(client)
    bought = await client.post(
        "/api/shop/buy",
        json={"sku": "gems_100", "card_token": "tok_visa"},
        headers={**bearer(player), "Idempotency-Key": "stats-buy-1"},
    )
    declined = await client.post(
        "/api/shop/buy",
        json={"sku": "gems_100", "card_token": "tok_declined"},
        headers={**bearer(player), "Idempotency-Key": "stats-buy-2"},
    )
    ticked = await client.post("/api/streak/tick", headers=bearer(player))

    stats = (await client.get("/api/users/stats", headers=bearer(player))).json()
    me = (await client.get("/api/auth/me", headers=bearer(player))).json()

    assert (bought.status_code, declined.status_code, ticked.status_code) == (200, 402, 200)
    assert (stats["purchases"], stats["current_streak"]) == (1, 1)
    assert me["total_spent_cents"] == bought.json()["amount_cents"] > 0
