"""What the games use cases need from the world."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from src.application.identity.ports import HasUsers
from src.application.limits.ports import HasPlayTime
from src.application.shared.audit import Audited
from src.application.shared.idempotency import HasIdempotencyRecords
from src.application.shared.pagination import Page, Position
from src.application.wallet.ports import WalletUnitOfWork
from src.domain.games.play import GameStats, GameType, PlayerState, PlayRecord
from src.domain.limits.model import PlayerLimits
from src.domain.limits.play_time import PlayClock
from src.domain.shared.events import DomainEvent
from src.domain.wallet.model import Currency, Movement, Wager


@dataclass(frozen=True)
class StoredConfig:
    version: int
    data: dict[str, Any]


class GameConfigRepository(Protocol):
    async def get(self, game_type: GameType) -> StoredConfig | None: ...

    async def save(self, game_type: GameType, data: dict[str, Any], updated_by: str, now: datetime) -> int:
        """Store a new version (every version is kept); returns its number."""
        ...

    async def version(self, game_type: GameType, version: int) -> StoredConfig | None:
        """A version stored earlier (None: never stored)."""
        ...


@dataclass(frozen=True)
class HistoryQuery:
    user_id: str
    game_type: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Settlement:
    """A play's money and records, applied together: the stake is taken only if the balance covers it,
    the payout credited, both ledger rows written (referenced by the play id), then `record`'s writes."""

    state: PlayerState
    play: PlayRecord
    currency: Currency
    stake: int
    payout: int
    stake_reason: str
    payout_reason: str
    ref_type: str
    clock: PlayClock | None = None  # the player's play time after this play, saved with it

    def wager(self) -> Wager:
        """The money of the play, for the wallet: both ledger rows are referenced by the play id."""
        stake = Movement(self.play.user_id, self.currency, self.stake, self.stake_reason, self.ref_type, self.play.id)
        return Wager(stake, self.payout, self.payout_reason)


@dataclass(frozen=True)
class ActiveSeeds:
    """A player's seed pair in use: the server seed only sealed (encrypted), the nonce of the next play."""

    pair_id: str
    user_id: str
    sealed_server_seed: str
    server_seed_hash: str
    client_seed: str
    nonce: int
    created_at: datetime


@dataclass(frozen=True)
class RevealedSeeds:
    """A rotated pair: its server seed is public now; `last_nonce` is its last play's (None: never played)."""

    pair_id: str
    user_id: str
    server_seed: str
    server_seed_hash: str
    client_seed: str
    last_nonce: int | None
    created_at: datetime
    revealed_at: datetime


class SeedVault(Protocol):
    """Fresh server seeds, and the encryption that keeps them secret at rest until they are revealed."""

    def new_server_seed(self) -> str:
        """32 random bytes, as 64 hex characters (the text that keys the HMAC)."""
        ...

    def new_client_seed(self) -> str:
        """A random default client seed (printable ASCII)."""
        ...

    def seal(self, pair_id: str, server_seed: str) -> str: ...

    def open(self, pair_id: str, sealed: str) -> str:
        """The server seed; a seal made for another pair or under another key is refused (ValueError)."""
        ...


class SeedRepository(Protocol):
    async def lock(self, candidate: ActiveSeeds) -> ActiveSeeds:
        """The player's active pair, locked until the transaction ends; `candidate` is stored first if they have
        none (so a pair is committed before anything is drawn from it)."""
        ...

    async def active(self, user_id: str) -> ActiveSeeds | None: ...

    async def replace(self, current: ActiveSeeds, new: ActiveSeeds, revealed: RevealedSeeds | None) -> None:
        """Make `new` the player's active pair in place of `current` (locked), keeping `revealed` if given."""
        ...

    async def revealed(self, pair_id: str) -> RevealedSeeds | None: ...

    async def last_revealed(self, user_id: str) -> RevealedSeeds | None: ...


@dataclass(frozen=True)
class PlayStart:
    state: PlayerState
    config: StoredConfig | None
    seeds: ActiveSeeds
    limits: PlayerLimits  # as stored (pending changes not yet settled): restriction and play-time limits
    clock: PlayClock  # the player's active play time, locked with the state
    # the stored config's version when the caller had it parsed already: then `config` is None (not fetched)
    known_version: int | None = None

    @property
    def config_version(self) -> int:
        """0 names the built-in default (no version stored yet)."""
        if self.known_version is not None:
            return self.known_version
        return 0 if self.config is None else self.config.version


class PlayMoved(Exception):
    """The player's seed pair or play clock moved between `PlaysAtOnce.peek_play` and `settle_at_once` (another play
    of theirs settled meanwhile): nothing was written; read again and draw again."""


