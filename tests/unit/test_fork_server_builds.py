"""The fork server's app builds (tests/support/zygote.py): a build made in the server leaves its logging as it
was and no thread running (a fork keeps only the forking thread), and only a one-process `serve` asks for one."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
import structlog

from src.entrypoints.cli import main as cli_main
from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.zygote import _Builds, _logging_left_as_it_was, _single_process_serve

ENV = {"APP_ENV": "test", "DATABASE_URL": "postgresql+asyncpg://nowhere/none", "LOG_LEVEL": "WARNING"}


def test_a_build_leaves_logging_and_threads_as_they_were() -> None:
    root, litestar = logging.getLogger(), logging.getLogger("litestar")
    before = (list(root.handlers), root.level, list(litestar.handlers), structlog.is_configured())
    threads = set(threading.enumerate())
    settings = load_settings({"APP_ENV": "test", "DATABASE_URL": "postgresql+asyncpg://nowhere/none"}, env_file=None)

    with _logging_left_as_it_was():
        create_app(settings)
        assert set(threading.enumerate()) > threads  # the build's queue listener: what the block must stop

    assert (list(root.handlers), root.level, list(litestar.handlers), structlog.is_configured()) == before
    assert set(threading.enumerate()) == threads


@pytest.mark.parametrize(
    ("args", "single"),
    [
        (["serve", "--port", "8000"], True),
        (["serve", "--workers", "1"], True),
        (["serve", "--workers", "2", "--port", "8000"], False),
        (["serve", "--workers=2"], False),
        (["worker", "--queue", "payments"], False),
        (["verify-ledger"], False),
    ],
)
def test_only_a_one_process_serve_gets_a_build(args: list[str], single: bool) -> None:
    assert _single_process_serve(args) is single


def test_a_serve_child_starts_the_build_made_for_its_settings_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cli_main, "create_app", cli_main.create_app)  # put back after the test
    sut = _Builds()
    sut.prepare({"args": ["serve", "--port", "8000"], "env": ENV, "cwd": str(tmp_path)})
    [built] = sut._apps.values()
    sut.hand_to_serve()  # as in a forked child
    settings = load_settings({**ENV, "REDIS_NAMESPACE": "child:"}, env_file=None)

    first, second = cli_main.served_app(settings), cli_main.served_app(settings)

    assert first is built
    assert first.state.settings is settings
    assert second is not first  # a build is handed out once; the next one is built as before
    assert {route.path for route in first.routes} == {route.path for route in second.routes}


def test_a_build_that_fails_in_the_server_is_left_to_the_child(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no build")

    monkeypatch.setattr("src.entrypoints.http.app.create_app", failing)
    sut = _Builds()

    sut.prepare({"args": ["serve"], "env": ENV, "cwd": str(tmp_path)})  # does not raise: the server serves on

    assert sut._apps == {}
