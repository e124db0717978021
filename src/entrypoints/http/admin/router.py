"""Everything under /api/admin: a valid access token and the admin role."""

from __future__ import annotations

from litestar import Router

from src.entrypoints.http.admin.analytics import AdminAnalyticsController
from src.entrypoints.http.admin.engagement import AdminAchievementController, AdminMissionController
from src.entrypoints.http.admin.games import AdminOddsController
from src.entrypoints.http.admin.identity import AdminAuditController, AdminInviteCodeController
from src.entrypoints.http.admin.limited import AdminLimitedPackageController
from src.entrypoints.http.admin.liveops import admin_liveops_handlers
from src.entrypoints.http.admin.notifications import (
    AdminCampaignController,
    AdminEmailController,
    AdminNotificationController,
)
from src.entrypoints.http.admin.privacy import AdminPrivacyController
from src.entrypoints.http.admin.promos import AdminPromoCodeController
from src.entrypoints.http.admin.seasons import AdminBattlePassController, AdminSeasonBoardController
from src.entrypoints.http.admin.shop import AdminCatalogController
from src.entrypoints.http.admin.transactions import AdminTransactionController
from src.entrypoints.http.admin.users import AdminUserController
from src.entrypoints.http.admin.wallet import AdminWalletController
from src.entrypoints.http.admin.webhooks import AdminWebhookRequestController
from src.entrypoints.http.security import admin_only


def admin_router() -> Router:
    return Router(
        path="/api/admin",
        guards=[admin_only],
        route_handlers=[
            AdminUserController,
            AdminInviteCodeController,
            AdminAuditController,
            AdminWalletController,
            AdminOddsController,
            AdminCatalogController,
            AdminTransactionController,
            AdminWebhookRequestController,
            AdminLimitedPackageController,
            AdminPromoCodeController,
            AdminNotificationController,
            AdminCampaignController,
            AdminEmailController,
            AdminAnalyticsController,
            AdminBattlePassController,
            AdminSeasonBoardController,
            AdminMissionController,
            AdminAchievementController,
            *admin_liveops_handlers(),
            AdminPrivacyController,
        ],
    )
