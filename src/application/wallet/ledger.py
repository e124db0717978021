"""How any context gives a player money: a credit through the wallet's ledger, with the events that tell of it.

Signup bonuses, streak rewards, purchases and granted rewards all call `credit`, so a change of a balance is
always announced the same way (BalanceChanged, then RewardGranted when it is a grant) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.application.wallet.ports import WalletUnitOfWork
from src.domain.shared.events import DomainEvent
from src.domain.wallet.events import BalanceChanged, RewardGranted
from src.domain.wallet.model import LedgerEntry, Movement


@dataclass(frozen=True)
class Grant:
    """What makes a credit a reward the player is told of (RewardGranted): why, by whom, and which reward."""

    source: str
    granted_by: str | None = None
    reward_id: str | None = None
    reward_type: str | None = None


def record_balance_change(uow: WalletUnitOfWork, entry: LedgerEntry) -> None:
    uow.record(_balance_changed(entry))


def _balance_changed(entry: LedgerEntry) -> BalanceChanged:
    return BalanceChanged(
        aggregate_id=entry.user_id,
        occurred_at=entry.created_at,
        currency=entry.currency.value,
        delta=entry.delta,
        balance_after=entry.balance_after,
        reason=entry.reason,
        ref_type=entry.ref_type,
        ref_id=entry.ref_id,
    )


async def credit(uow: WalletUnitOfWork, movement: Movement, now: datetime, grant: Grant | None = None) -> LedgerEntry:
    """One ledger row and its events; AlreadyApplied (nothing recorded) when its reference was applied before."""
    entry = await uow.wallets.credit(movement, now)
    announce_credit(uow, entry, grant)
    return entry


def announce_credit(uow: WalletUnitOfWork, entry: LedgerEntry, grant: Grant | None = None) -> None:
    """The events of a credit written (by `credit`, or among `credit_many`'s rows): BalanceChanged, then
    RewardGranted when it is a grant."""
    for event in credit_events(entry, grant):
        uow.record(event)


def credit_events(entry: LedgerEntry, grant: Grant | None = None) -> list[DomainEvent]:
    """`announce_credit`'s events, for a store that writes them with the credit itself (a movement's entry before
    it is written: its balance after is the store's to fill in)."""
    events: list[DomainEvent] = [_balance_changed(entry)]
    if grant is not None:
        events.append(
            RewardGranted(
                aggregate_id=entry.user_id,
                occurred_at=entry.created_at,
                currency=entry.currency.value,
                amount=entry.delta,
                source=grant.source,
                granted_by=grant.granted_by,
                reward_id=grant.reward_id,
                reward_type=grant.reward_type,
            )
        )
    return events


def unwritten_entry(movement: Movement, now: datetime) -> LedgerEntry:
    """The ledger row `movement` will be, before it is written: no id yet, its balance after unknown (0)."""
    return LedgerEntry(
        id="",
        user_id=movement.user_id,
        currency=movement.currency,
        delta=movement.amount,
        balance_after=0,
        reason=movement.reason,
        ref_type=movement.ref_type,
        ref_id=movement.ref_id,
        created_at=now,
    )
