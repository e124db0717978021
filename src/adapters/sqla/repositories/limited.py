"""SQL limited packages: stock and the per-user limit are decided by conditional statements in the database.

Rows are locked in one order everywhere (hold row → user's count → package), so concurrent holds,
finalizes and releases queue on PostgreSQL instead of deadlocking; SQLite serializes writers anyway.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.shop import LimitedPackageRow, LimitedPurchaseCountRow, StockHoldRow
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Rank
from src.domain.shop.limited import LimitedPackage, OutOfStock, UserLimitReached

PACKAGES = cast(Table, LimitedPackageRow.__table__)
HOLDS = cast(Table, StockHoldRow.__table__)
COUNTS = cast(Table, LimitedPurchaseCountRow.__table__)
HELD, FINALIZED, RELEASED = "held", "finalized", "released"


def _package(row: Any) -> LimitedPackage:
    return LimitedPackage(
        package_id=row.package_id,
        name=row.name,
        description=row.description,
        price_cents=row.price_cents,
        currency=row.currency,
        gems=row.gems,
        min_rank=Rank(row.min_rank),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        max_global_stock=row.max_global_stock,
        per_user_limit=row.per_user_limit,
        enabled=row.enabled,
        sold=row.sold,
        held=row.held,
    )


def _settings(package: LimitedPackage) -> dict[str, Any]:
    """What an admin upsert sets; sold and held belong to purchases."""
    return {
        "name": package.name,
        "description": package.description,
        "price_cents": package.price_cents,
        "currency": package.currency,
        "gems": package.gems,
        "min_rank": package.min_rank.value,
        "starts_at": package.starts_at,
        "ends_at": package.ends_at,
        "max_global_stock": package.max_global_stock,
        "per_user_limit": package.per_user_limit,
        "enabled": package.enabled,
    }


class SqlaLimitedPackageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def get(self, package_id: str) -> LimitedPackage | None:
        row = (await self._db.execute(select(PACKAGES).where(PACKAGES.c.package_id == package_id))).first()
        return None if row is None else _package(row)

    async def list(self) -> list[LimitedPackage]:
        statement = select(PACKAGES).order_by(PACKAGES.c.starts_at, PACKAGES.c.package_id)
        return [_package(row) for row in await self._db.execute(statement)]

    async def upsert(self, package: LimitedPackage, now: datetime) -> LimitedPackage:
        settings = _settings(package)
        statement = dialect_insert(self._db)(PACKAGES).values(
            package_id=package.package_id, sold=0, held=0, created_at=now, updated_at=now, **settings
        )
        statement = statement.on_conflict_do_update(
            index_elements=[PACKAGES.c.package_id],
            set_={**{name: statement.excluded[name] for name in settings}, "updated_at": now},
            # the stock of an existing package never drops below what is sold or held
            where=statement.excluded.max_global_stock >= PACKAGES.c.sold + PACKAGES.c.held,
        ).returning(*PACKAGES.c)
        row = (await self._db.execute(statement)).first()
        if row is None:
            raise InvalidInput(
                "max_global_stock is below what is sold or held",
                details={"fields": [{"key": "max_global_stock", "source": "body"}]},
            )
        return _package(row)

    async def set_enabled(self, package_id: str, enabled: bool, now: datetime) -> LimitedPackage | None:
        statement = (
            update(PACKAGES)
            .where(PACKAGES.c.package_id == package_id)
            .values(enabled=enabled, updated_at=now)
            .returning(*PACKAGES.c)
        )
        row = (await self._db.execute(statement)).first()
        return None if row is None else _package(row)

    async def purchased_by(self, package_id: str, user_id: str) -> int:
        statement = select(COUNTS.c.quantity).where(COUNTS.c.package_id == package_id, COUNTS.c.user_id == user_id)
        return int((await self._db.execute(statement)).scalar_one_or_none() or 0)

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
        if quantity > per_user_limit or not await self._count_in(package_id, user_id, quantity, per_user_limit, now):
            raise UserLimitReached(details={"per_user_limit": per_user_limit})
        if not await self._take_stock(package_id, quantity, now):
            # give the user's count back in this same transaction; the stock was never touched
            await self._count_out(package_id, user_id, quantity, now)
            raise OutOfStock
        hold = {"transaction_id": transaction_id, "package_id": package_id, "user_id": user_id, "quantity": quantity}
        await self._db.execute(
            insert(HOLDS).values(**hold, status=HELD, expires_at=expires_at, created_at=now, updated_at=now)
        )

    async def _count_in(self, package_id: str, user_id: str, quantity: int, limit: int, now: datetime) -> bool:
        """Add to the user's captured-plus-held count unless it would pass the limit (one locked row)."""
        statement = dialect_insert(self._db)(COUNTS).values(
            package_id=package_id, user_id=user_id, quantity=quantity, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[COUNTS.c.package_id, COUNTS.c.user_id],
            set_={"quantity": COUNTS.c.quantity + quantity, "updated_at": now},
            where=COUNTS.c.quantity + quantity <= limit,
        ).returning(COUNTS.c.quantity)
        return (await self._db.execute(statement)).first() is not None

    async def _count_out(self, package_id: str, user_id: str, quantity: int, now: datetime) -> None:
        await self._db.execute(
            update(COUNTS)
            .where(COUNTS.c.package_id == package_id, COUNTS.c.user_id == user_id)
            .values(quantity=COUNTS.c.quantity - quantity, updated_at=now)
        )

    async def _take_stock(self, package_id: str, quantity: int, now: datetime) -> bool:
        statement = (
            update(PACKAGES)
            .where(PACKAGES.c.package_id == package_id)
            .where(PACKAGES.c.sold + PACKAGES.c.held + quantity <= PACKAGES.c.max_global_stock)
            .values(held=PACKAGES.c.held + quantity, updated_at=now)
            .returning(PACKAGES.c.package_id)
        )
        return (await self._db.execute(statement)).first() is not None

    async def _settle(self, transaction_id: str, status: str, now: datetime) -> Any:
        """Move a held hold to `status` (once, under its row lock); the hold, or None if nothing was held."""
        statement = (
            update(HOLDS)
            .where(HOLDS.c.transaction_id == transaction_id, HOLDS.c.status == HELD)
            .values(status=status, updated_at=now)
            .returning(HOLDS.c.package_id, HOLDS.c.user_id, HOLDS.c.quantity)
        )
        return (await self._db.execute(statement)).first()

    async def finalize(self, transaction_id: str, now: datetime) -> bool:
        hold = await self._settle(transaction_id, FINALIZED, now)
        if hold is None:
            return False
        await self._db.execute(
            update(PACKAGES)
            .where(PACKAGES.c.package_id == hold.package_id)
            .values(held=PACKAGES.c.held - hold.quantity, sold=PACKAGES.c.sold + hold.quantity, updated_at=now)
        )
        return True

    async def release(self, transaction_id: str, now: datetime) -> bool:
        hold = await self._settle(transaction_id, RELEASED, now)
        if hold is None:
            return False
        await self._count_out(hold.package_id, hold.user_id, hold.quantity, now)
        await self._db.execute(
            update(PACKAGES)
            .where(PACKAGES.c.package_id == hold.package_id)
            .values(held=PACKAGES.c.held - hold.quantity, updated_at=now)
        )
        return True

    async def expired_holds(self, now: datetime, limit: int) -> builtins.list[str]:
        statement = (
            select(HOLDS.c.transaction_id)
            .where(HOLDS.c.status == HELD, HOLDS.c.expires_at < now)
            .order_by(HOLDS.c.expires_at, HOLDS.c.transaction_id)
            .limit(limit)
        )
        return list((await self._db.execute(statement)).scalars())
