"""In-memory shop tables and repositories (unit-test fakes; same contract as the SQL ones)."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.domain.shop.catalog import CatalogItem, SkuTaken


@dataclass
class ShopTables:
    catalog: dict[str, CatalogItem] = field(default_factory=dict)


class InMemoryCatalogRepository:
    def __init__(self, workspace: Workspace[ShopTables]) -> None:
        self._ws = workspace

    async def list(self) -> list[CatalogItem]:
        return sorted(self._ws.working.catalog.values(), key=lambda item: (item.price_cents, item.sku))

    async def get(self, sku: str) -> CatalogItem | None:
        return deepcopy(self._ws.working.catalog.get(sku))

    async def add(self, item: CatalogItem, now: datetime) -> None:
        await self._ws.lock_row("catalog", item.sku)
        if item.sku in self._ws.working.catalog or item.sku in self._ws.committed.catalog:
            raise SkuTaken
        self._ws.working.catalog[item.sku] = deepcopy(item)

    async def update(self, item: CatalogItem, now: datetime) -> None:
        if item.sku in self._ws.working.catalog:
            await self._ws.lock_row("catalog", item.sku)
            self._ws.working.catalog[item.sku] = deepcopy(item)
