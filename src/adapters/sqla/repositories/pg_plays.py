"""The play hot path on PostgreSQL: driver-level SQL, one statement per step.

In a transaction (a keyed play, a pull, a player's first play) a play is five round trips (BEGIN, begin the play,
settle, the outbox insert, COMMIT): beginning locks the state, the seed pair and the play clock and reads the config
and the player's limits in one statement; the settlement is one statement, the wallet's wager (pg_wallet: the stake
only if covered, the payout, both ledger rows) with the play's history row, stats, new state, play clock and the
seed pair's next nonce riding on it.

A plain spin of a player who has played before is two statements and no transaction of its own (`PgPlaysAtOnce`,
on connections of the standalone pool: no unit of work, no session): a read that locks nothing, then the
settlement with its outbox rows as one statement that commits by itself, guarded by a locking read of the state,
seed pair and play clock (in `begin_play`'s order) that holds only while the pair is still at the nonce the play was
drawn at and the clock as it was read, with the player's limits and the config's version as read. Any other play of
the player settled meanwhile moved the nonce: the guard has no row, nothing is written, the spin is drawn again.
After a settlement the process keeps the player's next start, so their next spin in this process is one statement.
This module writes no money.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import asyncpg
import msgspec

from src.adapters.sqla.driver import Columns, driver_execute
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.pg_outbox import event_row
from src.adapters.sqla.repositories.games import SqlaGameConfigRepository, SqlaPlayRepository
from src.adapters.sqla.repositories.limits import clock_of, clock_values, limits_of
from src.adapters.sqla.repositories.pg_wallet import PgWalletRepository, Rider, settle_wager_at_once
from src.application.games.ports import ActiveSeeds, PlayMoved, PlayStart, Settlement, StoredConfig
from src.domain.games.play import GameType, PlayerState
from src.domain.limits.play_time import PlayClock
from src.domain.shared.events import DomainEvent
from src.domain.wallet.events import BalanceChanged

_CONFIG = "SELECT version, config FROM game_configs WHERE game_type = $1"

# $1 user, $2 game type; the candidate seed pair (stored only if the player has none): $3 pair id, $4 sealed server
# seed, $5 its hash, $6 client seed, $7 created at; $8 the config versions the caller has parsed already
_BEGIN_PLAY = """
WITH state AS (
    INSERT INTO player_game_state (user_id, game_type, streak, pity_counter, updated_at)
    VALUES ($1, $2, 0, 0, now())
    ON CONFLICT (user_id, game_type) DO UPDATE SET updated_at = excluded.updated_at
    RETURNING streak, pity_counter
), seeds AS (
    INSERT INTO fairness_seeds
        (user_id, pair_id, sealed_server_seed, server_seed_hash, client_seed, nonce, created_at)
    VALUES ($1, $3, $4, $5, $6, 0, $7)
    ON CONFLICT (user_id) DO UPDATE SET nonce = fairness_seeds.nonce
    RETURNING pair_id, sealed_server_seed, server_seed_hash, client_seed, nonce, created_at
), clock AS (
    INSERT INTO play_time (user_id, active_seconds, checks_sent) VALUES ($1, 0, 0)
    ON CONFLICT (user_id) DO UPDATE SET checks_sent = play_time.checks_sent
    RETURNING day, active_seconds, session_started_at, last_play_at, checks_sent
)
SELECT state.streak, state.pity_counter, config.version,
    CASE WHEN config.version = ANY($8::integer[]) THEN NULL ELSE config.config END AS config, seeds.pair_id,
    seeds.sealed_server_seed, seeds.server_seed_hash, seeds.client_seed, seeds.nonce, seeds.created_at,
    limits.restriction, limits.restricted_until, limits.daily_cents, limits.weekly_cents, limits.monthly_cents,
    limits.play_minutes_daily, limits.reality_check_minutes, limits.pending, clock.day, clock.active_seconds,
    clock.session_started_at, clock.last_play_at, clock.checks_sent
FROM state CROSS JOIN seeds CROSS JOIN clock LEFT JOIN game_configs AS config ON config.game_type = $2
    LEFT JOIN player_limits AS limits ON limits.user_id = $1
