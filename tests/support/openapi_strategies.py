"""Hypothesis strategies for requests, derived from the app's own OpenAPI document: for each operation, path and
query values and a JSON body that mostly follow the schema (so handlers run on odd but valid input) and sometimes
break it (wrong types, numbers as strings, unknown fields, deep nesting, bytes that are not JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

JsonSchema = dict[str, Any]
Strategy = st.SearchStrategy[Any]

# text as clients send it: any code point a UTF-8 request can carry, NUL and control characters included
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3))
# a fuzzer's dictionary: words and numbers this API gives meaning to, so handlers get past their first check
KNOWN_WORDS = [
    "tok_visa", "tok_pending", "tok_chargeDeclined", "gems_100", "gems_550", "coins", "gems", "COIN", "GEM", "ITEM",
    "user", "rank", "everyone", "inbox", "realtime", "push", "email", "UTC", "Asia/Seoul", "5858", "STANDARD", "VIP",
    "slot", "gacha", "spin", "pull", "daily", "net_coins", "free", "premium",
]  # fmt: skip
KNOWN_INTEGERS = [0, 1, 10, -1, 2**31, 2**63, -(2**63) - 1]
ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=9)), timezone(-timedelta(hours=14))])
# nested past any decoder's stack, bare or as a field's value
DEEP = st.tuples(st.sampled_from([33, 1000, 50_000]), st.booleans()).map(
    lambda spec: (b'{"a":' if spec[1] else b"") + b"[" * spec[0] + b"]" * spec[0] + (b"}" if spec[1] else b"")
)
# header values must be printable ASCII to be sent at all
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)
# what a careless client puts where a value belongs: the right number as text or as a float, an empty string
LOOSE = st.one_of(
    st.integers(-5, 10**6).map(str), st.integers(0, 100).map(float), st.just(""), st.just([]), st.just({})
)


def _encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


# the parts every operation's requests share, built once: Hypothesis validates a strategy and works its labels out
# once per object, not once per operation
RAW_BODY = st.one_of(st.binary(max_size=64), DEEP, ANY_JSON.map(_encoded))
NO_BODY = st.none()
OPTIONAL_RAW_BODY = st.one_of(st.none(), RAW_BODY)
CONTENT_TYPE = st.sampled_from(["application/json"] * 6 + ["text/plain", "application/json; charset=utf-8"])
BODY_CONTENT_TYPE = CONTENT_TYPE | st.none()
PATH_IDS = st.one_of(st.uuids().map(str), st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
IDEMPOTENCY_KEYS = st.one_of(st.none(), st.uuids().map(str), HEADER_TEXT)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template: /api/users/{user_id}
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    url: str
    query: dict[str, str]
    body: bytes | None
    content_type: str | None
    role: str  # "player", "admin" or "anonymous"
    idempotency_key: str | None


def operations(document: dict[str, Any], skip: set[str]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, spec in item.items():
            operation = Operation(method, path, spec)
            if method in {"get", "post", "put", "patch", "delete"} and operation.name not in skip:
                found.append(operation)
    return found


class SchemaStrategies:
    """Strategies from the JSON schemas of one OpenAPI document (its `$ref`s resolved against its components)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._components: dict[str, JsonSchema] = document.get("components", {}).get("schemas", {})
        # one strategy per component and depth: the operations that share a schema share its strategy, so
        # Hypothesis validates it and works its labels out once, not once per operation (the same requests)
        self._by_ref: dict[tuple[str, int], Strategy] = {}

    def valid(self, schema: JsonSchema, depth: int = 0) -> Strategy:
        """Values the schema admits, as far as JSON schema says (the server may still refuse them)."""
        if "$ref" in schema:
            key = (schema["$ref"].rsplit("/", 1)[-1], depth)
            if key not in self._by_ref:
                self._by_ref[key] = self.valid(self._components[key[0]], depth)
            return self._by_ref[key]
        choices = schema.get("oneOf") or schema.get("anyOf")
        if choices:
            bounds = {k: v for k, v in schema.items() if k not in {"oneOf", "anyOf"}}
            return st.one_of([self.valid({**bounds, **choice}, depth) for choice in choices])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "const" in schema:
            return st.just(schema["const"])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        if kind == "array":
            items = self.valid(schema.get("items", {}), depth + 1) if depth < 4 else SCALARS
            return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
        return _scalar(kind, schema)

    def hostile(self, schema: JsonSchema) -> Strategy:
        """Mostly valid, with one field's value replaced by a careless or hostile one (or an unknown field)."""
        return st.one_of(self.valid(schema), self._broken(schema))

    def _broken(self, schema: JsonSchema) -> Strategy:
        def breaking(value: Any) -> Strategy:
            if not isinstance(value, dict) or not value:
                return st.one_of(LOOSE, ANY_JSON)
            field = st.sampled_from([*value, "unknown_field"])
            return st.tuples(field, st.one_of(LOOSE, ANY_JSON)).map(lambda kv: {**value, kv[0]: kv[1]})

        return self.valid(schema).flatmap(breaking)

    def _object(self, schema: JsonSchema, depth: int) -> Strategy:
        properties: dict[str, JsonSchema] = schema.get("properties", {})
        required = set(schema.get("required", []))
        if not properties:
            extra = schema.get("additionalProperties")
            values = self.valid(extra, depth + 1) if isinstance(extra, dict) and extra and depth < 4 else ANY_JSON
            return st.dictionaries(TEXT, values, max_size=3)
        return st.fixed_dictionaries(
            {name: self.valid(properties[name], depth + 1) for name in properties if name in required},
            optional={name: self.valid(properties[name], depth + 1) for name in properties if name not in required},
        )


