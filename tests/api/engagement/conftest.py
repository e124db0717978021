"""Streak API fixtures: the streak use cases on a clock the test sets, players, streak shields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.realtime import settle

STATUS, TICK, NEXT_REWARD, PROTECT = (
    "/api/streak/status",
    "/api/streak/tick",
    "/api/streak/next-reward",
    "/api/streak/protect",
)
DAY_ONE = date(2031, 5, 6)


@dataclass
class SettableClock:
    """The streak's clock in API tests: `at(day, hour)` moves it; production keeps the system clock."""

    current: datetime = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def at(self, day: date, hour: int = 12, minute: int = 0) -> datetime:
        self.current = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        return self.current

    def on_day(self, offset: int) -> date:
        """Noon UTC, `offset` days after DAY_ONE."""
        day = DAY_ONE + timedelta(days=offset)
        self.at(day)
        return day


@pytest.fixture
def clock(container: Container) -> Iterator[SettableClock]:
    """Only the streak use cases read it: tokens, idempotency and the relay keep real time."""
    settable, real = SettableClock(), container.engagement.clock
    container.engagement.clock = settable
    yield settable
    container.engagement.clock = real


@pytest.fixture
async def player(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    """A new player whose starting balance (1000 coins) is credited."""
    tokens = await sign_up(client)
    await settle(client)
    return tokens


async def give_shields(client: AsyncTestClient[Litestar], container: Container, user_id: str, count: int = 1) -> None:
    async def add() -> None:
        async with container.engagement.uow_factory() as uow:
            await uow.inventory.add(user_id, [("streak_shield", "Streak Shield", "Utility")] * count, datetime.now(UTC))
            await uow.commit()

    await in_app(client, add)


async def shields(client: AsyncTestClient[Litestar], tokens: dict[str, Any]) -> int:
    response = await client.get("/api/inventory", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return sum(item["quantity"] for item in response.json()["items"] if item["item_id"] == "streak_shield")


async def get_ok(client: AsyncTestClient[Litestar], url: str, tokens: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(url, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tick_ok(client: AsyncTestClient[Litestar], tokens: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(TICK, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def streak_ledger(client: AsyncTestClient[Litestar], tokens: dict[str, Any]) -> list[dict[str, Any]]:
    body = await get_ok(client, "/api/wallet/ledger?limit=100", tokens)
    return [entry for entry in body["items"] if entry["reason"] == "streak_reward"]
