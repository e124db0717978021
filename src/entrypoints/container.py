"""What request handlers and jobs may depend on: ports only, never concrete adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from src.application.shared.ports import Cache, Clock, HealthProbe, UnitOfWork
from src.entrypoints.settings import Settings


@dataclass
class Container:
    """Built once per process by the composition root (`bootstrap.open_container`)."""

    settings: Settings
    clock: Clock
    cache: Cache
    uow_factory: Callable[[], UnitOfWork]
    probes: list[HealthProbe] = field(default_factory=list)
