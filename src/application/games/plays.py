"""Spins and pulls: odds from the stored config, draws from the player's seed pair, money through the ledger,
all in one transaction (the pair's nonce moves with the play's own writes).

A play made with an Idempotency-Key has an id derived from (player, key): run again (a concurrent repeat, or a
repeat after its record expired), it finds its own play and is refused as ALREADY_APPLIED instead of playing twice.
Given a `KeyRecorder`, a play writes its answer under the key in its own transaction, as its last write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from src.application.games.configs import gacha_of_start, slot_of_start
from src.application.games.deps import GamesDeps
from src.application.games.fairness import candidate
from src.application.games.ports import GamesUnitOfWork, PlayMoved, PlayStart, Settlement
from src.application.shared.idempotency import KeyRecorder
from src.application.wallet.ledger import record_balance_change
from src.domain.games.events import GachaPulled, SpinSettled
from src.domain.games.fairness import FairRef
from src.domain.games.gacha import PulledItem, Rarity, pull
from src.domain.games.play import GameType, PlayRecord
from src.domain.games.random import RandomSource
from src.domain.games.slot import SpinOutcome, spin
from src.domain.limits.events import RealityCheckDue
from src.domain.limits.model import LimitReached, check_restriction
from src.domain.limits.play_time import PlayClock, check_play_time
from src.domain.shared.events import DomainEvent
from src.domain.wallet.errors import AlreadyApplied
from src.domain.wallet.events import BalanceChanged
from src.domain.wallet.model import Currency, Movement

_PLAY_IDS = uuid.UUID("6a1d3c52-9f0e-4b7a-8c21-5e4f7d9b0a13")  # namespace of play ids derived from keys


def play_id_for(user_id: str, game_type: GameType, key: str | None, deps: GamesDeps) -> str:
    """Derived from (player, game, key) when a key is given, so a play run again finds itself; else random."""
    if key is None:
        return deps.ids.new_id()
    return str(uuid.uuid5(_PLAY_IDS, f"{user_id}:{game_type.value}:{key}"))


async def _refuse_if_played(uow: GamesUnitOfWork, user_id: str, play_id: str, key: str | None) -> None:
    """With the player's state locked, so a concurrent run of the same key waits and then sees the first."""
    if key is not None and await uow.plays.has_play(user_id, play_id):
        raise AlreadyApplied("this Idempotency-Key already played")


@dataclass(frozen=True)
class _Begun:
    start: PlayStart
    clock: PlayClock  # the player's play time with this play
    reality_check: bool  # due with this play


async def _begin(uow: GamesUnitOfWork, user_id: str, game_type: GameType, deps: GamesDeps, now: datetime) -> _Begun:
    """A player on a time-out, self-excluded or past today's play-time limit is refused before anything is drawn."""
    parsed = deps.parsed.slot if game_type is GameType.SLOT else deps.parsed.gacha
    start = await uow.plays.begin_play(user_id, game_type, candidate(user_id, deps), parsed.keys())
    limits = start.limits.settled(now)
    check_restriction(limits.restriction, now)
    try:
        check_play_time(limits.values["play_minutes_daily"], start.clock, now)
    except LimitReached:
        # the attempt shows the player was at play until now: that time is kept, so a pause gives none of it back
        await uow.play_time.save(start.clock.tick(now, None)[0])
        await uow.commit()
        raise
    clock, due = start.clock.tick(now, limits.values["reality_check_minutes"])
    return _Begun(start, clock, due)


async def _reality_check(uow: GamesUnitOfWork, begun: _Begun) -> None:
    """After the play's writes, so its coins count in the sitting's net."""
    clock = begun.clock
    if not begun.reality_check or clock.session_started_at is None or clock.last_play_at is None:
        return
    net_coins, spent_cents = await uow.play_time.session_totals(clock.user_id, clock.session_started_at)
    minutes = int((clock.last_play_at - clock.session_started_at).total_seconds()) // 60
    uow.record(
        RealityCheckDue(
            aggregate_id=clock.user_id,
            occurred_at=clock.last_play_at,
            session_started_at=clock.session_started_at,
            session_minutes=minutes,
            net_coins=net_coins,
            spent_cents=spent_cents,
        )
    )


def _draws(start: PlayStart, deps: GamesDeps) -> tuple[RandomSource, FairRef]:
    """The play's random source (its seed pair at its nonce) and the reference its proof is built from."""
    seeds = start.seeds
    server_seed = deps.vault.open(seeds.pair_id, seeds.sealed_server_seed)
    fair = FairRef(seeds.pair_id, seeds.nonce, start.config_version)
    return deps.draws(server_seed, seeds.client_seed, seeds.nonce), fair


