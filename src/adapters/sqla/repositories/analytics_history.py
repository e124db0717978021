"""The database's history as analytics events, for `casino-club backfill-olap`: read in keyset pages per table.

Each record gets the identity the live pipeline's row has (rows.py): a sign-up by user, a sign-in by session, a
play by its id, a purchase state by transaction and status, a ledger row by its unique reference.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from src.adapters.sqla.models.games import GameHistoryRow
from src.adapters.sqla.models.identity import SessionRow, UserRow
from src.adapters.sqla.models.privacy import PrivacyTombstoneRow
from src.adapters.sqla.models.shop import PurchaseTransactionRow
from src.adapters.sqla.repositories.wallet import referenced_ledger_entries
from src.application.analytics.backfill import BACKFILL_ID_PREFIX, HistoryPage, HistoryRecord, LedgerRecord
from src.application.analytics.events import ENVELOPE_VERSION, AnalyticsEvent

Convert = Callable[[Any], list[HistoryRecord]]


def _event(
    event_type: str, natural_id: str, at: datetime, player: str, aggregate: tuple[str, str], **payload: Any
) -> AnalyticsEvent:
    return AnalyticsEvent(
        event_id=f"{BACKFILL_ID_PREFIX}{event_type}:{natural_id}",
        event_type=event_type,
        version=ENVELOPE_VERSION,
        occurred_at=at,
        player_id=player,
        aggregate_type=aggregate[0],
        aggregate_id=aggregate[1],
        payload=payload,
    )


def _signup(row: Any) -> list[HistoryRecord]:
    return [_event("UserSignedUp", row.id, row.created_at, row.id, ("user", row.id), site_id=row.site_id,
                   nickname=row.nickname)]  # fmt: skip


def _sign_in(row: Any) -> list[HistoryRecord]:
    return [_event("UserLoggedIn", row.id, row.created_at, row.user_id, ("user", row.user_id), session_id=row.id)]


def _play(row: Any) -> list[HistoryRecord]:
    meta = dict(row.result_meta or {})
    if row.game_type == "gacha":
        rarities = [str(r) for r in meta.get("rarities", [])]
        return [_event("GachaPulled", row.id, row.created_at, row.user_id, ("user", row.user_id), pull_id=row.id,
                       count=len(rarities), cost=row.bet, rarities=rarities)]  # fmt: skip
    outcome = meta.get("outcome") or ("win" if row.payout > 0 else "lose")
    return [_event("SpinSettled", row.id, row.created_at, row.user_id, ("user", row.user_id), spin_id=row.id,
                   bet=row.bet, payout=row.payout, outcome=outcome, streak=meta.get("streak", 0))]  # fmt: skip


def _purchase(row: Any) -> list[HistoryRecord]:
    """One PurchaseUpdated per state the transaction passed through; its failure reason rides on the last one."""
    changes: list[dict[str, Any]] = list(row.history or [])
    records: list[HistoryRecord] = []
    for index, change in enumerate(changes):
        last = index == len(changes) - 1
        status = str(change["status"])
        records.append(
            _event(
                "PurchaseUpdated",
                f"{row.id}:{status}",
                datetime.fromisoformat(change["at"]),
                row.user_id,
                ("purchase", row.id),
                user_id=row.user_id,
                status=status,
                sku=row.sku,
                kind=row.kind,
                quantity=row.quantity,
                amount_cents=row.amount_cents,
                currency=row.currency,
                gems_granted=row.gems_granted,
                failure_reason=row.failure_reason if last else None,
                promo_code=row.promo_code,
            )
        )
    return records


def _ledger(row: Any) -> list[HistoryRecord]:
    return [LedgerRecord(row.user_id, row.currency, row.delta, row.reason, row.ref_type or "", row.ref_id or "",
                         row.created_at)]  # fmt: skip


def _sources() -> list[tuple[Select[Any], Any, Convert]]:
    """(query, its keyset column, conversion) per table. Sign-ups leave out accounts made admins by the CLI (they
    never signed up), and sign-ins the session each sign-up opens (it is the sign-up, not a sign-in)."""
    users, sessions = UserRow.__table__, SessionRow.__table__
    plays, purchases = GameHistoryRow.__table__, PurchaseTransactionRow.__table__
    ledger_entries, ledger_key = referenced_ledger_entries()
    sign_ins = (
        select(sessions.c.id, sessions.c.user_id, sessions.c.created_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.created_at != users.c.created_at)
    )
    return [
        (select(users).where(users.c.is_admin.is_(False), _not_erased(users.c.id)), users.c.id, _signup),
        (sign_ins.where(_not_erased(sessions.c.user_id)), sessions.c.id, _sign_in),
        (select(plays).where(_not_erased(plays.c.user_id)), plays.c.id, _play),
        (select(purchases).where(_not_erased(purchases.c.user_id)), purchases.c.id, _purchase),
        (ledger_entries.where(_not_erased(ledger_key.table.c.user_id)), ledger_key, _ledger),
    ]


def _not_erased(user_id: Any) -> Any:
    """An erased player's kept records (ledger, purchases) stay out of the OLAP store, as their live rows were
    deleted from it (privacy)."""
    return user_id.not_in(select(PrivacyTombstoneRow.__table__.c.user_id))


class SqlaAnalyticsHistory:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def count(self) -> int:
        total = 0
        async with self._sessions() as session:
            for query, _, _ in _sources():
                total += int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        return total

    async def pages(self, page_size: int) -> AsyncIterator[HistoryPage]:
        for query, key, convert in _sources():
            after: Any = None
            while True:
                page = query.order_by(key).limit(page_size)
                if after is not None:
                    page = page.where(key > after)
                async with self._sessions() as session:
                    rows = (await session.execute(page)).all()
                if not rows:
                    break
                yield HistoryPage(len(rows), [record for row in rows for record in convert(row)])
                after = getattr(rows[-1], key.name)
                if len(rows) < page_size:
                    break
