"""The real command line: `serve` on embedded defaults and on PostgreSQL + Redis, and production refusals."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from src.entrypoints.cli.main import cli
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


PRODUCTION = {
    "APP_ENV": "production",
    "JWT_SECRET": "p" * 40,
    "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": TEST_REDIS_URL,
    "PAYMENT_RECEIPT_SECRET": "r" * 40,
    "TRANSACTION_INTEGRITY_SECRET": "i" * 40,
    "FAIRNESS_SEED_KEY": "f" * 40,
    "PAYMENT_WEBHOOK_SECRETS": "whsec_" + "w" * 40,
}


def test_production_refuses_to_start_with_one_line(tmp_path: Path) -> None:
    result = run_cli("serve", env={**PRODUCTION, "VAR_DIR": str(tmp_path), "JWT_SECRET": ""})

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "casino-club: refusing to start: JWT_SECRET must be set to a secret of your own when APP_ENV=production"
    ]


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"JWT_SECRET": "dev-only-jwt-secret-not-for-production-use"}, "JWT_SECRET"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite+aiosqlite:///prod.db"}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_production_refuses_embedded_defaults(tmp_path: Path, env: dict[str, str], reason: str, command: str) -> None:
    sut = CliRunner()

    result = sut.invoke(cli, [command], env={**PRODUCTION, "VAR_DIR": str(tmp_path), **env})

    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert reason in line


@pytest.mark.parametrize("command", ["serve", "migrate", "create-admin"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])

    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_the_command_lists_its_subcommands() -> None:
    result = run_cli("--help", env={}, console_script=True)  # the installed entry point itself, not a fork

    assert result.returncode == 0
    for command in ("serve", "migrate", "create-admin"):
        assert command in result.stdout


def test_create_admin_creates_then_resets_an_admin_who_can_log_in(tmp_path: Path, pg_url: str) -> None:
    env = {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": pg_url, "REDIS_URL": TEST_REDIS_URL}
    env["REDIS_NAMESPACE"] = new_namespace()
    site_id = f"ops_{uuid.uuid4().hex[:10]}"

    created = run_cli("create-admin", "--site-id", site_id, "--password", "first-admin-secret-1", env=env)
    reset = run_cli("create-admin", "--site-id", site_id, "--password", "second-admin-secret-2", env=env)
    weak = run_cli("create-admin", "--site-id", site_id, "--password", "password123", env=env)

    assert created.returncode == 0, created.stderr
    assert "created" in created.stdout
    assert "updated" in reset.stdout
    assert weak.returncode == 2
    assert "common" in weak.stderr
    with serving(env) as base_url:
        login = httpx.post(
            f"{base_url}/api/auth/admin/login", json={"site_id": site_id, "password": "second-admin-secret-2"}
        )
    assert login.status_code == 200, login.text
    assert login.json()["user"]["is_admin"] is True


@pytest.mark.parametrize(
    ("env", "reason"),
    [({"REDIS_URL": ""}, "REDIS_URL"), ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "ClickHouse server")],
)
def test_serve_with_several_workers_refuses_what_processes_cannot_share(
    tmp_path: Path, env: dict[str, str], reason: str
) -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"], env={"VAR_DIR": str(tmp_path), **env})

    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("casino-club: refusing to start: --workers above 1 needs")
    assert reason in line
