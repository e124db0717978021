"""Embedded notification adapters: VAPID keys kept under VAR_DIR, pushes recorded as JSON, mail as .eml files;
the push sender's status mapping and the SMTP URL."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from src.adapters.smtp.mailer import FileMailer, SmtpMailer
from src.adapters.webpush.sender import RecordingPushSender, outcome_of
from src.adapters.webpush.vapid import VapidKeys, configured_keys, development_keys
from src.application.notifications.ports import EmailMessage, PushMessage, PushOutcome, PushSubscription
from tests.support.push_service import unb64url


def test_development_keys_are_generated_once_and_kept(tmp_path: Path) -> None:
    first = development_keys(tmp_path)
    second = development_keys(tmp_path)

    assert first == second
    assert (tmp_path / "vapid" / "private_key.pem").stat().st_mode & 0o077 == 0
    raw = unb64url(first.application_server_key)
    assert (len(raw), raw[0]) == (65, 4)


def test_configured_keys_accept_a_pem_with_escaped_newlines_or_a_path(tmp_path: Path) -> None:
    keys = VapidKeys.generate()
    path = tmp_path / "vapid.pem"
    path.write_bytes(keys.private_pem)

    inline = configured_keys(keys.private_pem.decode().replace("\n", "\\n"))

    assert inline.application_server_key == keys.application_server_key
    assert configured_keys(str(path)).application_server_key == keys.application_server_key


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(201, PushOutcome.DELIVERED), (404, PushOutcome.GONE), (410, PushOutcome.GONE), (429, PushOutcome.RETRY),
     (500, PushOutcome.RETRY), (503, PushOutcome.RETRY), (400, PushOutcome.REJECTED), (413, PushOutcome.REJECTED)],
)  # fmt: skip
def test_push_service_answers_map_to_outcomes(status: int, outcome: PushOutcome) -> None:
    assert outcome_of(status) is outcome


async def test_recorded_pushes_are_json_files(tmp_path: Path) -> None:
    sut = RecordingPushSender(VapidKeys.generate(), tmp_path / "push")
    subscription = PushSubscription("https://push.example/1", "u1", "k", "a", datetime(2026, 1, 1, tzinfo=UTC))

    result = await sut.send(subscription, PushMessage(b'{"title":"Hi"}', 60, "low"))

    [record] = list((tmp_path / "push").iterdir())
    assert result.outcome is PushOutcome.DELIVERED
    assert json.loads(record.read_text())["payload"] == {"title": "Hi"}


async def test_mail_becomes_an_eml_file_with_both_parts(tmp_path: Path) -> None:
    sut = FileMailer(tmp_path / "mail", "Casino <no-reply@example.test>")

    await sut.send(EmailMessage("ann@example.test", "Hello", "plain text", "<p>html</p>"))

    [path] = list((tmp_path / "mail").glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes())
    assert (message["To"], message["Subject"]) == ("ann@example.test", "Hello")
    assert [part.get_content_type() for part in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]


@pytest.mark.parametrize("url", ["http://mail:25", "smtp://", "mailpit:1025"])
def test_an_smtp_url_must_name_a_host(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpMailer(url, "x@example.test")