"""

# The play's own writes, riding on the wallet's wager (pg_wallet): nothing of them unless `wallet` has its row.
# $10 play id, $11 user, $12 game type, $13 action, $14 bet, $15 payout, $16 delta coins, $17 delta gems, $18 won,
# $19 result meta, $20 now, $21 streak, $22 pity counter, $23 seed pair id, $24 nonce, $25 config version
_PLAY_WRITES = """
history AS (
    INSERT INTO game_history (id, user_id, game_type, action, bet, payout, delta_coins, delta_gems, won,
        result_meta, created_at, seed_pair_id, nonce, config_version)
    SELECT $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20, $23, $24, $25 FROM wallet
), seeds AS (
    UPDATE fairness_seeds SET nonce = nonce + 1
    WHERE user_id = $11 AND pair_id = $23 AND EXISTS (SELECT 1 FROM wallet)
), stats AS (
    INSERT INTO game_stats (user_id, game_type, play_count, win_count, net_coins, net_gems, updated_at)
    SELECT $11, $12, 1, CASE WHEN $18 THEN 1 ELSE 0 END, $16, $17, $20 FROM wallet
    ON CONFLICT (user_id, game_type) DO UPDATE SET
        play_count = game_stats.play_count + 1,
        win_count = game_stats.win_count + excluded.win_count,
        net_coins = game_stats.net_coins + excluded.net_coins,
        net_gems = game_stats.net_gems + excluded.net_gems,
        updated_at = excluded.updated_at
), state AS (
    UPDATE player_game_state SET streak = $21, pity_counter = $22, updated_at = $20
    WHERE user_id = $11 AND game_type = $12 AND EXISTS (SELECT 1 FROM wallet)
)"""

# The player's play time after the play (begin_play locked its row): $26 day, $27 active seconds, $28 session
# started at, $29 last play at, $30 checks sent
_CLOCK_WRITE = """, clock AS (
    UPDATE play_time SET day = $26, active_seconds = $27, session_started_at = $28, last_play_at = $29,
        checks_sent = $30
    WHERE user_id = $11 AND EXISTS (SELECT 1 FROM wallet)
)"""


# A digest of the player's limits row as a play reads them (NULL: none), the same on every connection (no text
# that depends on a session's time zone): what a guard compares to tell that they are still as the play read them
_LIMITS_DIGEST = """CASE WHEN limits.user_id IS NULL THEN NULL ELSE md5(ROW(limits.restriction,
    extract(epoch FROM limits.restricted_until), limits.daily_cents, limits.weekly_cents, limits.monthly_cents,
    limits.play_minutes_daily, limits.reality_check_minutes, limits.pending)::text) END"""

# What a plain play starts from, for a player who has played this game before (the state, the seed pair and the
# play clock stored); `{config}` is the config column (NULL when the caller has that version parsed), `{player}`
# the player and game. Locks nothing.
_START = (
    """SELECT state.streak, state.pity_counter, config.version, {config} AS config, seeds.pair_id,
    seeds.sealed_server_seed, seeds.server_seed_hash, seeds.client_seed, seeds.nonce, seeds.created_at,
    limits.restriction, limits.restricted_until, limits.daily_cents, limits.weekly_cents, limits.monthly_cents,
    limits.play_minutes_daily, limits.reality_check_minutes, limits.pending, clock.day, clock.active_seconds,
    clock.session_started_at, clock.last_play_at, clock.checks_sent, """
    + _LIMITS_DIGEST
    + """ AS limits_digest
FROM player_game_state AS state
    JOIN fairness_seeds AS seeds ON seeds.user_id = state.user_id
    JOIN play_time AS clock ON clock.user_id = state.user_id
    LEFT JOIN game_configs AS config ON config.game_type = state.game_type
    LEFT JOIN player_limits AS limits ON limits.user_id = state.user_id
