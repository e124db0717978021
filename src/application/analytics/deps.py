from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from src.application.analytics.ports import ActionUnitOfWork
from src.application.shared.ports import Cache, Clock


@dataclass(frozen=True)
class ActionConfig:
    """`per_minute`: actions one player may report per minute (a bulk counts each of its actions);
    `retention_days`: how long the database keeps them for `/recent` (the OLAP store keeps its own copy)."""

    per_minute: int = 1000
    retention_days: int = 30


@dataclass
class ActionDeps:
    uow_factory: Callable[[], ActionUnitOfWork]
    clock: Clock
    cache: Cache
    config: ActionConfig
