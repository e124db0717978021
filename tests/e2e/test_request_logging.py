"""What a real `casino-club serve` process logs and counts for awkward requests: a client that goes away in the
middle of its body, and a path full of terminal control sequences."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.env import TEST_REDIS_URL
from tests.support.processes import started_server

pytestmark = pytest.mark.e2e

DEADLINE_SECONDS = 30.0


def _env(pg_url: str, redis_namespace: str, var_dir: Path, log_format: str) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": log_format,
        "JOB_QUEUE": "in-process",
    }


def _eventually(read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    return value


def _json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            continue
    return lines


def _send_half_a_body_and_hang_up(base_url: str, path: str, request_id: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"X-Request-ID: {request_id}\r\nContent-Length: 1000\r\n\r\n".encode()
            + b'{"site_id": "some'
        )
        # the app is reading the body when the connection closes: the request is in progress
        assert _eventually(lambda: _in_progress(base_url, path), bool), "the request never reached the app"


def _in_progress(base_url: str, path: str) -> bool:
    metrics = httpx.get(f"{base_url}/metrics", timeout=10).text
    return any(
        line.startswith("casino_club_requests_in_progress{") and f'path="{path}"' in line and float(line.split()[-1])
        for line in metrics.splitlines()
    )


def _counts(metrics: str, path: str) -> dict[str, float]:
    """Requests by status code of one route template, and its error count."""
    counts: dict[str, float] = {}
    for line in metrics.splitlines():
        if f'path="{path}"' not in line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        if name.startswith("casino_club_requests_error_total"):
            counts["errors"] = counts.get("errors", 0) + float(value)
        elif name.startswith("casino_club_requests_total"):
            status = name.split('status_code="', 1)[1].split('"', 1)[0]
            counts[status] = counts.get(status, 0) + float(value)
    return counts


def test_a_client_that_hangs_up_mid_body_is_an_info_line_not_a_server_error(
    pg_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    with started_server(_env(pg_url, redis_namespace, tmp_path / "var", "json")) as server:
        _send_half_a_body_and_hang_up(server.url, "/api/auth/login", "gone-1")
        mine = _eventually(
            lambda: [line for line in _json_lines(server.log) if line.get("request_id") == "gone-1"],
            lambda lines: any(line.get("event") == "request" for line in lines),
        )
        metrics = _counts(httpx.get(f"{server.url}/metrics", timeout=10).text, "/api/auth/login")
        text, lines = server.log.read_text(errors="replace"), _json_lines(server.log)

    assert [(line["event"], line["level"]) for line in mine] == [
        ("client disconnected before the response", "info"),
        ("request", "info"),
    ], mine
    assert mine[1]["status"] == 499
    assert "exception" not in mine[0]
    assert "Traceback" not in text
    assert not [line for line in lines if line.get("level") == "error"]
    assert metrics == {"499": 1.0}  # no 5xx series and no error count for the route


def test_the_console_log_escapes_control_characters_of_request_paths(
    pg_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    with started_server(_env(pg_url, redis_namespace, tmp_path / "var", "console")) as server:
        colour = httpx.get(f"{server.url}/api/shop/transactions/%1b[31mred", timeout=10)
        forged = httpx.get(f"{server.url}/api/shop/transactions/x%0aforged%c2%9b", timeout=10)
        text = _eventually(lambda: server.log.read_text(errors="replace"), lambda text: text.count("status=401") >= 2)

    assert (colour.status_code, forged.status_code) == (401, 401)
    paths = [line.split(" path=", 1)[1].split(" ", 1)[0] for line in text.splitlines() if " path=/api/shop/" in line]
    assert paths == ["/api/shop/transactions/\\u001b[31mred", "/api/shop/transactions/x\\nforged\\u009b"]
    assert "\x1b" not in text
    assert "\x9b" not in text
    assert not [line for line in text.splitlines() if line.startswith("forged")]
