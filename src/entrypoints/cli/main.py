"""The `casino-club` command: serve, migrate, worker, create-admin and the verify and rebuild commands."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click
import uvicorn
from litestar import Litestar
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress

from src.application.games.boards import rebuild_leaderboards
from src.application.identity.accounts import AdminAccount, ensure_admin
from src.application.shared.errors import StoreInUse
from src.application.shop.integrity import IntegrityReport, count_transactions, verify_transactions
from src.application.wallet.verification import LedgerReport, verify_ledger
from src.domain.shared.errors import DomainError
from src.entrypoints.bootstrap import (
    Profile,
    check_embedded_olap_free,
    check_processes_can_share,
    ensure_vapid_key,
    migrate_database,
    migrate_olap,
    open_container,
)
from src.entrypoints.cli.analytics import backfill_olap, consume
from src.entrypoints.cli.common import with_settings
from src.entrypoints.http.app import create_app
from src.entrypoints.http.uvicorn_protocol import OneWriteHttpToolsProtocol
from src.entrypoints.realtime.uvicorn_protocol import RealtimeWebSocketProtocol
from src.entrypoints.runtime import settle_garbage_collector
from src.entrypoints.settings import Settings, SettingsError
from workers.runner import GracefulWorker
from workers.settings import worker_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Casino-Club F2P backend. Settings come from the environment and an optional .env file."""


cli.add_command(consume)
cli.add_command(backfill_olap)


@cli.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@with_settings
def migrate(settings: Settings, revision: str) -> None:
    """Apply database migrations, then the OLAP store's (ClickHouse, or chDB embedded)."""
    migrate_database(settings, revision)
    click.echo(f"database at revision {revision}")
    try:
        applied = asyncio.run(migrate_olap(settings))
    except StoreInUse:  # the running server holds the embedded store, and applies its schema when it starts
        click.echo("OLAP schema: the embedded store is in use by the server, which applies it at start")
        return
    click.echo(f"OLAP schema up to date ({len(applied)} applied now{': ' if applied else ''}{', '.join(applied)})")


@cli.command("vapid-key")
@with_settings
def vapid_key(settings: Settings) -> None:
    """Make sure the Web Push key exists (VAPID_PRIVATE_KEY naming a file: generated there once) and print the
    public key browsers subscribe with."""
    click.echo(ensure_vapid_key(settings))


# uvicorn kills a worker that does not answer its supervisor's ping in time, and a new worker answers only once it has
# imported the stack (seconds of CPU): on a busy machine uvicorn's 5 s killed and restarted the workers without end
WORKER_HEALTHCHECK_SECONDS = 60


def served_app(settings: Settings | None = None) -> Litestar:
    """The app as `casino-club serve` runs it; uvicorn's worker processes build it from here (settings from the
    environment, as the parent read them)."""
    app = create_app(settings)
    app.on_startup.append(settle_garbage_collector)  # runs once the lifespan (pools, container) is up
    return app


@cli.command()
@click.option("--host", default=None, help="Bind address (default: HOST setting).")
@click.option("--port", default=None, type=int, help="Port (default: PORT setting).")
@click.option("--migrate/--no-migrate", "run_migrations", default=False, help="Apply migrations first.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes on the one port (above 1: needs Redis, and a ClickHouse server or OLAP_IN_APP=false).",
)
@with_settings
def serve(settings: Settings, host: str | None, port: int | None, run_migrations: bool, workers: int) -> None:
    """Serve the HTTP API with uvicorn."""
    if workers > 1:
        try:
            check_processes_can_share(settings)
        except SettingsError as exc:
            click.echo(f"casino-club: refusing to start: {exc}", err=True)
            sys.exit(2)
    elif settings.olap_in_app:
        check_embedded_olap_free(settings)  # a second server on one VAR_DIR: one line, before anything starts
    if run_migrations:
        migrate_database(settings)
    host, port = host or settings.host, port or settings.port
    click.echo(f"Casino-Club API on http://{host}:{port} — docs at http://{host}:{port}/docs", err=True)
    # no permessage-deflate: realtime frames are small JSON, and compressing each broadcast once per socket costs
    # CPU and a zlib context per connection; the protocol lets a broadcast write its frames without the ASGI chain.
    # HTTP: uvicorn's httptools protocol writing a response's head with its body (one system call, not two)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
        "ws_per_message_deflate": False,
        "ws_ping_interval": settings.realtime_ping_seconds,
        "ws_ping_timeout": settings.realtime_ping_seconds,
        "ws": RealtimeWebSocketProtocol,
        "http": OneWriteHttpToolsProtocol,
    }
    if workers > 1:
        uvicorn.run(
            "src.entrypoints.cli.main:served_app",
            factory=True,
            workers=workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            **options,
        )
    else:
        uvicorn.run(served_app(settings), **options)


