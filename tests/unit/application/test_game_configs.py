"""Admin odds updates at the use-case level: validated, stored as a new version, read by the next play."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.application.games import configs
from src.application.games.deps import GamesDeps
from src.application.shared.commands import ClientInfo
from src.domain.games.slot import DEFAULT_SLOT_CONFIG
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Principal, Rank
from tests.support.clocks import FakeClock
from tests.support.fairness import TEST_VAULT

ADMIN = Principal(user_id="admin-1", session_id="s", rank=Rank.STANDARD, is_admin=True)


def _deps(store: InMemoryStore, slot_max_bet: int) -> GamesDeps:
    return GamesDeps(
        lambda: InMemoryUnitOfWork(store),
        FakeClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
        SecretsIdGenerator(),
        TEST_VAULT,
        InMemoryLeaderboard(),
        slot_max_bet=slot_max_bet,
    )


def _slot_data(**overrides: Any) -> dict[str, Any]:
    data = DEFAULT_SLOT_CONFIG.to_dict()
    data.pop("max_bet", None)
    return {**data, **overrides}


async def test_the_default_machine_uses_the_operators_max_bet() -> None:
    sut = _deps(InMemoryStore(), slot_max_bet=2500)

    view = await configs.get_slot_view(sut)

    assert view.config.max_bet == 2500


async def test_an_update_without_max_bet_keeps_the_operators_max_bet() -> None:
    store = InMemoryStore()
    sut = _deps(store, slot_max_bet=2500)

    await configs.update_slot_config(configs.UpdateGameConfig(ADMIN, ClientInfo(), _slot_data(min_bet=5)), sut)
    view = await configs.get_slot_view(sut)

    assert (view.config.min_bet, view.config.max_bet) == (5, 2500)


async def test_an_invalid_update_changes_nothing_and_names_the_field() -> None:
    store = InMemoryStore()
    sut = _deps(store, slot_max_bet=2500)

    with pytest.raises(InvalidInput) as refused:
        await configs.update_slot_config(configs.UpdateGameConfig(ADMIN, ClientInfo(), _slot_data(min_bet=0)), sut)

    assert "min_bet" in str(refused.value.details)
    assert (await configs.get_slot_view(sut)).config.min_bet == DEFAULT_SLOT_CONFIG.min_bet