class PlayRepository(Protocol):
    async def peek_play(
        self, user_id: str, game_type: GameType, parsed_versions: Collection[int] = ()
    ) -> PlayStart | None:
        """What `begin_play` reads, for a player who has played this game before (their seed pair, state and play
        clock stored: None otherwise, and then `begin_play` it is), locked as `begin_play` locks, until the
        transaction ends. (A store that settles plays at once outside a unit of work does it in `PlaysAtOnce`.)"""
        ...

    async def begin_play(
        self, user_id: str, game_type: GameType, candidate: ActiveSeeds, parsed_versions: Collection[int] = ()
    ) -> PlayStart:
        """The player's state for this game and their seed pair (`candidate` if they had none), both locked until
        the transaction ends (plays of one player queue), the game's stored config (None: the built-in default),
        the player's limits and their play clock (locked too), in one step. A stored version among
        `parsed_versions` may come as `known_version` alone, without its config."""
        ...

    async def record(self, state: PlayerState, play: PlayRecord, clock: PlayClock | None = None) -> None:
        """Save the new state, append the history row and add the play to the stats; a play drawn from a seed
        pair (`play.fair`) moves that pair's nonce past it; `clock`, the player's play time, is saved with it."""
        ...

    async def settle(self, settlement: Settlement) -> int:
        """Apply the settlement atomically within the unit of work; returns the balance after.

        Raises InsufficientFunds (and changes nothing) when the balance does not cover the stake.
        """
        ...

    async def history(self, query: HistoryQuery, limit: int, after: Position | None) -> Page[PlayRecord]: ...

    async def play(self, user_id: str, play_id: str) -> PlayRecord | None:
        """One of the user's plays (another player's is None, as a missing one)."""
        ...

    async def has_play(self, user_id: str, play_id: str) -> bool:
        """Whether the play is in the user's history, committed by anyone (call it with the state locked)."""
        ...

    async def stats(self, user_id: str) -> list[GameStats]: ...

    async def state(self, user_id: str, game_type: GameType) -> PlayerState: ...


class PlaysAtOnce(Protocol):
    """Plain plays settled outside any unit of work, on a store that can (PostgreSQL): a read that locks nothing,
    then the settlement, its outbox rows and their commit as one atomic write guarded by what the read saw."""

    async def peek_play(
        self, user_id: str, game_type: GameType, parsed_versions: Collection[int] = ()
    ) -> PlayStart | None:
        """What `PlayRepository.begin_play` reads, for a player who has played this game before (None otherwise),
        without locking anything."""
        ...

    async def settle_at_once(self, start: PlayStart, settlement: Settlement, events: Sequence[DomainEvent]) -> int:
        """`PlayRepository.settle`, the outbox rows of `events` and the commit as one atomic write, applied only if
        the player's seed pair is still at the nonce and their play clock still as `start` (from `peek_play`) read
        them: PlayMoved otherwise, nothing written. A BalanceChanged of the settlement's player and currency among
        `events` is stored with the balance after (its own `balance_after` is not used). Returns the balance after,
        raises InsufficientFunds (nothing written) as `settle` does."""
        ...


@dataclass(frozen=True)
class InventoryItem:
    item_id: str
    name: str
    rarity: str
    quantity: int
    first_acquired_at: datetime


class InventoryRepository(Protocol):
    async def add(self, user_id: str, items: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Add (item_id, name, rarity) items, one unit each (duplicates stack)."""
        ...

    async def take(self, user_id: str, item_id: str, quantity: int = 1) -> bool:
        """Spend `quantity` units only if the player holds that many (decided by the store, so concurrent spends
        never go below zero); False, and nothing changed, otherwise. Spent-out items no longer list."""
        ...

    async def list(self, user_id: str) -> list[InventoryItem]:
        """Items held (quantity above zero), newest first."""
        ...

    async def count_by_rarity(self, user_id: str) -> dict[str, int]: ...


class HasInventory(Protocol):
    """The players' items, for a unit of work of any context that grants or spends them."""

    @property
    def inventory(self) -> InventoryRepository: ...


class GamesUnitOfWork(WalletUnitOfWork, HasInventory, HasUsers, HasPlayTime, Audited, HasIdempotencyRecords, Protocol):
    """Plays settle through the wallet and record their Idempotency-Key; boards read nicknames; odds changes
    are audited."""

    @property
    def game_configs(self) -> GameConfigRepository: ...

    @property
    def plays(self) -> PlayRepository: ...

    @property
    def seeds(self) -> SeedRepository: ...
