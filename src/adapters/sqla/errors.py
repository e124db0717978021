"""Translate driver errors into our own: a named unique constraint becomes a domain refusal."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def violated_constraint(error: IntegrityError, candidates: dict[str, str]) -> str | None:
    """Which of `candidates` (constraint name → `table.column`) the error names, on PostgreSQL or SQLite."""
    message = str(error.orig)
    for constraint, column in candidates.items():
        if constraint in message or column in message:
            return constraint
    return None
