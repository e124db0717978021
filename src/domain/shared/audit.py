"""The admin audit trail: who changed what, from where, written with the change itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    id: str
    admin_id: str
    action: str
    target_type: str
    target_id: str | None
    created_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None
