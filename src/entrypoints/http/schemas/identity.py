"""Wire formats of the identity routes (API.md "Identity")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from src.application.identity.admin_users import ActivityItem
from src.application.identity.auth import AuthResult
from src.application.identity.invites import InviteStatus
from src.application.identity.profiles import SelfProfile
from src.application.identity.sessions import SessionView
from src.application.liveops.segment_ports import PlayerProfile
from src.application.liveops.segments import PlayerSegments
from src.domain.identity.model import AccountStatus, InviteCode, User
from src.domain.identity.policies import MAX_VIP_TIER
from src.domain.limits.model import Restriction
from src.domain.shared.audit import AuditEntry
from src.domain.shared.principal import Rank

# Bounds at the edge keep absurd inputs away from the slow password hash; the domain checks the rules.
ShortText = Annotated[str, msgspec.Meta(max_length=256)]
Secret = Annotated[str, msgspec.Meta(max_length=1024)]
AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]
T = TypeVar("T")


class Struct(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    pass


class ListOut(Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class InviteValidateIn(Struct):
    code: ShortText


class InviteValidateOut(Struct):
    is_valid: bool
    code: str
    expires_at: datetime | None
    remaining_uses: int | None
    error_message: str | None

    @classmethod
    def of(cls, status: InviteStatus) -> InviteValidateOut:
        return cls(
            is_valid=status.is_valid,
            code=status.code,
            expires_at=status.expires_at,
            remaining_uses=status.remaining_uses,
            error_message=status.error_message,
        )


class SignupIn(Struct):
    site_id: ShortText
    nickname: ShortText
    password: Secret
    invite_code: ShortText
    phone_number: ShortText | None = None
    email: ShortText | None = None


class LoginIn(Struct):
    site_id: ShortText
    password: Secret


class RefreshIn(Struct):
    refresh_token: Secret


class LogoutIn(Struct):
    refresh_token: Secret | None = None


class Balances(Struct):
    coins: int
    gems: int


class AccountOut(Struct):
    """What both the player's self view and the operators' view show of an account."""

    id: str
    site_id: str
    nickname: str
    rank: str
    vip_tier: int
    is_admin: bool
    status: str
    created_at: datetime
    last_login_at: datetime | None


def _account_fields(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "site_id": user.site_id,
        "nickname": user.nickname,
        "rank": user.rank.value,
        "vip_tier": user.vip_tier,
        "is_admin": user.is_admin,
        "status": user.status.value,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


class SelfProfileOut(AccountOut):
    balances: Balances
    battlepass_level: int
    total_spent_cents: int

    @classmethod
    def of(cls, profile: SelfProfile) -> SelfProfileOut:
        return cls(
            **_account_fields(profile.user),
            balances=Balances(coins=profile.balances.get("coins", 0), gems=profile.balances.get("gems", 0)),
            battlepass_level=profile.battlepass_level,
            total_spent_cents=profile.total_spent_cents,
        )


class PublicProfileOut(Struct):
    id: str
    nickname: str
    rank: str
    vip_tier: int
    battlepass_level: int
    created_at: datetime

    @classmethod
    def of(cls, user: User, battlepass_level: int = 0) -> PublicProfileOut:
        return cls(
            id=user.id,
            nickname=user.nickname,
            rank=user.rank.value,
            vip_tier=user.vip_tier,
            battlepass_level=battlepass_level,
            created_at=user.created_at,
        )


class TokensOut(Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: SelfProfileOut

    @classmethod
    def of(cls, result: AuthResult, profile: SelfProfile) -> TokensOut:
        return cls(
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_in=result.expires_in,
            user=SelfProfileOut.of(profile),
        )


class UserStatsOut(Struct):
    total_spins: int = 0
    total_wins: int = 0
    win_rate: float = 0.0
    net_coins: int = 0
    gacha_pulls: int = 0
    purchases: int = 0
    achievements_unlocked: int = 0
    current_streak: int = 0


class SessionOut(Struct):
    id: str
    device: str
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        session = view.session
        return cls(
            id=session.id,
            device=session.device,
            ip=session.ip,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            current=view.current,
        )


class InviteCreateIn(Struct):
    expires_at: AwareDateTime | None = None
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None


class InviteOut(Struct):
    code: str
    expires_at: datetime | None
    max_uses: int | None
    use_count: int
    remaining_uses: int | None
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, invite: InviteCode) -> InviteOut:
        return cls(
            code=invite.code,
            expires_at=invite.expires_at,
            max_uses=invite.max_uses,
            use_count=invite.use_count,
            remaining_uses=invite.remaining_uses,
            created_by=invite.created_by,
            created_at=invite.created_at,
        )


class AuditOut(Struct):
    id: str
    admin_id: str
    action: str
    target_type: str
    target_id: str | None
    payload: dict[str, object]
    ip: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            id=entry.id,
            admin_id=entry.admin_id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            payload=entry.payload,
            ip=entry.ip,
            created_at=entry.created_at,
        )


class AdminUserOut(AccountOut):
    """An account as operators see it: the self view's account fields plus contact details and the deletion mark."""

    email: str | None
    phone_number: str | None
    deleted_at: datetime | None

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(**_admin_fields(user))


