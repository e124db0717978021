"""Identity knobs, set from settings by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class IdentityConfig:
    refresh_ttl: timedelta = timedelta(days=14)
    refresh_idle_ttl: timedelta = timedelta(days=7)
    max_failed_logins: int = 5
    failed_login_window: timedelta = timedelta(minutes=10)
    lockout: timedelta = timedelta(minutes=10)
    dev_invite_code: str | None = None
    session_state_ttl_seconds: float = 30.0
    session_state_local_ttl_seconds: float = 5.0
    access_ttl_seconds: int = 1800
