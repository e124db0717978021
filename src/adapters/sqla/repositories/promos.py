"""SQL promo codes: a use is taken by one conditional UPDATE, so concurrent buyers never exceed max_uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn, cast

from sqlalchemy import ColumnElement, Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.shop import PromoCodeRow, PromoRedemptionRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.application.shared.pagination import Page, Position
from src.domain.shop.promos import PromoCode, PromoCodeTaken, PromoExhausted, PromoInvalid

PROMOS = cast(Table, PromoCodeRow.__table__)
REDEMPTIONS = cast(Table, PromoRedemptionRow.__table__)
RESERVED, USED, RELEASED = "reserved", "used", "released"


def _promo(row: Any) -> PromoCode:
    return PromoCode(
        code=row.code,
        discount_percent=row.discount_percent,
        max_uses=row.max_uses,
        created_at=row.created_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        enabled=row.enabled,
        used_count=row.used_count,
    )


def _usable_now(now: datetime) -> ColumnElement[bool]:
    """The rule of PromoCode.check_usable, for the database to decide under the row lock."""
    columns = PROMOS.c
    return and_(
        columns.enabled.is_(True),
        or_(columns.starts_at.is_(None), columns.starts_at <= now),
        or_(columns.ends_at.is_(None), columns.ends_at > now),
        or_(columns.max_uses.is_(None), columns.used_count < columns.max_uses),
    )


class SqlaPromoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def get(self, code: str) -> PromoCode | None:
        row = (await self._db.execute(select(PROMOS).where(PROMOS.c.code == code))).first()
        return None if row is None else _promo(row)

    async def add(self, promo: PromoCode) -> None:
        values = {
            "code": promo.code,
            "discount_percent": promo.discount_percent,
            "max_uses": promo.max_uses,
            "used_count": promo.used_count,
            "starts_at": promo.starts_at,
            "ends_at": promo.ends_at,
            "enabled": promo.enabled,
            "created_at": promo.created_at,
            "updated_at": promo.created_at,
        }
        try:
            await self._db.execute(insert(PROMOS).values(values))
        except IntegrityError as exc:
            raise PromoCodeTaken from exc

    async def list(self, limit: int, after: Position | None) -> Page[PromoCode]:
        statement = after_position(select(PROMOS), PROMOS.c.created_at, PROMOS.c.code, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).all()
        return to_page(rows, limit, _promo, lambda row: Position(row.created_at, row.code))

    async def reserve(self, code: str, transaction_id: str, user_id: str, now: datetime) -> PromoCode:
        taken = (
            await self._db.execute(
                update(PROMOS)
                .where(PROMOS.c.code == code, _usable_now(now))
                .values(used_count=PROMOS.c.used_count + 1, updated_at=now)
                .returning(*PROMOS.c)
            )
        ).first()
        if taken is None:
            await self._refuse(code, now)
        redemption = {"transaction_id": transaction_id, "code": code, "user_id": user_id, "status": RESERVED}
        await self._db.execute(insert(REDEMPTIONS).values(**redemption, created_at=now, updated_at=now))
        return _promo(taken)

    async def _refuse(self, code: str, now: datetime) -> NoReturn:
        """Say why the conditional update took nothing."""
        promo = await self.get(code)
        if promo is None:
            raise PromoInvalid
        promo.check_usable(now)
        raise PromoExhausted  # the rule allows a use, so the last one went to a concurrent buyer

    async def _settle(self, transaction_id: str, status: str, now: datetime) -> str | None:
        """Move a reserved redemption to `status`; its code, or None when it was not reserved."""
        statement = (
            update(REDEMPTIONS)
            .where(REDEMPTIONS.c.transaction_id == transaction_id, REDEMPTIONS.c.status == RESERVED)
            .values(status=status, updated_at=now)
            .returning(REDEMPTIONS.c.code)
        )
        return cast(str | None, (await self._db.execute(statement)).scalar_one_or_none())

    async def confirm(self, transaction_id: str, now: datetime) -> bool:
        return await self._settle(transaction_id, USED, now) is not None

    async def release(self, transaction_id: str, now: datetime) -> bool:
        code = await self._settle(transaction_id, RELEASED, now)
        if code is None:
            return False
        await self._db.execute(
            update(PROMOS).where(PROMOS.c.code == code).values(used_count=PROMOS.c.used_count - 1, updated_at=now)
        )
        return True
