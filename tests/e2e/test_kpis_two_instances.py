"""Acceptance (issue 12): a scripted day of play (sign-ups, spins, pulls, buys with refunds, promo uses, streak
ticks) across two app instances travels outbox → Kafka (tansu) → `casino-club consume` → chDB, and every KPI of the
day equals its twin counted from PostgreSQL.

The instances export to the broker themselves (OUTBOX_EXPORT_IN_APP, the default); the consumer writes a chDB
store of its own, read once it has stopped (chDB locks its directory to one process) by a short process of its own.
The database is the test's own, so the twin counts this script only.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text

from src.adapters.sqla.database import SqlaDatabase
from src.domain.analytics.kpis import KpiReport, PeriodFigures
from tests.support.api import ADMIN_PASSWORD, bearer, sign_up
from tests.support.broker import Broker, running_broker
from tests.support.env import TEST_REDIS_URL
from tests.support.kpi_twins import pg_period_figures
from tests.support.processes import PROJECT_ROOT, start_cli, two_instances

pytestmark = pytest.mark.e2e

ADMIN_SITE_ID = "kpis_e2e_admin"
TOPIC = f"events_{uuid.uuid4().hex[:8]}"
GROUP = f"olap_{uuid.uuid4().hex[:8]}"
DELIVERY_DEADLINE_SECONDS = 90.0


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    with running_broker() as started:
        yield started


def _pipeline_env(broker: Broker) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "KAFKA_IDEMPOTENT_PRODUCER": "false",  # tansu refuses aiokafka's InitProducerId (tests/support/broker.py)
        "KAFKA_EVENTS_TOPIC": TOPIC,
        "KAFKA_CONSUMER_GROUP": GROUP,
        "TEST_CHEAP_PASSWORD_HASHES": "true",
    }


class Consumer:
    """`casino-club consume` writing its own chDB store."""

    def __init__(self, env: dict[str, str], var_dir: Path) -> None:
        self.dsn = f"chdb://{var_dir / 'olap'}"
        self.log = var_dir.parent / "consume.log"
        env = {**env, "VAR_DIR": str(var_dir), "CLICKHOUSE_DSN": self.dsn, "LOG_LEVEL": "WARNING"}
        with self.log.open("ab") as log:
            self.process = start_cli("consume", env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Day:
    """The script's requests, spread over the two instances."""

    def __init__(self, a: httpx.AsyncClient, b: httpx.AsyncClient) -> None:
        self.a, self.b = a, b

    async def ok(self, client: httpx.AsyncClient, url: str, tokens: dict[str, Any], body: Any = None) -> Any:
        headers = bearer(tokens) | {"idempotency-key": uuid.uuid4().hex}
        response = await client.post(url, json=body if body is not None else {}, headers=headers)
        assert response.status_code in (200, 201, 202), (url, response.text)
        return response.json()

    async def admin(self, client: httpx.AsyncClient) -> dict[str, Any]:
        body = {"site_id": ADMIN_SITE_ID, "password": ADMIN_PASSWORD}
        response = await client.post("/api/auth/admin/login", json=body)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def spins(self, client: httpx.AsyncClient, tokens: dict[str, Any], *bets: int) -> None:
        for bet in bets:
            await self.ok(client, "/api/games/slot/spin", tokens, {"bet": bet})

    async def buy(self, client: httpx.AsyncClient, tokens: dict[str, Any], sku: str, promo: str | None = None) -> str:
        body = {"sku": sku, "card_token": "tok_visa"} | ({"promo_code": promo} if promo else {})
        bought = await self.ok(client, "/api/shop/buy", tokens, body)
        assert bought["status"] == "captured", bought
        return str(bought["transaction_id"])


async def _play_the_day(day: Day) -> None:
    a, b = day.a, day.b
    admin = await day.admin(a)
    code = f"DAY{uuid.uuid4().hex[:8].upper()}"
    await day.ok(b, "/api/admin/promo-codes", await day.admin(b), {"code": code, "discount_percent": 25, "max_uses": 5})
    clients: tuple[Any, Any] = (a, b)
    players = await asyncio.gather(*(sign_up(clients[i % 2]) for i in range(6)))
    p0, p1, p2, p3, p4, p5 = players
    await asyncio.gather(
        day.spins(a, p0, 10, 20, 30), day.spins(b, p1, 100), day.spins(b, p2, 5, 5), day.spins(a, p5, 50)
    )
    await day.buy(b, p0, "gems_550", promo=code)
    await day.ok(a, "/api/games/gacha/pull", p0, {"count": 10})
    kept = await day.buy(a, p1, "gems_100", promo=code)
    refunded = await day.buy(b, p2, "gems_100")
    await day.ok(a, f"/api/admin/transactions/{refunded}/refund", admin)
    await day.ok(b, "/api/games/gacha/pull", p1, {"count": 1})
    await day.ok(b, "/api/streak/tick", p3)
    await day.ok(a, "/api/streak/tick", p4)
    await day.ok(a, "/api/actions", p4, {"action_type": "shop_open"})
    await day.spins(b, p0, 10)  # p0 back on the other instance
    assert kept


