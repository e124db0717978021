"""The real command line: `serve` on embedded defaults and on PostgreSQL + Redis, and production refusals."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.env import TEST_REDIS_URL
from tests.support.processes import run_cli, serving
from tests.support.redis_keys import new_namespace

pytestmark = pytest.mark.e2e


def test_serve_on_embedded_defaults_needs_no_services(tmp_path: Path) -> None:
    env = {"VAR_DIR": str(tmp_path / "var"), "APP_ENV": "development"}

    with serving(env, "--migrate") as base_url:
        ready = httpx.get(f"{base_url}/ready", timeout=10)
        docs = httpx.get(f"{base_url}/docs", timeout=10)
        schema = httpx.get(f"{base_url}/schema/openapi.json", timeout=10)

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "olap": "ok"}
    assert docs.status_code == 200
    assert schema.json()["info"]["title"] == "Casino-Club F2P API"
    assert (tmp_path / "var" / "casino.db").is_file()


def test_serve_on_postgres_and_redis(tmp_path: Path, pg_url: str) -> None:
    env = {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": pg_url, "REDIS_URL": TEST_REDIS_URL}
    env["REDIS_NAMESPACE"] = new_namespace()

    with serving(env) as base_url:
        ready = httpx.get(f"{base_url}/ready", timeout=10)

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "olap": "ok"}


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_with_one_line(tmp_path: Path, env: dict[str, str], reason: str) -> None:
    production = {
        "APP_ENV": "production",
        "VAR_DIR": str(tmp_path),
        "JWT_SECRET": "p" * 40,
        "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": TEST_REDIS_URL,
    }

    result = run_cli("serve", env={**production, **env})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert reason in lines[0]


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help", env={})

    assert result.returncode == 0
    assert "Usage:" in result.stdout
