"""Admin odds: read and change the slot and gacha configs (validated, audit-logged, used by the next play)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.games import configs
from src.application.games.deps import GamesDeps
from src.domain.shared.principal import Principal
from src.entrypoints.http.games import GAMES
from src.entrypoints.http.schemas.games import GachaConfigOut, SlotConfigOut, SlotPreviewOut
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

    @post("/slot/config/preview", operation_id="admin_preview_slot_config", status_code=HTTP_200_OK)
    async def preview_slot_config(
        self, data: JSONBody[dict[str, Any]], games: NamedDependency[GamesDeps]
    ) -> SlotPreviewOut:
        """The RTP and odds a config would publish, computed exactly as a save does; nothing is stored. A config
        outside the RTP bounds answers 200 with `acceptable: false` (a save would refuse it)."""
        return SlotPreviewOut.of_draft(configs.preview_slot_config(configs.require_object(data), games))

    @get("/gacha/config", operation_id="admin_gacha_config")
    async def gacha_config(self, games: NamedDependency[GamesDeps]) -> GachaConfigOut:
        return GachaConfigOut.of(await configs.get_gacha_view(games))

    @put("/gacha/config", operation_id="admin_update_gacha_config")
    async def update_gacha_config(
        self, request: PrincipalRequest, data: JSONBody[dict[str, Any]], games: NamedDependency[GamesDeps]
    ) -> GachaConfigOut:
        command = configs.UpdateGameConfig(request.user, client_info(request), configs.require_object(data))
        return GachaConfigOut.of(await configs.update_gacha_config(command, games))

    @post("/gacha/config/preview", operation_id="admin_preview_gacha_config", status_code=HTTP_200_OK)
    async def preview_gacha_config(self, data: JSONBody[dict[str, Any]]) -> GachaConfigOut:
        """The rates a config would publish, the effective ones with pity included, computed exactly as a save
        does; an invalid config is the 400 a save would answer; nothing is stored."""
        return GachaConfigOut.of(configs.preview_gacha_config(configs.require_object(data)))
