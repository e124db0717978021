"""POST /api/actions, /api/actions/bulk and GET /api/actions/recent over HTTP on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from src.adapters.sqla.models.analytics import PlayerActionRow
from src.adapters.sqla.models.outbox import OutboxRow
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.polling import eventually

Client = AsyncTestClient[Litestar]
TRACK, BULK, RECENT = "/api/actions", "/api/actions/bulk", "/api/actions/recent"
PER_MINUTE = 40  # the module's budget of actions per player per minute


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"actions_per_minute": PER_MINUTE}


@pytest.fixture
async def player(client: Client) -> dict[str, Any]:
    return await sign_up(client)


SENSITIVE_CONTEXT = {
    "screen": "shop",
    "Password": "hunter2",
    "EMAIL": "a@b.c",
    "profile": {
        "phone": "+82 10",
        "Phone_Number": "+82 10",
        "e-mail": "x@y.z",
        "cardNumber": "4242",
        "CARD_TOKEN": "tok_visa",
        "new_password": "p",
        "level": 3,
        "items": [{"card": "4242", "sku": "gems_100"}, {"email": "q@r.s"}, "plain"],
    },
    "cart": [1, 2],
}
KEPT_CONTEXT = {
    "screen": "shop",
    "profile": {"level": 3, "items": [{"sku": "gems_100"}, {}, "plain"]},
    "cart": [1, 2],
}


async def _stored(client: Client, container: Container, action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The action's row and its outbox event's payload, as the database holds them."""

    async def read() -> tuple[dict[str, Any], dict[str, Any]]:
        async with container.uow_factory() as uow:
            session = uow.session  # type: ignore[attr-defined]
            row = (await session.execute(select(PlayerActionRow).where(PlayerActionRow.action_id == action_id))).one()
            event = (await session.execute(select(OutboxRow).where(OutboxRow.event_id == action_id))).one()
            return dict(row[0].context), {"type": event[0].event_type, **event[0].payload}

    return await in_app(client, read)


async def test_an_action_is_accepted_stored_and_read_back_with_both_clocks(
    client: Client, player: dict[str, Any]
) -> None:
    body = {"action_type": "screen_view", "context": {"screen": "lobby"}, "client_ts": "2026-12-01T09:30:00+09:00"}

    response = await client.post(TRACK, json=body, headers=bearer(player))

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["accepted"] == 1
    recent = await client.get(RECENT, headers=bearer(player))
    assert recent.status_code == 200
    [item] = recent.json()["items"]
    assert item["action_id"] == accepted["action_ids"][0]
    assert item["action_type"] == "screen_view"
    assert item["context"] == {"screen": "lobby"}
    assert item["client_ts"] == "2026-12-01T00:30:00Z"  # kept, normalised to UTC
    assert item["server_ts"] == accepted["received_at"]


async def test_sensitive_keys_are_stripped_at_every_depth_before_anything_is_stored(
    client: Client, player: dict[str, Any], container: Container
) -> None:
    single = await client.post(
        TRACK, json={"action_type": "custom:checkout.step-2", "context": SENSITIVE_CONTEXT}, headers=bearer(player)
    )
    bulk = await client.post(
        BULK, json={"actions": [{"action_type": "item_view", "context": SENSITIVE_CONTEXT}]}, headers=bearer(player)
    )

    assert (single.status_code, bulk.status_code) == (202, 202), (single.text, bulk.text)
    for action_id in (single.json()["action_ids"][0], bulk.json()["action_ids"][0]):
        row_context, event = await _stored(client, container, action_id)
        assert row_context == KEPT_CONTEXT
        assert event["type"] == "ActionTracked"
        assert event["context"] == KEPT_CONTEXT
        for secret in ("hunter2", "a@b.c", "+82 10", "4242", "tok_visa", "x@y.z", "q@r.s"):
            assert secret not in json.dumps([row_context, event])
    recent = (await client.get(RECENT, headers=bearer(player))).json()["items"]
    assert [item["context"] for item in recent] == [KEPT_CONTEXT, KEPT_CONTEXT]


async def test_a_bulk_is_stored_in_order_and_paged_newest_first(client: Client, player: dict[str, Any]) -> None:
    actions = [{"action_type": "button_click", "context": {"n": n}} for n in range(5)]

    response = await client.post(BULK, json={"actions": actions}, headers=bearer(player))

    assert response.status_code == 202, response.text
    ids = response.json()["action_ids"]
    assert len(ids) == 5
    first = (await client.get(f"{RECENT}?limit=3", headers=bearer(player))).json()
    rest = (await client.get(f"{RECENT}?limit=3&cursor={first['next_cursor']}", headers=bearer(player))).json()
    assert len({item["action_id"] for item in first["items"] + rest["items"]}) == 5
    assert set(ids) == {item["action_id"] for item in first["items"] + rest["items"]}
    assert rest["next_cursor"] is None


