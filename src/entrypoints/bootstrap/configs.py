"""Settings turned into each context's configuration (pure: no clients, no I/O)."""

from __future__ import annotations

from datetime import timedelta

from src.application.identity.config import IdentityConfig
from src.application.notifications.deps import NotificationConfig
from src.application.realtime.messages import RealtimeConfig
from src.application.shop.deps import PurchaseConfig
from src.application.shop.fraud import VelocityLimits
from src.application.wallet.deps import WalletConfig
from src.entrypoints.settings import Settings


def identity_config(settings: Settings) -> IdentityConfig:
    return IdentityConfig(
        refresh_ttl=timedelta(days=settings.refresh_expire_days),
        refresh_idle_ttl=timedelta(days=settings.refresh_idle_days),
        max_failed_logins=settings.login_max_failed_attempts,
        failed_login_window=timedelta(minutes=settings.login_lockout_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        dev_invite_code=None if settings.is_production else settings.dev_invite_code,
        session_state_ttl_seconds=settings.session_state_ttl_seconds,
        session_state_local_ttl_seconds=settings.session_state_local_ttl_seconds,
        access_ttl_seconds=settings.jwt_expire_minutes * 60,
    )


def wallet_config(settings: Settings) -> WalletConfig:
    return WalletConfig(starting_coins=settings.starting_coins, starting_gems=settings.starting_gems)


def purchase_config(settings: Settings) -> PurchaseConfig:
    retired = dict(pair.split(":", 1) for pair in settings.transaction_integrity_previous_keys if ":" in pair)
    return PurchaseConfig(
        receipt_secret=settings.payment_receipt_secret,
        integrity_key_id=settings.transaction_integrity_key_id,
        integrity_secrets={**retired, settings.transaction_integrity_key_id: settings.transaction_integrity_secret},
        webhook_secrets=tuple(settings.payment_webhook_secrets),
        capture_max_attempts=settings.capture_max_attempts,
        capture_retry_base_seconds=settings.capture_retry_base_seconds,
        pending_max_age=timedelta(minutes=settings.pending_tx_max_age_minutes),
        hold_ttl=timedelta(seconds=settings.limited_hold_ttl_seconds),
        velocity=VelocityLimits(
            max_attempts=settings.fraud_max_attempts,
            max_distinct_cards=settings.fraud_max_distinct_cards,
            window=timedelta(seconds=settings.fraud_window_seconds),
        ),
    )


def notification_config(settings: Settings) -> NotificationConfig:
    return NotificationConfig(
        retention_days=settings.notification_retention_days,
        push_ttl_seconds=settings.push_ttl_seconds,
        push_urgency=settings.push_urgency,
        max_attempts=settings.notification_max_attempts,
        retry_base_seconds=settings.notification_retry_base_seconds,
        allow_insecure_push_endpoints=not settings.is_production,
    )


def realtime_config(settings: Settings) -> RealtimeConfig:
    return RealtimeConfig(
        history_size=settings.realtime_history_size,
        history_ttl_seconds=settings.realtime_history_ttl_seconds,
        queue_size=settings.realtime_queue_size,
        max_connections_per_user=settings.realtime_max_connections_per_user,
        heartbeat_seconds=settings.realtime_heartbeat_seconds,
        idle_timeout_seconds=settings.realtime_idle_timeout_seconds,
        session_check_seconds=settings.realtime_session_check_seconds,
    )
