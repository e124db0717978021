"""Settings: typed values from the environment, embedded defaults, and production refusing unsafe ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import pytest

from src.entrypoints.settings import (
    DEV_FAIRNESS_SEED_KEY,
    DEV_JWT_SECRET,
    EMPTY_IS_A_VALUE,
    AppEnv,
    JobQueueKind,
    LogFormat,
    Settings,
    SettingsError,
    field_kinds,
    load_settings,
)

SAFE_PRODUCTION = {
    "APP_ENV": "production",
    "JWT_SECRET": "s" * 48,
    "DATABASE_URL": "postgresql+asyncpg://app@db:5432/casino",
    "REDIS_URL": "redis://cache:6379/0",
    "PAYMENT_RECEIPT_SECRET": "r" * 40,
    "TRANSACTION_INTEGRITY_SECRET": "i" * 40,
    "FAIRNESS_SEED_KEY": "f" * 40,
    "PAYMENT_WEBHOOK_SECRETS": "whsec_" + "w" * 40,
    "VAPID_PRIVATE_KEY": "/run/secrets/vapid.pem",
}


def test_embedded_defaults_live_under_var(tmp_path: Path) -> None:
    sut = load_settings({"VAR_DIR": str(tmp_path)}, env_file=None)

    assert sut.app_env is AppEnv.DEVELOPMENT
    assert sut.database_url == f"sqlite+aiosqlite:///{tmp_path / 'casino.db'}"
    assert sut.clickhouse_dsn == f"chdb://{tmp_path / 'olap'}"
    assert sut.redis_url is None
    assert sut.kafka_bootstrap_servers is None
    assert (sut.host, sut.port, sut.jwt_expire_minutes, sut.dev_invite_code) == ("127.0.0.1", 8000, 30, "5858")
    assert sut.effective_log_format is LogFormat.CONSOLE


def test_values_are_typed_and_lists_split() -> None:
    sut = load_settings({"PORT": "9001", "CORS_ORIGINS": "https://a.example, https://b.example", "REDIS_URL": ""}, None)

    assert sut.port == 9001
    assert sut.cors_origins == ["https://a.example", "https://b.example"]
    assert sut.redis_url is None


def test_a_bad_value_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings({"PORT": "eighty"}, env_file=None)


def test_environment_overrides_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=7000\nLOG_LEVEL=DEBUG\n")

    sut = load_settings({"PORT": "7001"}, env_file=str(env_file))

    assert (sut.port, sut.log_level) == (7001, "DEBUG")


def test_safe_production_settings_are_accepted() -> None:
    sut = load_settings(SAFE_PRODUCTION, env_file=None)

    sut.check_production_safety()
    assert sut.effective_log_format is LogFormat.JSON


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET"),
        ({"JWT_SECRET": DEV_JWT_SECRET}, "JWT_SECRET"),
        ({"JWT_SECRET": "short"}, "JWT_SECRET"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite+aiosqlite:///prod.db"}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"ADMIN_PASSWORD": "admin"}, "ADMIN_PASSWORD"),
        ({"PAYMENT_RECEIPT_SECRET": ""}, "PAYMENT_RECEIPT_SECRET"),
        ({"TRANSACTION_INTEGRITY_SECRET": "short"}, "TRANSACTION_INTEGRITY_SECRET"),
        ({"FAIRNESS_SEED_KEY": ""}, "FAIRNESS_SEED_KEY"),
        ({"FAIRNESS_SEED_KEY": DEV_FAIRNESS_SEED_KEY}, "FAIRNESS_SEED_KEY"),
        ({"PAYMENT_WEBHOOK_SECRETS": ""}, "PAYMENT_WEBHOOK_SECRETS"),
        ({"SANDBOX_CAPTURE_DELAY_SECONDS": "0.5"}, "SANDBOX_CAPTURE_DELAY_SECONDS"),
        ({"TEST_CHEAP_PASSWORD_HASHES": "true"}, "TEST_CHEAP_PASSWORD_HASHES"),
        ({"JOB_QUEUE": "in-process"}, "JOB_QUEUE"),
        ({"VAPID_PRIVATE_KEY": ""}, "VAPID_PRIVATE_KEY"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, str], reason: str) -> None:
    sut = load_settings({**SAFE_PRODUCTION, **override}, env_file=None)

    with pytest.raises(SettingsError, match=reason) as refused:
        sut.check_production_safety()
    assert "\n" not in str(refused.value)


def test_development_tolerates_embedded_defaults() -> None:
    load_settings({}, env_file=None).check_production_safety()


@pytest.mark.parametrize(
    ("environ", "on_arq"),
    [
        ({}, False),
        ({"REDIS_URL": "redis://cache:6379/0"}, True),
        ({"REDIS_URL": "redis://cache:6379/0", "JOB_QUEUE": "in-process"}, False),
        ({"JOB_QUEUE": "arq"}, True),
    ],
)
def test_job_queue_auto_follows_redis(environ: dict[str, str], on_arq: bool) -> None:
    assert load_settings(environ, env_file=None).jobs_on_arq is on_arq


@pytest.mark.parametrize(
    ("environ", "field"),
    [({"JOB_QUEUE": "celery"}, "job_queue"), ({"SANDBOX_CAPTURE_DELAY_SECONDS": "-1"}, "sandbox_capture_delay")],
)
def test_job_settings_are_validated(environ: dict[str, str], field: str) -> None:
    with pytest.raises(SettingsError, match=field):
        load_settings(environ, env_file=None)


def test_job_queue_values_are_the_documented_ones() -> None:
    assert [kind.value for kind in JobQueueKind] == ["auto", "arq", "in-process"]


def test_streak_timezone_defaults_to_utc_and_takes_an_iana_name() -> None:
    assert load_settings({}, env_file=None).streak_timezone == "UTC"
    assert load_settings({"STREAK_TIMEZONE": "Asia/Seoul"}, env_file=None).streak_timezone == "Asia/Seoul"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "America", "../../etc/passwd", "x" * 300])
def test_a_streak_timezone_that_is_not_an_iana_name_is_a_settings_error(name: str) -> None:
    with pytest.raises(SettingsError, match="STREAK_TIMEZONE"):
        load_settings({"STREAK_TIMEZONE": name}, env_file=None)


def test_the_app_leaves_the_olap_store_to_another_process_only_when_events_go_through_kafka() -> None:
    assert load_settings({}, env_file=None).olap_in_app is True
    sut = load_settings({"OLAP_IN_APP": "false", "KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}, env_file=None)
    assert sut.olap_in_app is False

    with pytest.raises(SettingsError, match="OLAP_IN_APP=false needs KAFKA_BOOTSTRAP_SERVERS"):
        load_settings({"OLAP_IN_APP": "false"}, env_file=None)


def test_empty_optional_values_mean_unset_and_lists_are_comma_separated() -> None:
    sut = load_settings(
        {
            "SMTP_URL": "",
            "VAPID_PRIVATE_KEY": "",
            "KAFKA_BOOTSTRAP_SERVERS": "",
            "LOG_FORMAT": "",
            "ADMIN_SITE_ID": "",
            "JWT_PREVIOUS_SECRETS": "old-1, ,old-2",
            "TRANSACTION_INTEGRITY_PREVIOUS_KEYS": "k0:s0",
        },
        env_file=None,
    )

    assert (sut.smtp_url, sut.vapid_private_key, sut.kafka_bootstrap_servers, sut.log_format) == (None,) * 4
    assert sut.admin_site_id is None
    assert (sut.jwt_previous_secrets, sut.transaction_integrity_previous_keys) == (["old-1", "old-2"], ["k0:s0"])


def test_an_empty_admin_password_is_a_value_that_production_refuses() -> None:
    sut = load_settings({**SAFE_PRODUCTION, "ADMIN_SITE_ID": "boss", "ADMIN_PASSWORD": ""}, env_file=None)

    assert sut.admin_password == ""
    with pytest.raises(SettingsError, match="ADMIN_PASSWORD"):
        sut.check_production_safety()


def test_a_new_setting_is_read_from_its_annotation_alone() -> None:
    class Extended(Settings, kw_only=True, frozen=True):
        partner_hosts: list[str] = msgspec.field(default_factory=list)
        partner_timeout_seconds: float | None = None
        partner_token: Annotated[str | None, EMPTY_IS_A_VALUE] = None

    lists, optional = field_kinds(Extended)

    assert {"partner_hosts", "cors_origins"} <= lists
    assert {"partner_timeout_seconds", "redis_url"} <= optional
    assert "partner_token" not in optional
    assert "partner_hosts" not in optional
