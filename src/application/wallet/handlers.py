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
    await _credit_starting_balances([(message.event_id, message.aggregate_id) for message in messages], deps)


async def credit_starting_balance(event_id: str, user_id: str, deps: WalletDeps) -> dict[str, int] | None:
    """One new player's starting balance now, for the sign-up's own answer (read-your-writes), as the relay's
    consumer would credit it from their UserSignedUp (`event_id`): the same inbox mark, so the relay's delivery of
    that event credits nothing, and the consumer stays the guarantee should this never run. The balances after the
    credit, or None when the event was credited already (the relay got there first)."""
    entries = await _credit_starting_balances([(event_id, user_id)], deps)
    if entries is None:
        return None
    return balances_of({entry.currency: entry.balance_after for entry in entries})


async def _credit_starting_balances(signups: Sequence[tuple[str, str]], deps: WalletDeps) -> list[LedgerEntry] | None:
    """(event id, user id) pairs; the entries written, None unless every movement of them was new (an event the
    inbox knew, or a reference the ledger had)."""
    now = deps.clock.now()
    starting = [(Currency.COINS, deps.config.starting_coins), (Currency.GEMS, deps.config.starting_gems)]
    async with deps.uow_factory() as uow:
        first = await uow.inbox.first_events(CONSUMER_SIGNUP_BONUS, [event_id for event_id, _ in signups], now)
        movements = [
            Movement(user_id, currency, amount, SIGNUP_BONUS, "user", user_id)
            for event_id, user_id in signups
            if event_id in first
            for currency, amount in starting
            if amount > 0
        ]
        entries = await uow.wallets.credit_many(movements, now)
        for entry in entries:
            record_balance_change(uow, entry)
        await uow.commit()
    return entries if len(first) == len(signups) and len(entries) == len(movements) else None
