"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import structlog
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig

from src.application.games.boards import rebuild_leaderboards
from src.application.identity.accounts import ensure_admin
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.ports import Clock
from src.domain.identity.errors import NicknameTaken, SiteIdTaken
from src.entrypoints.bootstrap import Profile, open_container
from src.entrypoints.container import Container
from src.entrypoints.http.admin.router import admin_router
from src.entrypoints.http.analytics import ActionsController
from src.entrypoints.http.battlepass import BattlePassController
from src.entrypoints.http.engagement import StreakController
from src.entrypoints.http.errors import EXCEPTION_HANDLERS
from src.entrypoints.http.fairness import FairnessController
from src.entrypoints.http.feedback import FeedbackController
from src.entrypoints.http.games import GamesController, InventoryController
from src.entrypoints.http.gem_shop import GemShopController
from src.entrypoints.http.identity import AuthController, InviteController, UsersController
from src.entrypoints.http.json_body import JsonRequest
from src.entrypoints.http.limited import LimitedPackagesController
from src.entrypoints.http.limits import LimitsController
from src.entrypoints.http.liveops import liveops_handlers
from src.entrypoints.http.metrics import MetricsController
from src.entrypoints.http.middleware import RequestContextMiddleware
from src.entrypoints.http.missions import AchievementsController, MissionsController
from src.entrypoints.http.notifications import NotificationsController
from src.entrypoints.http.openapi import FinishedOpenAPIJson
from src.entrypoints.http.ops import OpsController
from src.entrypoints.http.privacy import PrivacyController
from src.entrypoints.http.request_metrics import RouteCachedPrometheusMiddleware
from src.entrypoints.http.rewards import RewardsController
from src.entrypoints.http.security import authentication_middleware
from src.entrypoints.http.security_headers import add_response_headers
from src.entrypoints.http.shop import ShopController
from src.entrypoints.http.social import FollowController
from src.entrypoints.http.vip import VipController
from src.entrypoints.http.wallet import WalletController
from src.entrypoints.http.web import web_handlers
from src.entrypoints.http.webhooks import PaymentWebhookController
from src.entrypoints.jobs import runs_in_app, scheduled_jobs
from src.entrypoints.logging import structlog_plugin
from src.entrypoints.realtime.sse import RealtimeEventsController
from src.entrypoints.realtime.ws import realtime_socket
from src.entrypoints.settings import Settings, load_settings

API_VERSION = "0.1.0"
# what `create_app` reads from the settings when it builds the app; the rest is read when the app starts
APP_BUILD_SETTINGS = ("app_env", "cors_origins", "max_request_body_bytes", "log_level", "log_format")
STARTUP_DRAIN_PASSES = 1000  # a relay pass delivers up to a batch; enough for any backlog a restart leaves
logger = structlog.get_logger("casino_club.app")


def _provide_container(state: State) -> Container:
    container: Container = state.container
    return container


