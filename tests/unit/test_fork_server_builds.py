"""The fork server's app builds (tests/support/zygote.py): a build made in the server leaves its logging as it
was and no thread running (a fork keeps only the forking thread), and only a one-process `serve` asks for one."""

from __future__ import annotations

import logging
import threading

import pytest
import structlog

from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.support.zygote import _logging_left_as_it_was, _single_process_serve


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
