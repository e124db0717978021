"""Contract of the Mailer port: FileMailer and SmtpMailer deliver the same message; SMTP failures at the end."""

from __future__ import annotations

from email.message import EmailMessage as Message

import aiosmtplib
import pytest

from src.adapters.smtp.mailer import SmtpMailer
from src.application.notifications.ports import EmailMessage, MailerUnavailable
from tests.contract.mailer.conftest import SENDER, MailerUnderTest, SmtpInbox
from tests.support.processes import free_port

WELCOME = EmailMessage(
    to="ann@example.test",
    subject="Willkommen, Ann — 100 coins 🎰",
    text="Grüße! Your bonus is waiting.",
    html="<p>Grüße! Your <b>bonus</b> is waiting.</p>",
)


def _parts(message: Message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


async def test_a_message_arrives_once_with_its_headers_and_both_parts(mailer: MailerUnderTest) -> None:
    await mailer.sut.send(WELCOME)

    [(recipients, message)] = mailer.arrived()
    assert recipients == ["ann@example.test"]
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, WELCOME.to, WELCOME.subject)
    assert message.get_content_type() == "multipart/alternative"
    parts = _parts(message)
    assert list(parts) == ["text/plain", "text/html"]  # the plain part first: clients prefer the last they can show
    assert (parts["text/plain"].strip(), parts["text/html"].strip()) == (WELCOME.text, WELCOME.html)


async def test_every_message_is_its_own_mail_with_a_date_and_a_unique_message_id(mailer: MailerUnderTest) -> None:
    for n in range(3):
        await mailer.sut.send(EmailMessage(f"p{n}@example.test", f"Mail {n}", f"text {n}", f"<p>html {n}</p>"))

    arrived = mailer.arrived()
    assert sorted(message["Subject"] for _, message in arrived) == ["Mail 0", "Mail 1", "Mail 2"]
    assert sorted(recipient for recipients, _ in arrived for recipient in recipients) == [
        "p0@example.test",
        "p1@example.test",
        "p2@example.test",
    ]
    assert len({message["Message-ID"] for _, message in arrived}) == 3
    assert all(message["Date"] for _, message in arrived)


# --- SMTP only: what a failed hand-over raises ----------------------------------------------------------------------


async def test_an_unreachable_server_is_a_transient_failure() -> None:
    sut = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout_seconds=5)

    with pytest.raises(MailerUnavailable):
        await sut.send(WELCOME)


async def test_a_4xx_answer_is_a_transient_failure(smtp_server: tuple[SmtpInbox, int]) -> None:
    inbox, port = smtp_server
    inbox.answer = "451 4.3.0 Try again later"

    with pytest.raises(MailerUnavailable):
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(WELCOME)
    assert inbox.messages == []


async def test_a_5xx_answer_is_permanent_and_not_retried_as_unavailable(smtp_server: tuple[SmtpInbox, int]) -> None:
    inbox, port = smtp_server
    inbox.answer = "554 5.6.0 Message refused"

    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER).send(WELCOME)
    assert refused.value.code == 554
    assert not isinstance(refused.value, MailerUnavailable)