@dataclass(frozen=True)
class SpinResult:
    spin_id: str
    reels: tuple[str, str, str]
    outcome: str
    multiplier: float
    payout: int
    streak: int
    balance_after: int


SETTLE_AT_ONCE_ATTEMPTS = 3  # draws of a plain spin whose player's other plays keep moving the nonce, then it queues


def _slot_settlement(
    user_id: str, bet: int, spin_id: str, now: datetime, start: PlayStart, clock: PlayClock, deps: GamesDeps
) -> tuple[Settlement, SpinOutcome]:
    """The spin drawn from the player's pair at its nonce, as the settlement that applies it."""
    config, state, (rng, fair) = slot_of_start(start, deps), start.state, _draws(start, deps)
    streak_before = state.streak
    outcome = spin(config, rng, bet, streak_before)  # validates the bet against the config's limits
    state.streak = outcome.streak
    meta = {"reels": list(outcome.reels), "outcome": outcome.outcome, "multiplier": outcome.multiplier}
    play = PlayRecord(
        id=spin_id,
        user_id=user_id,
        game_type=GameType.SLOT,
        action="spin",
        bet=bet,
        payout=outcome.payout,
        delta_coins=outcome.payout - bet,
        delta_gems=0,
        won=outcome.payout > 0,
        created_at=now,
        result_meta={**meta, "streak": outcome.streak, "bonus": outcome.bonus, "streak_before": streak_before},
        fair=fair,
    )
    settlement = Settlement(
        state=state,
        play=play,
        currency=Currency.COINS,
        stake=bet,
        payout=outcome.payout,
        stake_reason="slot_bet",
        payout_reason="slot_win",
        ref_type="spin",
        clock=clock,
    )
    return settlement, outcome


def _spin_events(settlement: Settlement, outcome: SpinOutcome, balance_after: int) -> list[DomainEvent]:
    play = settlement.play
    return [
        SpinSettled(
            aggregate_id=play.user_id,
            occurred_at=play.created_at,
            spin_id=play.id,
            bet=play.bet,
            payout=outcome.payout,
            outcome=outcome.outcome,
            streak=outcome.streak,
        ),
        BalanceChanged(
            aggregate_id=play.user_id,
            occurred_at=play.created_at,
            currency=Currency.COINS.value,
            delta=outcome.payout - play.bet,
            balance_after=balance_after,
            reason="slot_spin",
        ),
    ]


def _spin_result(settlement: Settlement, outcome: SpinOutcome, balance_after: int) -> SpinResult:
    reels, payout = outcome.reels, outcome.payout
    return SpinResult(
        settlement.play.id, reels, outcome.outcome, outcome.multiplier, payout, outcome.streak, balance_after
    )


def _settlement_at_once(
    user_id: str, bet: int, spin_id: str, now: datetime, start: PlayStart, deps: GamesDeps
) -> tuple[Settlement, SpinOutcome] | None:
    """The spin drawn from what the peek read; None when the usual transaction must decide: a play-time limit
    reached (the attempt's time is kept), a reality check due (it reads the sitting's totals after the play's
    writes)."""
    limits = start.limits.settled(now)
    check_restriction(limits.restriction, now)  # a refusal that writes nothing, as in `_begin`
    try:
        check_play_time(limits.values["play_minutes_daily"], start.clock, now)
    except LimitReached:
        return None
    clock, due = start.clock.tick(now, limits.values["reality_check_minutes"])
    if due:
        return None
    return _slot_settlement(user_id, bet, spin_id, now, start, clock, deps)


async def _spin_at_once(user_id: str, bet: int, spin_id: str, now: datetime, deps: GamesDeps) -> SpinResult | None:
    """A plain spin of a player who has played the slot before, settled with its events in one step where the
    store can (`PlaysAtOnce`: no unit of work, nothing held between the read and the settlement; PlayMoved when
    another play of theirs settled meanwhile; the player's plays in this process take turns, `PlayerTurns`), else in
    a unit of work that locks from its first read. None when the usual transaction must decide: a first spin (its
    seed pair is committed first), or `_settlement_at_once`'s."""
    if deps.at_once is not None:
        async with deps.turns.of(user_id):
            start = await deps.at_once.peek_play(user_id, GameType.SLOT, deps.parsed.slot.keys())
            drawn = None if start is None else _settlement_at_once(user_id, bet, spin_id, now, start, deps)
            if start is None or drawn is None:
                return None
            settlement, outcome = drawn
            events = _spin_events(settlement, outcome, 0)
            balance_after = await deps.at_once.settle_at_once(start, settlement, events)
        return _spin_result(settlement, outcome, balance_after)
    async with deps.uow_factory() as uow:
        start = await uow.plays.peek_play(user_id, GameType.SLOT, deps.parsed.slot.keys())
        drawn = None if start is None else _settlement_at_once(user_id, bet, spin_id, now, start, deps)
        if start is None or drawn is None:
            return None
        settlement, outcome = drawn
        balance_after = await uow.plays.settle(settlement)
        for event in _spin_events(settlement, outcome, balance_after):
            uow.record(event)
        await uow.commit()
    return _spin_result(settlement, outcome, balance_after)


