"""The LiveOps unit of work: each feature adds its repositories here (declared in its own `<feature>_ports.py`)."""

from __future__ import annotations

from typing import Protocol

from src.application.liveops.experiments_ports import ExperimentUnitOfWork
from src.application.liveops.segment_ports import SegmentRepository
from src.application.shared.audit import Audited
from src.application.shared.ports import UnitOfWork


class LiveOpsUnitOfWork(ExperimentUnitOfWork, UnitOfWork, Audited, Protocol):
    """One transaction over the LiveOps tables (admin changes audit-logged in it)."""

    @property
    def segments(self) -> SegmentRepository: ...