def _admin_fields(user: User) -> dict[str, Any]:
    contact = {"email": user.email, "phone_number": user.phone_number, "deleted_at": user.deleted_at}
    return {**_account_fields(user), **contact}


class RestrictionOut(Struct):
    kind: str  # time_out | self_exclusion
    until: datetime

    @classmethod
    def of(cls, restriction: Restriction) -> RestrictionOut:
        return cls(kind=restriction.kind.value, until=restriction.until)


class SegmentChangeOut(Struct):
    segment: str
    change: str  # joined | left
    at: datetime


class PlayerSegmentsOut(Struct):
    """A player's standing at the last recompute (null before the first)."""

    rfm: str | None
    ltv_cents: int | None
    churn_risk: int | None
    member_of: list[str]  # segment names, RFM group included
    history: list[SegmentChangeOut]
    computed_at: datetime | None

    @classmethod
    def of(cls, standing: PlayerSegments) -> PlayerSegmentsOut:
        profile: PlayerProfile | None = standing.profile
        history = [
            SegmentChangeOut(segment=change.segment, change="joined" if change.joined else "left", at=change.at)
            for change in standing.history
        ]
        return cls(
            rfm=None if profile is None else profile.rfm.value,
            ltv_cents=None if profile is None else profile.ltv_cents,
            churn_risk=None if profile is None else profile.churn_risk,
            member_of=standing.segments,
            history=history,
            computed_at=None if profile is None else profile.computed_at,
        )


class AdminUserDetailOut(AdminUserOut):
    balances: Balances
    live_sessions: int
    restriction: RestrictionOut | None = None  # a time-out or self-exclusion in force (read only: see /api/limits)
    segments: PlayerSegmentsOut | None = None  # RFM group, LTV, churn risk and segments at the last recompute

    @classmethod
    def of_detail(
        cls, user: User, balances: dict[str, int], live_sessions: int, restriction: Restriction | None = None
    ) -> AdminUserDetailOut:
        wallet = Balances(coins=balances.get("coins", 0), gems=balances.get("gems", 0))
        held = None if restriction is None else RestrictionOut.of(restriction)
        return cls(**_admin_fields(user), balances=wallet, live_sessions=live_sessions, restriction=held)


class AdminUserUpdateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only these can change here; anything else in the body is refused rather than silently ignored."""

    rank: Rank | None = None
    vip_tier: Annotated[int, msgspec.Meta(ge=0, le=MAX_VIP_TIER)] | None = None
    status: AccountStatus | None = None
    reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ActivityOut(Struct):
    id: str
    kind: str
    at: datetime
    details: dict[str, object]

    @classmethod
    def of(cls, item: ActivityItem) -> ActivityOut:
        return cls(id=item.id, kind=item.kind, at=item.at, details=item.details)
