"""A scripted month of play on PostgreSQL + Redis + chDB (in-process delivery): every KPI the OLAP store answers
equals its twin counted from PostgreSQL, and so does the funnel.

The module's app has a database of its own and a clock it moves through the days (tokens outlive the jumps), and
the embedded OLAP store is emptied first: both sides then hold exactly this script's play.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.analytics.kpis import Period, period_figures
from src.domain.analytics.kpis import KpiReport
from src.entrypoints.container import Container
from src.entrypoints.http.schemas.analytics_admin import KpisOut
from tests.support.api import ADMIN_PASSWORD, PASSWORD, bearer, in_app, log_in, sign_up
from tests.support.databases import DatabaseReaper, create_database, execute_sql
from tests.support.kpi_twins import pg_funnel, pg_period_figures
from tests.support.loops import run_outside_tests
from tests.support.polling import eventually

Client = AsyncTestClient[Litestar]
DAY0 = (datetime.now(UTC) - timedelta(days=45)).date()  # the script's first day: a month and more in the past


@dataclass
class ScriptClock:
    """Real time moved to a chosen day and hour of the script (and running on from there)."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def at(self, day: int, hour: int = 10) -> None:
        target = datetime.combine(DAY0 + timedelta(days=day), datetime.min.time(), UTC) + timedelta(hours=hour)
        self.offset = target - datetime.now(UTC)


@pytest.fixture(scope="module")
def app_clock() -> ScriptClock:
    return ScriptClock()


