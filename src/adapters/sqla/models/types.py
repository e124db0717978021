"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.dialects.postgresql import JSONB

JsonDocument = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY columns
BigIntPrimaryKey = BigInteger().with_variant(Integer(), "sqlite")
UtcDateTime = DateTimeUTC(timezone=True)
