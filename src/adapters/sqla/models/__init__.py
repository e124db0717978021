"""ORM models; importing this package registers every table on `Base.metadata` (Alembic reads it)."""

from src.adapters.sqla.models.analytics import PlayerActionRow
from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.battlepass import BattlePassClaimRow, BattlePassProgressRow, BattlePassSeasonRow
from src.adapters.sqla.models.engagement import (
    AchievementDefinitionRow,
    AchievementProgressRow,
    MissionDefinitionRow,
    MissionProgressRow,
    ProgressEventRow,
    ProgressPlayerRow,
    StreakDayRow,
    StreakRow,
    VipTierChangeRow,
    VipTotalsRow,
)
from src.adapters.sqla.models.experiments import ExperimentAssignmentRow, ExperimentRow
from src.adapters.sqla.models.follows import FollowRow
from src.adapters.sqla.models.games import (
    FairnessSeedRow,
    GameConfigRow,
    GameConfigVersionRow,
    GameHistoryRow,
    GameStatsRow,
    InventoryItemRow,
    PlayerGameStateRow,
    RevealedSeedRow,
)
from src.adapters.sqla.models.idempotency import IdempotencyRecordRow
from src.adapters.sqla.models.identity import AuditLogRow, InviteCodeRow, RefreshTokenRow, SessionRow, UserRow
from src.adapters.sqla.models.limits import PlayerLimitsRow, PlayTimeRow
from src.adapters.sqla.models.notifications import (
    CampaignDeliveryRow,
    CampaignRow,
    NotificationRow,
    NotificationSettingsRow,
    PushSubscriptionRow,
)
from src.adapters.sqla.models.outbox import OutboxRow
from src.adapters.sqla.models.privacy import PrivacyRequestRow, PrivacyTombstoneRow
from src.adapters.sqla.models.rewards import RewardRow
from src.adapters.sqla.models.seasons import SeasonBoardRow, SeasonPeriodRow, SeasonResultRow, SeasonScoreRow
from src.adapters.sqla.models.segments import (
    PlayerProfileRow,
    SegmentChangeRow,
    SegmentJobRow,
    SegmentMemberRow,
    SegmentRow,
)
from src.adapters.sqla.models.shop import CatalogItemRow, PurchaseTransactionRow
from src.adapters.sqla.models.wallet import LedgerEntryRow, ProcessedEventRow, WalletRow

__all__ = [
    "AchievementDefinitionRow",
    "AchievementProgressRow",
    "AuditLogRow",
    "Base",
    "BattlePassClaimRow",
    "BattlePassProgressRow",
    "BattlePassSeasonRow",
    "CampaignDeliveryRow",
    "CampaignRow",
    "CatalogItemRow",
    "ExperimentAssignmentRow",
    "ExperimentRow",
    "FairnessSeedRow",
    "FollowRow",
    "GameConfigRow",
    "GameConfigVersionRow",
    "GameHistoryRow",
    "GameStatsRow",
    "IdempotencyRecordRow",
    "InventoryItemRow",
    "InviteCodeRow",
    "LedgerEntryRow",
    "MissionDefinitionRow",
    "MissionProgressRow",
    "NotificationRow",
    "NotificationSettingsRow",
    "OutboxRow",
    "PlayTimeRow",
    "PlayerActionRow",
    "PlayerGameStateRow",
    "PlayerLimitsRow",
    "PlayerProfileRow",
    "PrivacyRequestRow",
    "PrivacyTombstoneRow",
    "ProcessedEventRow",
    "ProgressEventRow",
    "ProgressPlayerRow",
    "PurchaseTransactionRow",
    "PushSubscriptionRow",
    "RefreshTokenRow",
    "RevealedSeedRow",
    "RewardRow",
    "SeasonBoardRow",
    "SeasonPeriodRow",
    "SeasonResultRow",
    "SeasonScoreRow",
    "SegmentChangeRow",
    "SegmentJobRow",
    "SegmentMemberRow",
    "SegmentRow",
    "SessionRow",
    "StreakDayRow",
    "StreakRow",
    "UserRow",
    "VipTierChangeRow",
    "VipTotalsRow",
    "WalletRow",
]
