"""Admin user routes: search, detail, rank/VIP tier/status changes, soft delete, activity (PostgreSQL and Redis)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from src.domain.shared.principal import Rank
from src.entrypoints.http.security import rank_at_least
from tests.api.games.helpers import spin_ok
from tests.support.api import PASSWORD, bearer, log_in, sign_up, unique

USERS = "/api/admin/users"


@get("/test/vip-room", guards=[rank_at_least(Rank.PREMIUM)], sync_to_thread=False)
def vip_room() -> dict[str, bool]:
    """A route guarded by the rank in the request's principal (the cached session state), not the database."""
    return {"welcome": True}


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def _patch(client: AsyncTestClient[Litestar], admin: dict[str, Any], user_id: str, **body: Any) -> Any:
    return await client.patch(f"{USERS}/{user_id}", json=body, headers=bearer(admin))


async def test_search_finds_accounts_by_part_of_the_site_id_or_nickname_newest_first(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    token = unique("q")[:10]
    first = await sign_up(client, site_id=f"{token}a")
    second = await sign_up(client, nickname=f"Nick{token.upper()}")
    await sign_up(client)

    page = (await client.get(f"{USERS}?q={token}&limit=1", headers=bearer(admin))).json()
    rest = (await client.get(f"{USERS}?q={token}&cursor={page['next_cursor']}", headers=bearer(admin))).json()

    assert [item["id"] for item in page["items"] + rest["items"]] == [second["user"]["id"], first["user"]["id"]]
    assert rest["next_cursor"] is None
    assert page["items"][0]["site_id"] == second["user"]["site_id"]
    assert "password_hash" not in page["items"][0]


async def test_search_filters_by_rank_and_status_and_refuses_unknown_values(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    token = unique("f")[:10]
    vip, banned = await sign_up(client, site_id=f"{token}v"), await sign_up(client, site_id=f"{token}b")
    await _patch(client, admin, vip["user"]["id"], rank="VIP")
    await _patch(client, admin, banned["user"]["id"], status="banned")

    by_rank = (await client.get(f"{USERS}?q={token}&rank=VIP", headers=bearer(admin))).json()["items"]
    by_status = (await client.get(f"{USERS}?q={token}&status=banned", headers=bearer(admin))).json()["items"]

    assert [item["id"] for item in by_rank] == [vip["user"]["id"]]
    assert [item["id"] for item in by_status] == [banned["user"]["id"]]
    for query in ("rank=GOLD", "status=gone", "deleted=maybe", "limit=0", "cursor=%%%", f"q={'x' * 65}"):
        assert _error(await client.get(f"{USERS}?{query}", headers=bearer(admin))) == (400, "VALIDATION_ERROR"), query


async def test_detail_joins_the_account_with_its_balances_and_live_sessions(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client, email="player@example.com")
    await log_in(client, player["user"]["site_id"])

    sut = (await client.get(f"{USERS}/{player['user']['id']}", headers=bearer(admin))).json()
    unknown = await client.get(f"{USERS}/00000000-0000-0000-0000-000000000000", headers=bearer(admin))

    assert sut["email"] == "player@example.com"
    assert sut["live_sessions"] == 2
    assert sut["status"] == "active"
    assert sut["deleted_at"] is None
    assert set(sut["balances"]) == {"coins", "gems"}
    assert sut["restriction"] is None
    assert _error(unknown) == (404, "NOT_FOUND")


async def test_detail_shows_a_restriction_in_force_and_the_admin_cannot_lift_it(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    excluded = await client.post("/api/limits/self-exclusion", json={"months": 12}, headers=bearer(player))

    sut = (await client.get(f"{USERS}/{player['user']['id']}", headers=bearer(admin))).json()
    lift = await client.patch(f"{USERS}/{player['user']['id']}", json={"restriction": None}, headers=bearer(admin))

    assert excluded.status_code == 200, excluded.text
    assert sut["restriction"] == excluded.json()
    assert _error(lift) == (400, "VALIDATION_ERROR")
    pull = await client.post("/api/games/gacha/pull", json={"count": 1}, headers=bearer(player))
    assert (pull.status_code, pull.json()["error"]["code"]) == (403, "SELF_EXCLUDED")


async def test_a_rank_change_takes_effect_on_the_players_next_request(
    app: Litestar, client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    app.register(vip_room)
    player = await sign_up(client)
    before = await client.get("/test/vip-room", headers=bearer(player))  # the session state is cached now

    response = await _patch(client, admin, player["user"]["id"], rank="PREMIUM", vip_tier=2, reason="loyalty")
    after = await client.get("/test/vip-room", headers=bearer(player))
    me = (await client.get("/api/auth/me", headers=bearer(player))).json()

    assert _error(before) == (403, "RANK_REQUIRED")
    assert response.status_code == 200
    assert (response.json()["rank"], response.json()["vip_tier"]) == ("PREMIUM", 2)
    assert after.status_code == 200
    assert (me["rank"], me["vip_tier"]) == ("PREMIUM", 2)


async def test_suspending_ends_every_session_at_once_and_reactivating_lets_the_player_back(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    user_id, site_id = player["user"]["id"], player["user"]["site_id"]

    suspended = await _patch(client, admin, user_id, status="suspended", reason="chargeback review")
    refused_token = await client.get("/api/auth/me", headers=bearer(player))
    refused_login = await log_in(client, site_id)
    await _patch(client, admin, user_id, status="active")
    back = await log_in(client, site_id, PASSWORD)

    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["live_sessions"] == 0
    assert _error(refused_token) == (401, "TOKEN_REVOKED")
    assert _error(refused_login) == (403, "ACCOUNT_SUSPENDED")
    assert back.status_code == 200


async def test_changes_are_audited_with_what_changed_and_a_repeat_changes_nothing(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]

    await _patch(client, admin, user_id, rank="VIP", reason="whale")
    await _patch(client, admin, user_id, rank="VIP", reason="again")
    logs = (await client.get(f"/api/admin/audit/logs?action=user.update&admin_id={admin['user']['id']}",
                             headers=bearer(admin))).json()["items"]  # fmt: skip

    [entry] = [item for item in logs if item["target_id"] == user_id]
    assert entry["payload"] == {"changes": {"rank": {"from": "STANDARD", "to": "VIP"}}, "reason": "whale"}
    assert entry["ip"]


async def test_bad_changes_are_refused(client: AsyncTestClient[Litestar], admin: dict[str, Any]) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]

    for body in ({}, {"rank": "GOLD"}, {"status": "deleted"}, {"vip_tier": -1}, {"vip_tier": 11},
                 {"is_admin": True}, {"rank": "VIP", "nickname": "x"}, {"reason": "only a reason"}):  # fmt: skip
        response = await client.patch(f"{USERS}/{user_id}", json=body, headers=bearer(admin))
        assert _error(response) == (400, "VALIDATION_ERROR"), body
    unknown = await _patch(client, admin, "no-such-user", rank="VIP")
    self_ban = await _patch(client, admin, admin["user"]["id"], status="banned")
    player_call = await client.patch(f"{USERS}/{user_id}", json={"rank": "VIP"}, headers=bearer(player))

    assert _error(unknown) == (404, "NOT_FOUND")
    assert _error(self_ban) == (403, "FORBIDDEN")
    assert _error(player_call) == (403, "FORBIDDEN")
    assert (await client.get("/api/auth/me", headers=bearer(player))).json()["rank"] == "STANDARD"


async def test_soft_delete_ends_sign_in_and_the_public_view_and_keeps_the_record(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player, viewer = await sign_up(client), await sign_up(client)
    user_id, site_id = player["user"]["id"], player["user"]["site_id"]

    deleted = await client.delete(f"{USERS}/{user_id}?reason=requested by the player", headers=bearer(admin))
    again = await client.delete(f"{USERS}/{user_id}", headers=bearer(admin))

    assert deleted.status_code == again.status_code == 204
    assert _error(await client.get("/api/auth/me", headers=bearer(player))) == (401, "TOKEN_REVOKED")
    assert _error(await log_in(client, site_id)) == (401, "INVALID_CREDENTIALS")
    assert _error(await client.get(f"/api/users/{user_id}", headers=bearer(viewer))) == (404, "NOT_FOUND")
    record = (await client.get(f"{USERS}/{user_id}", headers=bearer(admin))).json()
    assert record["deleted_at"] is not None
    listed = (await client.get(f"{USERS}?q={user_id}", headers=bearer(admin))).json()["items"]
    listed_deleted = (await client.get(f"{USERS}?q={user_id}&deleted=true", headers=bearer(admin))).json()["items"]
    assert (listed, [item["id"] for item in listed_deleted]) == ([], [user_id])
    assert _error(await _patch(client, admin, user_id, rank="VIP")) == (404, "NOT_FOUND")
    assert _error(await client.delete(f"{USERS}/{admin['user']['id']}", headers=bearer(admin))) == (403, "FORBIDDEN")


async def test_activity_is_one_timeline_of_sign_ins_plays_purchases_and_admin_actions_in_pages(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]
    await _patch(client, admin, user_id, vip_tier=1)
    await spin_ok(client, player, bet=10)
    bought = await client.post(
        "/api/shop/buy",
        json={"sku": "gems_100", "card_token": "tok_visa"},
        headers={**bearer(player), "Idempotency-Key": unique("k")},
    )
    await log_in(client, player["user"]["site_id"])
    await _patch(client, admin, user_id, status="suspended")

    first = (await client.get(f"{USERS}/{user_id}/actions?limit=4", headers=bearer(admin))).json()
    rest = (await client.get(f"{USERS}/{user_id}/actions?cursor={first['next_cursor']}", headers=bearer(admin))).json()
    items = first["items"] + rest["items"]

    assert [item["kind"] for item in items] == [
        "admin_action", "sign_in", "purchase", "play", "admin_action", "sign_in",
    ]  # fmt: skip
    assert items[0]["details"]["changes"] == {"status": {"from": "active", "to": "suspended"}}
    assert items[0]["details"]["admin_id"] == admin["user"]["id"]
    assert items[1]["details"]["end_reason"] == "account_suspended"
    assert (items[2]["id"], items[2]["details"]["sku"]) == (bought.json()["transaction_id"], "gems_100")
    assert (items[3]["details"]["game_type"], items[3]["details"]["bet"]) == ("slot", 10)
    assert rest["next_cursor"] is None
    assert len({item["id"] for item in items}) == len(items)
    stamps = [item["at"] for item in items]
    assert stamps == sorted(stamps, reverse=True)
    assert _error(await client.get(f"{USERS}/nobody/actions", headers=bearer(admin))) == (404, "NOT_FOUND")
    assert _error(await client.get(f"{USERS}/{user_id}/actions?cursor=%%%", headers=bearer(admin))) == (
        400,
        "VALIDATION_ERROR",
    )
