"""What `casino-club serve` hands uvicorn: our two protocols and the realtime settings uvicorn enforces itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from src.entrypoints.cli import main
from src.entrypoints.http.uvicorn_protocol import OneWriteHttpToolsProtocol
from src.entrypoints.realtime.uvicorn_protocol import RealtimeWebSocketProtocol


def test_serve_gives_uvicorn_our_protocols_and_the_websocket_ping_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    handed: dict[str, Any] = {}
    monkeypatch.setattr(main.uvicorn, "run", lambda app, **options: handed.update(options, app=app))
    monkeypatch.setattr(main, "served_app", lambda settings: "the app")
    monkeypatch.setattr(main, "check_embedded_olap_free", lambda settings: None)
    env = {"APP_ENV": "test", "VAR_DIR": str(tmp_path), "REALTIME_PING_SECONDS": "7.5"}

    result = CliRunner().invoke(main.cli, ["serve", "--port", "8123"], env=env)

    assert result.exit_code == 0, result.output
    assert (handed["app"], handed["port"]) == ("the app", 8123)
    assert (handed["ws_ping_interval"], handed["ws_ping_timeout"]) == (7.5, 7.5)
    assert (handed["ws"], handed["http"]) == (RealtimeWebSocketProtocol, OneWriteHttpToolsProtocol)
    assert handed["ws_per_message_deflate"] is False