WHERE {player}"""
)

# $1 user, $2 game type, $3 the config versions the caller has parsed already
_PEEK_PLAY = _START.format(
    config="CASE WHEN config.version = ANY($3::integer[]) THEN NULL ELSE config.config END",
    player="state.user_id = $1 AND state.game_type = $2",
)

# The settlement's guard when it commits by itself: the rows `begin_play` locks, locked in its order (state, seed
# pair, play clock), and a row only if everything the play was drawn from is as its start read it: the pair still
# at the play's nonce ($23, $24) with its client seed ($38), the clock ($31 day, $32 active seconds, $33 session
# started at, $34 last play at, $35 checks sent), the player's limits (their digest, $36) and the config's version
# ($37; NULL: the built-in default). A row changed by a transaction that commits while this waits for it is read
# again (READ COMMITTED's recheck) before the condition.
_GUARD = """guard AS (
    SELECT 1 FROM player_game_state AS state, fairness_seeds AS seeds, play_time AS clock
    WHERE state.user_id = $11 AND state.game_type = $12
      AND seeds.user_id = $11 AND seeds.pair_id = $23 AND seeds.nonce = $24 AND seeds.client_seed = $38
      AND clock.user_id = $11 AND clock.day IS NOT DISTINCT FROM $31::date AND clock.active_seconds = $32
      AND clock.session_started_at IS NOT DISTINCT FROM $33::timestamptz
      AND clock.last_play_at IS NOT DISTINCT FROM $34::timestamptz AND clock.checks_sent = $35
      AND (SELECT {digest} FROM player_limits AS limits WHERE limits.user_id = $11) IS NOT DISTINCT FROM $36::text
      AND (SELECT version FROM game_configs WHERE game_type = $12) IS NOT DISTINCT FROM $37::integer
    FOR UPDATE
)""".format(digest=_LIMITS_DIGEST)  # noqa: S608, UP032 - constants only, kept readable as SQL

# Without the guard's row (nothing written), what the play starts from now, so the next draw needs no read of its
# own; the config's JSON only if its version is not the one the play was drawn under ($37)
_RESTART = ", restart AS ({start})".format(
    start=_START.format(
        config="CASE WHEN config.version IS NOT DISTINCT FROM $37::integer THEN NULL ELSE config.config END",
        player="state.user_id = $11 AND state.game_type = $12 AND NOT EXISTS (SELECT 1 FROM guard)",
    )
)

EVENTS_FIRST_PARAMETER = 39
_EVENT_TYPES = ("varchar", "varchar", "varchar", "varchar", "jsonb", "timestamptz", "boolean")


@cache
def _outbox_write(count: int) -> str:
    """The play's `count` events as outbox rows, in order, written only with the wallet's row as everything else
    here; each event's parameters from $39 on: id, type, aggregate type, aggregate id, payload, time, and whether
    the payload takes the balance after as `balance_after`. Scalars, not arrays: asyncpg checks each element of an
    array parameter against the collection ABCs, which cost more than the rest of the encoding."""
    rows = ", ".join(
        "("
        + ", ".join(
            f"${EVENTS_FIRST_PARAMETER + len(_EVENT_TYPES) * row + column}::{kind}"
            for column, kind in enumerate(_EVENT_TYPES)
        )
        + f", {row})"
        for row in range(count)
    )
    return f""", outbox AS (
    INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, payload, created_at)
    SELECT event.event_id, event.event_type, event.aggregate_type, event.aggregate_id,
        CASE WHEN event.balance THEN event.payload || jsonb_build_object('balance_after', wallet.balance)
            ELSE event.payload END,
        event.created_at
    FROM wallet CROSS JOIN (VALUES {rows})
        AS event (event_id, event_type, aggregate_type, aggregate_id, payload, created_at, balance, position)
    ORDER BY event.position
)"""  # noqa: S608 - numbered placeholders only


# asyncpg's errors for a guard that met a deadlock or a serialization failure (another play's transaction took the
# rows in another order): as a moved play, nothing written
_RACED = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


def _takes_balance(event: DomainEvent, settlement: Settlement) -> bool:
    return (
        isinstance(event, BalanceChanged)
        and event.aggregate_id == settlement.play.user_id
        and event.currency == settlement.currency.value
    )


def _stored(version: int | None, config: Any) -> StoredConfig | None:
    if version is None:
        return None
    return StoredConfig(int(version), dict(json.loads(config) if isinstance(config, str) else config))


@dataclass(frozen=True)
class _Read(PlayStart):
    """A start as this module read it, with the digest of the player's limits the guard compares."""

    limits_digest: str | None = None


