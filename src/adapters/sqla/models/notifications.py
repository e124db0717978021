"""Notification tables: the inbox, settings, push subscriptions, campaigns and their per-player deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from src.adapters.sqla.models.base import Base
from src.adapters.sqla.models.types import JsonDocument, UtcDateTime


class NotificationRow(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_created_at_id", "user_id", "created_at", "id"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        Index("ix_notifications_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationSettingsRow(Base):
    __tablename__ = "notification_settings"

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    types_enabled: Mapped[dict[str, bool]] = mapped_column(JsonDocument)
    dnd_start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", local to `timezone`
    dnd_end: Mapped[str | None] = mapped_column(String(5))
    email: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    push: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    timezone: Mapped[str] = mapped_column(String(64), server_default=text("'UTC'"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PushSubscriptionRow(Base):
    __tablename__ = "push_subscriptions"

    endpoint: Mapped[str] = mapped_column(String(1024), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CampaignRow(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_status_scheduled_at", "status", "scheduled_at"),
        Index("ix_campaigns_created_at_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JsonDocument)
    target_type: Mapped[str] = mapped_column(String(16))
    target_value: Mapped[str | None] = mapped_column(String(64))
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(36))
    targeted: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    sent: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CampaignDeliveryRow(Base):
    """One row per (campaign, player) delivered: its primary key is what makes a delivery happen once."""

    __tablename__ = "campaign_deliveries"

    campaign_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime)
