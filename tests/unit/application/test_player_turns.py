"""A player's plain plays in one process take turns; other players' do not wait for them."""

from __future__ import annotations

import asyncio

import pytest

from src.application.games.turns import PlayerTurns

pytestmark = pytest.mark.asyncio


async def test_a_players_second_turn_starts_when_the_first_ends() -> None:
    turns, order = PlayerTurns(), []
    first_in, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with turns.of("p1"):
            order.append("first in")
            first_in.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with turns.of("p1"):
            order.append("second in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_in.wait()
    for _ in range(5):  # the second has had turns of the loop to get in, and must not have
        await asyncio.sleep(0)
    assert order == ["first in"]
    release.set()
    await asyncio.gather(*tasks)

    assert order == ["first in", "first out", "second in"]
    assert len(turns) == 0


async def test_other_players_turns_run_meanwhile() -> None:
    turns, release = PlayerTurns(), asyncio.Event()
    entered = []

    async def hold(player: str) -> None:
        async with turns.of(player):
            entered.append(player)
            await release.wait()

    tasks = [asyncio.create_task(hold(player)) for player in ("p1", "p2", "p3")]
    for _ in range(5):
        await asyncio.sleep(0)
    assert sorted(entered) == ["p1", "p2", "p3"]
    assert len(turns) == 3
    release.set()
    await asyncio.gather(*tasks)
    assert len(turns) == 0


async def test_a_turn_that_fails_or_is_cancelled_lets_the_next_in_and_leaves_nothing_behind() -> None:
    turns, release = PlayerTurns(), asyncio.Event()

    async def failing() -> None:
        async with turns.of("p1"):
            await release.wait()
            raise RuntimeError("the settlement failed")

    async def waiting_forever() -> None:
        async with turns.of("p1"):
            await asyncio.Event().wait()

    failed = asyncio.create_task(failing())
    cancelled = asyncio.create_task(waiting_forever())
    for _ in range(5):
        await asyncio.sleep(0)
    cancelled.cancel()  # gives up while waiting for its turn
    release.set()
    with pytest.raises(RuntimeError):
        await failed
    with pytest.raises(asyncio.CancelledError):
        await cancelled

    async with turns.of("p1"):
        assert len(turns) == 1
    assert len(turns) == 0
