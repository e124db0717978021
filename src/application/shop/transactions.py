"""The purchase transaction port: what the purchase, webhook and stale-void use cases need from storage."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from src.application.shared.pagination import Page, Position
from src.domain.shop.transactions import PurchaseTransaction


class TransactionRepository(Protocol):
    async def add(self, tx: PurchaseTransaction) -> None: ...

    async def get(self, tx_id: str) -> PurchaseTransaction | None: ...

    async def get_for_user(self, tx_id: str, user_id: str) -> PurchaseTransaction | None:
        """None when the transaction is unknown or belongs to another user."""
        ...

    async def update(self, tx: PurchaseTransaction) -> None:
        """Stores the mutable state: status, charge, failure reason, counters, amounts, updated_at and history."""
        ...

    async def list_for_user(self, user_id: str, limit: int, after: Position | None) -> Page[PurchaseTransaction]:
        """Newest first by (created_at, id)."""
        ...

    async def list_unsettled_before(self, cutoff: datetime, limit: int) -> list[PurchaseTransaction]:
        """Pending or authorized transactions created before `cutoff`, oldest first (the stale auto-void job)."""
        ...

    async def count_attempts_since(self, user_id: str, since: datetime) -> int:
        """How many transactions the user started at or after `since`, whatever became of them."""
        ...
