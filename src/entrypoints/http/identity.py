"""Identity routes: invite validation, signup, login, refresh, logout, sessions, profiles."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from src.application.engagement.battlepass import current_level
from src.application.engagement.missions import achievements_unlocked
from src.application.engagement.streaks import get_status
from src.application.games.history import player_summary
from src.application.identity import auth, invites, profiles, sessions
from src.application.identity.commands import LogIn, Refresh, SignUp
from src.application.identity.deps import IdentityDeps
from src.application.shop.receipts import my_spending
from src.application.wallet.handlers import get_balances
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.identity import (
    InviteValidateIn,
    InviteValidateOut,
    ListOut,
    LoginIn,
    LogoutIn,
    PublicProfileOut,
    RefreshIn,
    SelfProfileOut,
    SessionOut,
    SignupIn,
    TokensOut,
    UserStatsOut,
)
from src.entrypoints.http.security import PUBLIC, auth_rate_limit, client_info, container_of

AnyRequest = Request[Any, Any, Any]
PrincipalRequest = Request[Principal, Any, Any]


def provide_identity(request: AnyRequest) -> IdentityDeps:
    return container_of(request).identity


IDENTITY = {"identity": Provide(provide_identity, sync_to_thread=False)}


async def self_view(request: AnyRequest, user_id: str) -> profiles.SelfProfile:
    """The self view joins identity with the wallet's balances, the shop's spending and the battle pass level."""
    return await _view_of(request, await profiles.get_self_profile(user_id, container_of(request).identity))


async def _view_of(
    request: AnyRequest, profile: profiles.SelfProfile, balances: dict[str, int] | None = None, new: bool = False
) -> profiles.SelfProfile:
    """`profile` joined with the other contexts' parts; a sign-up passes the balances its credit returned and says
    the player is `new` (no purchase yet, so nothing spent)."""
    container, user_id = container_of(request), profile.user.id
    if balances is None:
        balances = await get_balances(user_id, container.wallet)
    spent_cents = 0 if new else (await my_spending(user_id, container.purchases)).total_spent_cents
    level = await current_level(user_id, container.battlepass)
    return replace(profile, balances=balances, total_spent_cents=spent_cents, battlepass_level=level)


async def _tokens(
    request: AnyRequest, result: auth.AuthResult, balances: dict[str, int] | None = None, new: bool = False
) -> TokensOut:
    """The user the use case just wrote (or read in its transaction) is the view's: not read again."""
    return TokensOut.of(result, await _view_of(request, profiles.SelfProfile(result.user), balances, new))


class InviteController(Controller):
    path = "/api/invite"
    tags = ["identity"]  # noqa: RUF012
    dependencies = IDENTITY

    @post(
        "/validate",
        operation_id="validate_invite",
        status_code=HTTP_200_OK,
        opt={PUBLIC: True},
        guards=[auth_rate_limit],
    )
    async def validate(
        self, data: JSONBody[InviteValidateIn], identity: NamedDependency[IdentityDeps]
    ) -> InviteValidateOut:
        return InviteValidateOut.of(await invites.validate_invite(data.code, identity))


