"""The counters of play as one consumer (`count_plays`: mission and achievement progress, VIP totals, battle pass XP,
season scores, one once-only key per event) on memory, SQLite and PostgreSQL: passes sharing players and events,
delivered concurrently and again, count every play once; a pass that dies before its commit leaves nothing, keys
included, and counts once when delivered again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from src.adapters.security.ids import SecretsIdGenerator
from src.application.engagement.battlepass import BattlePassDeps
from src.application.engagement.deps import EngagementDeps, MissionDeps
from src.application.engagement.missions import list_missions
from src.application.engagement.plays import PlaysDeps, count_plays
from src.application.engagement.ports import ProgressDelta
from src.application.engagement.seasons import SeasonDeps
from src.application.shared.outbox import OutboxMessage
from tests.contract.engagement.test_progress_pass import overlapping_passes
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user
from tests.support.clocks import FakeClock

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


class KilledBeforeCommit(RuntimeError):
    pass


def _deps(uow_factory: Any) -> PlaysDeps:
    clock, ids, zone = FakeClock(NOW), SecretsIdGenerator(), ZoneInfo("UTC")
    return PlaysDeps(
        uow_factory,
        SeasonDeps(uow_factory, clock, ids, zone),
        BattlePassDeps(uow_factory, clock, ids),
        MissionDeps(uow_factory, clock, zone, ids),
        EngagementDeps(uow_factory, clock, zone),
    )


def _killed_at_commit(uow_factory: UnitOfWorkFactory) -> Any:
    def make() -> Any:
        uow = uow_factory()

        async def commit() -> None:
            raise KilledBeforeCommit

        uow.commit = commit  # type: ignore[method-assign]
        return uow

    return make


def _spins(user_id: str, count: int) -> list[OutboxMessage]:
    payload = {"bet": 10, "payout": 0}
    return [OutboxMessage(0, uuid.uuid4().hex, "SpinSettled", "user", user_id, payload, NOW) for _ in range(count)]


async def _counts(uow_factory: UnitOfWorkFactory, deps: PlaysDeps, user_id: str) -> tuple[int, int]:
    """(daily_spins_20's progress, VIP activity points): the totals read by adding nothing, left uncommitted."""
    board = await list_missions(user_id, deps.missions)
    spins = next(view.progress for view in board.items if view.definition.mission_id == "daily_spins_20")
    async with uow_factory() as uow:
        [totals] = await uow.vip_progress.add(None, [ProgressDelta(uuid.uuid4().hex, user_id, 0, 0)], NOW)
    return spins, totals.activity_points


async def test_passes_sharing_players_and_events_delivered_concurrently_and_again_count_every_play_once(
    uow_factory: UnitOfWorkFactory,
) -> None:
    deps = _deps(uow_factory)
    players = [await given_user(uow_factory) for _ in range(3)]
    passes = overlapping_passes({player: _spins(player, 4) for player in players})

    await asyncio.gather(*(count_plays(messages, deps) for messages in passes))
    await count_plays(passes[0] + passes[0], deps)  # a pass delivered again (and an event twice in it)

    assert [await _counts(uow_factory, deps, player) for player in players] == [(4, 4)] * 3


async def test_a_pass_killed_before_its_commit_counts_nothing_then_once_when_delivered_again(
    uow_factory: UnitOfWorkFactory,
) -> None:
    deps = _deps(uow_factory)
    alice, bob = await given_user(uow_factory), await given_user(uow_factory)
    messages = _spins(alice, 2) + _spins(bob, 1)

    with pytest.raises(KilledBeforeCommit):
        await count_plays(messages, _deps(_killed_at_commit(uow_factory)))
    killed = [await _counts(uow_factory, deps, player) for player in (alice, bob)]
    await count_plays(messages, deps)
    await count_plays(messages + _spins(alice, 1), deps)  # again, with a play committed since

    assert killed == [(0, 0), (0, 0)]
    assert [await _counts(uow_factory, deps, player) for player in (alice, bob)] == [(3, 3), (1, 1)]
