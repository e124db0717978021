"""Admin routes over player accounts: search, detail, rank/VIP tier/status changes, soft delete, activity.

Activity is a timeline across contexts (identity's sign-ins and admin actions, games' plays, the shop's
purchases), which is why it is composed here at the edge rather than in one context.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from src.application.games.history import HistoryRequest, list_history
from src.application.identity import admin_users
from src.application.identity.admin_users import ActivityItem
from src.application.identity.deps import IdentityDeps
from src.application.identity.ports import UserQuery
from src.application.limits.controls import get_limits
from src.application.liveops.segments import player_segments
from src.application.shared.pagination import Page, check_limit, merge_newest_first
from src.application.shop.admin_transactions import search_transactions
from src.application.shop.transactions import TransactionFilters
from src.application.wallet.handlers import get_balances
from src.domain.games.play import PlayRecord
from src.domain.identity.model import AccountStatus
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Principal, Rank
from src.domain.shop.transactions import PurchaseTransaction
from src.entrypoints.http.identity import IDENTITY
from src.entrypoints.http.schemas.identity import (
    ActivityOut,
    AdminUserDetailOut,
    AdminUserOut,
    AdminUserUpdateIn,
    ListOut,
    PlayerSegmentsOut,
)
from src.entrypoints.http.security import client_info, container_of

PrincipalRequest = Request[Principal, Any, Any]
Limit = Annotated[int | None, QueryParameter(name="limit", ge=1, le=100)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", max_length=512)]
UserId = Annotated[str, Parameter(max_length=64)]


async def _detail(request: PrincipalRequest, user_id: str, identity: IdentityDeps) -> AdminUserDetailOut:
    """Identity's account joined with the wallet's balances, the player's restriction in force, if any, and their
    LiveOps segments (RFM group, LTV, churn risk)."""
    detail = await admin_users.account_detail(user_id, identity)
    container = container_of(request)
    balances = await get_balances(user_id, container.wallet)
    limits = await get_limits(user_id, container.limits)
    restriction = limits.active_restriction(container.limits.clock.now())
    out = AdminUserDetailOut.of_detail(detail.user, balances, detail.live_sessions, restriction)
    out.segments = PlayerSegmentsOut.of(await player_segments(user_id, container.liveops))
    return out


class AdminUserController(Controller):
    path = "/users"
    tags = ["admin"]  # noqa: RUF012
    dependencies = IDENTITY

    @get("/", operation_id="admin_search_users", summary="Search accounts, newest first")
    async def search(
        self,
        identity: NamedDependency[IdentityDeps],
        text: Annotated[
            str | None,
            QueryParameter(name="q", max_length=64, description="a user id, or part of a site id or nickname"),
        ] = None,
        rank: Annotated[Rank | None, QueryParameter(name="rank")] = None,
        status: Annotated[AccountStatus | None, QueryParameter(name="status")] = None,
        deleted: Annotated[bool, QueryParameter(name="deleted", description="only soft-deleted accounts")] = False,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[AdminUserOut]:
        query = UserQuery(text=text or None, rank=rank, status=status, deleted=deleted)
        page = await admin_users.search_accounts(query, limit, cursor, identity)
        return ListOut(items=[AdminUserOut.of(user) for user in page.items], next_cursor=page.next_cursor)

    @get("/{user_id:str}", operation_id="admin_get_user", summary="One account, deleted ones included")
    async def detail(
        self, request: PrincipalRequest, user_id: UserId, identity: NamedDependency[IdentityDeps]
    ) -> AdminUserDetailOut:
        return await _detail(request, user_id, identity)

    @patch(
        "/{user_id:str}",
        operation_id="admin_update_user",
        summary="Change rank, VIP tier or status",
        description="Suspending or banning ends every session of the account at once, on every instance.",
    )
    async def update(
        self,
        request: PrincipalRequest,
        user_id: UserId,
        data: JSONBody[AdminUserUpdateIn],
        identity: NamedDependency[IdentityDeps],
    ) -> AdminUserDetailOut:
        if data.rank is None and data.vip_tier is None and data.status is None:
            raise InvalidInput("give at least one of rank, vip_tier and status", details={"fields": [{"key": "body"}]})
        command = admin_users.UpdateAccount(
            admin=request.user,
            client=client_info(request),
            user_id=user_id,
            rank=data.rank,
            vip_tier=data.vip_tier,
            status=data.status,
            reason=data.reason,
        )
        await admin_users.update_account(command, identity)
        return await _detail(request, user_id, identity)

    @delete(
        "/{user_id:str}",
        operation_id="admin_delete_user",
        status_code=HTTP_204_NO_CONTENT,
        summary="Soft-delete an account",
        description="The account can no longer sign in and leaves the public views; its records stay.",
    )
    async def remove(
        self,
        request: PrincipalRequest,
        user_id: UserId,
        identity: NamedDependency[IdentityDeps],
        reason: Annotated[str | None, QueryParameter(name="reason", max_length=500)] = None,
    ) -> None:
        command = admin_users.DeleteAccount(
            admin=request.user, client=client_info(request), user_id=user_id, reason=reason
        )
        await admin_users.delete_account(command, identity)

    @get(
        "/{user_id:str}/actions",
        operation_id="admin_user_activity",
        summary="The account's activity, newest first: sign-ins, plays, purchases and admin actions on it",
    )
    async def activity(
        self,
        request: PrincipalRequest,
        user_id: UserId,
        identity: NamedDependency[IdentityDeps],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> ListOut[ActivityOut]:
        page = await account_timeline(request, user_id, limit, cursor, identity)
        return ListOut(items=[ActivityOut.of(item) for item in page.items], next_cursor=page.next_cursor)


async def account_timeline(
    request: PrincipalRequest, user_id: str, limit: int | None, cursor: str | None, identity: IdentityDeps
) -> Page[ActivityItem]:
    """Each context pages its own records after the same cursor; the timeline is their merge."""
    container = container_of(request)
    account = await admin_users.account_activity(user_id, limit, cursor, identity)  # 404 for an unknown user
    plays = await list_history(HistoryRequest(caller=request.user, user_id=user_id), limit, cursor, container.games)
    purchases = await search_transactions(TransactionFilters(user_id=user_id), limit, cursor, container.purchases)
    play_items = [_play_item(play) for play in plays.items]
    purchase_items = [_purchase_item(tx) for tx in purchases.items]
    sources = [account, Page(play_items, plays.next_cursor), Page(purchase_items, purchases.next_cursor)]
    return merge_newest_first(sources, lambda item: item.position, check_limit(limit))


def _play_item(play: PlayRecord) -> ActivityItem:
    fields = ("action", "bet", "payout", "delta_coins", "delta_gems", "won")
    details = {"game_type": play.game_type.value, **{name: getattr(play, name) for name in fields}}
    return ActivityItem(play.id, "play", play.created_at, details)


def _purchase_item(tx: PurchaseTransaction) -> ActivityItem:
    fields = ("sku", "amount_cents", "currency", "gems_granted", "refunded_cents")
    details = {"status": tx.status.value, **{name: getattr(tx, name) for name in fields}}
    return ActivityItem(tx.id, "purchase", tx.created_at, details)
