"""The published OpenAPI document is one a client generator can use: valid, with bearer security per operation,
Idempotency-Key headers, error responses in the envelope, and constraints equal to what the server validates."""

from __future__ import annotations

import re
import secrets
import string
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from src.entrypoints.http.openapi import IDEMPOTENT_OPERATIONS, REQUEST_EXAMPLES
from tests.support.api import PASSWORD, bearer, sign_up, unique

SOURCE = Path(__file__).resolve().parents[2] / "src"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def served_documents() -> list[dict[str, Any]]:
    """The document the module's app served, fetched by its first test that asks (the tests only read it)."""
    return []


@pytest.fixture
async def document(client: Any, served_documents: list[dict[str, Any]]) -> dict[str, Any]:
    if not served_documents:
        response = await client.get("/schema/openapi.json")
        assert response.status_code == 200
        served_documents.append(response.json())
    return served_documents[0]


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _validator(document: dict[str, Any], name: str) -> OAS31Validator:
    """Validates against one component schema; its $refs resolve within the document's components."""
    return OAS31Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


async def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises on the first problem

    assert document["openapi"].startswith("3.1")


async def test_every_schema_has_a_title_of_its_own(document: dict[str, Any]) -> None:
    """Two structs of one name get one title, and client generators then refuse the second as a duplicate model
    (and leave its routes out of the client): each response and body struct needs a name of its own."""
    titles = Counter(schema.get("title") for schema in document["components"]["schemas"].values())

    assert sorted(title for title, count in titles.items() if title and count > 1) == []


async def test_generic_schemas_have_plain_names_without_module_paths(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    history = document["paths"]["/api/games/history"]["get"]["responses"]["200"]["content"]["application/json"]

    assert [name for name in schemas if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name)] == []
    assert history["schema"] == {"$ref": "#/components/schemas/HistoryListOut"}
    assert schemas["HistoryListOut"]["title"] == "HistoryListOut"  # generators name the class after the title
    assert schemas["HistoryListOut"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/HistoryOut"}


async def test_every_operation_says_whether_it_needs_the_bearer_token(document: dict[str, Any]) -> None:
    operations = _operations(document)

    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    public = {name for name, (_, _, operation) in operations.items() if operation["security"] == []}
    assert {"health", "ready", "signup", "login", "refresh", "validate_invite", "shop_payment_webhook"} <= public
    for name, (_, _, operation) in operations.items():
        if name not in public:
            assert operation["security"] == [{"bearer": []}], name
            assert "UNAUTHORIZED" in operation["responses"]["401"]["description"], name
        if name.startswith("admin_") and name != "admin_login":
            assert "FORBIDDEN" in operation["responses"]["403"]["description"], name


async def test_every_error_response_is_the_envelope(document: dict[str, Any]) -> None:
    for name, (_, _, operation) in _operations(document).items():
        errors = {status: response for status, response in operation["responses"].items() if int(status) >= 400}
        if name != "health":
            assert "503" in errors, name
        for status, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (name, status)


async def test_the_idempotency_key_header_is_documented_where_it_is_honoured(document: dict[str, Any]) -> None:
    operations = _operations(document)
    handlers_with_keys = _handlers_reading_a_key()

    assert set(IDEMPOTENT_OPERATIONS) == set(handlers_with_keys)  # a new idempotent route must be listed
    for name, required in IDEMPOTENT_OPERATIONS.items():
        assert handlers_with_keys[name] is required, name
        parameters = {parameter["name"]: parameter for parameter in operations[name][2].get("parameters", [])}
        header = parameters["Idempotency-Key"]
        assert (header["in"], header["required"]) == ("header", required), name
        assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
        assert "IDEMPOTENCY_KEY_REUSED" in operations[name][2]["responses"]["422"]["description"]
    for name, (_, _, operation) in operations.items():
        if name not in IDEMPOTENT_OPERATIONS:
            assert all(parameter["name"] != "Idempotency-Key" for parameter in operation.get("parameters", []))


def _handlers_reading_a_key() -> dict[str, bool]:
    """operation_id -> whether its handler requires the key, read from the handlers' source (a handler's text runs
    from its operation_id to the next decorator; the shop's two buys go through `_buy`, which requires it)."""
    found: dict[str, bool] = {}
    for path in (SOURCE / "entrypoints/http").rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r'operation_id="(\w+)"(.*?)(?=\n    @|\Z)', text, re.DOTALL):
            body = match.group(2)
            if re.search(r"\bidempotent(?:_in_work|_claimed)?\(|\bidempotency_key\(", body):
                found[match.group(1)] = "required=True" in body
            elif re.search(r"\b_buy\(", body):
                found[match.group(1)] = True
    return found


