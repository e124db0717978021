"""Access tokens never reach the logs, even where a server logs the query string (WebSocket handshakes)."""

from __future__ import annotations

import io
import logging

import structlog

from src.entrypoints.logging import _SHARED, _renderer, exception_as_dict, redact_tokens

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"
HANDSHAKE = f'127.0.0.1:50000 - "WebSocket /api/realtime/ws?token={TOKEN}&last_event_id=7" [accepted]'


def test_a_token_in_a_query_string_is_redacted_and_the_rest_kept() -> None:
    sut = redact_tokens(None, "info", {"event": HANDSHAKE, "path": f"/x?access_token={TOKEN}", "n": 3})

    assert TOKEN not in sut["event"]
    assert sut["event"] == '127.0.0.1:50000 - "WebSocket /api/realtime/ws?token=[redacted]&last_event_id=7" [accepted]'
    assert sut["path"] == "/x?access_token=[redacted]"
    assert sut["n"] == 3


def test_a_standard_library_record_goes_through_the_redaction() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=list(_SHARED),
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(True)],
        )
    )
    sut = logging.getLogger("test.uvicorn.error")
    sut.addHandler(handler)
    sut.propagate = False
    try:
        sut.warning('%s - "WebSocket %s" [accepted]', "127.0.0.1:50000", f"/api/realtime/ws?token={TOKEN}")
    finally:
        sut.removeHandler(handler)

    line = stream.getvalue()
    assert "token=[redacted]" in line
    assert TOKEN not in line


def test_a_logged_traceback_names_the_error_but_not_the_local_variables() -> None:
    stream = io.StringIO()
    sut = structlog.wrap_logger(
        structlog.PrintLogger(stream), processors=[*_SHARED, exception_as_dict, _renderer(True)]
    )

    def connect() -> None:
        dsn = "postgresql://app:hunter2-secret@db.internal/casino"
        raise ConnectionRefusedError(f"cannot reach {dsn.rsplit('@', 1)[1]}")

    try:
        connect()
    except ConnectionRefusedError:
        sut.exception("relay pass failed")

    line = stream.getvalue()
    assert "ConnectionRefusedError" in line
    assert "relay pass failed" in line
    assert "hunter2-secret" not in line
