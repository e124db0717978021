"""Embedded pipeline (no Kafka): the exporter hands committed events to the OLAP writer in the server process, and
the OLAP store's ledger equals PostgreSQL's, however often an event is exported."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.repositories.analytics_history import SqlaAnalyticsHistory
from src.application.analytics.backfill import backfill_olap
from src.entrypoints.bootstrap.root import Profile, _hands_off
from src.entrypoints.container import Container
from tests.api.games.helpers import spin_ok
from tests.support.api import in_app, sign_up
from tests.support.olap import ledger_totals, olap_event_counts, olap_ledger_totals


@pytest.fixture(scope="module")
def pg_url(module_pg_url: str) -> str:
    """The backfill reads every row of its database and the export again writes every event of it: on the
    session's database, which holds every earlier test's rows, a backfill late in a worker's share took 9 s."""
    return module_pg_url


async def play(client: AsyncTestClient[Litestar], players: int, spins: int) -> list[str]:
    ids = []
    for _ in range(players):
        tokens = await sign_up(client)
        for _ in range(spins):
            await spin_ok(client, tokens, bet=10)
        ids.append(tokens["user"]["id"])
    return ids


async def exported(client: AsyncTestClient[Litestar], container: Container) -> None:
    exporter = container.exporter
    assert exporter is not None
    # consumers write events of their own (a signup's bonus, a play's prize and its notice): deliver until none is left
    while await in_app(client, container.relay.drain):
        pass
    await in_app(client, exporter.drain)


async def test_plays_reach_the_olap_store_equal_to_the_ledger(
    client: AsyncTestClient[Litestar], container: Container, pg_url: str
) -> None:
    players = await play(client, players=2, spins=4)

    await exported(client, container)

    assert container.olap is not None
    assert await olap_ledger_totals(container.olap, players) == await ledger_totals(pg_url, players)
    counts = await olap_event_counts(container.olap, players)
    assert (counts["UserSignedUp"], counts["SpinSettled"]) == (2, 8)


async def test_events_exported_again_change_no_total(
    client: AsyncTestClient[Litestar], container: Container, pg_url: str
) -> None:
    players = await play(client, players=1, spins=3)
    await exported(client, container)
    assert container.olap is not None
    before = await olap_event_counts(container.olap, players)

    await _forget_exports(pg_url)  # as if every export so far had crashed before marking its batch
    await exported(client, container)  # everything is written again (by this drain or the app's own loop)

    assert await olap_event_counts(container.olap, players) == before  # and read once
    assert await olap_ledger_totals(container.olap, players) == await ledger_totals(pg_url, players)


async def _forget_exports(pg_url: str) -> None:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("UPDATE outbox SET exported_at = NULL")
    finally:
        await connection.close()


async def test_a_backfill_from_the_database_over_live_rows_changes_no_total_and_runs_again_alike(
    client: AsyncTestClient[Litestar], container: Container, pg_url: str
) -> None:
    players = await play(client, players=2, spins=3)
    await exported(client, container)
    assert container.olap is not None
    live = await olap_event_counts(container.olap, players)
    database = SqlaDatabase(pg_url, pool_size=2)
    progress: list[int] = []
    try:
        history = SqlaAnalyticsHistory(database.session_factory)
        total = await history.count()
        first = await backfill_olap(history, container.olap, progress.append, page_size=7)
        second = await backfill_olap(history, container.olap, lambda rows: None, page_size=1000)
    finally:
        await database.dispose()

    assert first == second > 0
    assert sum(progress) == total
    assert await olap_ledger_totals(container.olap, players) == await ledger_totals(pg_url, players)
    rebuilt = await olap_event_counts(container.olap, players)
    assert {kind: rebuilt[kind] for kind in live if kind in ("UserSignedUp", "SpinSettled")} == {
        "UserSignedUp": 2,
        "SpinSettled": 6,
    }


async def test_the_embedded_exporter_takes_the_relays_passes_unless_told_not_to(
    container: Container, make_settings: Any
) -> None:
    assert container.exporter is not None
    assert container.relay.export is container.exporter

    assert _hands_off(make_settings(), Profile.SERVER)
    assert not _hands_off(make_settings(outbox_relay_exports_to_olap="false"), Profile.SERVER)
    assert not _hands_off(make_settings(outbox_export_in_app="false"), Profile.SERVER)
    kafka = "127.0.0.1:9092"
    assert _hands_off(
        make_settings(kafka_bootstrap_servers=kafka, outbox_relay_exports_to_olap="false"), Profile.SERVER
    )
    assert _hands_off(make_settings(kafka_bootstrap_servers=kafka, outbox_export_in_app="false"), Profile.WORKER)
    assert not _hands_off(make_settings(kafka_bootstrap_servers=kafka, outbox_export_in_app="false"), Profile.SERVER)
