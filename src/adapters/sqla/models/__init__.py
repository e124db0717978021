"""ORM models; importing this package registers every table on `Base.metadata` (Alembic reads it)."""

from src.adapters.sqla.models.base import Base

__all__ = ["Base"]
