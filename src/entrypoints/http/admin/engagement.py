"""Admin engagement definitions: missions and achievements as data (list, create, change, disable), validated and
audit-logged; the progress engine counts with them from its next pass."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from src.application.engagement import definitions
from src.application.engagement.definitions import SaveDefinition
from src.application.engagement.deps import MissionDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.missions import MISSIONS
from src.entrypoints.http.schemas.missions import (
    AchievementChangesIn,
    AchievementDefinitionOut,
    AchievementIn,
    MissionChangesIn,
    MissionDefinitionOut,
    MissionIn,
)
from src.entrypoints.http.security import client_info

PrincipalRequest = Request[Principal, Any, Any]


class AdminMissionController(Controller):
    path = "/engagement/missions"
    tags = ["admin"]  # noqa: RUF012
    dependencies = MISSIONS

    @get("/", operation_id="admin_missions")
    async def list(self, missions: NamedDependency[MissionDeps]) -> list[MissionDefinitionOut]:
        """Every mission, disabled ones included, in display order."""
        return [MissionDefinitionOut.of(d) for d in await definitions.list_mission_definitions(missions)]

    @get("/{mission_id:str}", operation_id="admin_mission")
    async def get(self, mission_id: FromPath[str], missions: NamedDependency[MissionDeps]) -> MissionDefinitionOut:
        return MissionDefinitionOut.of(await definitions.get_mission_definition(mission_id, missions))

    @post("/", operation_id="admin_create_mission", status_code=HTTP_201_CREATED)
    async def create(
        self, request: PrincipalRequest, data: JSONBody[MissionIn], missions: NamedDependency[MissionDeps]
    ) -> MissionDefinitionOut:
        """409 DEFINITION_EXISTS when the id is taken; 400 naming the field for a target ≤ 0 or a reward out of
        bounds."""
        command = SaveDefinition(request.user, client_info(request), data.given())
        return MissionDefinitionOut.of(await definitions.save_mission(command, missions))

    @put("/{mission_id:str}", operation_id="admin_update_mission")
    async def update(
        self,
        request: PrincipalRequest,
        mission_id: FromPath[str],
        data: JSONBody[MissionChangesIn],
        missions: NamedDependency[MissionDeps],
    ) -> MissionDefinitionOut:
        """Only the fields given change; `enabled: false` disables (progress is kept)."""
        command = SaveDefinition(request.user, client_info(request), data.given(), mission_id)
        return MissionDefinitionOut.of(await definitions.save_mission(command, missions))


class AdminAchievementController(Controller):
    path = "/engagement/achievements"
    tags = ["admin"]  # noqa: RUF012
    dependencies = MISSIONS

    @get("/", operation_id="admin_achievements")
    async def list(self, missions: NamedDependency[MissionDeps]) -> list[AchievementDefinitionOut]:
        return [AchievementDefinitionOut.of(d) for d in await definitions.list_achievement_definitions(missions)]

    @get("/{achievement_id:str}", operation_id="admin_achievement")
    async def get(
        self, achievement_id: FromPath[str], missions: NamedDependency[MissionDeps]
    ) -> AchievementDefinitionOut:
        return AchievementDefinitionOut.of(await definitions.get_achievement_definition(achievement_id, missions))

    @post("/", operation_id="admin_create_achievement", status_code=HTTP_201_CREATED)
    async def create(
        self, request: PrincipalRequest, data: JSONBody[AchievementIn], missions: NamedDependency[MissionDeps]
    ) -> AchievementDefinitionOut:
        """The precondition must exist and close no cycle (400 naming `precondition`)."""
        command = SaveDefinition(request.user, client_info(request), data.given())
        return AchievementDefinitionOut.of(await definitions.save_achievement(command, missions))

    @put("/{achievement_id:str}", operation_id="admin_update_achievement")
    async def update(
        self,
        request: PrincipalRequest,
        achievement_id: FromPath[str],
        data: JSONBody[AchievementChangesIn],
        missions: NamedDependency[MissionDeps],
    ) -> AchievementDefinitionOut:
        command = SaveDefinition(request.user, client_info(request), data.given(), achievement_id)
        return AchievementDefinitionOut.of(await definitions.save_achievement(command, missions))
