"""Two deliveries of the same events at once on PostgreSQL (relay passes overlapping: a lock that lapsed, two relays
on one database): events are delivered at least once, so both succeed and the notice is kept, pushed to the sockets
and emailed once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla.repositories.notifications import SqlaNotificationRepository
from src.application.notifications import reactions
from src.application.notifications.deps import EMAIL_JOB, NotificationConfig, NotificationDeps
from src.application.notifications.ports import InboxFilter
from src.application.shared.outbox import OutboxMessage
from tests.contract.wallet.conftest import given_user, open_adapter
from tests.support.clocks import FakeClock
from tests.unit.application.shop_payments_support import RecordingJobs

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)


async def test_two_deliveries_of_a_reward_at_once_both_succeed_and_notify_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> None:
    both_checked = asyncio.Barrier(2)
    checked = SqlaNotificationRepository.existing

    async def existing_then_wait(repository: SqlaNotificationRepository, ids: Sequence[str]) -> set[str]:
        found = await checked(repository, ids)
        await both_checked.wait()  # neither sees the other's row: both go on to insert it
        return found

    monkeypatch.setattr(SqlaNotificationRepository, "existing", existing_then_wait)
    async with open_adapter("postgres", sqlite_template, tmp_path, pg_url) as adapter:
        player = await given_user(adapter.uow_factory)
        async with adapter.uow_factory() as uow:
            user = await uow.users.get(player)
            assert user is not None
            await uow.users.update(replace(user, email=f"{player[:8]}@example.test"))  # to be emailed its notice
            await uow.commit()
        jobs = RecordingJobs()
        deps = NotificationDeps(adapter.uow_factory, FakeClock(NOW), SecretsIdGenerator(), InMemoryCache(), jobs,
                                None, None, NotificationConfig())  # type: ignore[arg-type]  # fmt: skip
        payload: dict[str, Any] = {"currency": "COINS", "amount": 5, "source": "daily_bonus", "granted_by": None}
        granted = OutboxMessage(1, uuid.uuid4().hex, "RewardGranted", "user", player, payload, NOW)

        reached = await asyncio.wait_for(
            asyncio.gather(*(reactions.notify_rewards([granted], deps) for _ in range(2))), timeout=30
        )

        async with adapter.uow_factory() as uow:
            inbox = await uow.notifications.list_for_user(player, InboxFilter(), 10, None)
        outbox = await adapter.outbox.unpublished(100_000)
    created = [m for m in outbox if m.event_type == "NotificationCreated" and m.aggregate_id == player]
    assert sorted(reached) == [0, 1]
    assert [n.title for n in inbox.items] == ["You received 5 coins"]
    assert [m.payload["notification_id"] for m in created] == [inbox.items[0].id]
    assert [job for job, _ in jobs.enqueued if job == EMAIL_JOB] == [EMAIL_JOB]
