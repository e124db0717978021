"""ORM models; importing this package registers every table on `Base.metadata` (Alembic reads it)."""

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.identity import AuditLogRow, InviteCodeRow, RefreshTokenRow, SessionRow, UserRow
from src.adapters.sqla.models.outbox import OutboxRow

__all__ = ["AuditLogRow", "Base", "InviteCodeRow", "OutboxRow", "RefreshTokenRow", "SessionRow", "UserRow"]
