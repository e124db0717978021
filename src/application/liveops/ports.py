"""The LiveOps unit of work: each feature adds its repositories here (declared in its own `<feature>_ports.py`)."""

from __future__ import annotations

from typing import Protocol

from src.application.shared.ports import UnitOfWork


class LiveOpsUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the LiveOps tables."""
