"""Typed settings read from the environment (and an optional `.env`); the only place configuration enters."""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from dotenv import dotenv_values

DEV_JWT_SECRET = "dev-only-jwt-secret-not-for-production-use"  # noqa: S105 - production refuses it
DEV_RECEIPT_SECRET = "dev-only-receipt-secret-not-for-production"  # noqa: S105 - production refuses it
DEV_INTEGRITY_SECRET = "dev-only-integrity-secret-not-for-production"  # noqa: S105 - production refuses it
DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-not-for-production"  # noqa: S105 - production refuses it
DEV_FAIRNESS_SEED_KEY = "dev-only-fairness-seed-key-not-for-production"  # production refuses it
MIN_SECRET_LENGTH = 32


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class JobQueueKind(StrEnum):
    AUTO = "auto"  # arq when REDIS_URL is set, else in process
    ARQ = "arq"
    IN_PROCESS = "in-process"


class PushSenderKind(StrEnum):
    AUTO = "auto"  # webpush in production, else recorded under VAR_DIR/push/
    WEBPUSH = "webpush"
    RECORD = "record"


EMPTY_IS_A_VALUE = "empty-is-a-value"  # Annotated marker: an empty value is kept (and checked), not "unset"


class SettingsError(Exception):
    """Configuration that must not be used; the message is one line meant for the operator."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """One field per setting, read from its upper-case name; a `list[...]` is comma-separated, and an empty value
    of an optional field means unset."""

    app_env: AppEnv = AppEnv.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: str = "var"
    database_url: str = ""
    redis_url: str | None = None
    redis_namespace: str = "cc:"
    kafka_bootstrap_servers: str | None = None
    kafka_events_topic: str = "casino-club.events"  # every domain event, keyed by player, type in a header
    kafka_consumer_group: str = "casino-club-olap"  # the `casino-club consume` processes that fill the OLAP store
    kafka_idempotent_producer: bool = True  # off only for brokers that lack InitProducerId v0 (the tests' tansu)
    kafka_consumer_batch_size: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 2000  # events per OLAP insert
    clickhouse_dsn: str = ""
    # false: the app opens no OLAP store (analytics reads answer 503, /ready leaves it out) and its events reach the
    # store through Kafka: with the embedded store, `casino-club consume` owns it and servers may run several processes
    olap_in_app: bool = True
    smtp_url: str | None = None
    jwt_secret: str = DEV_JWT_SECRET
    jwt_expire_minutes: int = 30
    jwt_previous_secrets: list[str] = []
    refresh_expire_days: int = 14
    refresh_idle_days: int = 7
    login_max_failed_attempts: int = 5
    login_lockout_minutes: int = 10
    rate_limit_auth_per_minute: int = 300
    trust_proxy_headers: bool = False
    session_state_ttl_seconds: float = 30.0
    session_state_local_ttl_seconds: float = 5.0
    starting_coins: int = 1000
    starting_gems: int = 0
    slot_max_bet: int = 10_000
    payment_receipt_secret: str = DEV_RECEIPT_SECRET
    transaction_integrity_secret: str = DEV_INTEGRITY_SECRET
    transaction_integrity_key_id: str = "k1"
    transaction_integrity_previous_keys: list[str] = []  # "kid:secret" pairs that still verify old rows
    payment_webhook_secrets: list[str] = msgspec.field(default_factory=lambda: [DEV_WEBHOOK_SECRET])
    fairness_seed_key: str = DEV_FAIRNESS_SEED_KEY
    idempotency_in_flight_timeout_seconds: int = 120
    capture_max_attempts: int = 5
    capture_retry_base_seconds: float = 1.0  # attempt n waits base * 2**(n-1), capped at a minute
    pending_tx_max_age_minutes: float = 5.0
    limited_hold_ttl_seconds: float = 120.0
    fraud_max_attempts: int = 20  # purchase attempts per user in the window that trip FRAUD_BLOCK
    fraud_max_distinct_cards: int = 3  # distinct card tokens per user in the window that trip FRAUD_BLOCK
    fraud_window_seconds: float = 300.0
    job_queue: JobQueueKind = JobQueueKind.AUTO
    worker_job_timeout_seconds: float = 30.0  # a job whose worker died runs again this long + 1 s + the margin later
    # how long a dead worker's job waits past its timeouts before another worker runs it (arq's own 10 s)
    worker_rerun_margin_seconds: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    sandbox_capture_delay_seconds: Annotated[float, msgspec.Meta(ge=0)] = 0.0  # tests only: a slow capture
    test_cheap_password_hashes: bool = False  # tests only: argon2 far below the OWASP minimum, refused in production
    outbox_poll_seconds: float = 1.0
    outbox_relay_in_app: bool = True
    outbox_export_in_app: bool = True  # run the analytics exporter in each app process (workers run it too)
    # the relay's passes go straight to the embedded OLAP writer too (one mark a row; each call ~12 ms of chDB CPU)
    outbox_relay_exports_to_olap: bool = True
    idempotency_purge_interval_seconds: float = 3600.0
    dev_invite_code: str = "5858"
    admin_site_id: str | None = None
    admin_password: Annotated[str | None, EMPTY_IS_A_VALUE] = None  # empty is refused in production
    log_level: str = "INFO"
    log_format: LogFormat | None = None
    cors_origins: list[str] = []
    metrics_token: str | None = None  # bearer token /metrics requires; unset: open, except closed in production
    max_request_body_bytes: int = 1_048_576
    db_pool_size: int = 10
    # a request waits this long for a pooled connection, then answers 503 (a client has given up long before 30 s)
    db_pool_timeout_seconds: Annotated[int, msgspec.Meta(ge=1)] = 10
    # checkouts allowed to wait when every connection is taken (one process serves ~250 a second under mixed load,
    # so ~4 s of queue); one more is refused at once with 503 (load shed)
    db_pool_max_waiting: Annotated[int, msgspec.Meta(ge=1)] = 1000
    # PostgreSQL connections per process for standalone statements (the wallet view, a plain spin, a buy's), apart
    # from the above
    db_read_pool_size: Annotated[int, msgspec.Meta(ge=1)] = 10
    readiness_timeout_seconds: float = 2.0
    realtime_history_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100  # events kept per user for resume
    realtime_history_ttl_seconds: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0
    realtime_max_connections_per_user: Annotated[int, msgspec.Meta(ge=1)] = 5  # per app instance
    realtime_queue_size: Annotated[int, msgspec.Meta(ge=1)] = 256  # undelivered frames before "overflow"
    realtime_heartbeat_seconds: Annotated[float, msgspec.Meta(gt=0)] = 25.0
    realtime_idle_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    # uvicorn pings each WebSocket this often and closes it (1011) when its pong is that late: a dead peer's socket
    # goes even when the app has nothing to send
    realtime_ping_seconds: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    realtime_session_check_seconds: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    realtime_redis_block_ms: Annotated[int, msgspec.Meta(ge=1, le=60_000)] = 200
    notification_retention_days: Annotated[int, msgspec.Meta(ge=1)] = 90  # inbox entries older than this go
    push_sender: PushSenderKind = PushSenderKind.AUTO
    vapid_private_key: str | None = None  # PEM (or a PEM file's path); development generates one under VAR_DIR
    vapid_contact_email: str = "admin@casino-club.local"  # the VAPID `sub` claim push services may write to
    push_ttl_seconds: Annotated[int, msgspec.Meta(ge=0, le=2_419_200)] = 86_400
    push_urgency: Literal["very-low", "low", "normal", "high"] = "normal"
    push_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    mail_from: str = "Casino-Club <no-reply@casino-club.local>"
    notification_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=25)] = 6  # push and email sends
    notification_retry_base_seconds: Annotated[float, msgspec.Meta(ge=0)] = 2.0  # then 2x, 4x … (or Retry-After)
    campaign_dispatch_interval_seconds: Annotated[float, msgspec.Meta(gt=0)] = 1.0  # in-process dispatcher
    streak_timezone: str = "UTC"  # IANA name: where a streak's calendar day starts and ends
    actions_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 1000  # tracked actions per player per minute
    action_retention_days: Annotated[int, msgspec.Meta(ge=1)] = 30  # how long /api/actions/recent looks back
    privacy_export_ttl_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 30)] = 48  # a ready export's download
    season_settlement_interval_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0  # battle pass and boards
    season_settlement_batch_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100  # players per transaction
    segment_recompute_interval_seconds: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0  # nightly RFM and segments
    segment_recompute_chunk_size: Annotated[int, msgspec.Meta(ge=100, le=1_000_000)] = 25_000  # players per transaction

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.streak_timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a directory, a name too long
            raise ValueError(f"STREAK_TIMEZONE {self.streak_timezone!r} is not an IANA time zone name") from exc
        if not self.olap_in_app and not self.kafka_bootstrap_servers:
            # the app's own writer is the only other way events reach the OLAP store
            raise ValueError(
                "OLAP_IN_APP=false needs KAFKA_BOOTSTRAP_SERVERS (events reach the OLAP store through Kafka)"
            )

    @property
    def is_production(self) -> bool:
        return self.app_env is AppEnv.PRODUCTION

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.CONSOLE if self.app_env is AppEnv.DEVELOPMENT else LogFormat.JSON

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def pushes_over_http(self) -> bool:
        if self.push_sender is PushSenderKind.AUTO:
            return self.is_production
        return self.push_sender is PushSenderKind.WEBPUSH

    @property
    def jobs_on_arq(self) -> bool:
        if self.job_queue is JobQueueKind.AUTO:
            return bool(self.redis_url)
        return self.job_queue is JobQueueKind.ARQ

    def check_production_safety(self) -> None:
        """Refuse development secrets and embedded fallbacks in production; one line says why."""
        if not self.is_production:
            return
        if not self.jwt_secret or self.jwt_secret == DEV_JWT_SECRET:
            raise SettingsError("JWT_SECRET must be set to a secret of your own when APP_ENV=production")
        if len(self.jwt_secret) < MIN_SECRET_LENGTH:
            raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters when APP_ENV=production")
        for name, value, default in (
            ("PAYMENT_RECEIPT_SECRET", self.payment_receipt_secret, DEV_RECEIPT_SECRET),
            ("TRANSACTION_INTEGRITY_SECRET", self.transaction_integrity_secret, DEV_INTEGRITY_SECRET),
            ("FAIRNESS_SEED_KEY", self.fairness_seed_key, DEV_FAIRNESS_SEED_KEY),
        ):
            if not value or value == default or len(value) < MIN_SECRET_LENGTH:
                raise SettingsError(f"{name} must be a secret of your own (>= {MIN_SECRET_LENGTH} characters)")
        if not self.payment_webhook_secrets or DEV_WEBHOOK_SECRET in self.payment_webhook_secrets:
            raise SettingsError("PAYMENT_WEBHOOK_SECRETS must hold your gateway's webhook secret(s)")
        if self.uses_sqlite:
            raise SettingsError(
                "DATABASE_URL must point at PostgreSQL when APP_ENV=production (SQLite is for development)"
            )
        if not self.redis_url:
            raise SettingsError("REDIS_URL must be set when APP_ENV=production (in-memory cache is for development)")
        if self.sandbox_capture_delay_seconds:
            raise SettingsError("SANDBOX_CAPTURE_DELAY_SECONDS is a test knob; it must be 0 when APP_ENV=production")
        if self.test_cheap_password_hashes:
            raise SettingsError("TEST_CHEAP_PASSWORD_HASHES is a test knob; it must be false when APP_ENV=production")
        if self.job_queue is JobQueueKind.IN_PROCESS:
            raise SettingsError("JOB_QUEUE=in-process loses queued jobs on restart; use arq when APP_ENV=production")
        if self.admin_password is not None and len(self.admin_password) < 12:
            raise SettingsError("ADMIN_PASSWORD must be at least 12 characters when APP_ENV=production")
        if not self.vapid_private_key:
            raise SettingsError(
                "VAPID_PRIVATE_KEY must be set when APP_ENV=production (every instance signs pushes with one key)"
            )


def _bare(hint: Any) -> Any:
    return get_args(hint)[0] if get_origin(hint) is Annotated else hint


def field_kinds(struct: type[msgspec.Struct]) -> tuple[frozenset[str], frozenset[str]]:
    """From a settings struct's annotations: list fields (comma-separated in the environment) and optional ones
    (an empty value means unset, unless the field is marked EMPTY_IS_A_VALUE)."""
    hints = get_type_hints(struct, include_extras=True)
    lists = {name for name, hint in hints.items() if get_origin(_bare(hint)) is list}
    optional = {
        name
        for name, hint in hints.items()
        if type(None) in get_args(_bare(hint)) and EMPTY_IS_A_VALUE not in getattr(hint, "__metadata__", ())
    }
    return frozenset(lists), frozenset(optional)


LIST_FIELDS, OPTIONAL_FIELDS = field_kinds(Settings)


def _normalise(raw: Mapping[str, str]) -> dict[str, Any]:
    fields = set(Settings.__struct_fields__)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.lower()
        if name not in fields or value is None:
            continue
        if name in LIST_FIELDS:
            values[name] = [item.strip() for item in value.split(",") if item.strip()]
        elif value == "" and name in OPTIONAL_FIELDS:
            values[name] = None
        else:
            values[name] = value
    return values


def _fill_embedded_defaults(values: dict[str, Any]) -> dict[str, Any]:
    var_dir = Path(values.get("var_dir") or "var").resolve()
    values["var_dir"] = str(var_dir)
    if not values.get("database_url"):
        values["database_url"] = f"sqlite+aiosqlite:///{var_dir / 'casino.db'}"
    if not values.get("clickhouse_dsn"):
        values["clickhouse_dsn"] = f"chdb://{var_dir / 'olap'}"
    return values


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    """Build settings from `.env` overlaid by the process environment; bad values raise SettingsError."""
    raw: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        raw.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    raw.update(os.environ if environ is None else environ)
    values = _fill_embedded_defaults(_normalise(raw))
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from exc
