from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from src.application.shared.ports import Clock, IdGenerator
from src.application.wallet.ports import BalanceReads, WalletInboxUnitOfWork


@dataclass(frozen=True)
class WalletConfig:
    starting_coins: int = 1000
    starting_gems: int = 0


@dataclass(frozen=True)
class WalletDeps:
    uow_factory: Callable[[], WalletInboxUnitOfWork]
    clock: Clock
    ids: IdGenerator
    config: WalletConfig
    reads: BalanceReads
