"""In-memory promo codes (unit-test fakes; the same contract as the SQL ones).

A use is taken under the code's row lock, as the SQL conditional UPDATE takes it, so concurrent units of
work queue on the code and the count stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from src.adapters.memory.identity import Workspace, newest_first_page
from src.application.shared.pagination import Page, Position
from src.domain.shop.promos import PromoCode, PromoCodeTaken, PromoInvalid

RESERVED, USED, RELEASED = "reserved", "used", "released"


@dataclass
class Redemption:
    transaction_id: str
    code: str
    user_id: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass
class PromoTables:
    promo_codes: dict[str, PromoCode] = field(default_factory=dict)
    promo_redemptions: dict[str, Redemption] = field(default_factory=dict)


class InMemoryPromoRepository:
    def __init__(self, workspace: Workspace[PromoTables]) -> None:
        self._workspace = workspace

    async def get(self, code: str) -> PromoCode | None:
        return self._workspace.working.promo_codes.get(code)

    async def add(self, promo: PromoCode) -> None:
        await self._workspace.lock_row("promo_codes", promo.code)
        if promo.code in self._workspace.working.promo_codes:
            raise PromoCodeTaken
        self._workspace.working.promo_codes[promo.code] = promo

    async def list(self, limit: int, after: Position | None) -> Page[PromoCode]:
        promos = self._workspace.working.promo_codes.values()
        return newest_first_page(promos, lambda promo: (promo.created_at, promo.code), limit, after)

    async def reserve(self, code: str, transaction_id: str, user_id: str, now: datetime) -> PromoCode:
        await self._workspace.lock_row("promo_codes", code)
        promo = self._workspace.working.promo_codes.get(code)
        if promo is None:
            raise PromoInvalid
        promo.check_usable(now)
        await self._workspace.lock_row("promo_redemptions", transaction_id)
        if transaction_id in self._workspace.working.promo_redemptions:
            raise ValueError(f"transaction {transaction_id} already redeemed a promo")  # a primary key in SQL
        taken = self._workspace.working.promo_codes[code] = replace(promo, used_count=promo.used_count + 1)
        self._workspace.working.promo_redemptions[transaction_id] = Redemption(
            transaction_id, code, user_id, RESERVED, now, now
        )
        return taken

    async def _settle(self, transaction_id: str, status: str, now: datetime) -> Redemption | None:
        await self._workspace.lock_row("promo_redemptions", transaction_id)
        redemption = self._workspace.working.promo_redemptions.get(transaction_id)
        if redemption is None or redemption.status != RESERVED:
            return None
        redemption.status, redemption.updated_at = status, now
        return redemption

    async def confirm(self, transaction_id: str, now: datetime) -> bool:
        return await self._settle(transaction_id, USED, now) is not None

    async def release(self, transaction_id: str, now: datetime) -> bool:
        redemption = await self._settle(transaction_id, RELEASED, now)
        if redemption is None:
            return False
        await self._workspace.lock_row("promo_codes", redemption.code)
        promo = self._workspace.working.promo_codes[redemption.code]
        self._workspace.working.promo_codes[promo.code] = replace(promo, used_count=promo.used_count - 1)
        return True
