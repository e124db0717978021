"""Mailers: SMTP (aiosmtplib) in production, `.eml` files under VAR_DIR/mail/ as the embedded default."""

from __future__ import annotations

import asyncio
import uuid
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib

from src.application.notifications.ports import EmailMessage, MailerUnavailable


def mime(message: EmailMessage, sender: str) -> MimeMessage:
    """multipart/alternative: the text part first, the HTML part preferred by clients that can show it."""
    mail = MimeMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, message.to, message.subject
    mail["Date"], mail["Message-ID"] = formatdate(usegmt=True), make_msgid(domain="casino-club.local")
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


class SmtpMailer:
    """SMTP_URL: smtp://[user:password@]host:port (STARTTLS when offered) or smtps://… (TLS from the start)."""

    def __init__(self, url: str, sender: str, timeout_seconds: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port")
        self._host, self._tls = parts.hostname, parts.scheme == "smtps"
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender, self._timeout = sender, timeout_seconds

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                mime(message, self._sender), hostname=self._host, port=self._port, username=self._user,
                password=self._password, use_tls=self._tls, timeout=self._timeout,
            )  # fmt: skip
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise MailerUnavailable(f"SMTP {exc.code}") from exc
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailerUnavailable(type(exc).__name__) from exc


class FileMailer:
    """Each message becomes one `.eml` file, readable by any mail client."""

    def __init__(self, directory: Path, sender: str) -> None:
        self._directory, self._sender = directory, sender

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, mime(message, self._sender).as_bytes())

    def _write(self, raw: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        (self._directory / f"{uuid.uuid4().hex}.eml").write_bytes(raw)
