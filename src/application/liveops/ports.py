"""The LiveOps unit of work: each feature adds its repositories here (declared in its own `<feature>_ports.py`)."""

from __future__ import annotations

from typing import Protocol

from src.application.liveops.experiments_ports import ExperimentUnitOfWork
from src.application.shared.ports import UnitOfWork


class LiveOpsUnitOfWork(ExperimentUnitOfWork, UnitOfWork, Protocol):
    """One transaction over the LiveOps tables."""