async def _create_admin(settings: Settings, site_id: str, password: str) -> AdminAccount:
    async with open_container(settings, profile=Profile.COMMAND) as container:
        return await ensure_admin(site_id, password, container.identity, reset_password=True)


@cli.command("create-admin")
@click.option("--site-id", required=True, help="Site id of the admin account (created, or promoted to admin).")
@click.password_option("--password", help="New password (prompted for when not given).")
@with_settings
def create_admin(settings: Settings, site_id: str, password: str) -> None:
    """Create an admin account, or make an existing account admin and set its password."""
    try:
        account = asyncio.run(_create_admin(settings, site_id, password))
    except DomainError as refusal:
        click.echo(f"casino-club: {refusal.message}", err=True)
        sys.exit(2)
    verb = "created" if account.created else "updated"
    click.echo(f"admin {account.user.site_id} {verb} (id {account.user.id})")


async def _verify_ledger(settings: Settings) -> LedgerReport:
    async with open_container(settings, profile=Profile.COMMAND) as container:
        auditor = container.ledger_auditor
        total = await auditor.wallet_count()
        with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=Console(stderr=True)) as progress:
            task = progress.add_task("checking wallets", total=total)
            return await verify_ledger(auditor, lambda done: progress.advance(task, done))


@cli.command("verify-ledger")
@with_settings
def verify_ledger_command(settings: Settings) -> None:
    """Check every wallet against its ledger; exits 1 on any drift."""
    report = asyncio.run(_verify_ledger(settings))
    for check in report.drifted:
        click.echo(
            f"DRIFT user={check.user_id} currency={check.currency} balance={check.balance} "
            f"ledger_sum={check.ledger_sum} chain_breaks={check.chain_breaks}"
        )
    click.echo(f"{report.wallets_checked} wallets checked, {len(report.drifted)} drifted")
    sys.exit(0 if report.ok else 1)


async def _verify_transactions(settings: Settings) -> IntegrityReport:
    async with open_container(settings, profile=Profile.COMMAND) as container:
        total = await count_transactions(container.purchases)
        with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=Console(stderr=True)) as progress:
            task = progress.add_task("checking transactions", total=total)
            return await verify_transactions(container.purchases, lambda done: progress.advance(task, done))


@cli.command("verify-transactions")
@with_settings
def verify_transactions_command(settings: Settings) -> None:
    """Recompute every purchase transaction's integrity hash; exits 1 when any row was tampered with."""
    report = asyncio.run(_verify_transactions(settings))
    for tx_id in report.tampered:
        click.echo(f"TAMPERED transaction={tx_id}")
    click.echo(f"{report.checked} transactions checked, {len(report.tampered)} tampered")
    sys.exit(0 if report.ok else 1)


async def _rebuild_leaderboards(settings: Settings) -> dict[str, int]:
    async with open_container(settings, profile=Profile.COMMAND) as container:
        return await rebuild_leaderboards(container.play_scores, container.games.leaderboard, container.clock.now())


@cli.command("rebuild-leaderboards")
@with_settings
def rebuild_leaderboards_command(settings: Settings) -> None:
    """Recompute today's, this week's and the all-time leaderboards from the game history (needs REDIS_URL)."""
    if not settings.redis_url:
        click.echo(
            "casino-club: without REDIS_URL the leaderboards live in the server's memory, and the server rebuilds "
            "them from the game history each time it starts; nothing to rebuild from here",
            err=True,
        )
        sys.exit(2)
    sizes = asyncio.run(_rebuild_leaderboards(settings))
    for board, players in sorted(sizes.items()):
        click.echo(f"{board}: {players} players")


@cli.command()
@click.option(
    "--queue",
    default="maintenance",
    show_default=True,
    help="Which queue this worker serves: maintenance, payments or notifications.",
)
@with_settings
def worker(settings: Settings, queue: str) -> None:
    """Run an arq worker for one queue (needs REDIS_URL)."""
    try:
        options = worker_options(settings, queue)
    except SettingsError as exc:
        click.echo(f"casino-club: refusing to start: {exc}", err=True)
        sys.exit(2)
    click.echo(f"worker serving queue {queue}", err=True)
    GracefulWorker(**options).run()


if __name__ == "__main__":
    cli()
