"""The Mailer contract runs against FileMailer (`.eml` files) and SmtpMailer on a real SMTP server (aiosmtpd).

Both hand a message over before `send` returns (the file is written; the server has answered DATA), so a test
reads what arrived right after sending, without waiting.
"""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage as Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from src.adapters.smtp.mailer import FileMailer, SmtpMailer
from src.application.notifications.ports import Mailer
from tests.support.processes import free_port

SENDER = "Casino Club <no-reply@casino-club.test>"


def _parse(raw: bytes) -> Message:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, Message)
    return message


class SmtpInbox:
    """aiosmtpd handler: keeps each message with its envelope recipients; answers DATA with `answer`."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.answer = "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer.startswith("250"):
            self.messages.append((list(envelope.rcpt_tos), _parse(envelope.content)))
        return self.answer


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpInbox, int]]:
    inbox, port = SmtpInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class MailerUnderTest:
    sut: Mailer
    arrived: Callable[[], list[tuple[list[str], Message]]]
    """Every message handed over so far, with the recipients it was delivered to."""


def _eml_files(directory: Path) -> list[tuple[list[str], Message]]:
    paths = sorted(directory.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns) if directory.exists() else []
    messages = [_parse(path.read_bytes()) for path in paths]
    return [([str(message["To"])], message) for message in messages]


@pytest.fixture(params=["file", "smtp"])
def mailer(request: pytest.FixtureRequest, tmp_path: Path) -> MailerUnderTest:
    if request.param == "file":
        directory = tmp_path / "mail"
        return MailerUnderTest(FileMailer(directory, SENDER), lambda: _eml_files(directory))
    inbox, port = request.getfixturevalue("smtp_server")
    return MailerUnderTest(SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER), lambda: list(inbox.messages))
