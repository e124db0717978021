"""Games routes: slot, gacha, history, stats, leaderboards, inventory."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from src.application.engagement import seasons
from src.application.games import boards, configs, history, plays, proofs
from src.application.games.deps import GamesDeps
from src.application.shared.idempotency import KeyRecorder
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Principal
from src.entrypoints.http.idempotency import idempotency_key, idempotent_in_work
from src.entrypoints.http.metrics import PLAYS
from src.entrypoints.http.query import From, To, as_utc
from src.entrypoints.http.schemas.battlepass import PastSeasonOut
from src.entrypoints.http.schemas.fairness import ProofOut
from src.entrypoints.http.schemas.games import (
    GachaConfigOut,
    GachaStatsOut,
    GameStatsOut,
    HistoryOut,
    InventoryItemOut,
    LeaderboardEntryOut,
    LeaderboardOut,
    MyRankOut,
    ProfileStatsOut,
    PullIn,
    PullOut,
    SlotConfigOut,
    SpinIn,
    SpinOut,
)
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
ConfigVersion = Annotated[int | None, QueryParameter(name="version", ge=0, le=2**31 - 1)]


def provide_games(request: Request[Any, Any, Any]) -> GamesDeps:
    return container_of(request).games


GAMES = {"games": Provide(provide_games, sync_to_thread=False)}


class GamesController(Controller):
    path = "/api/games"
    tags = ["games"]  # noqa: RUF012
    dependencies = GAMES

    @get("/slot/config", operation_id="slot_config")
    async def slot_config(self, games: NamedDependency[GamesDeps], version: ConfigVersion = None) -> SlotConfigOut:
        """The odds in force, or `?version=` (a proof's `config_version`; 0 is the built-in default)."""
        return SlotConfigOut.of(await configs.get_slot_view(games, version))

    @post(
        "/slot/spin",
        operation_id="slot_spin",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(SpinOut, description="The settled spin")},
    )
    async def spin(self, request: PrincipalRequest, data: JSONBody[SpinIn]) -> Response[bytes]:
        key, user_id = idempotency_key(request, data.idempotency_key), request.user.user_id
        games = container_of(request).games  # not injected: the hot route skips Litestar's dependency resolution

        async def run(recorder: KeyRecorder[plays.SpinResult] | None) -> plays.SpinResult:
            result = await plays.place_spin(user_id, data.bet, games, key, recorder)
            PLAYS.labels(game="slot").inc()
            return result

        return await idempotent_in_work(
            request, user_id, run, SpinOut.of, required=False, body_key=data.idempotency_key
        )

    @get("/gacha/config", operation_id="gacha_config")
    async def gacha_config(self, games: NamedDependency[GamesDeps], version: ConfigVersion = None) -> GachaConfigOut:
        """The rates in force, or `?version=` (a proof's `config_version`; 0 is the built-in default)."""
        return GachaConfigOut.of(await configs.get_gacha_view(games, version))

    @post(
        "/gacha/pull",
        operation_id="gacha_pull",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(PullOut, description="The items pulled")},
    )
    async def pull(
        self, request: PrincipalRequest, data: JSONBody[PullIn], games: NamedDependency[GamesDeps]
    ) -> Response[bytes]:
        key, user_id = idempotency_key(request, data.idempotency_key), request.user.user_id

        async def run(recorder: KeyRecorder[plays.PullResult] | None) -> plays.PullResult:
            result = await plays.pull_gacha(user_id, data.count, games, key, recorder)
            PLAYS.labels(game="gacha").inc()
            return result

        return await idempotent_in_work(
            request, user_id, run, PullOut.of, required=False, body_key=data.idempotency_key
        )

    @get("/gacha/stats", operation_id="gacha_stats")
    async def gacha_stats(self, request: PrincipalRequest, games: NamedDependency[GamesDeps]) -> GachaStatsOut:
        user_id = request.user.user_id
        by_game = await history.stats_by_game(user_id, games)
        return GachaStatsOut.of_gacha(await history.gacha_stats(user_id, games), by_game["gacha"])

    @get("/history", operation_id="game_history")
    async def history(
        self,
        request: PrincipalRequest,
        games: NamedDependency[GamesDeps],
        game_type: Annotated[str | None, QueryParameter(name="game_type", max_length=16)] = None,
        action_type: Annotated[str | None, QueryParameter(name="action_type", max_length=16)] = None,
        since: From = None,
        until: To = None,
        user_id: Annotated[str | None, QueryParameter(name="user_id", max_length=64)] = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[HistoryOut]:
        query = history.HistoryRequest(request.user, user_id, game_type, action_type, as_utc(since), as_utc(until))
        page = await history.list_history(query, limit, cursor, games)
        return ListOut(items=[HistoryOut.of(record) for record in page.items], next_cursor=page.next_cursor)

    @get("/history/{play_id:str}/proof", operation_id="game_play_proof")
    async def proof(
        self, request: PrincipalRequest, play_id: FromPath[str], games: NamedDependency[GamesDeps]
    ) -> ProofOut:
        """What the play was drawn from; the server seed once its pair has been rotated. Own plays only."""
        return ProofOut.of(await proofs.proof_of(request.user.user_id, play_id, games))

    @get("/profile/stats", operation_id="profile_game_stats")
    async def profile_stats(self, request: PrincipalRequest, games: NamedDependency[GamesDeps]) -> ProfileStatsOut:
        by_game = await history.stats_by_game(request.user.user_id, games)
        overall = msgspec.structs.asdict(GameStatsOut.of(history.overall(by_game)))
        return ProfileStatsOut(**overall, games={name: GameStatsOut.of(stats) for name, stats in by_game.items()})

    @get("/leaderboard", operation_id="leaderboard")
    async def leaderboard(
        self,
        request: PrincipalRequest,
        games: NamedDependency[GamesDeps],
        board: Annotated[str, QueryParameter(name="board", max_length=32)] = "net_coins",
        period: Annotated[str, QueryParameter(name="period", max_length=16)] = "daily",
        limit: Limit = None,
        season: Annotated[str | None, QueryParameter(name="season", max_length=64)] = None,
    ) -> LeaderboardOut:
        """`period=season`: the running season of the definition `season` (default: the first enabled one counting
        `board`), with `season_id`, `resets_at` and `around_me`. Ties: the earlier to reach the score, then user id."""
        if period == "season":
            return await _season_board(request, board, season, limit)
        now = games.clock.now()
        view = await boards.view_board(
            board, period, limit, request.user.user_id, games.leaderboard, games.uow_factory, now
        )
        items = [LeaderboardEntryOut(e.rank, e.user_id, e.nickname, e.score) for e in view.items]
        me = MyRankOut(*view.me) if view.me else MyRankOut(rank=None, score=None)
        return LeaderboardOut(board=board, period=period, items=items, me=me, resets_at=boards.period_end(period, now))

    @get("/leaderboard/seasons/{season_id:str}", operation_id="leaderboard_past_season")
    async def past_season(
        self, request: PrincipalRequest, season_id: FromPath[str], limit: Limit = None, cursor: Cursor = None
    ) -> PastSeasonOut:
        """A finished season's final ranks and the rewards paid, by rank (404 while it runs); `cursor` is the
        last rank of the previous page."""
        if cursor is not None and not (cursor.isdigit() and len(cursor) < 10):
            raise InvalidInput("cursor is not valid", details={"fields": [{"key": "cursor"}]})
        after = 0 if cursor is None else int(cursor)
        return PastSeasonOut.of(await seasons.past_season(season_id, limit, after, container_of(request).seasons))

    @get("/{game_type:str}/stats", operation_id="game_stats")
    async def game_stats(
        self, request: PrincipalRequest, game_type: FromPath[str], games: NamedDependency[GamesDeps]
    ) -> GameStatsOut:
        history.check_game_type(game_type)
        return GameStatsOut.of((await history.stats_by_game(request.user.user_id, games))[game_type])


async def _season_board(request: PrincipalRequest, board: str, season: str | None, limit: int | None) -> LeaderboardOut:
    view = await seasons.view_season_board(request.user.user_id, board, season, limit, container_of(request).seasons)

    def entries(found: list[seasons.RankedEntry]) -> list[LeaderboardEntryOut]:
        return [LeaderboardEntryOut(e.rank, e.user_id, e.nickname, e.score) for e in found]

    me = MyRankOut(view.me.rank, view.me.score) if view.me else MyRankOut(rank=None, score=None)
    return LeaderboardOut(
        board=view.board.board,
        period="season",
        items=entries(view.items),
        me=me,
        resets_at=seasons.resets_at(view),
        season_id=view.period.season_id,
        around_me=entries(view.around_me),
    )


class InventoryController(Controller):
    path = "/api/inventory"
    tags = ["games"]  # noqa: RUF012
    dependencies = GAMES

    @get("/", operation_id="inventory")
    async def inventory(
        self, request: PrincipalRequest, games: NamedDependency[GamesDeps]
    ) -> ListOut[InventoryItemOut]:
        items = await history.list_inventory(request.user.user_id, games)
        return ListOut(items=[InventoryItemOut.of(item) for item in items])