def _scalar(kind: str | None, schema: JsonSchema) -> Strategy:
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        bounded = st.integers(None if low is None else int(low), None if high is None else int(high))
        return st.one_of(st.sampled_from(KNOWN_INTEGERS), bounded)
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes(timezones=ZONES).map(lambda moment: moment.isoformat())
        text = st.text(
            st.characters(codec="utf-8"),
            min_size=schema.get("minLength", 0),
            max_size=min(schema.get("maxLength", 40), 40),
        )
        return st.one_of(st.sampled_from(KNOWN_WORDS), text)
    return ANY_JSON


def bodies(strategies: SchemaStrategies, operation: Operation) -> Strategy:
    """(bytes or None, content type) for one operation's request body."""
    content = operation.spec.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        declared = NO_BODY if operation.method in {"get", "delete"} else OPTIONAL_RAW_BODY
    else:
        encoded = strategies.hostile(content["schema"]).map(_encoded)
        declared = st.one_of(encoded, encoded, encoded, RAW_BODY, st.none())
    return st.tuples(declared, BODY_CONTENT_TYPE)


def requests(
    strategies: SchemaStrategies, operation: Operation, known_ids: list[str], roles: list[str]
) -> st.SearchStrategy[FuzzRequest]:
    parameters = operation.spec.get("parameters", [])
    path_ids = PATH_IDS
    if operation.method == "get" and known_ids:
        path_ids = st.one_of(st.sampled_from(known_ids), path_ids)
    path_values = {p["name"]: path_ids for p in parameters if p["in"] == "path"}
    query_values = {
        p["name"]: st.one_of(strategies.valid(p["schema"]), LOOSE, TEXT).map(_query_text)
        for p in parameters
        if p["in"] == "query"
    }
    return st.builds(
        _assemble,
        st.just(operation),
        st.fixed_dictionaries(path_values),
        st.fixed_dictionaries({}, optional=query_values),
        bodies(strategies, operation),
        st.sampled_from(roles),
        IDEMPOTENCY_KEYS,
    )


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def _assemble(
    operation: Operation,
    path_values: dict[str, str],
    query: dict[str, str],
    body: tuple[bytes | None, str | None],
    role: str,
    idempotency_key: str | None,
) -> FuzzRequest:
    url = operation.path
    for name, value in path_values.items():
        url = url.replace("{" + name + "}", quote(value, safe="") or "x")
    return FuzzRequest(operation.method.upper(), url, query, body[0], body[1], role, idempotency_key)
