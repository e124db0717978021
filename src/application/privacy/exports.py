"""A player's data export: requested, built by a job into one JSON archive, downloaded by its owner for a while."""

from __future__ import annotations

import gzip
import json
import math
from datetime import datetime, timedelta
from typing import Any

from src.application.analytics.player_data import player_history
from src.application.privacy.deps import PrivacyDeps
from src.application.privacy.requests import enqueue, open_request
from src.domain.privacy.model import PrivacyRequest, RequestKind
from src.domain.shared.errors import NotFound, RateLimited

ARCHIVE_FORMAT = "casino-club-export/1"


async def request_export(user_id: str, deps: PrivacyDeps) -> PrivacyRequest:
    """202 with the export's id; an export of the player still being built is answered instead of a second one.
    Each archive is a full copy of the player's data: `exports_per_day` in 24 h, then 429 RATE_LIMITED."""
    await _check_daily_exports(user_id, deps)
    request = await open_request(user_id, RequestKind.EXPORT, deps)
    await enqueue(request, deps)
    return request


async def _check_daily_exports(user_id: str, deps: PrivacyDeps) -> None:
    now, day = deps.clock.now(), timedelta(hours=24)
    async with deps.uow_factory() as uow:
        if await uow.privacy_requests.open_of(user_id, RequestKind.EXPORT) is not None:
            return  # answered with the open one, nothing new is made
        made = await uow.privacy_requests.made_since(user_id, RequestKind.EXPORT, now - day)
    if len(made) >= deps.config.exports_per_day:
        wait = made[-deps.config.exports_per_day] + day - now
        raise RateLimited(math.ceil(wait.total_seconds()), "too many exports today; try again later")


async def export_of(user_id: str, export_id: str, deps: PrivacyDeps) -> PrivacyRequest:
    """Only the owner's own export; anything else is answered as if it did not exist."""
    async with deps.uow_factory() as uow:
        request = await uow.privacy_requests.get(export_id)
    if request is None or request.user_id != user_id or request.kind is not RequestKind.EXPORT:
        raise NotFound("no such export")
    return request


async def export_archive(user_id: str, export_id: str, deps: PrivacyDeps) -> bytes:
    """The archive (gzip of one JSON document) while it is ready and not expired."""
    request = await export_of(user_id, export_id, deps)
    if not request.downloadable(deps.clock.now()):
        raise NotFound("the export is not ready, or its download has expired")
    async with deps.uow_factory() as uow:
        archive = await uow.privacy_requests.archive(export_id)
    if archive is None:
        raise NotFound("the export's download has expired")
    return archive


async def build_export(request_id: str, deps: PrivacyDeps) -> None:
    """The job: each table's rows of the player, then their OLAP rows, into one archive; progress as it goes."""
    request = await _start(request_id, deps)
    if request is None:
        return
    tables: dict[str, list[dict[str, Any]]] = {}
    async with deps.uow_factory() as uow:
        names = list(uow.personal_data.tables())
        for position, table in enumerate(names):
            tables[table] = await uow.personal_data.rows_of(request.user_id, table)
            if position % 8 == 7:
                await _progress(request, 90 * (position + 1) // len(names), deps)
    olap = None if deps.olap is None else await player_history(deps.olap, request.user_id)
    archive = _archive(request, tables, olap, deps.clock.now())
    await _finish(request, archive, deps)


async def _start(request_id: str, deps: PrivacyDeps) -> PrivacyRequest | None:
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        request = await uow.privacy_requests.get_for_update(request_id)
        if request is None or request.finished or request.kind is not RequestKind.EXPORT:
            return None
        request.advance(1, now)
        await uow.privacy_requests.update(request)
        await uow.commit()
    return request


async def _progress(request: PrivacyRequest, percent: int, deps: PrivacyDeps) -> None:
    async with deps.uow_factory() as uow:
        request.advance(percent, deps.clock.now())
        await uow.privacy_requests.update(request)
        await uow.commit()


def _archive(
    request: PrivacyRequest,
    tables: dict[str, list[dict[str, Any]]],
    olap: dict[str, list[dict[str, Any]]] | None,
    now: datetime,
) -> bytes:
    document = {
        "format": ARCHIVE_FORMAT,
        "export_id": request.id,
        "player_id": request.user_id,
        "generated_at": now.isoformat(),
        "tables": tables,
        # None: the process that built it had no OLAP store open (the events are in `tables.outbox` too)
        "olap": olap,
    }
    return gzip.compress(json.dumps(document, default=str, ensure_ascii=False).encode(), mtime=0)


async def _finish(request: PrivacyRequest, archive: bytes, deps: PrivacyDeps) -> None:
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        current = await uow.privacy_requests.get_for_update(request.id)
        if current is None or current.finished:
            return  # an erasure deleted it meanwhile
        await uow.privacy_requests.store_archive(request.id, archive)
        current.export_ready(len(archive), now, now + deps.config.export_ttl)
        await uow.privacy_requests.update(current)
        await uow.commit()
