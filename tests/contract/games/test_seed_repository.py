"""Contract of the seed pairs (memory, SQLite, PostgreSQL): one active pair per player, committed before any draw,
its nonce moved by each recorded play, rotated pairs kept revealed."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.application.games.ports import RevealedSeeds
from src.domain.games.fairness import FairRef
from src.domain.games.play import GameType, PlayRecord
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.contention import Hold, contend
from tests.support.fairness import candidate_for

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def _play(user_id: str, fair: FairRef) -> PlayRecord:
    return PlayRecord(
        id=str(uuid.uuid4()),
        user_id=user_id,
        game_type=GameType.SLOT,
        action="spin",
        bet=10,
        payout=0,
        delta_coins=-10,
        delta_gems=0,
        won=False,
        created_at=NOW,
        result_meta={"reels": ["a", "b", "c"], "outcome": "lose"},
        fair=fair,
    )


async def test_the_first_lock_stores_the_candidate_and_later_ones_keep_it(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    first, second = candidate_for(user_id), candidate_for(user_id)

    async with uow_factory() as sut:
        stored = await sut.seeds.lock(first)
        await sut.commit()
    async with uow_factory() as sut:
        again = await sut.seeds.lock(second)
        read = await sut.seeds.active(user_id)

    assert stored == again == read == first


async def test_a_recorded_play_moves_its_pairs_nonce_and_keeps_its_reference(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    plays = []
    for _ in range(3):
        async with uow_factory() as uow:
            start = await uow.plays.begin_play(user_id, GameType.SLOT, candidate_for(user_id))
            play = _play(user_id, FairRef(start.seeds.pair_id, start.seeds.nonce, 0))
            await uow.plays.record(start.state, play)
            await uow.commit()
        plays.append(play)

    async with uow_factory() as sut:
        active = await sut.seeds.active(user_id)
        found = await sut.plays.play(user_id, play.id)
        stranger = await sut.plays.play(str(uuid.uuid4()), play.id)

    assert active is not None
    assert active.nonce == 3
    assert [p.fair.nonce for p in plays if p.fair] == [0, 1, 2]
    assert found == play
    assert stranger is None


async def test_a_rotation_keeps_the_revealed_pair_and_the_newest_is_last(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    pairs = [candidate_for(user_id) for _ in range(3)]
    async with uow_factory() as uow:
        await uow.seeds.lock(pairs[0])
        await uow.commit()
    revealed = []
    for hours, (current, new) in enumerate(itertools.pairwise(pairs), start=1):
        shown = RevealedSeeds(
            current.pair_id,
            user_id,
            "f" * 64,
            current.server_seed_hash,
            current.client_seed,
            None,
            NOW,
            NOW + timedelta(hours=hours),
        )
        async with uow_factory() as uow:
            await uow.seeds.lock(candidate_for(user_id))
            await uow.seeds.replace(current, new, shown)
            await uow.commit()
        revealed.append(shown)

    async with uow_factory() as sut:
        active = await sut.seeds.active(user_id)
        last = await sut.seeds.last_revealed(user_id)
        first = await sut.seeds.revealed(pairs[0].pair_id)
        nobody = await sut.seeds.last_revealed(str(uuid.uuid4()))

    assert (active, last, first, nobody) == (pairs[2], revealed[1], revealed[0], None)


async def test_a_new_client_seed_replaces_the_pair_in_place(uow_factory: UnitOfWorkFactory) -> None:
    user_id = await given_user(uow_factory)
    current = candidate_for(user_id)
    async with uow_factory() as uow:
        await uow.seeds.lock(current)
        await uow.seeds.replace(current, replace(current, client_seed="mine"), None)
        await uow.commit()

    async with uow_factory() as sut:
        assert await sut.seeds.active(user_id) == replace(current, client_seed="mine")
        assert await sut.seeds.last_revealed(user_id) is None


async def test_concurrent_plays_of_one_player_draw_distinct_nonces(uow_factory: UnitOfWorkFactory) -> None:
    """The pair is locked from the start of a play to its commit, so no two plays read the same nonce."""
    user_id = await given_user(uow_factory)

    def play(game: GameType) -> Callable[[Hold], Awaitable[int]]:
        return lambda hold: _play_holding(uow_factory, user_id, game, hold)

    async def _play_holding(uow_factory: UnitOfWorkFactory, user_id: str, game: GameType, hold: Hold) -> int:
        async with uow_factory() as uow:
            start = await uow.plays.begin_play(user_id, game, candidate_for(user_id))
            await hold(uow)  # the pair stays locked until another play waits for it
            await uow.plays.record(
                start.state, replace(_play(user_id, FairRef(start.seeds.pair_id, start.seeds.nonce, 0)), game_type=game)
            )
            await uow.commit()
            return start.seeds.nonce

    nonces = await contend(*(play(GameType.SLOT if i % 2 else GameType.GACHA) for i in range(8)))

    assert sorted(nonces) == list(range(8))
