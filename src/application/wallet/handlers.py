"""Wallet use cases: balances, ledger, starting balance on signup (an admin grant is a reward: engagement.rewards)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import Page, check_limit
from src.application.wallet.deps import WalletConfig, WalletDeps
from src.application.wallet.ledger import record_balance_change
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.shared.errors import InvalidInput
from src.domain.wallet.model import Currency, LedgerEntry, Movement, balances_of

SIGNUP_BONUS = "signup_bonus"
# the signup consumer's inbox marks before it relied on its ledger references alone (rows of it may remain)
CONSUMER_SIGNUP_BONUS = "wallet.signup_bonus"


async def get_balances(user_id: str, deps: WalletDeps) -> dict[str, int]:
    return balances_of(await deps.reads.balances(user_id))


async def list_ledger(user_id: str, limit: int | None, cursor: str | None, deps: WalletDeps) -> Page[LedgerEntry]:
    before_id = None
    if cursor:
        if not cursor.isdigit():
            raise InvalidInput("cursor is not valid", details={"fields": [{"key": "cursor", "source": "query"}]})
        before_id = int(cursor)
    async with deps.uow_factory() as uow:
        return await uow.wallets.ledger(user_id, check_limit(limit), before_id)


async def credit_signup_bonus(message: OutboxMessage, deps: WalletDeps) -> None:
    """`credit_signup_bonuses` of one event."""
    await credit_signup_bonuses([message], deps)


async def credit_signup_bonuses(messages: Sequence[OutboxMessage], deps: WalletDeps) -> None:
    """A relay pass's UserSignedUp → each new player's starting balance, exactly once per user, in one transaction
    of a few statements.

    Idempotent by construction: each credit carries the reference ("user", the player's id) and `credit_many`
    leaves out a reference the ledger holds (a unique index settles two at once), so a redelivered event, a second
    event of one user and a pass delivered again after a failure credit nothing twice. No inbox mark is written
    (one `processed_events` row per sign-up, never purged, that guarded nothing the reference did not).

    A sign-up credits it in its own transaction (`credit_starting_balance`): this consumer then finds the
    reference applied and writes nothing; it stays for events whose sign-up did not (committed before that)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        movements = [
            movement for message in messages for movement in _starting_movements(message.aggregate_id, deps.config)
        ]
        for entry in await uow.wallets.credit_many(movements, now):
            record_balance_change(uow, entry)
        await uow.commit()


async def credit_starting_balance(
    uow: WalletUnitOfWork, user_id: str, now: datetime, config: WalletConfig
) -> dict[str, int]:
    """A new player's starting balance in the caller's transaction (their sign-up's), with its BalanceChanged
    events, under the references the UserSignedUp consumer uses; the balances after (a currency of the starting
    balance that was applied before keeps no entry here and reads as 0: a new player has none)."""
    entries = await uow.wallets.credit_many(_starting_movements(user_id, config), now)
    for entry in entries:
        record_balance_change(uow, entry)
    return balances_of({entry.currency: entry.balance_after for entry in entries})


def _starting_movements(user_id: str, config: WalletConfig) -> list[Movement]:
    starting = [(Currency.COINS, config.starting_coins), (Currency.GEMS, config.starting_gems)]
    return [
        Movement(user_id, currency, amount, SIGNUP_BONUS, "user", user_id)
        for currency, amount in starting
        if amount > 0
    ]
