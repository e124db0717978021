"""In-memory limited packages and stock holds (unit-test fakes; the same contract as the SQL ones).

Stock and the per-user count change under row locks, taken in the SQL adapter's order (hold → user's
count → package), so concurrent units of work queue as they do on PostgreSQL.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field, replace
from datetime import datetime

from src.adapters.memory.identity import Workspace
from src.domain.shared.errors import InvalidInput
from src.domain.shop.limited import LimitedPackage, OutOfStock, UserLimitReached

HELD, FINALIZED, RELEASED = "held", "finalized", "released"


@dataclass
class StockHold:
    transaction_id: str
    package_id: str
    user_id: str
    quantity: int
    status: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass
class LimitedTables:
    limited_packages: dict[str, LimitedPackage] = field(default_factory=dict)
    stock_holds: dict[str, StockHold] = field(default_factory=dict)
    limited_purchase_counts: dict[tuple[str, str], int] = field(default_factory=dict)  # captured + held


class InMemoryLimitedPackageRepository:
    def __init__(self, workspace: Workspace[LimitedTables]) -> None:
        self._workspace = workspace

    async def get(self, package_id: str) -> LimitedPackage | None:
        return self._workspace.working.limited_packages.get(package_id)

    async def list(self) -> builtins.list[LimitedPackage]:
        packages = self._workspace.working.limited_packages.values()
        return sorted(packages, key=lambda package: (package.starts_at, package.package_id))

    async def _locked_package(self, package_id: str) -> LimitedPackage | None:
        await self._workspace.lock_row("limited_packages", package_id)
        return self._workspace.working.limited_packages.get(package_id)

    async def _held_package(self, hold: StockHold) -> LimitedPackage:
        await self._workspace.lock_row("limited_packages", hold.package_id)
        return self._workspace.working.limited_packages[
            hold.package_id
        ]  # a hold's package exists (a foreign key in SQL)

    def _store(self, package: LimitedPackage) -> LimitedPackage:
        self._workspace.working.limited_packages[package.package_id] = package
        return package

    async def upsert(self, package: LimitedPackage, now: datetime) -> LimitedPackage:
        current = await self._locked_package(package.package_id)
        if current is None:
            return self._store(replace(package, sold=0, held=0))
        if package.max_global_stock < current.sold + current.held:
            raise InvalidInput(
                "max_global_stock is below what is sold or held",
                details={"fields": [{"key": "max_global_stock", "source": "body"}]},
            )
        return self._store(replace(package, sold=current.sold, held=current.held))

    async def set_enabled(self, package_id: str, enabled: bool, now: datetime) -> LimitedPackage | None:
        current = await self._locked_package(package_id)
        return None if current is None else self._store(replace(current, enabled=enabled))

    async def purchased_by(self, package_id: str, user_id: str) -> int:
        return self._workspace.working.limited_purchase_counts.get((package_id, user_id), 0)

    async def hold(
        self,
        package_id: str,
        user_id: str,
        transaction_id: str,
        quantity: int,
        per_user_limit: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        if quantity < 1:
            raise InvalidInput("quantity must be at least 1", details={"fields": [{"key": "quantity"}]})
        counts = self._workspace.working.limited_purchase_counts
        await self._workspace.lock_row("limited_purchase_counts", (package_id, user_id))
        if counts.get((package_id, user_id), 0) + quantity > per_user_limit:
            raise UserLimitReached(details={"per_user_limit": per_user_limit})
        package = await self._locked_package(package_id)
        if package is None or package.sold + package.held + quantity > package.max_global_stock:
            raise OutOfStock
        await self._workspace.lock_row("stock_holds", transaction_id)
        if transaction_id in self._workspace.working.stock_holds:
            raise ValueError(f"transaction {transaction_id} already holds stock")  # a primary key in SQL
        counts[(package_id, user_id)] = counts.get((package_id, user_id), 0) + quantity
        self._store(replace(package, held=package.held + quantity))
        self._workspace.working.stock_holds[transaction_id] = StockHold(
            transaction_id, package_id, user_id, quantity, HELD, expires_at, now, now
        )

    async def _settle(self, transaction_id: str, status: str, now: datetime) -> StockHold | None:
        await self._workspace.lock_row("stock_holds", transaction_id)
        hold = self._workspace.working.stock_holds.get(transaction_id)
        if hold is None or hold.status != HELD:
            return None
        hold.status, hold.updated_at = status, now
        return hold

    async def finalize(self, transaction_id: str, now: datetime) -> bool:
        hold = await self._settle(transaction_id, FINALIZED, now)
        if hold is None:
            return False
        package = await self._held_package(hold)
        self._store(replace(package, held=package.held - hold.quantity, sold=package.sold + hold.quantity))
        return True

    async def release(self, transaction_id: str, now: datetime) -> bool:
        hold = await self._settle(transaction_id, RELEASED, now)
        if hold is None:
            return False
        key = (hold.package_id, hold.user_id)
        await self._workspace.lock_row("limited_purchase_counts", key)
        self._workspace.working.limited_purchase_counts[key] -= hold.quantity
        package = await self._held_package(hold)
        self._store(replace(package, held=package.held - hold.quantity))
        return True

    async def expired_holds(self, now: datetime, limit: int) -> builtins.list[str]:
        expired = [
            hold
            for hold in self._workspace.working.stock_holds.values()
            if hold.status == HELD and hold.expires_at < now
        ]
        expired.sort(key=lambda hold: (hold.expires_at, hold.transaction_id))
        return [hold.transaction_id for hold in expired[:limit]]
