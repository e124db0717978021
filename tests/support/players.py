"""Players with a history, written straight into the database (what segments and recommendations read): signup
time, tier, captured or refunded purchases and plays at chosen ages."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from src.adapters.sqla.models.games import GameHistoryRow
from src.adapters.sqla.models.identity import UserRow
from src.adapters.sqla.models.shop import PurchaseTransactionRow

USERS: Any = UserRow.__table__
PURCHASES: Any = PurchaseTransactionRow.__table__
PLAYS: Any = GameHistoryRow.__table__
HOUR = timedelta(hours=1)  # ages are whole days plus an hour, so the days counted are the days given


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days) - HOUR


def user_row(now: datetime, *, signup_days: float, vip_tier: int, rank: str = "STANDARD") -> dict[str, Any]:
    user_id = str(uuid.uuid4())
    name = f"p{user_id[:12]}"
    return {
        "id": user_id, "site_id": name, "nickname": name, "nickname_key": name, "password_hash": "x",
        "rank": rank, "vip_tier": vip_tier, "created_at": days_ago(now, signup_days),
    }  # fmt: skip


def purchase_row(
    user_id: str, at: datetime, amount_cents: int, *, status: str = "captured", refunded_cents: int = 0
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "user_id": user_id, "sku": "gems_small", "kind": "catalog", "quantity": 1,
        "amount_cents": amount_cents, "currency": "USD", "gems": 100, "card_token_fingerprint": "f", "status": status,
        "refunded_cents": refunded_cents, "history": [], "created_at": at, "updated_at": at,
    }  # fmt: skip


def play_row(user_id: str, at: datetime, game_type: str = "slot") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "user_id": user_id, "game_type": game_type, "action": "spin", "bet": 10,
        "payout": 0, "delta_coins": -10, "delta_gems": 0, "won": False, "result_meta": {}, "created_at": at,
    }  # fmt: skip


def play_rows(user_id: str, ats: list[datetime], game_type: str = "slot") -> list[dict[str, Any]]:
    return [play_row(user_id, at, game_type) for at in ats]


async def write(
    session: Any, users: list[dict[str, Any]], purchases: list[dict[str, Any]], plays: list[dict[str, Any]]
) -> None:
    if users:
        await session.execute(insert(USERS), users)
    if purchases:
        await session.execute(insert(PURCHASES), purchases)
    if plays:
        await session.execute(insert(PLAYS), plays)
