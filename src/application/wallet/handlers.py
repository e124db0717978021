"""Wallet use cases: balances, ledger, starting balance on signup (an admin grant is a reward: engagement.rewards)."""

from __future__ import annotations

from collections.abc import Sequence

from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import Page, check_limit
from src.application.wallet.deps import WalletDeps
from src.application.wallet.ledger import record_balance_change
from src.domain.shared.errors import InvalidInput
from src.domain.wallet.model import Currency, LedgerEntry, Movement, balances_of

SIGNUP_BONUS = "signup_bonus"
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
    """A relay pass's UserSignedUp → each new player's starting balance, exactly once per user (the inbox drops a
    redelivered event, the ledger reference a second event of one user), in one transaction of a few statements."""
    now = deps.clock.now()
    starting = [(Currency.COINS, deps.config.starting_coins), (Currency.GEMS, deps.config.starting_gems)]
    async with deps.uow_factory() as uow:
        first = await uow.inbox.first_events(CONSUMER_SIGNUP_BONUS, [message.event_id for message in messages], now)
        movements = [
            Movement(message.aggregate_id, currency, amount, SIGNUP_BONUS, "user", message.aggregate_id)
            for message in messages
            if message.event_id in first
            for currency, amount in starting
            if amount > 0
        ]
        for entry in await uow.wallets.credit_many(movements, now):
            record_balance_change(uow, entry)
        await uow.commit()