async def test_recent_is_only_the_callers_own(client: Client, player: dict[str, Any]) -> None:
    other = await sign_up(client)
    await client.post(TRACK, json={"action_type": "share"}, headers=bearer(other))

    mine = (await client.get(RECENT, headers=bearer(player))).json()

    assert mine == {"items": [], "next_cursor": None}
    assert (await client.get(RECENT)).status_code == 401


async def test_a_bulk_over_500_is_refused_and_nothing_is_stored(client: Client, player: dict[str, Any]) -> None:
    actions = [{"action_type": "button_click"}] * 501

    response = await client.post(BULK, json={"actions": actions}, headers=bearer(player))

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert (await client.get(RECENT, headers=bearer(player))).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action_type": "launch_missiles"}, "action_type"),
        ({"action_type": "custom:"}, "action_type"),
        ({"action_type": "custom:Has Spaces"}, "action_type"),
        ({"action_type": "screen_view", "context": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "context"),
        ({"action_type": "screen_view", "context": {"s": "x" * 257}}, "context"),
        ({"action_type": "screen_view", "context": {f"k{n}": n for n in range(33)}}, "context"),
        ({"action_type": "screen_view", "context": {"l": [["y" * 250] * 10]}}, "context"),
        ({"action_type": "screen_view", "context": ["not", "an", "object"]}, "context"),
        ({"action_type": "screen_view", "client_ts": "2026-12-01T09:30:00"}, "client_ts"),
        ({"action_type": "screen_view", "extra": 1}, None),  # unknown fields: named in the message
    ],
)
async def test_bad_actions_are_400_naming_the_field(
    client: Client, player: dict[str, Any], body: dict[str, Any], field: str | None
) -> None:
    response = await client.post(TRACK, json=body, headers=bearer(player))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    if field is not None:
        assert field in [item.get("key") for item in error["details"]["fields"]], error


async def test_one_bad_action_refuses_the_whole_bulk_naming_it(client: Client, player: dict[str, Any]) -> None:
    actions = [{"action_type": "screen_view"}, {"action_type": "screen_view"}, {"action_type": "nope"}]

    response = await client.post(BULK, json={"actions": actions}, headers=bearer(player))

    assert response.status_code == 400
    assert response.json()["error"]["details"]["fields"][0]["key"] == "actions[2].action_type"
    assert (await client.get(RECENT, headers=bearer(player))).json()["items"] == []


async def test_past_the_budget_concurrent_reports_answer_429_with_retry_after(
    client: Client, player: dict[str, Any]
) -> None:
    bulk = {"actions": [{"action_type": "button_click"}] * 10}

    answers = await asyncio.gather(*(client.post(BULK, json=bulk, headers=bearer(player)) for _ in range(6)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202] * (PER_MINUTE // 10) + [429] * (6 - PER_MINUTE // 10)
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    stored = (await client.get(f"{RECENT}?limit=100", headers=bearer(player))).json()["items"]
    assert len(stored) == PER_MINUTE
    other = await sign_up(client)  # the budget is per player
    assert (await client.post(TRACK, json={"action_type": "share"}, headers=bearer(other))).status_code == 202


async def test_actions_reach_the_olap_store_stripped_with_both_clocks(
    client: Client, player: dict[str, Any], container: Container
) -> None:
    body = {"action_type": "custom:promo.banner", "context": SENSITIVE_CONTEXT, "client_ts": "2026-12-01T09:30:00Z"}
    response = await client.post(TRACK, json=body, headers=bearer(player))
    assert response.status_code == 202, response.text
    action_id = response.json()["action_ids"][0]
    olap, exporter = container.olap, container.exporter
    assert olap is not None
    assert exporter is not None

    async def exported() -> list[dict[str, Any]]:
        await in_app(client, exporter.drain)
        sql = "SELECT player_id, reason, toString(client_ts) AS client_ts, payload "
        sql += "FROM events WHERE event_id = {id:String}"
        return await in_app(client, lambda: olap.query(sql, {"id": action_id}))

    [row] = await eventually(exported)
    assert (row["player_id"], row["reason"]) == (player["user"]["id"], "custom:promo.banner")
    assert row["client_ts"] == "2026-12-01 09:30:00.000"
    assert json.loads(str(row["payload"]))["context"] == KEPT_CONTEXT
    for secret in ("hunter2", "a@b.c", "+82 10", "4242", "tok_visa", "x@y.z", "q@r.s"):
        assert secret not in str(row["payload"])