async def _every(interval_seconds: float, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await job()
        except DependencyUnavailable as outage:
            logger.warning("periodic job failed; will run again", dependency=str(outage), error=outage.reason)
        except Exception:
            logger.exception("periodic job failed; will run again")


@asynccontextmanager
async def background_tasks(container: Container) -> AsyncIterator[None]:
    """Work that runs beside the app in every process: the outbox relay and the analytics exporter (a shared cache
    lock keeps each one's passes apart), the closing of revoked sessions' sockets, and the job table's scheduled jobs
    that the app runs: the purges on every instance, and with jobs in process the sweeps too (with arq, the
    workers' crons run them)."""
    settings = container.settings
    tasks = [
        asyncio.create_task(_every(job.schedule.every(settings), partial(job.run, container, {})))
        for job in scheduled_jobs()
        if job.schedule is not None and runs_in_app(job, settings)
    ]
    tasks.append(asyncio.create_task(container.realtime.watch_sessions()))  # closes revoked sessions' sockets
    tasks.append(asyncio.create_task(container.identity.session_state.listen()))  # local session copies
    if settings.outbox_relay_in_app:
        tasks.append(asyncio.create_task(container.relay.run_forever(settings.outbox_poll_seconds)))
    if settings.outbox_export_in_app and container.exporter is not None:
        tasks.append(asyncio.create_task(container.exporter.run_forever(settings.outbox_poll_seconds)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=10)  # bounded: shutdown must never hang on a background task


@asynccontextmanager
async def objects_frozen() -> AsyncIterator[None]:
    """What the process built to start (modules, the app, SQLAlchemy's and Litestar's structures: ~300,000 objects)
    is moved out of the garbage collector's generations while it serves. A full collection then only walks what
    requests made: it took ~165 ms of CPU, with every request on the loop stalled, every ~3,000 spins, and takes
    ~3 ms frozen. Unfrozen at shutdown, so a process that builds app after app (the tests) can still collect the
    cycles an earlier one left."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def restore_leaderboards(container: Container) -> None:
    """Without Redis the leaderboards live in this process's memory: rebuild them from the game history (the
    record) before serving, after delivering what the outbox still holds, so no play is counted twice."""
    settings = container.settings
    if settings.redis_url or not settings.outbox_relay_in_app:
        return
    await container.relay.drain(max_passes=STARTUP_DRAIN_PASSES)
    sizes = await rebuild_leaderboards(container.play_scores, container.games.leaderboard, container.clock.now())
    logger.info("leaderboards rebuilt from the game history", players=sizes.get("net_coins:all_time", 0))


async def ensure_configured_admin(container: Container) -> None:
    """ADMIN_SITE_ID/ADMIN_PASSWORD: make sure that admin exists (several instances may race here)."""
    settings = container.settings
    if not (settings.admin_site_id and settings.admin_password):
        return
    try:
        await ensure_admin(settings.admin_site_id, settings.admin_password, container.identity)
    except (SiteIdTaken, NicknameTaken):
        await ensure_admin(settings.admin_site_id, settings.admin_password, container.identity)


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with open_container(settings, profile=Profile.SERVER, clock=app.state.clock) as container:
        app.state.container = container
        await restore_leaderboards(container)
        async with background_tasks(container), objects_frozen():
            await ensure_configured_admin(container)
            yield


def serve_with(app: Litestar, settings: Settings, *, clock: Clock | None = None) -> Litestar:
    """Have an app that is not running serve its next start with other settings and clock. Building the routes
    costs ~0.2 s of CPU, four times a start: tests reuse one build for apps whose settings differ only in what the
    build does not read (APP_BUILD_SETTINGS must be equal)."""
    settings.check_production_safety()
    built: Settings = app.state.settings
    differing = [name for name in APP_BUILD_SETTINGS if getattr(built, name) != getattr(settings, name)]
    if differing:
        raise ValueError(f"the app was built with other {', '.join(differing)}")
    app.state.settings, app.state.clock = settings, clock
    return app


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """Build the app; pools and clients open in its lifespan, never at import or build time. `clock`: the system
    clock unless a test gives its own."""
    settings = settings or load_settings()
    settings.check_production_safety()

    # realtime streams are not requests: hours long, and each WebSocket frame would go through the metrics wrapper
    prometheus = PrometheusConfig(
        app_name="casino_club",
        prefix="casino_club",
        group_path=True,
        exclude=["/metrics", "^/api/realtime/"],
        middleware_class=RouteCachedPrometheusMiddleware,  # same metrics; children kept per route and status
    )
    cors = CORSConfig(allow_origins=settings.cors_origins, allow_credentials=True) if settings.cors_origins else None
    route_handlers: list[Any] = [
        OpsController,
        MetricsController,
        InviteController,
        AuthController,
        UsersController,
        WalletController,
        GamesController,
        FairnessController,
        LimitsController,
        PrivacyController,
        FollowController,
        InventoryController,
        StreakController,
        BattlePassController,
        VipController,
        FeedbackController,
        MissionsController,
        AchievementsController,
        RewardsController,
        ShopController,
        GemShopController,
        PaymentWebhookController,
        LimitedPackagesController,
        NotificationsController,
        ActionsController,
        *liveops_handlers(),
        admin_router(),
        realtime_socket,
        RealtimeEventsController,
        *web_handlers(),
    ]
    return Litestar(
        route_handlers=route_handlers,
        lifespan=[_lifespan],
        state=State({"settings": settings, "clock": clock}),  # what the lifespan starts with (see `serve_with`)
        dependencies={"container": Provide(_provide_container, sync_to_thread=False)},
        exception_handlers=dict(EXCEPTION_HANDLERS),
        middleware=[RequestContextMiddleware(), prometheus.middleware, authentication_middleware()],
        before_send=[add_response_headers],  # X-Request-ID and the protections, on 404s and 405s too
        plugins=[structlog_plugin(settings)],
        cors_config=cors,
        request_max_body_size=settings.max_request_body_bytes,
        request_class=JsonRequest,  # JSON bodies: media type, depth, strict types
        openapi_config=OpenAPIConfig(
            title="Casino-Club F2P API",
            version=API_VERSION,
            path="/schema",
            render_plugins=[FinishedOpenAPIJson()],
        ),
        debug=False,
    )
