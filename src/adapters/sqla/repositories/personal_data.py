"""Every table's rows of one player, table by table: what an export reads and what an erasure does to each.

`PLAYER_TABLES` is the registry: a table that holds anything of a player is listed here with how its rows are
found and what erasure does (delete them, or keep them pseudonymized: financial records, the account row, the
audit trail, undelivered events). `NOT_PLAYER_DATA` lists the tables that hold nothing per player. A table in
neither fails tests/unit/privacy (and the export acceptance test), so a new table is one line here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.base import Base
from src.domain.limits.model import RestrictionKind
from src.domain.privacy.model import PersonalValues, scrub

REDACTED = "[redacted]"
Where = Callable[[Table, str], ColumnElement[bool]]


class Erasure(Enum):
    DELETE = "deleted"
    PSEUDONYMIZE = "pseudonymized"  # kept; the `scrub` columns lose every personal value
    ACCOUNT = "account"  # the users row: kept (ledger and purchases point at it), every personal field replaced
    KEEP = "kept"  # holds nothing personal


def owned_by(*columns: str) -> Where:
    return lambda table, user_id: or_(*(table.c[column] == user_id for column in columns))


def _tables() -> dict[str, Table]:
    return dict(Base.metadata.tables)


def _refresh_tokens(table: Table, user_id: str) -> ColumnElement[bool]:
    sessions = _tables()["auth_sessions"]
    return table.c.session_id.in_(select(sessions.c.id).where(sessions.c.user_id == user_id))


def _outbox(table: Table, user_id: str) -> ColumnElement[bool]:
    """Events about the player: their aggregate, or naming them as `user_id` (the analytics pipeline's rule)."""
    return or_(table.c.aggregate_id == user_id, table.c.payload["user_id"].as_string() == user_id)


def _audit(table: Table, user_id: str) -> ColumnElement[bool]:
    """Admin actions on the player, by the player (an admin), or naming them in the payload (a grant, a message)."""
    return or_(
        table.c.target_id == user_id, table.c.admin_id == user_id, cast(table.c.payload, String).contains(user_id)
    )


def _campaigns(table: Table, user_id: str) -> ColumnElement[bool]:
    """A campaign aimed at this one player (its text may address them)."""
    return and_(table.c.target_type == "user", table.c.target_value == user_id)


def _delivered(table: Table) -> ColumnElement[bool]:
    return and_(table.c.published_at.is_not(None), table.c.exported_at.is_not(None))


@dataclass(frozen=True)
class PlayerTable:
    name: str
    where: Where
    erasure: Erasure
    scrub: tuple[str, ...] = ()  # PSEUDONYMIZE: the text and JSON columns that may hold personal values
    redact: tuple[str, ...] = ()  # columns an export shows as REDACTED (secrets, not the player's data)
    delete_also: Callable[[Table], ColumnElement[bool]] | None = None  # rows deleted before the rest is scrubbed


# children before parents: an erasure runs in this order
PLAYER_TABLES: tuple[PlayerTable, ...] = (
    PlayerTable("users", owned_by("id"), Erasure.ACCOUNT, redact=("password_hash",)),
    PlayerTable("refresh_tokens", _refresh_tokens, Erasure.DELETE, redact=("token_hash",)),
    PlayerTable("auth_sessions", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("audit_logs", _audit, Erasure.PSEUDONYMIZE, scrub=("payload", "ip")),
    PlayerTable("player_limits", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("play_time", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("idempotency_records", owned_by("user_id"), Erasure.DELETE, redact=("response_body",)),
    # wallet: the ledger's balance chain is a financial record
    PlayerTable("wallets", owned_by("user_id"), Erasure.PSEUDONYMIZE),
    PlayerTable("ledger_entries", owned_by("user_id"), Erasure.PSEUDONYMIZE),
    # shop: purchases are financial records
    PlayerTable(
        "purchase_transactions",
        owned_by("user_id"),
        Erasure.PSEUDONYMIZE,
        redact=("integrity_hash", "idempotency_key_hash"),
    ),
    PlayerTable("promo_redemptions", owned_by("user_id"), Erasure.PSEUDONYMIZE),
    PlayerTable("stock_holds", owned_by("user_id"), Erasure.PSEUDONYMIZE),
    PlayerTable("limited_purchase_counts", owned_by("user_id"), Erasure.PSEUDONYMIZE),
    # games: plays with their proofs, seeds, state, stats, inventory
    PlayerTable("fairness_seeds", owned_by("user_id"), Erasure.DELETE, redact=("sealed_server_seed",)),
    PlayerTable("fairness_revealed_seeds", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("game_history", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("player_game_state", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("game_stats", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("inventory_items", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("follows", owned_by("follower_id", "followee_id"), Erasure.DELETE),
    # engagement: rewards are grants of money (kept); the rest is progress
    PlayerTable("rewards", owned_by("user_id", "granted_by"), Erasure.PSEUDONYMIZE, scrub=("source",)),
    PlayerTable("streaks", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("streak_days", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("vip_totals", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("vip_tier_changes", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("progress_events", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("mission_progress", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("achievement_progress", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("progress_players", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("battlepass_claims", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("battlepass_progress", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("season_scores", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("season_results", owned_by("user_id"), Erasure.DELETE),
    # notifications and their settings
    PlayerTable("notifications", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("notification_settings", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("push_subscriptions", owned_by("user_id"), Erasure.DELETE, redact=("auth",)),
    PlayerTable("campaign_deliveries", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("campaigns", _campaigns, Erasure.PSEUDONYMIZE, scrub=("title", "body")),
    # analytics: tracked actions; events delivered everywhere go, those still on their way lose personal values
    PlayerTable("player_actions", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("outbox", _outbox, Erasure.PSEUDONYMIZE, scrub=("payload",), delete_also=_delivered),
    # liveops: the variant each experiment gave the player
    PlayerTable("experiment_assignments", owned_by("user_id"), Erasure.DELETE),
    # liveops: the player's profile (RFM group, LTV, risk), segments and the history of joining and leaving them
    PlayerTable("player_profiles", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("segment_members", owned_by("user_id"), Erasure.DELETE),
    PlayerTable("segment_changes", owned_by("user_id"), Erasure.DELETE),
    # privacy: exports (their archives hold personal data) go; the erasure request and tombstone stay
    PlayerTable(
        "privacy_requests",
        owned_by("user_id"),
        Erasure.PSEUDONYMIZE,
        redact=("archive",),
        delete_also=lambda table: table.c.kind == "export",
    ),
    PlayerTable("privacy_tombstones", owned_by("user_id"), Erasure.KEEP),
)

# tables that hold nothing per player: definitions, configuration, the gateway's own records, consumer inboxes,
# and staff records (an admin's invite codes and odds changes name the admin, not a player)
NOT_PLAYER_DATA = frozenset(
    {
        "achievement_definitions",
        "battlepass_seasons",
        "catalog_items",
        # digests of erased players' identifiers while a self-exclusion runs: nothing links one to an account
        "excluded_identities",
        "experiments",
        "segment_jobs",
        "segments",
        "game_config_versions",
        "game_configs",
        "gateway_events",
        "invite_codes",
        "limited_packages",
        "mission_definitions",
        "processed_events",
        "promo_codes",
        "season_boards",
        "season_periods",
        "webhook_arrivals",
        "webhook_requests",
    }
)

ERASED_NICKNAME = "erased player"


def json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode()
    return value


def pseudonym(user_id: str) -> str:
    """A site id no player can choose ('-' is not allowed in one), unique per erased player."""
    return f"erased-{user_id.replace('-', '')[:24]}"


class SqlaPersonalData:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session
        self._by_name = {spec.name: spec for spec in PLAYER_TABLES}

    def tables(self) -> Sequence[str]:
        return [spec.name for spec in PLAYER_TABLES]

    async def rows_of(self, user_id: str, table: str) -> list[dict[str, Any]]:
        spec, found = self._by_name[table], _tables()[table]
        ordered = select(found).where(spec.where(found, user_id)).order_by(*found.primary_key.columns)
        rows = (await self._db.execute(ordered)).mappings().all()
        return [
            {
                name: REDACTED if name in spec.redact and value is not None else json_ready(value)
                for name, value in row.items()
            }
            for row in rows
        ]

    async def personal_values(self, user_id: str) -> PersonalValues | None:
        users, sessions = _tables()["users"], _tables()["auth_sessions"]
        user = (await self._db.execute(select(users).where(users.c.id == user_id))).mappings().one_or_none()
        if user is None:
            return None
        seen = (
            await self._db.execute(select(sessions.c.ip, sessions.c.user_agent).where(sessions.c.user_id == user_id))
        ).all()
        limits = _tables()["player_limits"]
        excluded_until = (
            await self._db.execute(
                select(limits.c.restricted_until).where(
                    limits.c.user_id == user_id, limits.c.restriction == RestrictionKind.SELF_EXCLUSION.value
                )
            )
        ).scalar_one_or_none()
        return PersonalValues(
            site_id=user["site_id"],
            nickname=user["nickname"],
            email=user["email"],
            phone_number=user["phone_number"],
            ips=frozenset(ip for ip, _ in seen if ip),
            user_agents=frozenset(agent for _, agent in seen if agent),
            self_excluded_until=excluded_until,
        )

    async def erase(self, user_id: str, personal: PersonalValues) -> dict[str, dict[str, int]]:
        summary: dict[str, dict[str, int]] = {}
        for spec in PLAYER_TABLES:
            table = _tables()[spec.name]
            if spec.erasure is Erasure.DELETE:
                summary[spec.name] = {"deleted": await self._delete(table, spec.where(table, user_id))}
            elif spec.erasure is Erasure.PSEUDONYMIZE:
                summary[spec.name] = await self._pseudonymize(table, spec, user_id, personal.all())
            elif spec.erasure is Erasure.ACCOUNT:
                summary[spec.name] = {"pseudonymized": await self._account(table, user_id)}
        return summary

    async def _delete(self, table: Table, where: ColumnElement[bool]) -> int:
        result = await self._db.execute(delete(table).where(where))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _pseudonymize(self, table: Table, spec: PlayerTable, user_id: str, personal: list[str]) -> dict[str, int]:
        where = spec.where(table, user_id)
        deleted = 0 if spec.delete_also is None else await self._delete(table, and_(where, spec.delete_also(table)))
        kept = int((await self._db.execute(select(func.count()).select_from(table).where(where))).scalar_one())
        changed = 0
        if spec.scrub:
            keys = list(table.primary_key.columns)
            rows = (await self._db.execute(select(*keys, *(table.c[name] for name in spec.scrub)).where(where))).all()
            for row in rows:
                values = {name: getattr(row, name) for name in spec.scrub}
                cleaned = {name: scrub(value, personal) for name, value in values.items()}
                if cleaned != values:
                    match = and_(*(key == getattr(row, key.name) for key in keys))
                    await self._db.execute(update(table).where(match).values(cleaned))
                    changed += 1
        return {"deleted": deleted, "kept": kept, "pseudonymized": changed}

    async def _account(self, table: Table, user_id: str) -> int:
        values = {
            "site_id": pseudonym(user_id),
            "nickname": ERASED_NICKNAME,
            "nickname_key": f"erased:{user_id}",
            "email": None,
            "phone_number": None,
            "password_hash": "!",  # matches no password
        }
        result = await self._db.execute(update(table).where(table.c.id == user_id).values(values))
        return int(result.rowcount)  # type: ignore[attr-defined]
