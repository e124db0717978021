"""verify-transactions: every purchase transaction still matches the integrity hash the server sealed it with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from src.application.shop.deps import PurchaseDeps
from src.domain.shop.receipts import integrity_holds


@dataclass
class IntegrityReport:
    checked: int = 0
    tampered: list[str] = field(default_factory=list)  # transaction ids whose row no longer matches its hash

    @property
    def ok(self) -> bool:
        return not self.tampered


async def count_transactions(deps: PurchaseDeps) -> int:
    async with deps.uow_factory() as uow:
        return await uow.transactions.count()


async def verify_transactions(
    deps: PurchaseDeps, on_progress: Callable[[int], None] | None = None, batch_size: int = 500
) -> IntegrityReport:
    """Recompute each hash with the key it names (retired keys included); a row without a hash counts as tampered."""
    report, after_id = IntegrityReport(), None
    while True:
        async with deps.uow_factory() as uow:
            batch = await uow.transactions.integrity_hashes(after_id, batch_size)
        if not batch:
            return report
        for tx, stored in batch:
            if stored is None or not integrity_holds(tx, stored, deps.config.integrity_secrets):
                report.tampered.append(tx.id)
        report.checked += len(batch)
        after_id = batch[-1][0].id
        if on_progress is not None:
            on_progress(len(batch))