def _start_of(user_id: str, game_type: GameType, record: asyncpg.Record) -> _Read:
    """A start as `_START` or `_BEGIN_PLAY` reads it (the latter has no limits digest: it is kept by no one)."""
    row: Any = Columns(record)
    state = PlayerState(user_id, game_type, int(row.streak), int(row.pity_counter))
    seeds = ActiveSeeds(
        pair_id=row.pair_id,
        user_id=user_id,
        sealed_server_seed=row.sealed_server_seed,
        server_seed_hash=row.server_seed_hash,
        client_seed=row.client_seed,
        nonce=int(row.nonce),
        created_at=row.created_at,
    )
    limits, clock = limits_of(row, user_id), clock_of(user_id, row)
    known = row.version is not None and row.config is None
    config = None if known else _stored(row.version, row.config)
    known_version = int(row.version) if known else None
    return _Read(state, config, seeds, limits, clock, known_version, record.get("limits_digest"))


def _next_start(start: _Read, settlement: Settlement, clock: PlayClock) -> _Read:
    """What the player's next play starts from once `settlement` (drawn from `start`) is written."""
    seeds = start.seeds
    next_seeds = ActiveSeeds(
        seeds.pair_id,
        seeds.user_id,
        seeds.sealed_server_seed,
        seeds.server_seed_hash,
        seeds.client_seed,
        seeds.nonce + 1,
        seeds.created_at,
    )
    return _Read(
        settlement.state, start.config, next_seeds, start.limits, clock, start.known_version, start.limits_digest
    )


def _stored_version(start: PlayStart) -> int | None:
    """The version of `game_configs` the start read (None: no row, the built-in default)."""
    return None if start.config is None and start.known_version is None else start.config_version


def _play_parameters(settlement: Settlement) -> tuple[Any, ...]:
    play, state, fair = settlement.play, settlement.state, settlement.play.fair
    return (
        play.id,
        play.user_id,
        play.game_type.value,
        play.action,
        play.bet,
        play.payout,
        play.delta_coins,
        play.delta_gems,
        play.won,
        msgspec.json.encode(play.result_meta).decode(),
        play.created_at,
        state.streak,
        state.pity_counter,
        None if fair is None else fair.pair_id,
        None if fair is None else fair.nonce,
        None if fair is None else fair.config_version,
    )


class PgPlayRepository(SqlaPlayRepository):
    """A play in the unit of work's transaction (keyed, a pull, a first play, the fallback of a plain spin)."""

    _wallets: PgWalletRepository

    async def begin_play(
        self, user_id: str, game_type: GameType, candidate: ActiveSeeds, parsed_versions: Collection[int] = ()
    ) -> PlayStart:
        """Lock the state and the seed pair and read the odds in force in one round trip; the config's JSON only
        when its version is not among `parsed_versions` (a spin then fetches and decodes no JSON)."""
        parameters = (
            user_id,
            game_type.value,
            candidate.pair_id,
            candidate.sealed_server_seed,
            candidate.server_seed_hash,
            candidate.client_seed,
            candidate.created_at,
            list(parsed_versions),
        )
        # straight to the driver, in the unit's transaction: SQLAlchemy's result machinery built the metadata of
        # these 23 columns at every execution
        rows = await driver_execute(self._db, _BEGIN_PLAY, *parameters)
        return _start_of(user_id, game_type, rows[0])

    async def settle(self, settlement: Settlement) -> int:
        """The wallet's wager with the play's writes riding on it: one statement."""
        play, parameters = settlement.play, _play_parameters(settlement)
        rider = Rider(_PLAY_WRITES, parameters)
        if (clock := settlement.clock) is not None:
            values = clock_values(clock)
            rider = Rider(_PLAY_WRITES + _CLOCK_WRITE, parameters + tuple(values.values()))
        return await self._wallets.settle_wager(settlement.wager(), play.created_at, rider)