@pytest.fixture(scope="module")
def own_database(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[str]:
    name, url = run_outside_tests(create_database("cc_kpis", template=migrated_template))
    yield url
    database_reaper.drop(name)  # in the background: a DROP DATABASE waits for a checkpoint


@pytest.fixture(scope="module")
def app_settings(own_database: str) -> dict[str, Any]:
    """Tokens and sessions issued on the script's first day must still be good (by real time) at its end."""
    return {
        "database_url": own_database,
        "jwt_expire_minutes": 60 * 24 * 90,
        "refresh_expire_days": 90,
        "refresh_idle_days": 90,
    }


@dataclass
class Script:
    client: Client
    container: Container
    clock: ScriptClock
    admin_site_id: str

    async def admin(self) -> dict[str, Any]:
        response = await self.client.post(
            "/api/auth/admin/login", json={"site_id": self.admin_site_id, "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def back(self, player: dict[str, Any]) -> dict[str, Any]:
        """The player comes back and signs in (a login of the day)."""
        response = await log_in(self.client, player["user"]["site_id"], PASSWORD)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def ok(self, method: str, url: str, tokens: dict[str, Any], body: Any = None, key: bool = False) -> Any:
        headers = bearer(tokens) | ({"idempotency-key": uuid.uuid4().hex} if key else {})
        response = await self.client.request(method, url, json=body, headers=headers)
        assert response.status_code in (200, 201, 202), (url, response.text)
        return response.json()

    async def spins(self, tokens: dict[str, Any], *bets: int) -> None:
        for bet in bets:
            await self.ok("POST", "/api/games/slot/spin", tokens, {"bet": bet})

    async def buy(self, tokens: dict[str, Any], sku: str, promo: str | None = None) -> str:
        body = {"sku": sku, "card_token": "tok_visa"} | ({"promo_code": promo} if promo else {})
        bought = await self.ok("POST", "/api/shop/buy", tokens, body, key=True)
        assert bought["status"] == "captured"
        return str(bought["transaction_id"])

    async def declined(self, tokens: dict[str, Any]) -> None:
        body = {"sku": "gems_100", "card_token": "tok_chargeDeclined"}
        headers = bearer(tokens) | {"idempotency-key": uuid.uuid4().hex}
        assert (await self.client.post("/api/shop/buy", json=body, headers=headers)).status_code == 402

    async def refund(self, admin: dict[str, Any], tx_id: str) -> None:
        await self.ok("POST", f"/api/admin/transactions/{tx_id}/refund", admin, {}, key=True)

    async def promo(self, admin: dict[str, Any], percent: int) -> str:
        code = f"KPI{uuid.uuid4().hex[:8].upper()}"
        body = {"code": code, "discount_percent": percent, "max_uses": 10}
        await self.ok("POST", "/api/admin/promo-codes", admin, body)
        return code

    async def delivered(self) -> None:
        """Every committed event through the in-process consumers (signup bonuses) and into the OLAP store: passes
        until nothing waits for export (a drain finds nothing to do while the app's own exporter holds the lock)."""
        exporter = self.container.exporter
        assert exporter is not None

        async def nothing_left() -> bool:
            await in_app(self.client, self.container.relay.drain)
            await in_app(self.client, exporter.drain)
            return await in_app(self.client, exporter.measure_backlog) == 0

        await eventually(nothing_left)


async def _play_the_month(script: Script) -> None:
    s, clock = script, script.clock
    clock.at(0, 9)
    admin = await s.admin()
    spring = await s.promo(admin, 20)
    players = [await sign_up(s.client) for _ in range(6)]
    p0, p1, p2, p3, p4, p5 = players
    await s.spins(p0, 10, 20, 30)
    await s.spins(p1, 100)
    await s.spins(p5, 5, 5)
    await s.buy(p0, "gems_550", promo=spring)
    await s.ok("POST", "/api/games/gacha/pull", p0, {"count": 10})
    first_of_p1 = await s.buy(p1, "gems_100")
    refunded_same_day = await s.buy(p2, "gems_100")
    await s.refund(admin, refunded_same_day)
    await s.declined(p5)
    await s.ok("POST", "/api/streak/tick", p3)
    actions = [{"action_type": "screen_view", "context": {"screen": "lobby"}}, {"action_type": "custom:tutorial.done"}]
    await s.ok("POST", "/api/actions/bulk", p4, {"actions": actions})

    clock.at(1, 11)
    p0, p1, p3 = await s.back(p0), await s.back(p1), await s.back(p3)
    await s.spins(p0, 50)
    await s.ok("POST", "/api/streak/tick", p3)
    await s.ok("POST", "/api/games/gacha/pull", p1, {"count": 1})
    await s.refund(await s.admin(), first_of_p1)  # the refund lands a day after the capture
    late = [await sign_up(s.client) for _ in range(2)]
    p6, p7 = late
    await s.spins(p6, 10)
    await s.buy(p7, "gems_100", promo=spring)

    clock.at(7, 23)
    p0, p6 = await s.back(p0), await s.back(p6)
    await s.spins(p0, 10)
    await s.ok("POST", "/api/actions", p6, {"action_type": "shop_open"})
    clock.at(8, 0)
    await s.spins(await s.back(p7), 20)
    clock.at(30, 12)
    p2 = await s.back(p2)
    await s.buy(p2, "gems_100", promo=spring)
    clock.at(31, 8)
    await s.ok("POST", "/api/streak/tick", await s.back(p6))
    await s.delivered()


async def _empty_olap(client: Client, container: Container) -> None:
    olap = container.olap
    assert olap is not None
    for table in ("events", "ledger_movements"):
        await in_app(client, lambda table=table: olap.execute(f"TRUNCATE TABLE {table}"))  # type: ignore[misc]


async def _twin(client: Client, container: Container, start: date, end: date) -> Any:
    async def count() -> Any:
        async with container.uow_factory() as uow:
            return await pg_period_figures(uow.session, start, end)  # type: ignore[attr-defined]

    return await in_app(client, count)


async def _olap_figures(client: Client, container: Container, start: date, end: date) -> Any:
    olap = container.olap
    assert olap is not None
    return await in_app(client, lambda: period_figures(Period.of(start, end), olap))


def _wire(report: KpiReport) -> Any:
    return msgspec.json.decode(msgspec.json.encode(KpisOut.of(report)))


async def _equal_to_the_twins(client: Client, container: Container, admin: dict[str, Any]) -> None:
    for start, end in ((DAY0, DAY0 + timedelta(days=31)), (DAY0 + timedelta(days=1), DAY0 + timedelta(days=8))):
        twin = await _twin(client, container, start, end)
        assert await _olap_figures(client, container, start, end) == twin
        answer = await client.get(f"/api/admin/analytics/kpis?from={start}&to={end}", headers=bearer(admin))
        assert answer.status_code == 200, answer.text
        assert answer.json() == _wire(KpiReport.of(twin))


async def test_every_kpi_of_a_scripted_month_equals_its_postgresql_twin(
    client: Client, container: Container, app_clock: ScriptClock, admin_site_id: str, own_database: str
) -> None:
    script = Script(client, container, app_clock, admin_site_id)
    await _empty_olap(client, container)
    await _play_the_month(script)
    admin = await script.admin()

    await _equal_to_the_twins(client, container, admin)
    # the admin's sign-in above is an event too: exported once before the copies are made, like every other (the
    # exporter's own loop runs once a second, so it may not have taken it yet)
    await script.delivered()
    plain_dsn = own_database.replace("postgresql+asyncpg://", "postgresql://")
    olap = container.olap
    assert olap is not None
    # a background merge may fold the copies before they are counted below: hold merges while they are made
    await in_app(client, lambda: olap.execute("SYSTEM STOP MERGES events"))
    try:
        await execute_sql(plain_dsn, "UPDATE outbox SET exported_at = NULL")  # as if every export crashed unmarked
        await script.delivered()  # every event reaches the OLAP store a second time
        await _equal_to_the_twins(client, container, admin)
        [copies] = await in_app(
            client, lambda: olap.query("SELECT count() AS n, uniqExact(dedup_key) AS keys FROM events")
        )
    finally:
        await in_app(client, lambda: olap.execute("SYSTEM START MERGES events"))

    month = KpiReport.of(await _twin(client, container, DAY0, DAY0 + timedelta(days=31)))
    # the script is what the figures say, not merely two equal zeros
    assert (month.new_players, month.active_players, month.paying_players, month.promo_uses) == (8, 8, 4, 3)
    assert month.revenue_cents > 0
    assert month.series[1].revenue_cents < 0  # p1's refund lands a day after its capture
    assert sum(month.gacha_pulls.values()) == 11
    assert {"slot_bet", "signup_bonus", "streak_reward"} <= set(month.coins.sourced_by_reason) | set(
        month.coins.sunk_by_reason
    )
    assert (month.retention.retained.d1, month.retention.retained.d7, month.retention.retained.d30) == (3, 2, 2)
    assert int(str(copies["n"])) >= 2 * int(str(copies["keys"]))  # the copies are there; the figures ignore them


async def test_the_funnel_equals_its_postgresql_twin(
    client: Client, container: Container, app_clock: ScriptClock, admin_site_id: str
) -> None:
    admin = await Script(client, container, app_clock, admin_site_id).admin()
    steps = ("signup", "first_spin", "first_purchase")
    for hours, start, end in (
        (48, DAY0, DAY0 + timedelta(days=1)),
        (2, DAY0, DAY0),
        (24 * 40, DAY0, DAY0 + timedelta(days=31)),
    ):
        answer = await client.get(
            f"/api/admin/analytics/funnel?steps={','.join(steps)}&window_hours={hours}&from={start}&to={end}",
            headers=bearer(admin),
        )
        assert answer.status_code == 200, answer.text

        async def count(hours: int = hours, start: date = start, end: date = end) -> list[int]:
            async with container.uow_factory() as uow:
                session = uow.session  # type: ignore[attr-defined]
                return await pg_funnel(session, steps, timedelta(hours=hours), start, end)

        assert [step["players"] for step in answer.json()["steps"]] == await in_app(client, count)
        assert [step["step"] for step in answer.json()["steps"]] == list(steps)
