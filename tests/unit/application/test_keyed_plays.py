"""Plays whose Idempotency-Key is recorded in their own transaction (`run_in_work`), on the in-memory adapters:
same key and request → the first answer, another request → refused, at once → one play, a refusal remembered."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest

from src.adapters.memory.idempotency import InMemoryIdempotencyStore
from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.games.deps import GamesDeps
from src.application.games.plays import PullResult, SpinResult, place_spin, pull_gacha
from src.application.shared.idempotency import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyPolicy,
    IdempotencyScope,
    KeyRecorder,
    StoredResponse,
    run_in_work,
)
from src.domain.shared.errors import DomainError
from src.domain.wallet.model import Currency, Movement
from tests.support.clocks import FakeClock
from tests.support.fairness import TEST_VAULT
from tests.unit.domain.games.fakes import ConstantRandom

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
POLICY = IdempotencyPolicy()
SPIN_ROUTE = "POST /api/games/slot/spin"


class Sut:
    """Spins and pulls as the HTTP layer runs them with a key: refusals answered, not raised."""

    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.clock = FakeClock(NOW)
        self.keys = InMemoryIdempotencyStore(self.store.idempotency_tables, self.store.row_locks)
        self.deps = GamesDeps(
            lambda: InMemoryUnitOfWork(self.store),
            self.clock,
            SecretsIdGenerator(),
            TEST_VAULT,
            InMemoryLeaderboard(),
            draws=lambda *_: ConstantRandom(0.5),
        )

    async def spin(self, user_id: str, key: str, bet: int) -> tuple[StoredResponse, bool]:
        def answer(result: SpinResult) -> StoredResponse:
            return StoredResponse(
                200, json.dumps({"spin_id": result.spin_id, "balance": result.balance_after}).encode()
            )

        async def operation(recorder: KeyRecorder[SpinResult] | None) -> StoredResponse:
            try:
                result = await place_spin(user_id, bet, self.deps, key, recorder)
            except DomainError as refusal:
                return StoredResponse(409, refusal.code.encode())
            return (recorder.recorded if recorder else None) or answer(result)

        scope = IdempotencyScope(user_id, SPIN_ROUTE, key)
        return await run_in_work(self.keys, self.clock, POLICY, scope, f"bet={bet}", answer, operation)

    async def pull(self, user_id: str, key: str) -> tuple[StoredResponse, bool]:
        def answer(result: PullResult) -> StoredResponse:
            return StoredResponse(
                200, json.dumps({"pull_id": result.pull_id, "balance": result.balance_after}).encode()
            )

        async def operation(recorder: KeyRecorder[PullResult] | None) -> StoredResponse:
            try:
                result = await pull_gacha(user_id, 1, self.deps, key, recorder)
            except DomainError as refusal:
                return StoredResponse(409, refusal.code.encode())
            return (recorder.recorded if recorder else None) or answer(result)

        scope = IdempotencyScope(user_id, "POST /api/games/gacha/pull", key)
        return await run_in_work(self.keys, self.clock, POLICY, scope, "count=1", answer, operation)

    async def player(self, coins: int = 0, gems: int = 0) -> str:
        user_id = str(uuid.uuid4())
        await self.credit(user_id, Currency.COINS, coins)
        await self.credit(user_id, Currency.GEMS, gems)
        return user_id

    async def credit(self, user_id: str, currency: Currency, amount: int) -> None:
        async with InMemoryUnitOfWork(self.store) as uow:
            if amount:
                await uow.wallets.credit(Movement(user_id, currency, amount, "seed", ref_id=uuid.uuid4().hex), NOW)
            await uow.commit()

    async def debits(self, user_id: str, reason: str) -> int:
        async with InMemoryUnitOfWork(self.store) as uow:
            page = await uow.wallets.ledger(user_id, 100, None)
        return sum(1 for entry in page.items if entry.reason == reason)


@pytest.fixture
def sut() -> Sut:
    return Sut()


async def test_a_keyed_spin_repeated_replays_its_answer_and_bets_once(sut: Sut) -> None:
    user_id, key = await sut.player(coins=1000), uuid.uuid4().hex

    first, replayed_first = await sut.spin(user_id, key, bet=100)
    again, replayed_again = await sut.spin(user_id, key, bet=100)

    assert (first.status_code, replayed_first) == (200, False)
    assert (again, replayed_again) == (first, True)
    assert await sut.debits(user_id, "slot_bet") == 1


async def test_a_keyed_spin_with_another_bet_is_refused_and_bets_nothing_more(sut: Sut) -> None:
    user_id, key = await sut.player(coins=1000), uuid.uuid4().hex
    await sut.spin(user_id, key, bet=100)

    with pytest.raises(IdempotencyKeyReused):
        await sut.spin(user_id, key, bet=50)

    assert await sut.debits(user_id, "slot_bet") == 1


@pytest.mark.parametrize("same_request", [True, False], ids=["same-bet", "other-bet"])
async def test_keyed_spins_at_once_bet_once(sut: Sut, same_request: bool) -> None:
    user_id, key = await sut.player(coins=1000), uuid.uuid4().hex
    bets = [100] * 4 if same_request else [100, 50, 100, 50]

    outcomes = await asyncio.gather(*(sut.spin(user_id, key, bet) for bet in bets), return_exceptions=True)

    answers = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    assert len({response for response, _ in answers}) == 1
    assert [replayed for _, replayed in answers].count(False) == 1
    assert all(isinstance(outcome, IdempotencyKeyReused) for outcome in outcomes if outcome not in answers)
    assert await sut.debits(user_id, "slot_bet") == 1


async def test_keyed_pulls_at_once_pull_once(sut: Sut) -> None:
    user_id, key = await sut.player(gems=1000), uuid.uuid4().hex

    outcomes = await asyncio.gather(*(sut.pull(user_id, key) for _ in range(4)))

    assert len({response for response, _ in outcomes}) == 1
    assert sorted(replayed for _, replayed in outcomes) == [False, True, True, True]
    assert await sut.debits(user_id, "gacha_pull") == 1


async def test_a_refused_spin_is_remembered_under_its_key(sut: Sut) -> None:
    user_id, key = await sut.player(coins=50), uuid.uuid4().hex

    refused, _ = await sut.spin(user_id, key, bet=100)
    await sut.credit(user_id, Currency.COINS, 1000)
    again, replayed = await sut.spin(user_id, key, bet=100)

    assert refused == StoredResponse(409, b"INSUFFICIENT_FUNDS")
    assert (again, replayed) == (refused, True)
    assert await sut.debits(user_id, "slot_bet") == 0


async def test_a_key_claimed_by_a_request_still_running_rolls_the_spin_back(sut: Sut) -> None:
    user_id, key = await sut.player(coins=1000), uuid.uuid4().hex
    scope = IdempotencyScope(user_id, SPIN_ROUTE, key)
    await sut.keys.begin(scope, "bet=100", NOW, NOW + POLICY.retention, NOW - POLICY.in_flight_timeout)

    with pytest.raises(IdempotencyInProgress):
        await sut.spin(user_id, key, bet=100)

    assert await sut.debits(user_id, "slot_bet") == 0