KNOWN_STARTS = 4096  # players whose next start a process keeps (a few hundred bytes each)


class PgPlaysAtOnce:
    """Plain plays outside any unit of work, each statement on a connection of the standalone pool (a checkout is a
    list pop; no session, no transaction to open or end): the unit of work's session machinery around these
    statements cost more of a spin's CPU than the statements did. `published` is told when outbox rows were
    written, as a unit of work's commit tells it.

    After a settlement the process knows what the player's next play starts from (it wrote it): that start is kept
    (at most KNOWN_STARTS players, the least recent dropped) and the next peek is no round trip. The settlement's
    guard checks everything a start holds (seed pair and nonce, play clock, limits, config version), so a start
    that another process or a transaction moved since is refused (PlayMoved, nothing written); that statement then
    returns the start as it is now, which the next peek takes: a moved start costs one statement, as a read would."""

    def __init__(self, pool: DriverPool, published: Callable[[], None] | None = None) -> None:
        self._pool = pool
        self._published = published
        self._known: OrderedDict[tuple[str, GameType], _Read] = OrderedDict()

    async def peek_play(
        self, user_id: str, game_type: GameType, parsed_versions: Collection[int] = ()
    ) -> PlayStart | None:
        """The kept start if there is one (taken: a concurrent play of the same player reads its own), else one
        read that locks nothing and opens no transaction (`settle_at_once` checks what either says)."""
        known = self._known.pop((user_id, game_type), None)
        if known is not None:
            return known
        rows = await self._pool.fetch(_PEEK_PLAY, user_id, game_type.value, list(parsed_versions))
        return _start_of(user_id, game_type, rows[0]) if rows else None

    async def settle_at_once(self, start: PlayStart, settlement: Settlement, events: Sequence[DomainEvent]) -> int:
        """One statement that commits by itself: the guard (`_GUARD`), the wager, the play's writes and its outbox
        rows."""
        clock, fair = settlement.clock, settlement.play.fair
        if clock is None or fair is None or not isinstance(start, _Read):
            raise ValueError("a play settled at once is drawn from a start peeked here, and keeps the play clock")
        if (fair.pair_id, fair.nonce) != (start.seeds.pair_id, start.seeds.nonce):
            raise ValueError("a play settled at once is drawn at the nonce its start read")
        parameters: list[Any] = [
            *_play_parameters(settlement),
            *clock_values(clock).values(),
            *clock_values(start.clock).values(),
            start.limits_digest,
            _stored_version(start),
            start.seeds.client_seed,
        ]
        for event in events:
            parameters += (*event_row(event), _takes_balance(event, settlement))
        ctes = _PLAY_WRITES + _CLOCK_WRITE + _RESTART + (_outbox_write(len(events)) if events else "")
        rider = Rider(ctes, tuple(parameters), guard=_GUARD, returns="restart")
        wager, now, key = settlement.wager(), settlement.play.created_at, (start.state.user_id, start.state.game_type)
        try:
            balance_after, row = await settle_wager_at_once(self._pool, wager, now, rider)
        except _RACED as exc:
            raise PlayMoved from exc
        if balance_after is None:
            if row["pair_id"] is not None:  # the start as it is now, for the draw again
                self._keep(key, _start_of(key[0], key[1], row))
            raise PlayMoved
        self._keep(key, _next_start(start, settlement, clock))
        if events and self._published is not None:
            self._published()
        return balance_after

    def _keep(self, key: tuple[str, GameType], start: _Read) -> None:
        self._known[key] = start
        self._known.move_to_end(key)
        if len(self._known) > KNOWN_STARTS:
            self._known.popitem(last=False)


class PgGameConfigRepository(SqlaGameConfigRepository):
    async def get(self, game_type: GameType) -> StoredConfig | None:
        connection = await self._db.connection()
        row: Any = (await connection.exec_driver_sql(_CONFIG, (game_type.value,))).one_or_none()
        return None if row is None else _stored(row.version, row.config)
