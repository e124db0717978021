"""`casino-club consume` (Kafka → OLAP store) and `casino-club backfill-olap` (database → OLAP store)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress

from src.application.analytics.backfill import backfill_olap as run_backfill
from src.entrypoints.bootstrap import check_embedded_olap_free, olap_backfill, olap_consumer
from src.entrypoints.cli.common import with_settings
from src.entrypoints.settings import Settings, SettingsError


async def _consume(settings: Settings) -> None:
    # aiokafka logs each failed reconnect, ten a second while a broker is away; the consumer says it once a try
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    async with olap_consumer(settings) as consumer:
        task = asyncio.create_task(consumer.run())
        loop = asyncio.get_running_loop()
        for stop in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            click.echo("consumer stopped", err=True)


@click.command()
@with_settings
def consume(settings: Settings) -> None:
    """Write the Kafka events topic to the OLAP store (a consumer group: run as many as there are partitions).

    Offsets are committed only after the OLAP write succeeded; a batch written twice counts once."""
    check_embedded_olap_free(settings)
    if settings.kafka_bootstrap_servers:
        click.echo(f"consuming {settings.kafka_events_topic} as {settings.kafka_consumer_group}", err=True)
    try:
        asyncio.run(_consume(settings))
    except SettingsError as exc:
        click.echo(f"casino-club: refusing to start: {exc}", err=True)
        sys.exit(2)


async def _backfill(settings: Settings) -> int:
    async with olap_backfill(settings) as (history, olap):
        total = await history.count()
        with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=Console(stderr=True)) as progress:
            task = progress.add_task("rebuilding the OLAP tables", total=total)
            return await run_backfill(history, olap, lambda rows: progress.advance(task, rows))


@click.command("backfill-olap")
@with_settings
def backfill_olap(settings: Settings) -> None:
    """Rebuild the OLAP tables from the database (sign-ups, sign-ins, plays, purchases, the ledger); idempotent,
    and safe beside the live pipeline (rows keep the keys it gives them)."""
    check_embedded_olap_free(settings)
    written = asyncio.run(_backfill(settings))
    click.echo(f"{written} records written to the OLAP store")
