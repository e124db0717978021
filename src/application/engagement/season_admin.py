"""Admin season leaderboard definitions: list, create, replace (disable with `enabled: false`); validated and
audit-logged. A change applies from the next play; a season already frozen keeps the ranks and rewards it had."""

from __future__ import annotations

from dataclasses import asdict

from src.application.engagement.battlepass_admin import SEASON_ID
from src.application.engagement.seasons import SeasonDeps
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.engagement.battlepass import field_error
from src.domain.engagement.seasons import SeasonBoard, check_board
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal


async def list_definitions(deps: SeasonDeps) -> list[SeasonBoard]:
    async with deps.uow_factory() as uow:
        return await uow.season_boards.definitions()


async def save_definition(
    admin: Principal, client: ClientInfo, board: SeasonBoard, deps: SeasonDeps, *, creating: bool
) -> SeasonBoard:
    """Create (a taken id: 400 naming season_id) or replace (404 for an unknown id) one definition."""
    if creating and not SEASON_ID.fullmatch(board.definition_id):
        raise field_error("season_id", "1-64 of a-z, 0-9, _ and -, starting with a letter or digit")
    check_board(board)
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        stored = await uow.season_boards.definition(board.definition_id)
        if creating and stored is not None:
            raise field_error("season_id", "a season leaderboard with this id exists")
        if not creating and stored is None:
            raise NotFound("no such season leaderboard")
        await uow.season_boards.save_definition(board, now)
        action = AdminAction(
            admin,
            client,
            "season.create" if creating else "season.update",
            "season_leaderboard",
            board.definition_id,
            asdict(board),
        )
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return board
