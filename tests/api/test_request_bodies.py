"""Bodies of every JSON route, as a careless or hostile client sends them: nested too deep, the wrong media type,
numbers as strings or floats, fields missing; each is a 400 (or 415) that names the field as the client wrote it."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.shared.json_nesting import MAX_JSON_DEPTH
from tests.support.api import bearer, sign_up

JSON = {"content-type": "application/json"}
JSON_UTF8 = "application/json; charset=utf-8"
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def json_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path) of every route whose handler takes a JSON body, path parameters filled in: read from the
    app, so a route added later is covered without a change here."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "data" in handler.parsed_fn_signature.parameters:
                path = _PATH_PARAMETER.sub(str(uuid.uuid4()), route.path)
                found.update((method, path) for method in handler.http_methods)
    return sorted(found)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def _send(client: AsyncTestClient[Litestar], method: str, path: str, body: bytes, headers: Any) -> Any:
    return await client.request(method, path, content=body, headers={"idempotency-key": uuid.uuid4().hex, **headers})


async def test_every_json_route_is_found(app: Litestar) -> None:
    routes = json_routes(app)

    assert ("POST", "/api/auth/login") in routes
    assert ("POST", "/api/games/slot/spin") in routes
    assert len(routes) >= 25


async def test_a_body_nested_deeper_than_the_limit_is_400_on_every_json_route(
    client: AsyncTestClient[Litestar], app: Litestar, admin: dict[str, Any]
) -> None:
    answers = {}
    for method, path in json_routes(app):
        response = await _send(client, method, path, nested(1000), bearer(admin) | JSON)
        answers[method, path] = (response.status_code, response.json()["error"]["code"])
        if response.status_code == 400:
            [field] = response.json()["error"]["details"]["fields"]
            assert field == {"message": f"the body nests deeper than {MAX_JSON_DEPTH} levels", "source": "body"}

    assert set(answers.values()) == {(400, "VALIDATION_ERROR")}, answers


async def test_a_body_at_the_limit_is_decoded(client: AsyncTestClient[Litestar]) -> None:
    """One level more is refused as too deep; at the limit the body is read, and refused for its type only."""
    at_limit = await client.post("/api/auth/login", content=nested(MAX_JSON_DEPTH), headers=JSON)
    beyond = await client.post("/api/auth/login", content=nested(MAX_JSON_DEPTH + 1), headers=JSON)

    assert at_limit.json()["error"]["details"]["fields"] == [
        {"message": "Expected `object`, got `array`", "source": "body"}
    ]
    assert "nests deeper" in beyond.json()["error"]["details"]["fields"][0]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_json_body_not_sent_as_application_json_is_415_on_every_json_route(
    client: AsyncTestClient[Litestar], app: Litestar, admin: dict[str, Any], content_type: str | None
) -> None:
    headers = bearer(admin) | ({"content-type": content_type} if content_type else {})
    answers = {}
    for method, path in json_routes(app):
        response = await _send(client, method, path, b'{"bet": 10}', headers)
        answers[method, path] = (response.status_code, response.json()["error"]["code"])

    assert set(answers.values()) == {(415, "UNSUPPORTED_MEDIA_TYPE")}, answers


async def test_application_json_with_a_charset_is_json(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)

    response = await client.post(
        "/api/games/slot/spin", content=b'{"bet": 10}', headers=bearer(player) | {"content-type": JSON_UTF8}
    )

    assert response.status_code == 200, response.text


# (route, body, the field refused); {user} is the player's id
LOOSE_NUMBERS = [
    ("/api/games/slot/spin", {"bet": "10"}, "bet"),
    ("/api/games/slot/spin", {"bet": 10.0}, "bet"),
    ("/api/games/slot/spin", {"bet": True}, "bet"),
    ("/api/games/gacha/pull", {"count": "1"}, "count"),
    ("/api/games/gacha/pull", {"count": 1.0}, "count"),
    ("/api/shop/buy", {"sku": "gems_100", "quantity": "1", "card_token": "tok_visa"}, "quantity"),
    ("/api/admin/users/{user}/grant", {"currency": "gems", "amount": "5", "reason": "sorry"}, "amount"),
    ("/api/rewards", {"user_id": "{user}", "reward_type": "GEM", "amount": "5", "source": "apology"}, "amount"),
    ("/api/rewards", {"user_id": "{user}", "reward_type": "COIN", "amount": 5.0, "source": "apology"}, "amount"),
]


async def _wallet(client: AsyncTestClient[Litestar], tokens: dict[str, Any]) -> dict[str, int]:
    wallet: dict[str, int] = (await client.get("/api/wallet", headers=bearer(tokens))).json()
    return wallet


@pytest.mark.parametrize(("path", "body", "key"), LOOSE_NUMBERS)
async def test_a_string_or_float_where_an_integer_is_expected_is_400_and_moves_nothing(
    client: AsyncTestClient[Litestar], admin: dict[str, Any], path: str, body: dict[str, Any], key: str
) -> None:
    player = await sign_up(client)
    user_id = player["user"]["id"]
    grant = {"currency": "gems", "amount": 500, "reason": "to spend"}
    granted = await client.post(
        f"/api/admin/users/{user_id}/grant", json=grant, headers=bearer(admin) | {"idempotency-key": uuid.uuid4().hex}
    )
    assert granted.status_code == 201, granted.text
    before = await _wallet(client, player)
    caller = admin if "admin" in path or path == "/api/rewards" else player
    filled = {
        name: value.replace("{user}", user_id) if isinstance(value, str) else value for name, value in body.items()
    }

    response = await client.post(
        path.replace("{user}", user_id), json=filled, headers=bearer(caller) | {"idempotency-key": uuid.uuid4().hex}
    )

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    [field] = error["details"]["fields"]
    assert (field["key"], field["source"]) == (key, "body")
    assert field["message"].startswith("Expected `int")  # `int` or `int | null`
    assert await _wallet(client, player) == before


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"password": "x"}, {"key": "site_id", "message": "Object missing required field `site_id`"}),
        ({"site_id": 5, "password": "x"}, {"key": "site_id", "message": "Expected `str`, got `int`"}),
        ([], {"message": "Expected `object`, got `array`"}),
        (None, {"message": "Expected `object`, got `null`"}),
    ],
)
async def test_a_body_field_is_named_as_the_client_wrote_it(
    client: AsyncTestClient[Litestar], body: Any, expected: dict[str, str]
) -> None:
    response = await client.post("/api/auth/login", content=json.dumps(body), headers=JSON)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["fields"] == [expected | {"source": "body"}]


async def test_a_nested_field_is_named_by_its_path(client: AsyncTestClient[Litestar], admin: dict[str, Any]) -> None:
    body = {"title": "t", "channels": ["inbox"], "target": {"type": "user", "value": [7]}}

    response = await client.post("/api/admin/notifications/send", json=body, headers=bearer(admin))

    assert response.status_code == 400, response.text
    [field] = response.json()["error"]["details"]["fields"]
    assert field["key"] == "target.value"


async def test_an_empty_body_where_one_is_required_says_so(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/api/auth/login", content=b"", headers=JSON)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["fields"] == [{"message": "a JSON body is required", "source": "body"}]


async def test_an_optional_body_may_still_be_left_out(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)

    response = await client.post("/api/auth/logout", headers=bearer(player))

    assert response.status_code == 204, response.text


async def test_a_bad_query_parameter_is_named_as_the_client_wrote_it(client: AsyncTestClient[Litestar]) -> None:
    player = await sign_up(client)

    response = await client.get("/api/games/history", params={"from": "yesterday"}, headers=bearer(player))

    assert response.status_code == 400, response.text
    [field] = response.json()["error"]["details"]["fields"]
    assert (field["key"], field["source"]) == ("from", "query")


@pytest.mark.parametrize("path", ["/api/games/history", "/api/admin/audit/logs", "/api/admin/transactions"])
async def test_a_time_without_an_offset_is_read_as_utc(
    client: AsyncTestClient[Litestar], admin: dict[str, Any], path: str
) -> None:
    """Found by the fuzz test: a naive `?from=` reached the database, which compares aware timestamps only (500)."""
    response = await client.get(
        path, params={"from": "2000-01-01T00:00:00", "to": "2999-01-01T00:00:00"}, headers=bearer(admin)
    )

    assert response.status_code == 200, response.text