async def test_a_required_key_is_required_by_the_server_too(client: Any) -> None:
    player = await sign_up(client)

    without = await client.post(
        "/api/shop/buy", json={"sku": "gems_100", "card_token": "tok_visa"}, headers=bearer(player)
    )
    spin = await client.post("/api/games/slot/spin", json={"bet": 1}, headers=bearer(player))

    assert without.status_code == 400
    assert without.json()["error"]["details"]["fields"][0]["key"] == "Idempotency-Key"
    assert spin.status_code == 200  # optional there


async def test_no_generated_placeholder_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    with_examples = {name for name, schema in schemas.items() if '"examples"' in repr(schema).replace("'", '"')}
    assert with_examples == set(REQUEST_EXAMPLES)
    assert "examples" not in schemas["SpinOut"]
    assert all("examples" not in field for field in schemas["SpinOut"]["properties"].values())


async def test_the_request_examples_are_valid_and_the_server_takes_them(
    document: dict[str, Any], client: Any, admin: dict[str, Any]
) -> None:
    for name, examples in REQUEST_EXAMPLES.items():
        for example in examples:
            _validator(document, name).validate(example)

    sent = await client.post(
        "/api/admin/notifications/send", json=REQUEST_EXAMPLES["AdminSendIn"][0], headers=bearer(admin)
    )
    scheduled = await client.post("/api/admin/campaigns", json=REQUEST_EXAMPLES["CampaignIn"][0], headers=bearer(admin))

    assert sent.status_code == 200, sent.text
    assert scheduled.status_code == 201, scheduled.text
    await client.post(f"/api/admin/campaigns/{scheduled.json()['id']}/cancel", headers=bearer(admin))


def _random(length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


# Fresh values of each shape on every call (site ids and nicknames must be unused).
SIGNUP_SAMPLES: list[tuple[str, Callable[[], str]]] = [
    ("site_id", lambda: _random(2)),
    ("site_id", lambda: _random(3)),
    ("site_id", lambda: _random(32)),
    ("site_id", lambda: _random(33)),
    ("site_id", lambda: "Mx_" + _random(10, string.ascii_uppercase + string.digits)),
    ("site_id", lambda: "with-" + _random(8)),
    ("site_id", lambda: "with " + _random(8)),
    ("password", lambda: _random(7)),
    ("password", lambda: _random(8)),
    ("password", lambda: _random(128)),
    ("password", lambda: _random(129)),
    ("nickname", lambda: _random(1)),
    ("nickname", lambda: _random(2)),
]


async def test_signup_constraints_in_the_schema_agree_with_the_server(document: dict[str, Any], client: Any) -> None:
    validator = _validator(document, "SignupIn")
    disagreements = []
    for field, make in SIGNUP_SAMPLES:
        body = {"site_id": unique(), "nickname": unique("n")[-20:], "password": PASSWORD, "invite_code": "5858"}
        body[field] = make()
        response = await client.post("/api/auth/signup", json=body)
        if validator.is_valid(body) != (response.status_code == 201):
            disagreements.append((field, body[field], response.status_code, response.text[:200]))

    assert disagreements == []


async def test_gacha_count_and_promo_percent_agree_with_the_server(
    document: dict[str, Any], client: Any, admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    pull = _validator(document, "PullIn")
    promo = _validator(document, "PromoCodeIn")
    disagreements = []
    for count in (0, 1, 2, 9, 10, 11):
        response = await client.post("/api/games/gacha/pull", json={"count": count}, headers=bearer(player))
        if pull.is_valid({"count": count}) != (response.status_code != 400):
            disagreements.append(("count", count, response.status_code))
    for percent in (0, 1, 90, 91):
        body = {"code": unique("P").upper(), "discount_percent": percent}
        response = await client.post("/api/admin/promo-codes", json=body, headers=bearer(admin))
        if promo.is_valid(body) != (response.status_code == 201):
            disagreements.append(("discount_percent", percent, response.status_code))

    assert disagreements == []


async def test_the_realtime_reference_names_every_message_type_the_server_sends(client: Any) -> None:
    page = (await client.get("/docs/realtime")).text
    sent = set(re.findall(r'return "(\w+)", ', (SOURCE / "application/realtime/events.py").read_text()))
    control = {"pong", "heartbeat", "resync", "overflow", "error"}
    document = (await client.get("/schema/openapi.json")).json()

    assert len(sent) >= 6
    for message_type in sent | control:
        assert f"<code>{message_type}</code>" in page, message_type
    assert "/docs/realtime" in document["info"]["description"]
