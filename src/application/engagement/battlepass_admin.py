"""Admin battle pass seasons: list, create, replace (disable with `enabled: false`); validated and audit-logged.

A change applies from the next event and the next read: levels are derived from XP whenever they are read.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace

from src.application.engagement.battlepass import BattlePassDeps
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.engagement.battlepass import BattlePassSeason, check_no_overlap, check_season, field_error
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal

SEASON_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _checked_id(season_id: str) -> str:
    if not SEASON_ID.fullmatch(season_id):
        raise field_error("season_id", "1-64 of a-z, 0-9, _ and -, starting with a letter or digit")
    return season_id


def audit_payload(season: BattlePassSeason) -> dict[str, object]:
    document = asdict(season)
    for key in ("starts_at", "ends_at", "settled_at"):
        value = document[key]
        document[key] = None if value is None else value.isoformat()
    return document


async def list_seasons(deps: BattlePassDeps) -> list[BattlePassSeason]:
    async with deps.uow_factory() as uow:
        return await uow.battlepass.seasons()


async def save_season(
    admin: Principal, client: ClientInfo, season: BattlePassSeason, deps: BattlePassDeps, *, creating: bool
) -> BattlePassSeason:
    """Create (a taken id: 400 naming season_id) or replace (404 for an unknown id) one season."""
    season = check_season(replace(season, season_id=_checked_id(season.season_id) if creating else season.season_id))
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        stored = await uow.battlepass.season(season.season_id)
        if creating and stored is not None:
            raise field_error("season_id", "a season with this id exists")
        if not creating and stored is None:
            raise NotFound("no such battle pass season")
        check_no_overlap(season, await uow.battlepass.seasons())
        await uow.battlepass.save_season(season, now)
        saved = replace(season, settled_at=None if stored is None else stored.settled_at)
        action = "battlepass.create" if creating else "battlepass.update"
        payload = audit_payload(saved)
        await write_audit(
            uow, AdminAction(admin, client, action, "battlepass_season", saved.season_id, payload), deps.ids, now
        )
        await uow.commit()
    return saved


def new_season_id(deps: BattlePassDeps) -> str:
    return f"bp_{deps.ids.new_id().replace('-', '')[:16]}"