async def _scalar(url: str, sql: str) -> int:
    database = SqlaDatabase(url, pool_size=1)
    try:
        async with database.session_factory() as session:
            return int((await session.execute(text(sql))).scalar_one())
    finally:
        await database.dispose()


async def _twin(url: str, start: date, end: date) -> PeriodFigures:
    database = SqlaDatabase(url, pool_size=1)
    try:
        async with database.session_factory() as session:
            return await pg_period_figures(session, start, end)
    finally:
        await database.dispose()


async def _consumed_everything(broker: Broker) -> bool:
    """The group's committed offsets have reached the end of every partition of the topic (read by a member that
    never joins the group, so the consumer keeps its partitions)."""
    reader = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=GROUP, enable_auto_commit=False)
    await reader.start()
    try:
        partitions = [TopicPartition(TOPIC, p) for p in reader.partitions_for_topic(TOPIC) or set()]
        if not partitions:
            await reader._client.force_metadata_update()
            partitions = [TopicPartition(TOPIC, p) for p in reader.partitions_for_topic(TOPIC) or set()]
        if not partitions:
            return False
        ends = await reader.end_offsets(partitions)
        committed = {tp: await reader.committed(tp) for tp in partitions}
        return all((committed[tp] or 0) >= end for tp, end in ends.items())
    finally:
        await reader.stop()


async def _delivered(url: str, broker: Broker) -> None:
    """Nothing waits for export in PostgreSQL, then the consumer has committed the whole topic."""
    deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
    while await _scalar(url, "SELECT count(*) FROM outbox WHERE exported_at IS NULL") > 0:
        assert time.monotonic() < deadline, "the instances never exported every event"
        await asyncio.sleep(0.2)  # polling under the deadline above
    while not await _consumed_everything(broker):
        assert time.monotonic() < deadline, "the consumer never caught up with the topic"
        await asyncio.sleep(0.2)  # polling under the deadline above


def _olap_figures(dsn: str, start: date, end: date) -> PeriodFigures:
    read = subprocess.run(
        [sys.executable, "-m", "tests.support.olap_readout", dsn, start.isoformat(), end.isoformat()],
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert read.returncode == 0, read.stderr.decode(errors="replace")
    return msgspec.json.decode(read.stdout, type=PeriodFigures)


def test_every_kpi_of_a_day_on_two_instances_through_kafka_equals_its_postgresql_twin(
    broker: Broker, database: tuple[str, str], tmp_path: Path
) -> None:
    url = database[0]
    env = _pipeline_env(broker)
    consumer = Consumer({**env, "DATABASE_URL": url}, tmp_path / "consumer")
    instances_env = {**env, "ADMIN_SITE_ID": ADMIN_SITE_ID, "ADMIN_PASSWORD": ADMIN_PASSWORD, "JOB_QUEUE": "in-process"}
    try:
        with two_instances(url, TEST_REDIS_URL, tmp_path / "apps", instances_env) as (first, second):
            start = datetime.now(UTC).date()
            asyncio.run(_play(first, second))
            asyncio.run(_delivered(url, broker))
            end = datetime.now(UTC).date()
        assert consumer.process.poll() is None, consumer.log.read_text()
    finally:
        consumer.stop()

    twin = asyncio.run(_twin(url, start, end))
    olap = _olap_figures(consumer.dsn, start, end)

    assert olap == twin
    # the script is what the figures say, not merely two equal zeros: the day's figures, or the two days' when the
    # script ran across midnight (CI may run it at 23:59 UTC)
    day = KpiReport.of(twin)
    assert (day.active_players, day.paying_players, day.new_players, day.promo_uses) == (6, 3, 6, 2)
    assert sum(day.gacha_pulls.values()) == 11
    assert {"slot_bet", "signup_bonus", "streak_reward"} <= set(day.coins.sourced_by_reason) | set(
        day.coins.sunk_by_reason
    )
    assert day.revenue_cents > 0


async def _play(first: str, second: str) -> None:
    async with httpx.AsyncClient(base_url=first, timeout=60) as a, httpx.AsyncClient(base_url=second, timeout=60) as b:
        await _play_the_day(Day(a, b))
