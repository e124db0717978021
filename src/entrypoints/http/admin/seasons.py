"""Admin definitions of battle pass seasons and season leaderboards: list, create, replace, disable
(`enabled: false` on PUT); validated, audit-logged, applied from the next event."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from src.application.engagement import battlepass_admin, season_admin
from src.application.engagement.battlepass import BattlePassDeps
from src.application.engagement.seasons import SeasonDeps
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal
from src.entrypoints.http.battlepass import BATTLEPASS
from src.entrypoints.http.schemas.battlepass import (
    BattlePassSeasonIn,
    BattlePassSeasonOut,
    SeasonBoardIn,
    SeasonBoardOut,
)
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.security import client_info, container_of

PrincipalRequest = Request[Principal, Any, Any]


def provide_seasons(request: Request[Any, Any, Any]) -> SeasonDeps:
    return container_of(request).seasons


class AdminBattlePassController(Controller):
    path = "/engagement/battlepass"
    tags = ["admin"]  # noqa: RUF012
    dependencies = BATTLEPASS

    @get("/", operation_id="admin_battlepass_seasons")
    async def seasons(self, battlepass: NamedDependency[BattlePassDeps]) -> ListOut[BattlePassSeasonOut]:
        seasons = await battlepass_admin.list_seasons(battlepass)
        return ListOut(items=[BattlePassSeasonOut.of(season) for season in seasons])

    @get("/{season_id:str}", operation_id="admin_battlepass_season")
    async def season(
        self, season_id: FromPath[str], battlepass: NamedDependency[BattlePassDeps]
    ) -> BattlePassSeasonOut:
        found = next((s for s in await battlepass_admin.list_seasons(battlepass) if s.season_id == season_id), None)
        if found is None:
            raise NotFound("no such battle pass season")
        return BattlePassSeasonOut.of(found)

    @post("/", operation_id="admin_create_battlepass_season", status_code=HTTP_201_CREATED)
    async def create(
        self,
        request: PrincipalRequest,
        data: JSONBody[BattlePassSeasonIn],
        battlepass: NamedDependency[BattlePassDeps],
    ) -> BattlePassSeasonOut:
        """Levels numbered 1..N with rising XP, rewards within limits, no overlap with another enabled season."""
        season = data.season(data.season_id or battlepass_admin.new_season_id(battlepass))
        saved = await battlepass_admin.save_season(
            request.user, client_info(request), season, battlepass, creating=True
        )
        return BattlePassSeasonOut.of(saved)

    @put("/{season_id:str}", operation_id="admin_update_battlepass_season")
    async def update(
        self,
        request: PrincipalRequest,
        season_id: FromPath[str],
        data: JSONBody[BattlePassSeasonIn],
        battlepass: NamedDependency[BattlePassDeps],
    ) -> BattlePassSeasonOut:
        saved = await battlepass_admin.save_season(
            request.user, client_info(request), data.season(season_id), battlepass, creating=False
        )
        return BattlePassSeasonOut.of(saved)


class AdminSeasonBoardController(Controller):
    path = "/engagement/seasons"
    tags = ["admin"]  # noqa: RUF012
    dependencies = {"seasons": Provide(provide_seasons, sync_to_thread=False)}  # noqa: RUF012

    @get("/", operation_id="admin_season_leaderboards")
    async def definitions(self, seasons: NamedDependency[SeasonDeps]) -> ListOut[SeasonBoardOut]:
        boards = await season_admin.list_definitions(seasons)
        return ListOut(items=[SeasonBoardOut.of(board) for board in boards])

    @get("/{season_id:str}", operation_id="admin_season_leaderboard")
    async def definition(self, season_id: FromPath[str], seasons: NamedDependency[SeasonDeps]) -> SeasonBoardOut:
        boards = await season_admin.list_definitions(seasons)
        found = next((board for board in boards if board.definition_id == season_id), None)
        if found is None:
            raise NotFound("no such season leaderboard")
        return SeasonBoardOut.of(found)

    @post("/", operation_id="admin_create_season_leaderboard", status_code=HTTP_201_CREATED)
    async def create(
        self, request: PrincipalRequest, data: JSONBody[SeasonBoardIn], seasons: NamedDependency[SeasonDeps]
    ) -> SeasonBoardOut:
        """Rank bands in order without overlap, each paying coins or gems within limits."""
        definition_id = data.season_id or f"season_{seasons.ids.new_id().replace('-', '')[:12]}"
        saved = await season_admin.save_definition(
            request.user, client_info(request), data.definition(definition_id), seasons, creating=True
        )
        return SeasonBoardOut.of(saved)

    @put("/{season_id:str}", operation_id="admin_update_season_leaderboard")
    async def update(
        self,
        request: PrincipalRequest,
        season_id: FromPath[str],
        data: JSONBody[SeasonBoardIn],
        seasons: NamedDependency[SeasonDeps],
    ) -> SeasonBoardOut:
        saved = await season_admin.save_definition(
            request.user, client_info(request), data.definition(season_id), seasons, creating=False
        )
        return SeasonBoardOut.of(saved)
