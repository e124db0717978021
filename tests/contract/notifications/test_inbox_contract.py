"""Contract of the inbox, settings and push subscriptions: memory, SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from src.application.notifications.ports import InboxFilter, PushSubscription
from src.application.shared.pagination import decode_cursor
from src.domain.notifications.model import Notification, NotificationSettings, QuietHours
from tests.contract.wallet.conftest import UnitOfWorkFactory, given_user

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)


def _notification(user_id: str, minutes: int, kind: str = "reward") -> Notification:
    return Notification(str(uuid.uuid4()), user_id, kind, f"t{minutes}", "body", NOW + timedelta(minutes=minutes),
                        {"n": minutes})  # fmt: skip


async def _given_inbox(uow_factory: UnitOfWorkFactory, user_id: str, *notifications: Notification) -> None:
    async with uow_factory() as uow:
        await uow.notifications.add_many(list(notifications))
        await uow.commit()


async def test_the_inbox_is_newest_first_filtered_and_paged(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    other = await given_user(uow_factory)
    mine = [_notification(user, minute, "reward" if minute % 2 else "system") for minute in range(5)]
    await _given_inbox(uow_factory, user, *mine, _notification(other, 9))

    async with uow_factory() as sut:
        first = await sut.notifications.list_for_user(user, InboxFilter(), 3, None)
        rest = await sut.notifications.list_for_user(user, InboxFilter(), 3, decode_cursor(first.next_cursor))
        rewards = await sut.notifications.list_for_user(user, InboxFilter(type="reward"), 10, None)

    assert [n.title for n in first.items + rest.items] == ["t4", "t3", "t2", "t1", "t0"]
    assert rest.next_cursor is None
    assert [n.title for n in rewards.items] == ["t3", "t1"]
    assert first.items[0] == mine[4]
    async with uow_factory() as sut:
        assert await sut.notifications.get(mine[0].id) == mine[0]
        assert await sut.notifications.get(str(uuid.uuid4())) is None


async def test_read_one_counts_down_and_only_for_its_owner(uow_factory: UnitOfWorkFactory) -> None:
    user, other = await given_user(uow_factory), await given_user(uow_factory)
    first, second = _notification(user, 1), _notification(user, 2)
    await _given_inbox(uow_factory, user, first, second)

    async with uow_factory() as sut:
        assert await sut.notifications.mark_read(other, first.id, NOW) is None
        read = await sut.notifications.mark_read(user, first.id, NOW)
        again = await sut.notifications.mark_read(user, first.id, NOW + timedelta(hours=1))
        await sut.commit()
    async with uow_factory() as sut:
        unread = await sut.notifications.list_for_user(user, InboxFilter(unread_only=True), 10, None)
        count = await sut.notifications.unread_count(user)

    assert read is not None
    assert read.read_at == NOW
    assert again is not None
    assert again.read_at == NOW
    assert ([n.id for n in unread.items], count) == ([second.id], 1)


async def test_read_all_marks_every_unread_one(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    await _given_inbox(uow_factory, user, _notification(user, 1), _notification(user, 2))

    async with uow_factory() as sut:
        changed = await sut.notifications.mark_all_read(user, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        assert (changed, await sut.notifications.unread_count(user)) == (2, 0)
        assert await sut.notifications.mark_all_read(user, NOW) == 0


async def test_purge_deletes_only_what_is_older_than_the_cutoff(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    # decades back: PostgreSQL is shared with other tests, whose notifications must survive this purge
    old, new = _notification(user, -60 * 24 * 365 * 30), _notification(user, 0)
    await _given_inbox(uow_factory, user, old, new)

    async with uow_factory() as sut:
        purged = await sut.notifications.purge_before(NOW - timedelta(days=365 * 29), 1000)
        await sut.commit()
    async with uow_factory() as sut:
        left = await sut.notifications.list_for_user(user, InboxFilter(), 10, None)

    assert purged >= 1
    assert [n.id for n in left.items] == [new.id]


async def test_settings_are_stored_replaced_and_read_in_bulk(uow_factory: UnitOfWorkFactory) -> None:
    user, other = await given_user(uow_factory), await given_user(uow_factory)
    quiet = NotificationSettings(user, {"reward": False}, QuietHours(time(23, 0), time(8, 0)), False, True,
                                 "Europe/Berlin")  # fmt: skip
    async with uow_factory() as sut:
        assert await sut.notification_settings.get(user) is None
        await sut.notification_settings.save(quiet, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        await sut.notification_settings.save(NotificationSettings(other), NOW)
        await sut.notification_settings.save(NotificationSettings(user, email=True), NOW)
        await sut.commit()
    async with uow_factory() as sut:
        stored = await sut.notification_settings.get_many([user, other, "nobody"])

    assert set(stored) == {user, other}
    assert stored[user] == NotificationSettings(user, email=True)
    assert stored[user].types_enabled["reward"] is True


async def test_a_quiet_window_and_type_flags_read_back(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    quiet = NotificationSettings(user, {"reward": False}, QuietHours(time(23, 0), time(8, 0)), timezone="Asia/Tokyo")
    async with uow_factory() as sut:
        await sut.notification_settings.save(quiet, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        stored = await sut.notification_settings.get(user)

    assert stored is not None
    assert (stored.dnd, stored.timezone, stored.type_enabled("reward")) == (quiet.dnd, "Asia/Tokyo", False)


async def test_a_subscription_is_one_per_endpoint_and_moves_with_it(uow_factory: UnitOfWorkFactory) -> None:
    user, other = await given_user(uow_factory), await given_user(uow_factory)
    endpoint = f"https://push.example/{uuid.uuid4().hex}"
    async with uow_factory() as sut:
        await sut.push_subscriptions.upsert(PushSubscription(endpoint, user, "k1", "a1", NOW))
        await sut.commit()
    async with uow_factory() as sut:
        await sut.push_subscriptions.upsert(PushSubscription(endpoint, other, "k2", "a2", NOW))
        await sut.commit()
    async with uow_factory() as sut:
        assert await sut.push_subscriptions.for_user(user) == []
        assert await sut.push_subscriptions.for_user(other) == [PushSubscription(endpoint, other, "k2", "a2", NOW)]


@pytest.mark.parametrize("owner_only", [True, False])
async def test_delete_removes_the_endpoint_once(uow_factory: UnitOfWorkFactory, owner_only: bool) -> None:
    user, other = await given_user(uow_factory), await given_user(uow_factory)
    endpoint = f"https://push.example/{uuid.uuid4().hex}"
    async with uow_factory() as uow:
        await uow.push_subscriptions.upsert(PushSubscription(endpoint, user, "k", "a", NOW))
        await uow.commit()

    async with uow_factory() as sut:
        assert await sut.push_subscriptions.delete(endpoint, other) is False
        assert await sut.push_subscriptions.delete(endpoint, user if owner_only else None) is True
        assert await sut.push_subscriptions.delete(endpoint) is False
        await sut.commit()
    async with uow_factory() as sut:
        assert await sut.push_subscriptions.get(endpoint) is None


async def test_bulk_reads_find_stored_notifications_and_each_players_subscriptions(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user, other, bare = [await given_user(uow_factory) for _ in range(3)]
    stored = _notification(user, 1)
    await _given_inbox(uow_factory, user, stored)
    first, second, others = (PushSubscription(f"https://push.example/{uuid.uuid4().hex}", owner, "k", "a",
                                              NOW + timedelta(minutes=minute))
                             for owner, minute in ((user, 2), (user, 1), (other, 0)))  # fmt: skip
    async with uow_factory() as uow:
        for subscription in (first, second, others):
            await uow.push_subscriptions.upsert(subscription)
        await uow.commit()

    async with uow_factory() as sut:
        existing = await sut.notifications.existing([stored.id, str(uuid.uuid4())])
        nothing = await sut.notifications.existing([])
        subscriptions = await sut.push_subscriptions.for_users([user, other, bare])
        users = await sut.users.get_many([user, bare, str(uuid.uuid4())])

    assert (existing, nothing) == ({stored.id}, set())
    assert subscriptions == {user: [second, first], other: [others]}
    assert sorted(users) == sorted([user, bare])
    assert users[user] == await _user(uow_factory, user)


async def _user(uow_factory: UnitOfWorkFactory, user_id: str) -> object:
    async with uow_factory() as uow:
        return await uow.users.get(user_id)


async def test_add_new_stores_and_returns_only_the_ids_not_stored_yet(uow_factory: UnitOfWorkFactory) -> None:
    user = await given_user(uow_factory)
    stored, fresh = _notification(user, 1), _notification(user, 2)
    await _given_inbox(uow_factory, user, stored)

    async with uow_factory() as sut:
        added = await sut.notifications.add_new([replace(stored, title="again"), fresh])
        await sut.commit()

    async with uow_factory() as sut:
        inbox = await sut.notifications.list_for_user(user, InboxFilter(), 10, None)
    assert added == {fresh.id}
    assert [n.title for n in inbox.items] == ["t2", "t1"]
