"""verify-ledger: every wallet's balance equals the sum of its ledger, and its balance_after chain holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from src.application.wallet.ports import LedgerAuditor, WalletCheck


@dataclass
class LedgerReport:
    wallets_checked: int = 0
    drifted: list[WalletCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drifted


async def verify_ledger(
    auditor: LedgerAuditor, on_progress: Callable[[int], None] | None = None, batch_size: int = 500
) -> LedgerReport:
    report = LedgerReport()
    async for batch in auditor.check_wallets(batch_size):
        report.wallets_checked += len(batch)
        report.drifted.extend(check for check in batch if not check.consistent)
        if on_progress is not None:
            on_progress(len(batch))
    return report
