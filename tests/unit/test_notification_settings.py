"""Notification settings: which push sender runs where, and values refused at load."""

from __future__ import annotations

import pytest

from src.entrypoints.settings import PushSenderKind, SettingsError, load_settings


@pytest.mark.parametrize(
    ("environ", "over_http"),
    [
        ({}, False),
        ({"APP_ENV": "production"}, True),
        ({"PUSH_SENDER": "webpush"}, True),
        ({"APP_ENV": "production", "PUSH_SENDER": "record"}, False),
    ],
)
def test_pushes_go_over_http_in_production_or_when_asked(environ: dict[str, str], over_http: bool) -> None:
    assert load_settings(environ, env_file=None).pushes_over_http is over_http


def test_defaults_keep_a_quarter_year_and_record_pushes_locally() -> None:
    sut = load_settings({}, env_file=None)

    assert (sut.notification_retention_days, sut.push_sender, sut.push_urgency) == (90, PushSenderKind.AUTO, "normal")
    assert (sut.vapid_private_key, sut.smtp_url) == (None, None)


@pytest.mark.parametrize(
    "environ",
    [{"PUSH_URGENCY": "urgent"}, {"PUSH_SENDER": "carrier-pigeon"}, {"NOTIFICATION_RETENTION_DAYS": "0"},
     {"PUSH_TTL_SECONDS": "-1"}, {"NOTIFICATION_MAX_ATTEMPTS": "0"}],
)  # fmt: skip
def test_bad_notification_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(environ, env_file=None)
