"""Helpers of the battle pass and season leaderboard API tests: seasons built through the admin routes, plays,
purchases, ledger reads, and a clock the settlement reads (the plays keep real time, as their events do)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.support.api import bearer
from tests.support.clocks import FakeClock
from tests.support.realtime import settle

Client = AsyncTestClient[Litestar]
LEVELS = 30
XP_PER_LEVEL = 10  # level n at 10·n XP: one 100-coin spin (10 play XP + 1 per 100 coins) reaches a level
PREMIUM_PRICE = 50


@contextmanager
def game_time(container: Container, start: datetime) -> Iterator[FakeClock]:
    """Plays, purchases, the battle pass and the season boards on a clock the test moves (tokens and the relay keep
    real time). The suite's modules share one database, so each module plays in a year of its own."""
    clock = FakeClock(start)
    saved = (container.games.clock, container.purchases, container.battlepass.clock, container.seasons.clock)
    container.games.clock = container.battlepass.clock = container.seasons.clock = clock
    container.purchases = replace(container.purchases, clock=clock)
    try:
        yield clock
    finally:
        container.games.clock, container.purchases, container.battlepass.clock, container.seasons.clock = saved


def season_body(starts_at: datetime, ends_at: datetime, **overrides: Any) -> dict[str, Any]:
    """Level n: 10·n XP; free n·10 coins; premium n·20 coins and 1 gem."""
    levels = [
        {"level": n, "xp": XP_PER_LEVEL * n, "free": {"coins": 10 * n}, "premium": {"coins": 20 * n, "gems": 1}}
        for n in range(1, LEVELS + 1)
    ]
    return {
        "season_id": f"t_{uuid.uuid4().hex[:12]}",
        "name": "Test season",
        "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(),
        "levels": levels,
        "premium_price_gems": PREMIUM_PRICE,
        "xp_table": {"play": 10, "per_100_coins_wagered": 1, "purchase": 100},
        **overrides,
    }


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def create_season(client: Client, admin: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = await ok(
        await client.post("/api/admin/engagement/battlepass", json=body, headers=bearer(admin)), 201
    )
    return created


async def spin(client: Client, player: dict[str, Any], bet: int = 100) -> dict[str, Any]:
    body: dict[str, Any] = await ok(
        await client.post("/api/games/slot/spin", json={"bet": bet}, headers=bearer(player))
    )
    return body


async def buy_gems(client: Client, player: dict[str, Any], sku: str = "gems_100") -> dict[str, Any]:
    headers = {**bearer(player), "idempotency-key": uuid.uuid4().hex}
    body = {"sku": sku, "quantity": 1, "card_token": "tok_visa"}
    bought: dict[str, Any] = await ok(await client.post("/api/shop/buy", json=body, headers=headers))
    assert bought["status"] == "captured", bought
    return bought


async def status(client: Client, player: dict[str, Any]) -> dict[str, Any]:
    await settle(client)
    found: dict[str, Any] = await ok(await client.get("/api/battlepass/status", headers=bearer(player)))
    return found


async def ledger(client: Client, player: dict[str, Any], reason: str | None = None) -> list[dict[str, Any]]:
    body = await ok(await client.get("/api/wallet/ledger?limit=100", headers=bearer(player)))
    return [entry for entry in body["items"] if reason is None or entry["reason"] == reason]