class AuthController(Controller):
    path = "/api/auth"
    tags = ["identity"]  # noqa: RUF012
    dependencies = IDENTITY

    @post("/signup", operation_id="signup", opt={PUBLIC: True}, guards=[auth_rate_limit])
    async def signup(
        self, request: AnyRequest, data: JSONBody[SignupIn], identity: NamedDependency[IdentityDeps]
    ) -> TokensOut:
        command = SignUp(
            site_id=data.site_id,
            nickname=data.nickname,
            password=data.password,
            invite_code=data.invite_code,
            client=client_info(request),
            email=data.email,
            phone_number=data.phone_number,
        )
        result = await auth.sign_up(command, identity)
        return await _tokens(request, result, result.balances, new=True)  # credited in the sign-up's transaction

    @post("/login", operation_id="login", status_code=HTTP_200_OK, opt={PUBLIC: True}, guards=[auth_rate_limit])
    async def login(
        self, request: AnyRequest, data: JSONBody[LoginIn], identity: NamedDependency[IdentityDeps]
    ) -> TokensOut:
        command = LogIn(site_id=data.site_id, password=data.password, client=client_info(request))
        return await _tokens(request, await auth.log_in(command, identity))

    @post(
        "/admin/login",
        operation_id="admin_login",
        status_code=HTTP_200_OK,
        opt={PUBLIC: True},
        guards=[auth_rate_limit],
    )
    async def admin_login(
        self, request: AnyRequest, data: JSONBody[LoginIn], identity: NamedDependency[IdentityDeps]
    ) -> TokensOut:
        command = LogIn(site_id=data.site_id, password=data.password, client=client_info(request), admin_only=True)
        return await _tokens(request, await auth.log_in(command, identity))

    @post("/refresh", operation_id="refresh", status_code=HTTP_200_OK, opt={PUBLIC: True}, guards=[auth_rate_limit])
    async def refresh(
        self, request: AnyRequest, data: JSONBody[RefreshIn], identity: NamedDependency[IdentityDeps]
    ) -> TokensOut:
        return await _tokens(request, await auth.refresh(Refresh(data.refresh_token), identity))

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(
        self, request: PrincipalRequest, identity: NamedDependency[IdentityDeps], data: JSONBody[LogoutIn | None] = None
    ) -> None:
        await sessions.log_out(request.user, identity)

    @post("/logout-all", operation_id="logout_all", status_code=HTTP_204_NO_CONTENT)
    async def logout_all(self, request: PrincipalRequest, identity: NamedDependency[IdentityDeps]) -> None:
        await sessions.log_out_everywhere(request.user, identity)

    @get("/sessions", operation_id="list_sessions")
    async def list_sessions(
        self, request: PrincipalRequest, identity: NamedDependency[IdentityDeps]
    ) -> ListOut[SessionOut]:
        views = await sessions.list_sessions(request.user, identity)
        return ListOut(items=[SessionOut.of(view) for view in views])

    @delete("/sessions/{session_id:str}", operation_id="revoke_session", status_code=HTTP_204_NO_CONTENT)
    async def revoke_session(
        self, request: PrincipalRequest, session_id: FromPath[str], identity: NamedDependency[IdentityDeps]
    ) -> None:
        await sessions.revoke_session(request.user, session_id, identity)

    @get("/me", operation_id="me")
    async def me(self, request: PrincipalRequest, identity: NamedDependency[IdentityDeps]) -> SelfProfileOut:
        return SelfProfileOut.of(await self_view(request, request.user.user_id))


class UsersController(Controller):
    path = "/api/users"
    tags = ["identity"]  # noqa: RUF012
    dependencies = IDENTITY

    @get("/profile", operation_id="profile")
    async def profile(self, request: PrincipalRequest, identity: NamedDependency[IdentityDeps]) -> SelfProfileOut:
        return SelfProfileOut.of(await self_view(request, request.user.user_id))

    @get("/stats", operation_id="user_stats")
    async def stats(self, request: PrincipalRequest) -> UserStatsOut:
        """Games' play summary, the shop's purchases, the engagement streak and achievements, for the caller."""
        container, user_id = container_of(request), request.user.user_id
        summary = await player_summary(user_id, container.games)
        spending = await my_spending(user_id, container.purchases)
        streak = await get_status(user_id, container.engagement)
        unlocked = await achievements_unlocked(user_id, container.missions)
        return UserStatsOut(
            total_spins=summary.total_spins,
            total_wins=summary.total_wins,
            win_rate=summary.win_rate,
            net_coins=summary.net_coins,
            gacha_pulls=summary.gacha_pulls,
            purchases=spending.purchases,
            achievements_unlocked=unlocked,
            current_streak=streak.count,
        )

    @get("/{user_id:str}", operation_id="public_profile")
    async def public_profile(
        self, request: PrincipalRequest, user_id: FromPath[str], identity: NamedDependency[IdentityDeps]
    ) -> PublicProfileOut:
        user = await profiles.get_user(user_id, identity)
        return PublicProfileOut.of(user, await current_level(user.id, container_of(request).battlepass))
