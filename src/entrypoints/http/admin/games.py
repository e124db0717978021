"""Admin odds: read and change the slot and gacha configs (validated, audit-logged, used by the next play)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.application.games import configs
from src.application.games.deps import GamesDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.games import GAMES
from src.entrypoints.http.schemas.games import GachaConfigOut, SlotConfigOut
from src.entrypoints.http.security import client_info

PrincipalRequest = Request[Principal, Any, Any]


class AdminOddsController(Controller):
    path = "/"
    tags = ["admin"]  # noqa: RUF012
    dependencies = GAMES

    @get("/slot/config", operation_id="admin_slot_config")
    async def slot_config(self, games: NamedDependency[GamesDeps]) -> SlotConfigOut:
        return SlotConfigOut.of(await configs.get_slot_view(games))

    @put("/slot/config", operation_id="admin_update_slot_config")
    async def update_slot_config(
        self, request: PrincipalRequest, data: JSONBody[dict[str, Any]], games: NamedDependency[GamesDeps]
    ) -> SlotConfigOut:
        command = configs.UpdateGameConfig(request.user, client_info(request), configs.require_object(data))
        return SlotConfigOut.of(await configs.update_slot_config(command, games))

    @get("/gacha/config", operation_id="admin_gacha_config")
    async def gacha_config(self, games: NamedDependency[GamesDeps]) -> GachaConfigOut:
        return GachaConfigOut.of(await configs.get_gacha_view(games))

    @put("/gacha/config", operation_id="admin_update_gacha_config")
    async def update_gacha_config(
        self, request: PrincipalRequest, data: JSONBody[dict[str, Any]], games: NamedDependency[GamesDeps]
    ) -> GachaConfigOut:
        command = configs.UpdateGameConfig(request.user, client_info(request), configs.require_object(data))
        return GachaConfigOut.of(await configs.update_gacha_config(command, games))
