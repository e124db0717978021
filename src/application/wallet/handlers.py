"""Wallet use cases: balances, ledger, starting balance on signup, admin grants."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.identity.audit import AdminAction, write_audit
from src.application.identity.commands import ClientInfo
from src.application.shared.outbox import OutboxMessage
from src.application.shared.pagination import Page, check_limit
from src.application.wallet.deps import WalletDeps
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.identity.model import Principal
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.wallet.errors import AlreadyApplied
from src.domain.wallet.events import BalanceChanged, RewardGranted
from src.domain.wallet.model import Currency, LedgerEntry, Movement, balances_of

SIGNUP_BONUS = "signup_bonus"
CONSUMER_SIGNUP_BONUS = "wallet.signup_bonus"


def record_balance_change(uow: WalletUnitOfWork, entry: LedgerEntry) -> None:
    uow.record(
        BalanceChanged(
            aggregate_id=entry.user_id,
            occurred_at=entry.created_at,
            currency=entry.currency.value,
            delta=entry.delta,
            balance_after=entry.balance_after,
            reason=entry.reason,
        )
    )


async def get_balances(user_id: str, deps: WalletDeps) -> dict[str, int]:
    async with deps.uow_factory() as uow:
        return balances_of(await uow.wallets.balances(user_id))


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
                record_balance_change(uow, await uow.wallets.credit(movement, deps.clock.now()))
            except AlreadyApplied:
                return
        await uow.commit()


@dataclass(frozen=True)
class GrantCurrency:
    admin: Principal
    client: ClientInfo
    user_id: str
    currency: Currency
    amount: int
    reason: str
    idempotency_key: str


@dataclass(frozen=True)
class GrantResult:
    entry: LedgerEntry
    balances: dict[str, int]


async def grant_currency(cmd: GrantCurrency, deps: WalletDeps) -> GrantResult:
    """An admin grant: one ledger row per idempotency key, audit-logged in the same transaction."""
    reason = cmd.reason.strip()
    if not 1 <= len(reason) <= 200:
        raise InvalidInput("reason must be 1-200 characters", details={"fields": [{"key": "reason"}]})
    grant_ref = f"{cmd.admin.user_id}:{cmd.idempotency_key}"  # idempotency keys are scoped per admin
    movement = Movement(cmd.user_id, cmd.currency, cmd.amount, "admin_grant", "admin_grant", grant_ref)
    async with deps.uow_factory() as uow:
        if await uow.users.get(cmd.user_id) is None:
            raise NotFound("no such user")
        entry = await uow.wallets.credit(movement, deps.clock.now())
        record_balance_change(uow, entry)
        uow.record(
            RewardGranted(
                aggregate_id=cmd.user_id,
                occurred_at=entry.created_at,
                currency=cmd.currency.value,
                amount=cmd.amount,
                source=reason,
                granted_by=cmd.admin.user_id,
            )
        )
        payload = {"currency": cmd.currency.value, "amount": cmd.amount, "reason": reason}
        action = AdminAction(cmd.admin, cmd.client, "wallet.grant", "user", cmd.user_id, payload)
        await write_audit(uow, action, deps.ids, entry.created_at)
        balances = balances_of(await uow.wallets.balances(cmd.user_id))
        await uow.commit()
    return GrantResult(entry, balances)