async def place_spin(
    user_id: str, bet: int, deps: GamesDeps, key: str | None = None, recorder: KeyRecorder[SpinResult] | None = None
) -> SpinResult:
    """A keyed spin holds its key and looks for its own play in a transaction; a plain one settles at once where
    it can (`_spin_at_once`), a few draws at most, then queues as a keyed one does."""
    spin_id, now = play_id_for(user_id, GameType.SLOT, key, deps), deps.clock.now()
    if key is None and recorder is None:
        for _ in range(SETTLE_AT_ONCE_ATTEMPTS):
            try:
                result = await _spin_at_once(user_id, bet, spin_id, now, deps)
            except PlayMoved:
                continue
            if result is not None:
                return result
            break
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        begun = await _begin(uow, user_id, GameType.SLOT, deps, now)
        await _refuse_if_played(uow, user_id, spin_id, key)
        settlement, outcome = _slot_settlement(user_id, bet, spin_id, now, begun.start, begun.clock, deps)
        balance_after = await uow.plays.settle(settlement)
        await _reality_check(uow, begun)
        for event in _spin_events(settlement, outcome, balance_after):
            uow.record(event)
        result = _spin_result(settlement, outcome, balance_after)
        if recorder is not None:
            await recorder.record(uow.idempotency_records, result)
        await uow.commit()
    return result


@dataclass(frozen=True)
class PullResult:
    pull_id: str
    items: tuple[PulledItem, ...]
    cost: int
    pity_counter: int
    balance_after: int


async def pull_gacha(
    user_id: str, count: int, deps: GamesDeps, key: str | None = None, recorder: KeyRecorder[PullResult] | None = None
) -> PullResult:
    """Pity is the player's persisted counter; near misses change the show, never the items granted."""
    pull_id, now = play_id_for(user_id, GameType.GACHA, key, deps), deps.clock.now()
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        begun = await _begin(uow, user_id, GameType.GACHA, deps, now)
        start = begun.start
        await _refuse_if_played(uow, user_id, pull_id, key)
        config, state = gacha_of_start(start, deps), start.state
        cost = config.cost_of(count)  # validates count
        entry = await uow.wallets.debit(Movement(user_id, Currency.GEMS, cost, "gacha_pull", "pull", pull_id), now)
        (rng, fair), pity_before = _draws(start, deps), state.pity_counter
        outcome = pull(config, rng, count, pity_before)
        state.pity_counter = outcome.pity_counter
        await uow.inventory.add(user_id, [(item.item_id, item.name, item.rarity.value) for item in outcome.items], now)
        rarities = [item.rarity.value for item in outcome.items]
        play = PlayRecord(
            id=pull_id,
            user_id=user_id,
            game_type=GameType.GACHA,
            action="pull",
            bet=cost,
            payout=0,
            delta_coins=0,
            delta_gems=-cost,
            won=any(item.rarity.at_least(Rarity.EPIC) for item in outcome.items),
            created_at=now,
            result_meta={
                "items": [item.item_id for item in outcome.items],
                "rarities": rarities,
                "near_miss": [item.near_miss for item in outcome.items],
                "count": count,
                "pity_before": pity_before,
                "pity_counter": outcome.pity_counter,
            },
            fair=fair,
        )
        await uow.plays.record(state, play, begun.clock)
        await _reality_check(uow, begun)
        legendary = sum(1 for item in outcome.items if item.rarity is Rarity.LEGENDARY)
        uow.record(
            GachaPulled(
                aggregate_id=user_id,
                occurred_at=now,
                pull_id=pull_id,
                count=count,
                cost=cost,
                rarities=rarities,
                legendary_count=legendary,
            )
        )
        record_balance_change(uow, entry)
        result = PullResult(pull_id, outcome.items, cost, outcome.pity_counter, entry.balance_after)
        if recorder is not None:
            await recorder.record(uow.idempotency_records, result)
        await uow.commit()
    return result
