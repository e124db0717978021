"""WS /api/realtime/ws on PostgreSQL + Redis: who may connect, what a player receives, resume, closing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient

from tests.api.realtime.conftest import OpenClient
from tests.support.api import bearer, log_in, sign_up
from tests.support.realtime import (
    GRANT_FRAMES,
    GRANT_TYPES,
    WS,
    close_code,
    events,
    grant,
    log_in_admin,
    receive,
    receive_nothing_for,
    settle,
)

# An app each: a module app would keep polling the outbox of the shared database beside the apps these tests
# open with settings of their own (another Redis namespace, so another relay lock), delivering their events
# too: to its own sockets (a frame never arrives) or at once with theirs (a frame arrives twice).
pytestmark = pytest.mark.own_app


async def _refusal_code(client: AsyncTestClient[Litestar], url: str, **options: Any) -> int:
    with pytest.raises(WebSocketDisconnect) as refused, await client.websocket_connect(url, **options):
        pass
    return int(refused.value.code)


async def test_the_token_in_the_query_opens_the_stream_and_ping_gets_pong(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        session.send_json({"type": "ping"})
        pong = await receive(session)
    assert pong["type"] == "pong"
    assert pong["id"] is None


async def test_the_bearer_subprotocol_carries_the_token_and_is_echoed(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(WS, subprotocols=["bearer", player["access_token"]]) as session:
        session.send_json({"type": "ping"})
        assert (await receive(session))["type"] == "pong"
    assert session.accepted_subprotocol == "bearer"


async def test_a_non_browser_client_may_send_the_authorization_header(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(WS, headers=bearer(player)) as session:
        session.send_json({"type": "ping"})
        assert (await receive(session))["type"] == "pong"


async def test_no_bad_or_revoked_token_gets_past_the_handshake(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    await settle(client)
    assert await client.post("/api/auth/logout", headers=bearer(player)) is not None

    assert await _refusal_code(client, WS) == 4401
    assert await _refusal_code(client, f"{WS}?token=not-a-jwt") == 4401
    assert await _refusal_code(client, f"{WS}?token={player['access_token']}") == 4401


async def test_a_frame_nested_too_deep_is_refused_and_the_socket_stays_open(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        session.send_text('{"type":"ping","x":' + "[" * 1500 + "]" * 1500 + "}")
        refusal = await receive(session)
        session.send_json({"type": "ping"})
        pong = await receive(session)
    assert (refusal["type"], refusal["data"]["code"]) == ("error", "VALIDATION_ERROR")
    assert "nest" in refusal["data"]["message"]
    assert pong["type"] == "pong"


async def test_an_origin_outside_cors_origins_is_refused(open_client: OpenClient) -> None:
    async with open_client(cors_origins="https://play.example") as client:
        player = await sign_up(client)
        await settle(client)
        url = f"{WS}?token={player['access_token']}"

        assert await _refusal_code(client, url, headers={"origin": "https://evil.example"}) == 4403
        with await client.websocket_connect(url, headers={"origin": "https://play.example"}) as session:
            session.send_json({"type": "ping"})
            assert (await receive(session))["type"] == "pong"


async def test_an_admin_grant_reaches_the_player_as_reward_profile_update_and_notification(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        await grant(client, admin, player["user"]["id"], amount=250)
        got = await events(session, GRANT_FRAMES)
    inbox = (await client.get("/api/notifications", headers=bearer(player))).json()["items"]

    by_type = {frame["type"]: frame for frame in got}
    assert set(by_type) == GRANT_TYPES
    reward = by_type["reward_granted"]["data"]
    assert reward.pop("reward_id").startswith("rw_")
    assert reward == {"currency": "coins", "amount": 250, "source": "realtime test", "reward_type": "COIN"}
    assert by_type["profile_update"]["data"]["balances"] == {"coins": 1250}
    [stored] = inbox  # the notification frame is the inbox row
    assert by_type["notification"]["data"] == {key: stored[key] for key in ("id", "type", "title", "body", "data")}
    assert got[-1]["type"] == "notification"  # written by a consumer of the grant's events, so after them
    assert [frame["id"] for frame in got] == sorted({frame["id"] for frame in got})
    assert all(set(frame) == {"id", "type", "data", "ts"} and frame["ts"].endswith("Z") for frame in got)


async def test_a_captured_purchase_reaches_the_player_as_its_inbox_notification(
    client: AsyncTestClient[Litestar],
) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        bought = await client.post(
            "/api/shop/buy",
            json={"sku": "gems_100", "quantity": 1, "card_token": "tok_visa"},
            headers={**bearer(player), "Idempotency-Key": uuid.uuid4().hex},
        )
        got = await events(session, 1)
        # purchase_update, profile_update, reward_granted come first (and a first purchase's achievement)
        while (got[-1]["type"], got[-1]["data"].get("type")) != ("notification", "purchase"):
            got += await events(session, 1)
    inbox = (await client.get("/api/notifications?type=purchase", headers=bearer(player))).json()["items"]

    assert bought.json()["status"] == "captured", bought.text
    [stored] = inbox
    notification = got[-1]["data"]
    transaction_id = bought.json()["transaction_id"]
    assert (notification["type"], notification["data"]) == ("purchase", {"transaction_id": transaction_id})
    assert notification == {key: stored[key] for key in ("id", "type", "title", "body", "data")}
    assert {"purchase_update", "profile_update"} <= {frame["type"] for frame in got}


async def test_another_players_events_never_arrive(client: AsyncTestClient[Litestar], admin: dict[str, Any]) -> None:
    player, other = await sign_up(client), await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        await grant(client, admin, other["user"]["id"])
        await grant(client, admin, player["user"]["id"], amount=7)
        first = (await events(session, 1))[0]
    assert first["type"] in {"reward_granted", "profile_update"}
    assert first["data"].get("amount", 7) == 7


async def test_resume_replays_exactly_what_was_missed_in_order(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    await settle(client)
    user_id, url = player["user"]["id"], f"{WS}?token={player['access_token']}"
    await settle(client)
    with await client.websocket_connect(url) as session:
        await grant(client, admin, user_id, amount=1)
        seen = await events(session, GRANT_FRAMES)
    for amount in (2, 3):
        await grant(client, admin, user_id, amount=amount)
    await settle(client)

    with await client.websocket_connect(url) as session:
        session.send_json({"type": "resume", "last_event_id": seen[-1]["id"]})
        missed = await events(session, 2 * GRANT_FRAMES)
        session.send_json({"type": "ping"})
        after = await receive(session)

    ids = [frame["id"] for frame in missed]
    assert ids == sorted(ids)
    assert len(set(ids)) == 2 * GRANT_FRAMES
    assert min(ids) > seen[-1]["id"]
    assert [frame["data"]["amount"] for frame in missed if frame["type"] == "reward_granted"] == [2, 3]
    assert after["type"] == "pong"  # nothing more, in particular no copy of what was replayed


async def test_last_event_id_in_the_url_resumes_at_connect(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        await grant(client, admin, player["user"]["id"], amount=1)
        seen = await events(session, GRANT_FRAMES)
    await grant(client, admin, player["user"]["id"], amount=5)
    await settle(client)

    url = f"{WS}?token={player['access_token']}&last_event_id={seen[-1]['id']}"
    with await client.websocket_connect(url) as session:
        missed = await events(session, GRANT_FRAMES)
    assert {frame["type"] for frame in missed} == GRANT_TYPES
    assert min(frame["id"] for frame in missed) > seen[-1]["id"]


async def test_a_resume_older_than_the_history_is_told_to_resync(open_client: OpenClient, admin_site_id: str) -> None:
    async with open_client(realtime_history_size=2) as client:
        admin = await log_in_admin(client, admin_site_id)
        player = await sign_up(client)
        await settle(client)
        url = f"{WS}?token={player['access_token']}"
        with await client.websocket_connect(url) as session:
            await grant(client, admin, player["user"]["id"], amount=1)
            seen = await events(session, GRANT_FRAMES)
        for amount in (2, 3):  # one at a time: the history (2) then ends with the third grant and its notification
            await grant(client, admin, player["user"]["id"], amount=amount)
            await settle(client)

        with await client.websocket_connect(url) as session:
            session.send_json({"type": "resume", "last_event_id": seen[-1]["id"]})
            first = await receive(session)
            kept = await events(session, 2)

    assert first["type"] == "resync"
    assert first["data"]["last_event_id"] == seen[-1]["id"]
    assert [frame["data"].get("amount") for frame in kept if frame["type"] == "reward_granted"] == [3]


async def test_logout_closes_the_open_socket_with_4401(open_client: OpenClient) -> None:
    async with open_client(realtime_session_check_seconds=0.2) as client:
        player = await sign_up(client)
        await settle(client)
        with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
            logout = await client.post("/api/auth/logout", headers=bearer(player))
            code = await close_code(session)
    assert logout.status_code == 204
    assert code == 4401


async def test_logout_of_one_session_leaves_the_other_sessions_socket_open(open_client: OpenClient) -> None:
    async with open_client(realtime_session_check_seconds=0.2) as client:
        player = await sign_up(client)
        await settle(client)
        second = (await log_in(client, player["user"]["site_id"])).json()
        await settle(client)  # the sign-in's own events (the daily_login mission) are out before the socket opens
        with await client.websocket_connect(f"{WS}?token={second['access_token']}") as session:
            await client.post("/api/auth/logout", headers=bearer(player))
            await receive_nothing_for(session, 0.6)
            session.send_json({"type": "ping"})
            assert (await receive(session))["type"] == "pong"


async def test_connections_beyond_the_cap_are_refused(open_client: OpenClient) -> None:
    async with open_client(realtime_max_connections_per_user=2) as client:
        player = await sign_up(client)
        await settle(client)
        url = f"{WS}?token={player['access_token']}"
        with await client.websocket_connect(url), await client.websocket_connect(url):
            assert await _refusal_code(client, url) == 4429
        with await client.websocket_connect(url) as again:
            again.send_json({"type": "ping"})
            assert (await receive(again))["type"] == "pong"


async def test_a_frame_it_does_not_understand_is_answered_and_the_socket_stays(
    client: AsyncTestClient[Litestar],
) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        session.send_text("not json")
        session.send_json({"type": "dance"})
        session.send_json({"type": "resume", "last_event_id": "-3"})
        refusals = [await receive(session) for _ in range(3)]
        session.send_json({"type": "ping"})
        pong = await receive(session)
    assert [frame["type"] for frame in refusals] == ["error"] * 3
    assert all(frame["data"]["code"] == "VALIDATION_ERROR" for frame in refusals)
    assert pong["type"] == "pong"


async def test_heartbeats_come_and_a_silent_client_is_dropped(open_client: OpenClient) -> None:
    async with open_client(realtime_heartbeat_seconds=0.2, realtime_idle_timeout_seconds=1.0) as client:
        player = await sign_up(client)
        await settle(client)
        with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
            heartbeat = await receive(session, within_seconds=2)
            code = await close_code(session)
    assert heartbeat["type"] == "heartbeat"
    assert code == 4408


async def test_without_redis_the_memory_channels_deliver_and_resume(
    open_client: OpenClient, admin_site_id: str
) -> None:
    async with open_client(redis_url="", job_queue="in-process") as client:
        admin = await log_in_admin(client, admin_site_id)
        player = await sign_up(client)
        await settle(client)
        url = f"{WS}?token={player['access_token']}"
        with await client.websocket_connect(url) as session:
            await grant(client, admin, player["user"]["id"], amount=4)
            # a deadline, not a wait: in this mode one relay pass also runs every engagement consumer in process,
            # which took over 5 s on a loaded two-core machine
            seen = await events(session, GRANT_FRAMES, within_seconds=20)
        await grant(client, admin, player["user"]["id"], amount=6)
        await settle(client)
        with await client.websocket_connect(f"{url}&last_event_id={seen[-1]['id']}") as session:
            missed = await events(session, GRANT_FRAMES, within_seconds=20)

    assert {frame["type"] for frame in seen} == GRANT_TYPES
    assert [frame["data"]["amount"] for frame in missed if frame["type"] == "reward_granted"] == [6]


async def test_a_rank_change_by_an_admin_reaches_the_player_as_profile_update(
    client: AsyncTestClient[Litestar], admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    await settle(client)
    with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
        changed = await client.patch(
            f"/api/admin/users/{player['user']['id']}", json={"rank": "VIP", "vip_tier": 3}, headers=bearer(admin)
        )
        [frame] = await events(session, 1)
    assert changed.status_code == 200
    assert (frame["type"], frame["data"]) == ("profile_update", {"rank": "VIP", "vip_tier": 3, "status": "active"})


async def test_a_suspension_closes_the_players_open_socket_with_4401(
    open_client: OpenClient, admin_site_id: str
) -> None:
    async with open_client(realtime_session_check_seconds=0.2) as client:
        admin = await log_in_admin(client, admin_site_id)
        player = await sign_up(client)
        await settle(client)
        with await client.websocket_connect(f"{WS}?token={player['access_token']}") as session:
            suspended = await client.patch(
                f"/api/admin/users/{player['user']['id']}", json={"status": "suspended"}, headers=bearer(admin)
            )
            code = await close_code(session)
    assert suspended.status_code == 200
    assert code == 4401
