"""The two things every request reads from its raw headers: the bearer token and the request id."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.connection import ASGIConnection

from src.entrypoints.http.request_id import request_id_of
from src.entrypoints.http.security import bearer_token


def _connection(*headers: tuple[bytes, bytes]) -> ASGIConnection[Any, Any, Any, Any]:
    scope: Any = {"type": "http", "headers": list(headers), "app": Litestar(), "state": {}, "path": "/"}
    return ASGIConnection(scope)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"authorization", b"Bearer abc.def")], "abc.def"),
        ([(b"authorization", b"bearer  abc.def ")], "abc.def"),  # scheme in any case, spaces around the token
        ([(b"Authorization", b"BEARER abc")], "abc"),  # a name not lowercased by the server
        ([(b"accept", b"*/*"), (b"authorization", b"Bearer first"), (b"authorization", b"Bearer second")], "first"),
        ([(b"authorization", b"Basic dXNlcjpwYXNz")], None),
        ([(b"authorization", b"Bearer ")], None),
        ([(b"authorization", b"Bearer")], None),
        ([(b"x-authorization", b"Bearer abc")], None),
        ([], None),
    ],
)
def test_the_bearer_token_is_read_as_the_header_multidict_would_give_it(
    headers: list[tuple[bytes, bytes]], expected: str | None
) -> None:
    connection = _connection(*headers)

    assert bearer_token(connection) == expected
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")  # Litestar's own reading
    assert expected == (token.strip() or None if scheme.lower() == "bearer" else None)


def test_a_generated_request_id_is_32_hex_digits_new_per_request_and_kept_for_its_request() -> None:
    scopes: list[Any] = [{"type": "http", "headers": [], "state": {}} for _ in range(1000)]

    ids = [request_id_of(scope) for scope in scopes]

    assert all(len(request_id) == 32 and int(request_id, 16) >= 0 for request_id in ids)
    assert len(set(ids)) == len(ids)
    assert [request_id_of(scope) for scope in scopes] == ids
