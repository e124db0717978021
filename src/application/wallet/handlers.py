"""Wallet use cases: balances, ledger, starting balance on signup (an admin grant is a reward: engagement.rewards)."""

from __future__ import annotations

from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import Page, check_limit
from src.application.wallet.deps import WalletDeps
from src.application.wallet.ledger import credit
from src.domain.shared.errors import InvalidInput
from src.domain.wallet.errors import AlreadyApplied
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
    """UserSignedUp → the starting balance, exactly once per user (inbox and ledger reference both guard)."""
    user_id = message.aggregate_id
    starting = {Currency.COINS: deps.config.starting_coins, Currency.GEMS: deps.config.starting_gems}
    async with deps.uow_factory() as uow:
        if not await uow.inbox.first_time(CONSUMER_SIGNUP_BONUS, message.event_id):
            return
        for currency, amount in starting.items():
            if amount <= 0:
                continue
            movement = Movement(user_id, currency, amount, SIGNUP_BONUS, "user", user_id)
            try:
                await credit(uow, movement, deps.clock.now())
            except AlreadyApplied:
                return
        await uow.commit()
