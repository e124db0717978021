"""Experiments (their variants and phases as JSON documents) and the players' stored, sticky assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class ExperimentRow(Base):
    __tablename__ = "experiments"
    __table_args__ = (
        Index("uq_experiments_key", "key", unique=True),
        Index("ix_experiments_created_at_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)  # [{name, weight, params}], control first
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)  # [{number, started_at, weights}]
    goal: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ExperimentAssignmentRow(Base):
    """One per (experiment, player): the primary key is what makes the first assignment, and its exposure, once."""

    __tablename__ = "experiment_assignments"

    experiment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(String(32))
    phase: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
