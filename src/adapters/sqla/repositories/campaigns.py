"""SQL campaigns and audiences. A delivery is claimed by inserting its (campaign, player) primary key with
ON CONFLICT DO NOTHING: on PostgreSQL a concurrent claim of the same pair waits for the first to end, then
sees the conflict; SQLite serializes writers. Either way a player gets a campaign once."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.identity import UserRow
from src.adapters.sqla.models.notifications import CampaignDeliveryRow, CampaignRow
from src.adapters.sqla.models.segments import SegmentMemberRow, SegmentRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.notifications.ports import Recipient
from src.application.shared.pagination import Page, Position
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.campaigns import Campaign, CampaignStatus
from src.domain.notifications.model import Channel

CAMPAIGNS = cast(Table, CampaignRow.__table__)
DELIVERIES = cast(Table, CampaignDeliveryRow.__table__)
USERS = cast(Table, UserRow.__table__)
MEMBERS = cast(Table, SegmentMemberRow.__table__)
SEGMENTS = cast(Table, SegmentRow.__table__)
FINAL = (CampaignStatus.DONE, CampaignStatus.CANCELLED)


def _campaign(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        title=row.title,
        body=row.body,
        channels=frozenset(Channel(value) for value in row.channels),
        target=Target(TargetKind(row.target_type), row.target_value),
        scheduled_at=row.scheduled_at,
        created_by=row.created_by,
        created_at=row.created_at,
        status=CampaignStatus(row.status),
        targeted=row.targeted,
        sent=row.sent,
        failed=row.failed,
        finished_at=row.finished_at,
    )


class SqlaCampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, campaign: Campaign) -> None:
        await self._db.execute(
            insert(CAMPAIGNS).values(
                id=campaign.id, title=campaign.title, body=campaign.body, channels=sorted(campaign.channels),
                target_type=campaign.target.kind.value, target_value=campaign.target.value,
                scheduled_at=campaign.scheduled_at, status=campaign.status.value, created_by=campaign.created_by,
                targeted=0, sent=0, failed=0, created_at=campaign.created_at, updated_at=campaign.created_at,
            )
        )  # fmt: skip

    async def get(self, campaign_id: str) -> Campaign | None:
        row = (await self._db.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id))).first()
        return None if row is None else _campaign(row)

    async def list(self, limit: int, after: Position | None) -> Page[Campaign]:
        statement = after_position(select(CAMPAIGNS), CAMPAIGNS.c.created_at, CAMPAIGNS.c.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).all()
        return to_page(rows, limit, _campaign, lambda row: Position(row.created_at, row.id))

    async def transition(
        self, campaign_id: str, from_statuses: Sequence[CampaignStatus], to: CampaignStatus, now: datetime
    ) -> bool:
        table = CAMPAIGNS.c
        values: dict[str, Any] = {"status": to.value, "updated_at": now}
        if to in FINAL:
            values["finished_at"] = now
        statement = (
            update(CAMPAIGNS)
            .where(table.id == campaign_id, table.status.in_([status.value for status in from_statuses]))
            .values(**values)
        )
        return bool(getattr(await self._db.execute(statement), "rowcount", 0))

    async def due(self, now: datetime, limit: int) -> builtins.list[str]:
        table = CAMPAIGNS.c
        open_statuses = [CampaignStatus.SCHEDULED.value, CampaignStatus.DISPATCHING.value]
        statement = (
            select(table.id)
            .where(table.status.in_(open_statuses), table.scheduled_at <= now)
            .order_by(table.scheduled_at, table.id)
            .limit(limit)
        )
        return [str(campaign_id) for campaign_id in (await self._db.execute(statement)).scalars()]

    async def set_targeted(self, campaign_id: str, targeted: int) -> None:
        await self._db.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(targeted=targeted))

    async def claim_delivery(self, campaign_id: str, user_id: str, now: datetime) -> bool:
        statement = dialect_insert(self._db)(DELIVERIES).values(
            campaign_id=campaign_id, user_id=user_id, delivered_at=now
        )
        result = await self._db.execute(statement.on_conflict_do_nothing(index_elements=["campaign_id", "user_id"]))
        return bool(getattr(result, "rowcount", 0))

    async def add_progress(self, campaign_id: str, sent: int, failed: int) -> None:
        if sent or failed:
            table = CAMPAIGNS.c
            statement = update(CAMPAIGNS).where(table.id == campaign_id)
            await self._db.execute(statement.values(sent=table.sent + sent, failed=table.failed + failed))


def _members_of(target: Target) -> Any:
    table = USERS.c
    condition = (table.status == "active") & table.deleted_at.is_(None)
    if target.kind is TargetKind.USER:
        condition &= table.id == target.value
    elif target.kind is TargetKind.RANK:
        condition &= table.rank == target.value
    elif target.kind is TargetKind.VIP_TIER:
        condition &= table.vip_tier == int(target.value or 0)
    elif target.kind is TargetKind.SEGMENT:  # as of the segment's last recompute
        members = select(MEMBERS.c.user_id).where(MEMBERS.c.segment_name == target.value)
        condition &= table.id.in_(members)
    return condition


class SqlaAudienceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def members(self, target: Target, after_user_id: str | None, limit: int) -> list[Recipient]:
        table = USERS.c
        statement = select(table.id, table.nickname, table.email).where(_members_of(target))
        if after_user_id is not None:
            statement = statement.where(table.id > after_user_id)
        rows = await self._db.execute(statement.order_by(table.id).limit(limit))
        return [Recipient(row.id, row.nickname, row.email) for row in rows]

    async def count(self, target: Target) -> int:
        statement = select(func.count()).select_from(USERS).where(_members_of(target))
        return int((await self._db.execute(statement)).scalar_one())

    async def has_segment(self, name: str) -> bool:
        found = await self._db.execute(select(SEGMENTS.c.name).where(SEGMENTS.c.name == name))
        return found.first() is not None
