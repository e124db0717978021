"""ORM models; importing this package registers every table on `Base.metadata` (Alembic reads it)."""

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.idempotency import IdempotencyRecordRow
from src.adapters.sqla.models.identity import AuditLogRow, InviteCodeRow, RefreshTokenRow, SessionRow, UserRow
from src.adapters.sqla.models.outbox import OutboxRow
from src.adapters.sqla.models.wallet import LedgerEntryRow, ProcessedEventRow, WalletRow

__all__ = [
    "AuditLogRow",
    "Base",
    "IdempotencyRecordRow",
    "InviteCodeRow",
    "LedgerEntryRow",
    "OutboxRow",
    "ProcessedEventRow",
    "RefreshTokenRow",
    "SessionRow",
    "UserRow",
    "WalletRow",
]
