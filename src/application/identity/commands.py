"""Requests to the identity context, already parsed at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.shared.commands import ClientInfo
from src.domain.shared.principal import Principal


@dataclass(frozen=True)
class SignUp:
    site_id: str
    nickname: str
    password: str
    invite_code: str
    client: ClientInfo
    email: str | None = None
    phone_number: str | None = None


@dataclass(frozen=True)
class LogIn:
    site_id: str
    password: str
    client: ClientInfo
    admin_only: bool = False


@dataclass(frozen=True)
class Refresh:
    refresh_token: str


@dataclass(frozen=True)
class CreateInviteCode:
    admin: Principal
    client: ClientInfo
    expires_at: datetime | None = None
    max_uses: int | None = None
