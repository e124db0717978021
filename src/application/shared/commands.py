"""What every command carries about its caller: who acts, and from where."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from src.domain.shared.principal import Principal


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, for sessions and the audit log."""

    ip: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class AdminAction:
    """What an admin did, to what, from where; written in the same transaction as the change."""

    admin: Principal
    client: ClientInfo
    action: str
    target_type: str
    target_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
