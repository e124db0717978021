"""SQL repositories of the games context."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
from src.adapters.sqla.repositories.limits import SqlaLimitRepository, SqlaPlayTimeRepository
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import SqlaWalletRepository, dialect_insert
from src.application.games.ports import (
    ActiveSeeds,
    HistoryQuery,
    InventoryItem,
    PlayStart,
    RevealedSeeds,
    Settlement,
    StoredConfig,
)
from src.application.shared.pagination import Page, Position
from src.domain.games.fairness import FairRef
from src.domain.games.play import GameStats, GameType, PlayerState, PlayRecord
from src.domain.limits.play_time import PlayClock


class SqlaGameConfigRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def get(self, game_type: GameType) -> StoredConfig | None:
        statement = select(GameConfigRow.version, GameConfigRow.config).where(
            GameConfigRow.game_type == game_type.value
        )
        row = (await self._db.execute(statement)).one_or_none()
        return None if row is None else StoredConfig(row.version, dict(row.config))

    async def save(self, game_type: GameType, data: dict[str, Any], updated_by: str, now: datetime) -> int:
        upsert = dialect_insert(self._db)(GameConfigRow).values(
            game_type=game_type.value, version=1, config=data, updated_by=updated_by, updated_at=now
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[GameConfigRow.game_type],
            set_={
                "version": GameConfigRow.version + 1,
                "config": upsert.excluded.config,
                "updated_by": upsert.excluded.updated_by,
                "updated_at": upsert.excluded.updated_at,
            },
        )
        version = int((await self._db.execute(upsert.returning(GameConfigRow.version))).scalar_one())
        await self._db.execute(
            insert(GameConfigVersionRow).values(
                game_type=game_type.value, version=version, config=data, updated_by=updated_by, created_at=now
            )
        )
        return version

    async def version(self, game_type: GameType, version: int) -> StoredConfig | None:
        statement = select(GameConfigVersionRow.config).where(
            GameConfigVersionRow.game_type == game_type.value, GameConfigVersionRow.version == version
        )
        config = (await self._db.execute(statement)).scalar_one_or_none()
        return None if config is None else StoredConfig(version, dict(config))


SEED_COLUMNS = (
    FairnessSeedRow.pair_id,
    FairnessSeedRow.user_id,
    FairnessSeedRow.sealed_server_seed,
    FairnessSeedRow.server_seed_hash,
    FairnessSeedRow.client_seed,
    FairnessSeedRow.nonce,
    FairnessSeedRow.created_at,
)


def _seed_values(seeds: ActiveSeeds) -> dict[str, object]:
    return {column.key: getattr(seeds, column.key) for column in SEED_COLUMNS}


def _revealed(row: RevealedSeedRow) -> RevealedSeeds:
    return RevealedSeeds(
        pair_id=row.pair_id,
        user_id=row.user_id,
        server_seed=row.server_seed,
        server_seed_hash=row.server_seed_hash,
        client_seed=row.client_seed,
        last_nonce=row.last_nonce,
        created_at=row.created_at,
        revealed_at=row.revealed_at,
    )


class SqlaSeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def lock(self, candidate: ActiveSeeds) -> ActiveSeeds:
        """One statement: insert the candidate, or lock the pair already there (the no-op update takes the lock)."""
        upsert = dialect_insert(self._db)(FairnessSeedRow).values(**_seed_values(candidate))
        upsert = upsert.on_conflict_do_update(
            index_elements=[FairnessSeedRow.user_id], set_={"nonce": FairnessSeedRow.nonce}
        ).returning(*SEED_COLUMNS)
        return ActiveSeeds(*(await self._db.execute(upsert)).one())

    async def active(self, user_id: str) -> ActiveSeeds | None:
        row = (await self._db.execute(select(*SEED_COLUMNS).where(FairnessSeedRow.user_id == user_id))).one_or_none()
        return None if row is None else ActiveSeeds(*row)

    async def replace(self, current: ActiveSeeds, new: ActiveSeeds, revealed: RevealedSeeds | None) -> None:
        if revealed is not None:
            await self._db.execute(insert(RevealedSeedRow).values(**asdict(revealed)))
        await self._db.execute(
            update(FairnessSeedRow)
            .where(FairnessSeedRow.user_id == current.user_id, FairnessSeedRow.pair_id == current.pair_id)
            .values(**_seed_values(new))
        )

    async def revealed(self, pair_id: str) -> RevealedSeeds | None:
        row = await self._db.get(RevealedSeedRow, pair_id)
        return None if row is None else _revealed(row)

    async def last_revealed(self, user_id: str) -> RevealedSeeds | None:
        statement = (
            select(RevealedSeedRow)
            .where(RevealedSeedRow.user_id == user_id)
            .order_by(RevealedSeedRow.revealed_at.desc(), RevealedSeedRow.created_at.desc())
            .limit(1)
        )
        row = (await self._db.execute(statement)).scalar_one_or_none()
        return None if row is None else _revealed(row)


def _record(row: GameHistoryRow) -> PlayRecord:
    return PlayRecord(
        id=row.id,
        user_id=row.user_id,
        game_type=GameType(row.game_type),
        action=row.action,
        bet=row.bet,
        payout=row.payout,
        delta_coins=row.delta_coins,
        delta_gems=row.delta_gems,
        won=row.won,
        created_at=row.created_at,
        result_meta=dict(row.result_meta or {}),
        fair=None
        if row.seed_pair_id is None or row.nonce is None
        else FairRef(row.seed_pair_id, row.nonce, row.config_version or 0),
    )


class SqlaPlayRepository:
    """Portable SQL (PostgreSQL and SQLite); `PgPlayRepository` replaces the hot path on PostgreSQL."""

    def __init__(self, session: AsyncSession, wallets: SqlaWalletRepository) -> None:
        self._db = session
        self._wallets = wallets

    async def settle(self, settlement: Settlement) -> int:
        balance_after = await self._wallets.settle_wager(settlement.wager(), settlement.play.created_at)
        await self.record(settlement.state, settlement.play, settlement.clock)
        return balance_after

    async def peek_play(
        self, user_id: str, game_type: GameType, parsed_versions: Collection[int] = ()
    ) -> PlayStart | None:
        """`begin_play` (locking as it does) for a player with a seed pair; None for one without."""
        seeds = await SqlaSeedRepository(self._db).active(user_id)
        return None if seeds is None else await self.begin_play(user_id, game_type, seeds, parsed_versions)

    async def begin_play(
        self, user_id: str, game_type: GameType, candidate: ActiveSeeds, parsed_versions: Collection[int] = ()
    ) -> PlayStart:
        """Always with the config (`parsed_versions` saves a round trip's payload only on the hot path)."""
        state = await self._lock_state(user_id, game_type)
        seeds = await SqlaSeedRepository(self._db).lock(candidate)
        config = await SqlaGameConfigRepository(self._db).get(game_type)
        limits = await SqlaLimitRepository(self._db).get(user_id)
        return PlayStart(state, config, seeds, limits, await SqlaPlayTimeRepository(self._db).lock(user_id))

    async def _lock_state(self, user_id: str, game_type: GameType) -> PlayerState:
        """One statement: create the state row if needed and lock it (the upsert's update takes the row lock)."""
        upsert = dialect_insert(self._db)(PlayerGameStateRow).values(
            user_id=user_id, game_type=game_type.value, streak=0, pity_counter=0, updated_at=func.now()
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[PlayerGameStateRow.user_id, PlayerGameStateRow.game_type],
            set_={"updated_at": upsert.excluded.updated_at},
        ).returning(PlayerGameStateRow.streak, PlayerGameStateRow.pity_counter)
        streak, pity_counter = (await self._db.execute(upsert)).one()
        return PlayerState(user_id, game_type, streak, pity_counter)

    async def record(self, state: PlayerState, play: PlayRecord, clock: PlayClock | None = None) -> None:
        if clock is not None:
            await SqlaPlayTimeRepository(self._db).save(clock)
        await self._db.execute(
            update(PlayerGameStateRow)
            .where(PlayerGameStateRow.user_id == state.user_id, PlayerGameStateRow.game_type == state.game_type.value)
            .values(streak=state.streak, pity_counter=state.pity_counter, updated_at=play.created_at)
        )
        await self._db.execute(
            insert(GameHistoryRow).values(
                id=play.id,
                user_id=play.user_id,
                game_type=play.game_type.value,
                action=play.action,
                bet=play.bet,
                payout=play.payout,
                delta_coins=play.delta_coins,
                delta_gems=play.delta_gems,
                won=play.won,
                result_meta=play.result_meta,
                created_at=play.created_at,
                seed_pair_id=None if play.fair is None else play.fair.pair_id,
                nonce=None if play.fair is None else play.fair.nonce,
                config_version=None if play.fair is None else play.fair.config_version,
            )
        )
        if play.fair is not None:
            await self._db.execute(
                update(FairnessSeedRow)
                .where(FairnessSeedRow.user_id == play.user_id, FairnessSeedRow.pair_id == play.fair.pair_id)
                .values(nonce=FairnessSeedRow.nonce + 1)
            )
        await self._add_to_stats(play)

    async def _add_to_stats(self, play: PlayRecord) -> None:
        won = 1 if play.won else 0
        upsert = dialect_insert(self._db)(GameStatsRow).values(
            user_id=play.user_id,
            game_type=play.game_type.value,
            play_count=1,
            win_count=won,
            net_coins=play.delta_coins,
            net_gems=play.delta_gems,
            updated_at=play.created_at,
        )
        excluded = upsert.excluded
        await self._db.execute(
            upsert.on_conflict_do_update(
                index_elements=[GameStatsRow.user_id, GameStatsRow.game_type],
                set_={
                    "play_count": GameStatsRow.play_count + 1,
                    "win_count": GameStatsRow.win_count + excluded.win_count,
                    "net_coins": GameStatsRow.net_coins + excluded.net_coins,
                    "net_gems": GameStatsRow.net_gems + excluded.net_gems,
                    "updated_at": excluded.updated_at,
                },
            )
        )

    async def history(self, query: HistoryQuery, limit: int, after: Position | None) -> Page[PlayRecord]:
        statement = select(GameHistoryRow).where(GameHistoryRow.user_id == query.user_id)
        if query.game_type:
            statement = statement.where(GameHistoryRow.game_type == query.game_type)
        if query.action:
            statement = statement.where(GameHistoryRow.action == query.action)
        if query.since:
            statement = statement.where(GameHistoryRow.created_at >= query.since)
        if query.until:
            statement = statement.where(GameHistoryRow.created_at <= query.until)
        statement = after_position(statement, GameHistoryRow.created_at, GameHistoryRow.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, _record, lambda row: Position(row.created_at, row.id))

    async def play(self, user_id: str, play_id: str) -> PlayRecord | None:
        statement = select(GameHistoryRow).where(GameHistoryRow.id == play_id, GameHistoryRow.user_id == user_id)
        row = (await self._db.execute(statement)).scalar_one_or_none()
        return None if row is None else _record(row)

    async def has_play(self, user_id: str, play_id: str) -> bool:
        statement = select(GameHistoryRow.id).where(GameHistoryRow.id == play_id, GameHistoryRow.user_id == user_id)
        return (await self._db.execute(statement)).first() is not None

    async def stats(self, user_id: str) -> list[GameStats]:
        rows = (await self._db.execute(select(GameStatsRow).where(GameStatsRow.user_id == user_id))).scalars()
        return [GameStats(row.game_type, row.play_count, row.win_count, row.net_coins, row.net_gems) for row in rows]

    async def state(self, user_id: str, game_type: GameType) -> PlayerState:
        row = await self._db.get(PlayerGameStateRow, (user_id, game_type.value))
        if row is None:
            return PlayerState(user_id, game_type)
        return PlayerState(user_id, game_type, row.streak, row.pity_counter)


class SqlaInventoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def add(self, user_id: str, items: Sequence[tuple[str, str, str]], now: datetime) -> None:
        if not items:
            return  # an INSERT without rows is not valid SQL
        # one row per distinct item: an upsert may not touch the same row twice in one statement
        counts = Counter(items)
        rows = [
            {
                "user_id": user_id,
                "item_id": item_id,
                "name": name,
                "rarity": rarity,
                "quantity": quantity,
                "first_acquired_at": now,
                "updated_at": now,
            }
            for (item_id, name, rarity), quantity in counts.items()
        ]
        upsert = dialect_insert(self._db)(InventoryItemRow).values(rows)
        await self._db.execute(
            upsert.on_conflict_do_update(
                index_elements=[InventoryItemRow.user_id, InventoryItemRow.item_id],
                set_={
                    "quantity": InventoryItemRow.quantity + upsert.excluded.quantity,
                    "updated_at": upsert.excluded.updated_at,
                },
            )
        )

    async def take(self, user_id: str, item_id: str, quantity: int = 1) -> bool:
        """`UPDATE … WHERE quantity >= :quantity`: the database decides; the row stays, at zero, for its history."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        statement = (
            update(InventoryItemRow)
            .where(InventoryItemRow.user_id == user_id, InventoryItemRow.item_id == item_id)
            .where(InventoryItemRow.quantity >= quantity)
            .values(quantity=InventoryItemRow.quantity - quantity, updated_at=func.now())
        )
        return bool((await self._db.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def list(self, user_id: str) -> list[InventoryItem]:
        statement = (
            select(InventoryItemRow)
            .where(InventoryItemRow.user_id == user_id, InventoryItemRow.quantity > 0)
            .order_by(InventoryItemRow.first_acquired_at.desc(), InventoryItemRow.item_id)
        )
        rows = (await self._db.execute(statement)).scalars()
        return [InventoryItem(r.item_id, r.name, r.rarity, r.quantity, r.first_acquired_at) for r in rows]

    async def count_by_rarity(self, user_id: str) -> dict[str, int]:
        statement = (
            select(InventoryItemRow.rarity, func.sum(InventoryItemRow.quantity))
            .where(InventoryItemRow.user_id == user_id, InventoryItemRow.quantity > 0)
            .group_by(InventoryItemRow.rarity)
        )
        return {rarity: int(total) for rarity, total in await self._db.execute(statement)}


class SqlaPlayScores:
    """Leaderboard scores recomputed from game history, for `rebuild-leaderboards`."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def scores_since(self, since: datetime | None) -> dict[str, dict[str, float]]:
        # a board's key is present only for players of its game: a net of zero still lists a slot player
        scores: dict[str, dict[str, float]] = defaultdict(dict)
        slot = select(
            GameHistoryRow.user_id,
            func.sum(GameHistoryRow.delta_coins),
            func.sum(case((GameHistoryRow.won, 1), else_=0)),
        ).where(GameHistoryRow.game_type == GameType.SLOT.value)
        gacha = select(GameHistoryRow.user_id, GameHistoryRow.result_meta).where(
            GameHistoryRow.game_type == GameType.GACHA.value
        )
        if since is not None:
            slot = slot.where(GameHistoryRow.created_at >= since)
            gacha = gacha.where(GameHistoryRow.created_at >= since)
        async with self._sessions() as session:
            for user_id, net_coins, wins in await session.execute(slot.group_by(GameHistoryRow.user_id)):
                scores[user_id]["net_coins"] = float(net_coins or 0)
                scores[user_id]["wins"] = float(wins or 0)
            async for user_id, meta in await session.stream(gacha.execution_options(yield_per=1000)):
                legendary = sum(1 for rarity in (meta or {}).get("rarities", []) if rarity == "Legendary")
                scores[user_id]["gacha_legendary"] = scores[user_id].get("gacha_legendary", 0.0) + legendary
        return dict(scores)
