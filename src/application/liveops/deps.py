from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from src.application.analytics.ports import OlapStore
from src.application.liveops.ports import LiveOpsUnitOfWork
from src.application.shared.jobs import JobQueue
from src.application.shared.ports import Clock, IdGenerator
from src.domain.liveops.rfm import RfmThresholds


@dataclass
class LiveOpsDeps:
    """What LiveOps use cases get. `olap`: the OLAP store where the process opened one (the server); workers and
    one-shot commands have none, so what needs it runs in the server or fails as a dependency outage."""

    uow_factory: Callable[[], LiveOpsUnitOfWork]
    clock: Clock
    ids: IdGenerator
    jobs: JobQueue
    olap: OlapStore | None = None
    rfm: RfmThresholds = field(default_factory=RfmThresholds)  # documented in src/domain/liveops/rfm.py
    segment_chunk_size: int = 25_000  # players per transaction of a recompute
