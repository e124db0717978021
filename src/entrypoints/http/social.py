"""Social routes: follow and unfollow players, and the two lists."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK

from src.application.shared.pagination import Page
from src.application.social import follows
from src.application.social.deps import SocialDeps
from src.application.social.ports import FollowView
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import ListOut
from src.entrypoints.http.schemas.social import FollowOut, FollowStateOut
from src.entrypoints.http.security import container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]


def provide_social(request: Request[Any, Any, Any]) -> SocialDeps:
    return container_of(request).social


def _follows_out(page: Page[FollowView]) -> ListOut[FollowOut]:
    return ListOut(
        items=[FollowOut(v.user_id, v.nickname, v.followed_at) for v in page.items], next_cursor=page.next_cursor
    )


class FollowController(Controller):
    path = "/api/games"  # follows were filed under games in the API contract; the paths stay
    tags = ["social"]  # noqa: RUF012
    dependencies = {"social": Provide(provide_social, sync_to_thread=False)}  # noqa: RUF012

    @post("/follow/{user_id:str}", operation_id="follow", status_code=HTTP_200_OK)
    async def follow(
        self, request: PrincipalRequest, user_id: FromPath[str], social: NamedDependency[SocialDeps]
    ) -> FollowStateOut:
        await follows.follow_user(request.user.user_id, user_id, social.uow_factory, social.clock)
        return FollowStateOut(user_id=user_id, following=True)

    @delete("/follow/{user_id:str}", operation_id="unfollow", status_code=HTTP_200_OK)
    async def unfollow(
        self, request: PrincipalRequest, user_id: FromPath[str], social: NamedDependency[SocialDeps]
    ) -> FollowStateOut:
        await follows.unfollow_user(request.user.user_id, user_id, social.uow_factory)
        return FollowStateOut(user_id=user_id, following=False)

    @get("/follow/list", operation_id="following")
    async def following(
        self, request: PrincipalRequest, social: NamedDependency[SocialDeps], limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[FollowOut]:
        return _follows_out(await follows.list_following(request.user.user_id, limit, cursor, social.uow_factory))

    @get("/follow/followers", operation_id="followers")
    async def followers(
        self, request: PrincipalRequest, social: NamedDependency[SocialDeps], limit: Limit = None, cursor: Cursor = None
    ) -> ListOut[FollowOut]:
        return _follows_out(await follows.list_followers(request.user.user_id, limit, cursor, social.uow_factory))
