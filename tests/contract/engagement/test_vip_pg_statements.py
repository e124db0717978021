"""The VIP upgrade consumer on PostgreSQL: a relay pass costs one statement when nobody crosses a threshold.

Before running totals, the consumer recomputed every player of a pass from the shop's and the games' summaries
(about nine round trips each: 100 players in a pass sent about 900 statements). Now a pass's events are added to
the running totals in one statement, and a player's tier is only read when their totals cross a tier they had not
earned yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.engagement.deps import EngagementDeps
from src.application.engagement.vip import upgrade_players
from src.application.shared.outbox import OutboxMessage
from tests.contract.wallet.conftest import given_user
from tests.support.clocks import FakeClock
from tests.support.round_trips import statements_sent

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
PLAYERS = 100


def _deps(database: SqlaDatabase) -> EngagementDeps:
    factory: Callable[[], SqlaUnitOfWork] = lambda: SqlaUnitOfWork(database.session_factory)  # noqa: E731
    return EngagementDeps(factory, FakeClock(NOW), UTC)


def _spins(user_id: str, count: int) -> list[OutboxMessage]:
    return [
        OutboxMessage(0, uuid.uuid4().hex, "SpinSettled", "user", user_id, {"bet": 10, "payout": 0}, NOW)
        for _ in range(count)
    ]


async def test_a_pass_of_100_players_below_any_threshold_is_one_statement(database: SqlaDatabase) -> None:
    deps = _deps(database)
    players = [await given_user(deps.uow_factory) for _ in range(PLAYERS)]  # type: ignore[arg-type]
    messages = [message for player in players for message in _spins(player, 2)]

    with statements_sent() as sent:
        raised = await upgrade_players(messages, deps)

    assert raised == []
    assert len(sent) == 1, sent
    assert sent[0].lstrip().startswith("WITH incoming AS")


async def test_a_crossing_reads_and_raises_only_that_player(database: SqlaDatabase) -> None:
    deps = _deps(database)
    climber, other = await given_user(deps.uow_factory), await given_user(deps.uow_factory)  # type: ignore[arg-type]
    await upgrade_players(_spins(climber, 199), deps)

    with statements_sent() as sent:
        raised = await upgrade_players(_spins(climber, 1) + _spins(other, 3), deps)

    assert raised == [climber]
    # totals, the earned tier, the user locked and raised, the AccountUpdated outbox row
    assert len(sent) == 5, sent
