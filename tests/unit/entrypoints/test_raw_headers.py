"""Headers read from the scope's raw list (`raw_header`) give what Litestar's header multidict gives."""

from __future__ import annotations

import pytest
from litestar.datastructures import Headers
from litestar.exceptions import ClientException

from src.entrypoints.http.json_body import JsonRequest, raw_header

RAW = [
    (b"content-type", b"Application/JSON ; charset=utf-8"),
    (b"Idempotency-Key", b"first"),
    (b"idempotency-key", b"second"),
    (b"content-length", b"12"),
]


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {"type": "http", "method": "POST", "path": "/", "headers": headers, "state": {}}


@pytest.mark.parametrize("name", ["idempotency-key", "content-type", "content-length", "authorization"])
def test_a_raw_header_is_the_first_value_the_multidict_gives(name: str) -> None:
    assert raw_header(_scope(RAW), name.encode()) == Headers(RAW).get(name)


def test_the_body_length_and_media_type_read_as_litestar_reads_them() -> None:
    sut = JsonRequest(_scope(RAW))  # type: ignore[arg-type]

    assert sut.content_length == 12
    assert sut.content_type[0] == "application/json"
    assert JsonRequest(_scope([])).content_length is None  # type: ignore[arg-type]
    with pytest.raises(ClientException):
        _ = JsonRequest(_scope([(b"content-length", b"twelve")])).content_length  # type: ignore[arg-type]
