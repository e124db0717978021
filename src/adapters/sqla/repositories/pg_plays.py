"""The play hot path on PostgreSQL: driver-level SQL, one statement per step.

A spin is then four round trips (BEGIN, lock the state, settle, COMMIT, plus the outbox insert) instead
of a dozen: the settlement is a single data-modifying CTE that takes the stake only if the balance
covers it, and writes both ledger rows, the history row, the stats and the new state.
"""

from __future__ import annotations

import json
from typing import Any

from src.adapters.sqla.repositories.games import SqlaGameConfigRepository, SqlaPlayRepository
from src.application.games.ports import PlayStart, Settlement, StoredConfig
from src.domain.games.play import GameType, PlayerState
from src.domain.wallet.errors import InsufficientFunds

_CONFIG = "SELECT version, config FROM game_configs WHERE game_type = $1"

_BEGIN_PLAY = """
WITH state AS (
    INSERT INTO player_game_state (user_id, game_type, streak, pity_counter, updated_at)
    VALUES ($1, $2, 0, 0, now())
    ON CONFLICT (user_id, game_type) DO UPDATE SET updated_at = excluded.updated_at
    RETURNING streak, pity_counter
)
SELECT state.streak, state.pity_counter, config.version, config.config
FROM state LEFT JOIN game_configs AS config ON config.game_type = $2
"""

# $1 user, $2 currency, $3 stake, $4 payout, $5 now, $6 stake reason, $7 payout reason, $8 ref type,
# $9 play id, $10 game type, $11 action, $12 won, $13 delta coins, $14 delta gems, $15 result meta,
# $16 streak, $17 pity counter
_SETTLE = """
WITH wallet AS (
    UPDATE wallets SET balance = balance - $3 + $4, updated_at = $5
    WHERE user_id = $1 AND currency = $2 AND balance >= $3
    RETURNING balance
), ledger AS (
    INSERT INTO ledger_entries (user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at)
    SELECT $1, $2, entry.delta, entry.balance_after, entry.reason, $8, $9, $5
    FROM wallet CROSS JOIN LATERAL (VALUES
        (1, -$3::bigint, wallet.balance - $4, $6::varchar),
        (2, $4::bigint, wallet.balance, $7::varchar)
    ) AS entry (position, delta, balance_after, reason)
    WHERE entry.position = 1 OR $4 > 0
    ORDER BY entry.position
    RETURNING id
), history AS (
    INSERT INTO game_history
        (id, user_id, game_type, action, bet, payout, delta_coins, delta_gems, won, result_meta, created_at)
    SELECT $9, $1, $10, $11, $3, $4, $13, $14, $12, $15::jsonb, $5 FROM wallet
), stats AS (
    INSERT INTO game_stats (user_id, game_type, play_count, win_count, net_coins, net_gems, updated_at)
    SELECT $1, $10, 1, CASE WHEN $12 THEN 1 ELSE 0 END, $13, $14, $5 FROM wallet
    ON CONFLICT (user_id, game_type) DO UPDATE SET
        play_count = game_stats.play_count + 1,
        win_count = game_stats.win_count + excluded.win_count,
        net_coins = game_stats.net_coins + excluded.net_coins,
        net_gems = game_stats.net_gems + excluded.net_gems,
        updated_at = excluded.updated_at
), state AS (
    UPDATE player_game_state SET streak = $16, pity_counter = $17, updated_at = $5
    WHERE user_id = $1 AND game_type = $10 AND EXISTS (SELECT 1 FROM wallet)
)
SELECT balance, (SELECT count(*) FROM ledger) FROM wallet
"""


def _stored(version: int | None, config: Any) -> StoredConfig | None:
    if version is None:
        return None
    return StoredConfig(int(version), dict(json.loads(config) if isinstance(config, str) else config))


class PgPlayRepository(SqlaPlayRepository):
    async def begin_play(self, user_id: str, game_type: GameType) -> PlayStart:
        """Lock the state and read the odds in force in one round trip."""
        connection = await self._db.connection()
        row: Any = (await connection.exec_driver_sql(_BEGIN_PLAY, (user_id, game_type.value))).one()
        state = PlayerState(user_id, game_type, int(row.streak), int(row.pity_counter))
        return PlayStart(state, _stored(row.version, row.config))

    async def settle(self, settlement: Settlement) -> int:
        play, state = settlement.play, settlement.state
        parameters = (
            play.user_id,
            settlement.currency.value,
            settlement.stake,
            settlement.payout,
            play.created_at,
            settlement.stake_reason,
            settlement.payout_reason,
            settlement.ref_type,
            play.id,
            play.game_type.value,
            play.action,
            play.won,
            play.delta_coins,
            play.delta_gems,
            json.dumps(play.result_meta),
            state.streak,
            state.pity_counter,
        )
        connection = await self._db.connection()
        row: Any = (await connection.exec_driver_sql(_SETTLE, parameters)).one_or_none()
        if row is None:
            raise InsufficientFunds(settlement.currency.value, settlement.stake)
        return int(row.balance)


class PgGameConfigRepository(SqlaGameConfigRepository):
    async def get(self, game_type: GameType) -> StoredConfig | None:
        connection = await self._db.connection()
        row: Any = (await connection.exec_driver_sql(_CONFIG, (game_type.value,))).one_or_none()
        return None if row is None else _stored(row.version, row.config)
