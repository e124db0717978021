"""Contract of the identity repositories and their unit of work: memory, SQLite and PostgreSQL behave the same.

Every test runs once per adapter (ids "memory", "sqlite", "postgres"). The PostgreSQL database is shared by
the whole test session, so every row gets a unique id/site_id/code (uuid4) and list/search tests only look
at the rows they wrote.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from src.application.identity.ports import RefreshOutcome, RefreshSpend, UserQuery
from src.application.shared.audit import AuditQuery
from src.application.shared.pagination import decode_cursor
from src.domain.identity.errors import NicknameTaken, SiteIdTaken
from src.domain.identity.events import UserSignedUp
from src.domain.identity.model import AccountStatus, InviteCode, Session, User
from src.domain.shared.audit import AuditEntry
from src.domain.shared.principal import Rank
from tests.contract.identity.conftest import ReadOutbox, UnitOfWorkFactory
from tests.support.contention import Hold, contend, until_waiting

pytestmark = pytest.mark.asyncio

NOW = datetime(2031, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def _id() -> str:
    return str(uuid.uuid4())


def _user(**overrides: object) -> User:
    key = uuid.uuid4().hex
    values: dict[str, object] = {
        "id": _id(),
        "site_id": f"u_{key[:20]}",
        "nickname": f"Nick{key[:12]}",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "created_at": NOW,
    }
    values.update(overrides)
    return User(**values)  # type: ignore[arg-type]


def _session(user_id: str, **overrides: object) -> Session:
    values: dict[str, object] = {
        "id": _id(),
        "user_id": user_id,
        "created_at": NOW - timedelta(hours=1),
        "last_used_at": NOW - timedelta(minutes=5),
        "expires_at": NOW + timedelta(days=30),
        "idle_expires_at": NOW + timedelta(days=7),
    }
    values.update(overrides)
    return Session(**values)  # type: ignore[arg-type]


def _audit(admin_id: str, action: str, created_at: datetime, **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "id": _id(),
        "admin_id": admin_id,
        "action": action,
        "target_type": "user",
        "target_id": _id(),
        "created_at": created_at,
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


async def _given_user(uow_factory: UnitOfWorkFactory) -> User:
    user = _user()
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def _given_invite(uow_factory: UnitOfWorkFactory, **overrides: object) -> InviteCode:
    values: dict[str, object] = {"code": uuid.uuid4().hex, "created_at": NOW - timedelta(days=1)}
    values.update(overrides)
    invite = InviteCode(**values)  # type: ignore[arg-type]
    async with uow_factory() as uow:
        await uow.invites.add(invite)
        await uow.commit()
    return invite


async def _given_refresh_token(uow_factory: UnitOfWorkFactory) -> tuple[str, str]:
    """A committed, unspent refresh token: (token hash, session id)."""
    user = await _given_user(uow_factory)
    session, token_hash = _session(user.id), uuid.uuid4().hex * 2
    async with uow_factory() as uow:
        await uow.sessions.add(session)
        await uow.sessions.add_refresh_token(token_hash, session.id, NOW)
        await uow.commit()
    return token_hash, session.id


# --- users ---------------------------------------------------------------------------------------------------------


async def test_a_committed_user_reads_back_equal_with_every_field(uow_factory: UnitOfWorkFactory) -> None:
    user = _user(
        created_at=datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=PLUS_TWO),
        rank=Rank.VIP,
        vip_tier=3,
        is_admin=True,
        status=AccountStatus.SUSPENDED,
        email="player@example.com",
        phone_number="+4915112345678",
        last_login_at=NOW,
        deleted_at=NOW + timedelta(seconds=1),
    )
    async with uow_factory() as sut:
        await sut.users.add(user)
        await sut.commit()

    async with uow_factory() as sut:
        by_id = await sut.users.get(user.id)
        by_site_id = await sut.users.by_site_id(user.site_id)

    assert by_id == user
    assert by_site_id == user
    assert by_id is not None
    assert type(by_id.rank) is Rank
    assert type(by_id.status) is AccountStatus
    assert by_id.created_at.utcoffset() is not None
    assert by_id.last_login_at is not None
    assert by_id.last_login_at.utcoffset() is not None


async def test_a_user_with_defaults_reads_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    user = _user()
    async with uow_factory() as sut:
        await sut.users.add(user)
        await sut.commit()

    async with uow_factory() as sut:
        stored = await sut.users.get(user.id)

    assert stored == user
    assert stored is not None
    assert stored.rank is Rank.STANDARD
    assert stored.status is AccountStatus.ACTIVE


async def test_unknown_user_reads_as_none(uow_factory: UnitOfWorkFactory) -> None:
    await _given_user(uow_factory)

    async with uow_factory() as sut:
        assert await sut.users.get(_id()) is None
        assert await sut.users.by_site_id(f"u_{uuid.uuid4().hex[:20]}") is None


async def test_update_stores_every_changed_field(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)
    changed = replace(
        user,
        nickname=f"Other{uuid.uuid4().hex[:12]}",
        rank=Rank.PREMIUM,
        vip_tier=2,
        status=AccountStatus.BANNED,
        email="new@example.com",
        last_login_at=datetime(2031, 1, 1, 9, 30, tzinfo=PLUS_TWO),
    )

    async with uow_factory() as sut:
        await sut.users.update(changed)
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.users.get(user.id) == changed
        assert await sut.users.by_site_id(user.site_id) == changed


async def test_mutating_a_returned_user_changes_nothing_without_update(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)

    async with uow_factory() as sut:
        loaded = await sut.users.get(user.id)
        assert loaded is not None
        loaded.rank, loaded.vip_tier = Rank.VIP, 9
        assert await sut.users.get(user.id) == user
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.users.get(user.id) == user


async def test_mutating_an_added_user_after_add_changes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    user = _user()
    original = replace(user)

    async with uow_factory() as sut:
        await sut.users.add(user)
        await sut.commit()
    user.nickname = "mutated"

    async with uow_factory() as sut:
        assert await sut.users.get(user.id) == original


@pytest.mark.parametrize("committed_first", [True, False], ids=["committed", "same-uow"])
async def test_a_taken_site_id_is_refused(uow_factory: UnitOfWorkFactory, committed_first: bool) -> None:
    first = _user()
    second = _user(site_id=first.site_id)

    async with uow_factory() as sut:
        await sut.users.add(first)
        if committed_first:
            await sut.commit()
        with pytest.raises(SiteIdTaken):
            await sut.users.add(second)


@pytest.mark.parametrize("committed_first", [True, False], ids=["committed", "same-uow"])
async def test_a_nickname_differing_only_in_case_is_refused(
    uow_factory: UnitOfWorkFactory, committed_first: bool
) -> None:
    first = _user(nickname=f"Ace{uuid.uuid4().hex[:12]}")
    second = _user(nickname=first.nickname.upper())

    async with uow_factory() as sut:
        await sut.users.add(first)
        if committed_first:
            await sut.commit()
        with pytest.raises(NicknameTaken):
            await sut.users.add(second)


async def test_a_refused_user_is_not_stored(uow_factory: UnitOfWorkFactory) -> None:
    first = await _given_user(uow_factory)
    second = _user(nickname=first.nickname.lower())

    async with uow_factory() as sut:
        with pytest.raises(NicknameTaken):
            await sut.users.add(second)

    async with uow_factory() as sut:
        assert await sut.users.get(second.id) is None
        assert await sut.users.get(first.id) == first


# --- VIP tier raises -----------------------------------------------------------------------------------------------


async def _stored_tier(uow_factory: UnitOfWorkFactory, user_id: str) -> int | None:
    async with uow_factory() as uow:
        user = await uow.users.get(user_id)
    return None if user is None else user.vip_tier


async def test_raise_vip_tier_raises_a_lower_tier_and_changes_nothing_else(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)

    async with uow_factory() as sut:
        raised = await sut.users.raise_vip_tier(user.id, 2)
        seen = await sut.users.get(user.id)
        await sut.commit()

    assert raised is True
    assert seen is not None
    assert seen.vip_tier == 2
    async with uow_factory() as sut:
        assert await sut.users.get(user.id) == replace(user, vip_tier=2)


@pytest.mark.parametrize("tier", [1, 3], ids=["lower", "equal"])
async def test_raise_vip_tier_never_lowers_nor_rewrites_a_tier(uow_factory: UnitOfWorkFactory, tier: int) -> None:
    user = _user(vip_tier=3)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()

    async with uow_factory() as sut:
        raised = await sut.users.raise_vip_tier(user.id, tier)
        await sut.commit()

    assert raised is False
    assert await _stored_tier(uow_factory, user.id) == 3


async def test_raise_vip_tier_of_an_unknown_user_is_false(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as sut:
        assert await sut.users.raise_vip_tier(_id(), 1) is False


async def test_a_rolled_back_raise_leaves_the_tier(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)

    async with uow_factory() as sut:
        assert await sut.users.raise_vip_tier(user.id, 4) is True

    assert await _stored_tier(uow_factory, user.id) == 0


def _raise_holding(uow_factory: UnitOfWorkFactory, user_id: str, tier: int) -> Callable[[Hold], Awaitable[bool]]:
    async def raise_tier(hold: Hold) -> bool:
        async with uow_factory() as sut:
            raised = await sut.users.raise_vip_tier(user_id, tier)
            await hold(sut)  # the transaction stays open until the other one waits for it
            await sut.commit()
            return raised

    return raise_tier


async def test_concurrent_raises_to_one_tier_let_exactly_one_win(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)

    outcomes = await contend(*(_raise_holding(uow_factory, user.id, 2) for _ in range(2)))

    assert sorted(outcomes) == [False, True]
    assert await _stored_tier(uow_factory, user.id) == 2


async def test_a_concurrent_lower_raise_never_lowers_the_higher_one(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)

    higher, _ = await contend(_raise_holding(uow_factory, user.id, 4), _raise_holding(uow_factory, user.id, 1))

    assert higher is True
    assert await _stored_tier(uow_factory, user.id) == 4


# --- transactions and the outbox -----------------------------------------------------------------------------------


async def test_uncommitted_changes_are_discarded_on_exit(uow_factory: UnitOfWorkFactory) -> None:
    user = _user()

    async with uow_factory() as sut:
        await sut.users.add(user)
        assert await sut.users.get(user.id) == user

    async with uow_factory() as sut:
        assert await sut.users.get(user.id) is None
        assert await sut.users.by_site_id(user.site_id) is None


async def test_rollback_discards_only_what_came_before_it(uow_factory: UnitOfWorkFactory) -> None:
    dropped, kept = _user(), _user()

    async with uow_factory() as sut:
        await sut.users.add(dropped)
        await sut.rollback()
        await sut.users.add(kept)
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.users.get(dropped.id) is None
        assert await sut.users.get(kept.id) == kept


async def test_an_exception_in_the_block_discards_the_changes(uow_factory: UnitOfWorkFactory) -> None:
    user = _user()

    async def add_then_fail() -> None:
        async with uow_factory() as sut:
            await sut.users.add(user)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    async with uow_factory() as sut:
        assert await sut.users.get(user.id) is None


async def test_a_recorded_event_reaches_the_outbox_on_commit(
    uow_factory: UnitOfWorkFactory, read_outbox: ReadOutbox
) -> None:
    user = _user()
    event = UserSignedUp(
        aggregate_id=user.id, occurred_at=NOW, site_id=user.site_id, nickname=user.nickname, invite_code="x"
    )

    async with uow_factory() as sut:
        await sut.users.add(user)
        sut.record(event)
        await sut.commit()

    assert await read_outbox(event.event_id) == [(event.event_id, "UserSignedUp", user.id)]


# SQLite starts every transaction with BEGIN IMMEDIATE (writers queue instead of failing), so a second
# transaction cannot even begin while the first is open there: these concurrent-reader checks apply to
# the engines that let a reader run beside an open writer.
@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_a_concurrent_reader_sees_neither_uncommitted_rows_nor_their_events(
    uow_factory: UnitOfWorkFactory, read_outbox: ReadOutbox
) -> None:
    user = _user()
    event = UserSignedUp(
        aggregate_id=user.id, occurred_at=NOW, site_id=user.site_id, nickname=user.nickname, invite_code="x"
    )

    async with uow_factory() as sut:
        await sut.users.add(user)
        sut.record(event)
        async with uow_factory() as other:
            assert await other.users.get(user.id) is None
        assert await read_outbox(event.event_id) == []
        await sut.commit()

    assert await read_outbox(event.event_id) == [(event.event_id, "UserSignedUp", user.id)]


async def test_a_recorded_event_is_dropped_without_commit(
    uow_factory: UnitOfWorkFactory, read_outbox: ReadOutbox
) -> None:
    user = _user()
    dropped_on_exit = UserSignedUp(
        aggregate_id=user.id, occurred_at=NOW, site_id=user.site_id, nickname=user.nickname, invite_code="x"
    )
    dropped_on_rollback = replace(dropped_on_exit, event_id=uuid.uuid4().hex)

    async with uow_factory() as sut:
        sut.record(dropped_on_exit)
    async with uow_factory() as sut:
        sut.record(dropped_on_rollback)
        await sut.rollback()
        await sut.commit()

    assert await read_outbox(dropped_on_exit.event_id) == []
    assert await read_outbox(dropped_on_rollback.event_id) == []


# --- invites -------------------------------------------------------------------------------------------------------


async def test_an_invite_reads_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    creator = await _given_user(uow_factory)
    invite = await _given_invite(
        uow_factory, expires_at=NOW + timedelta(days=3), max_uses=5, use_count=1, created_by=creator.id
    )

    async with uow_factory() as sut:
        assert await sut.invites.get(invite.code) == invite
        assert await sut.invites.get(uuid.uuid4().hex) is None


async def test_consume_takes_uses_until_max_uses(uow_factory: UnitOfWorkFactory) -> None:
    invite = await _given_invite(uow_factory, max_uses=2)

    async with uow_factory() as sut:
        assert await sut.invites.get(invite.code) == invite
        taken = [await sut.invites.consume(invite.code, NOW) for _ in range(3)]
        in_transaction = await sut.invites.get(invite.code)
        await sut.commit()

    assert taken == [True, True, False]
    assert in_transaction is not None
    assert in_transaction.use_count == 2
    async with uow_factory() as sut:
        stored = await sut.invites.get(invite.code)
        assert stored is not None
        assert stored.use_count == 2
        assert await sut.invites.consume(invite.code, NOW) is False


async def test_consume_without_max_uses_never_runs_out(uow_factory: UnitOfWorkFactory) -> None:
    invite = await _given_invite(uow_factory, max_uses=None, use_count=41)

    async with uow_factory() as sut:
        taken = [await sut.invites.consume(invite.code, NOW) for _ in range(3)]
        await sut.commit()

    assert taken == [True, True, True]
    async with uow_factory() as sut:
        stored = await sut.invites.get(invite.code)
        assert stored is not None
        assert stored.use_count == 44


async def test_consume_refuses_expired_and_unknown_codes(uow_factory: UnitOfWorkFactory) -> None:
    expired = await _given_invite(uow_factory, expires_at=NOW - timedelta(seconds=1))
    expiring_now = await _given_invite(uow_factory, expires_at=NOW)
    unexpired = await _given_invite(uow_factory, expires_at=NOW + timedelta(seconds=1))

    async with uow_factory() as sut:
        assert await sut.invites.consume(expired.code, NOW) is False
        assert await sut.invites.consume(expiring_now.code, NOW) is False
        assert await sut.invites.consume(uuid.uuid4().hex, NOW) is False
        assert await sut.invites.consume(unexpired.code, NOW) is True
        await sut.commit()

    async with uow_factory() as sut:
        stored = [await sut.invites.get(invite.code) for invite in (expired, expiring_now, unexpired)]
    assert [invite.use_count for invite in stored if invite is not None] == [0, 0, 1]


async def test_an_invite_added_in_the_same_unit_of_work_can_be_consumed(uow_factory: UnitOfWorkFactory) -> None:
    invite = InviteCode(code=uuid.uuid4().hex, created_at=NOW, max_uses=1)

    async with uow_factory() as sut:
        await sut.invites.add(invite)
        taken = [await sut.invites.consume(invite.code, NOW), await sut.invites.consume(invite.code, NOW)]
        await sut.commit()

    assert taken == [True, False]
    async with uow_factory() as sut:
        assert await sut.invites.get(invite.code) == replace(invite, use_count=1)


async def test_an_uncommitted_consume_gives_the_use_back(uow_factory: UnitOfWorkFactory) -> None:
    invite = await _given_invite(uow_factory, max_uses=1)

    async with uow_factory() as sut:
        assert await sut.invites.consume(invite.code, NOW) is True

    async with uow_factory() as sut:
        assert await sut.invites.get(invite.code) == invite
        assert await sut.invites.consume(invite.code, NOW) is True


async def test_concurrent_consumes_of_the_last_use_let_exactly_one_win(uow_factory: UnitOfWorkFactory) -> None:
    invite = await _given_invite(uow_factory, max_uses=1)

    async def sign_up(hold: Hold) -> bool:
        async with uow_factory() as sut:
            taken = await sut.invites.consume(invite.code, NOW)
            await hold(sut)  # the transaction stays open until the other one waits for it
            await sut.commit()
            return taken

    outcomes = await contend(sign_up, sign_up)

    assert sorted(outcomes) == [False, True]
    async with uow_factory() as sut:
        stored = await sut.invites.get(invite.code)
        assert stored is not None
        assert stored.use_count == 1


async def test_list_pages_through_invites_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    base = datetime(2029, 3, 4, 5, 6, 7, tzinfo=UTC)
    stamps = [base, base + timedelta(seconds=1), base + timedelta(seconds=1), base + timedelta(minutes=1)]
    mine = [await _given_invite(uow_factory, created_at=stamp) for stamp in stamps]
    expected = sorted(mine, key=lambda invite: (invite.created_at, invite.code), reverse=True)

    seen: list[InviteCode] = []
    cursor: str | None = None
    async with uow_factory() as sut:
        while True:
            page = await sut.invites.list(2, decode_cursor(cursor))
            assert 1 <= len(page.items) <= 2
            seen.extend(page.items)
            if page.next_cursor is None:
                break
            assert len(page.items) == 2
            cursor = page.next_cursor

    assert len({invite.code for invite in seen}) == len(seen)
    codes = {invite.code for invite in mine}
    assert [invite for invite in seen if invite.code in codes] == expected
    keys = [(invite.created_at, invite.code) for invite in seen]
    assert keys == sorted(keys, reverse=True)


# --- sessions and refresh tokens -----------------------------------------------------------------------------------


async def test_a_session_reads_back_equal_and_update_stores_changes(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)
    session = _session(user.id, device="Firefox on Linux", user_agent="Mozilla/5.0 (X11; Linux)", ip="203.0.113.7")

    async with uow_factory() as sut:
        await sut.sessions.add(session)
        await sut.commit()
    async with uow_factory() as sut:
        assert await sut.sessions.get(session.id) == session
        assert await sut.sessions.get(_id()) is None
        changed = replace(session)
        changed.touch(NOW.astimezone(PLUS_TWO), timedelta(days=2))
        changed.revoke(NOW + timedelta(seconds=5), "logout")
        await sut.sessions.update(changed)
        await sut.commit()

    async with uow_factory() as sut:
        assert await sut.sessions.get(session.id) == changed
    assert changed != session


async def test_list_active_returns_live_sessions_most_recently_used_first(uow_factory: UnitOfWorkFactory) -> None:
    user, other_user = await _given_user(uow_factory), await _given_user(uow_factory)
    older = _session(user.id, last_used_at=NOW - timedelta(hours=2))
    newer = _session(user.id, last_used_at=NOW - timedelta(minutes=1))
    hidden = [
        _session(user.id, revoked_at=NOW - timedelta(minutes=1), revoke_reason="logout"),
        _session(user.id, expires_at=NOW),
        _session(user.id, idle_expires_at=NOW),
        _session(user.id, expires_at=NOW - timedelta(days=1), idle_expires_at=NOW - timedelta(days=1)),
        _session(other_user.id),
    ]
    async with uow_factory() as sut:
        for session in (older, *hidden, newer):
            await sut.sessions.add(session)
        await sut.commit()

    async with uow_factory() as sut:
        active = await sut.sessions.list_active(user.id, NOW)

    assert active == [newer, older]


async def test_revoke_all_revokes_every_unrevoked_session_of_the_user(uow_factory: UnitOfWorkFactory) -> None:
    user, other_user = await _given_user(uow_factory), await _given_user(uow_factory)
    live = [_session(user.id), _session(user.id, expires_at=NOW - timedelta(days=1))]
    earlier = NOW - timedelta(days=1)
    already_revoked = _session(user.id, revoked_at=earlier, revoke_reason="logout")
    someone_else = _session(other_user.id)
    async with uow_factory() as sut:
        for session in (*live, already_revoked, someone_else):
            await sut.sessions.add(session)
        await sut.commit()

    async with uow_factory() as sut:
        revoked = await sut.sessions.revoke_all(user.id, NOW, "password_changed")
        again = await sut.sessions.revoke_all(user.id, NOW + timedelta(seconds=1), "again")
        await sut.commit()

    assert sorted(revoked) == sorted(session.id for session in live)
    assert again == []
    async with uow_factory() as sut:
        for session in live:
            assert await sut.sessions.get(session.id) == replace(
                session, revoked_at=NOW, revoke_reason="password_changed"
            )
        assert await sut.sessions.get(already_revoked.id) == already_revoked
        assert await sut.sessions.get(someone_else.id) == someone_else
        assert await sut.sessions.list_active(user.id, NOW) == []


async def test_a_refresh_token_is_spent_once_then_reported_as_already_spent(uow_factory: UnitOfWorkFactory) -> None:
    token_hash, session_id = await _given_refresh_token(uow_factory)

    async with uow_factory() as sut:
        first = await sut.sessions.spend_refresh_token(token_hash, NOW)
        second = await sut.sessions.spend_refresh_token(token_hash, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        later = await sut.sessions.spend_refresh_token(token_hash, NOW + timedelta(minutes=1))

    assert first == RefreshSpend(RefreshOutcome.ROTATED, session_id)
    assert second == RefreshSpend(RefreshOutcome.ALREADY_SPENT, session_id)
    assert later == RefreshSpend(RefreshOutcome.ALREADY_SPENT, session_id)


async def test_an_unknown_refresh_token_is_reported_unknown(uow_factory: UnitOfWorkFactory) -> None:
    await _given_refresh_token(uow_factory)

    async with uow_factory() as sut:
        spend = await sut.sessions.spend_refresh_token(uuid.uuid4().hex * 2, NOW)

    assert spend == RefreshSpend(RefreshOutcome.UNKNOWN, None)


async def test_a_refresh_token_added_in_the_same_unit_of_work_can_be_spent(uow_factory: UnitOfWorkFactory) -> None:
    user = await _given_user(uow_factory)
    session, token_hash = _session(user.id), uuid.uuid4().hex * 2

    async with uow_factory() as sut:
        await sut.sessions.add(session)
        await sut.sessions.add_refresh_token(token_hash, session.id, NOW)
        first = await sut.sessions.spend_refresh_token(token_hash, NOW)
        await sut.commit()
    async with uow_factory() as sut:
        later = await sut.sessions.spend_refresh_token(token_hash, NOW)

    assert first == RefreshSpend(RefreshOutcome.ROTATED, session.id)
    assert later == RefreshSpend(RefreshOutcome.ALREADY_SPENT, session.id)


async def test_an_uncommitted_spend_leaves_the_token_unspent(uow_factory: UnitOfWorkFactory) -> None:
    token_hash, session_id = await _given_refresh_token(uow_factory)

    async with uow_factory() as sut:
        assert (await sut.sessions.spend_refresh_token(token_hash, NOW)).outcome is RefreshOutcome.ROTATED

    async with uow_factory() as sut:
        spend = await sut.sessions.spend_refresh_token(token_hash, NOW)
    assert spend == RefreshSpend(RefreshOutcome.ROTATED, session_id)


async def test_concurrent_spends_of_one_refresh_token_rotate_exactly_once(uow_factory: UnitOfWorkFactory) -> None:
    token_hash, session_id = await _given_refresh_token(uow_factory)

    async def refresh(hold: Hold) -> RefreshSpend:
        async with uow_factory() as sut:
            spend = await sut.sessions.spend_refresh_token(token_hash, NOW)
            await hold(sut)  # the transaction stays open until the other one waits for it
            await sut.commit()
            return spend

    spends = await contend(refresh, refresh)

    assert sorted(spend.outcome.value for spend in spends) == ["already_spent", "rotated"]
    assert {spend.session_id for spend in spends} == {session_id}


# --- audit log -----------------------------------------------------------------------------------------------------


async def test_an_audit_entry_reads_back_equal(uow_factory: UnitOfWorkFactory) -> None:
    entry = _audit(
        _id(), "user.suspend", NOW.astimezone(PLUS_TWO), payload={"reason": "spam", "days": [1, 2]}, ip="::1"
    )

    async with uow_factory() as sut:
        await sut.audit.add(entry)
        await sut.commit()
    async with uow_factory() as sut:
        page = await sut.audit.search(AuditQuery(admin_id=entry.admin_id), 10, None)

    assert page.items == [entry]
    assert page.next_cursor is None


async def test_audit_search_filters_by_action_admin_and_inclusive_time_range(uow_factory: UnitOfWorkFactory) -> None:
    admin, other_admin = _id(), _id()
    action, other_action = f"act.{uuid.uuid4().hex}", f"act.{uuid.uuid4().hex}"
    t = [NOW + timedelta(minutes=minute) for minute in range(4)]
    entries = [
        _audit(admin, action, t[0]),
        _audit(admin, other_action, t[1]),
        _audit(other_admin, action, t[2]),
        _audit(admin, action, t[3]),
    ]
    async with uow_factory() as sut:
        for entry in entries:
            await sut.audit.add(entry)
        await sut.commit()

    async def ids(query: AuditQuery) -> list[str]:
        async with uow_factory() as sut:
            return [entry.id for entry in (await sut.audit.search(query, 50, None)).items]

    e = [entry.id for entry in entries]
    assert await ids(AuditQuery(admin_id=admin)) == [e[3], e[1], e[0]]
    assert await ids(AuditQuery(action=action)) == [e[3], e[2], e[0]]
    assert await ids(AuditQuery(action=action, admin_id=admin)) == [e[3], e[0]]
    assert await ids(AuditQuery(admin_id=admin, since=t[1], until=t[3])) == [e[3], e[1]]
    assert await ids(AuditQuery(action=action, since=t[0], until=t[2])) == [e[2], e[0]]
    assert await ids(AuditQuery(admin_id=other_admin, until=t[1])) == []
    assert await ids(AuditQuery(admin_id=_id())) == []


async def test_audit_search_pages_newest_first_without_duplicates(uow_factory: UnitOfWorkFactory) -> None:
    admin = _id()
    stamps = [NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1), NOW + timedelta(seconds=2), NOW]
    entries = [_audit(admin, "user.rank", stamp) for stamp in stamps]
    async with uow_factory() as sut:
        for entry in entries:
            await sut.audit.add(entry)
        await sut.commit()

    pages: list[list[AuditEntry]] = []
    cursor: str | None = None
    async with uow_factory() as sut:
        for _ in range(len(entries) + 1):  # bounded: a cursor that never ends fails the test
            page = await sut.audit.search(AuditQuery(admin_id=admin), 2, decode_cursor(cursor))
            pages.append(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break

    assert [len(items) for items in pages] == [2, 2, 1]
    expected = sorted(entries, key=lambda entry: (entry.created_at, entry.id), reverse=True)
    assert [entry for items in pages for entry in items] == expected


async def test_audit_search_gives_no_cursor_when_the_page_holds_the_last_entry(uow_factory: UnitOfWorkFactory) -> None:
    admin = _id()
    entries = [_audit(admin, "user.rank", NOW + timedelta(seconds=second)) for second in range(4)]
    async with uow_factory() as sut:
        for entry in entries:
            await sut.audit.add(entry)
        await sut.commit()

    async with uow_factory() as sut:
        everything = await sut.audit.search(AuditQuery(admin_id=admin), 4, None)
        first = await sut.audit.search(AuditQuery(admin_id=admin), 2, None)
        last = await sut.audit.search(AuditQuery(admin_id=admin), 2, decode_cursor(first.next_cursor))

    assert everything.items == entries[::-1]
    assert everything.next_cursor is None
    assert first.items == entries[:1:-1]
    assert first.next_cursor is not None
    assert last.items == entries[1::-1]
    assert last.next_cursor is None


# --- admin queries: user search, session history, audit by target ---------------------------------------------------


async def _given_users(uow_factory: UnitOfWorkFactory, *users: User) -> None:
    async with uow_factory() as uow:
        for user in users:
            await uow.users.add(user)
        await uow.commit()


async def _search_ids(uow_factory: UnitOfWorkFactory, query: UserQuery, limit: int = 50) -> list[str]:
    async with uow_factory() as sut:
        return [user.id for user in (await sut.users.search(query, limit, None)).items]


async def test_user_search_matches_an_id_or_part_of_a_site_id_or_nickname_in_any_case(
    uow_factory: UnitOfWorkFactory,
) -> None:
    token = uuid.uuid4().hex[:10]
    by_site_id = _user(site_id=f"s{token}x", created_at=NOW)
    by_nickname = _user(nickname=f"N{token.upper()}", created_at=NOW + timedelta(seconds=1))
    unrelated = _user(created_at=NOW + timedelta(seconds=2))
    await _given_users(uow_factory, by_site_id, by_nickname, unrelated)

    assert await _search_ids(uow_factory, UserQuery(text=token.upper())) == [by_nickname.id, by_site_id.id]
    assert await _search_ids(uow_factory, UserQuery(text=unrelated.id)) == [unrelated.id]
    assert await _search_ids(uow_factory, UserQuery(text=f"{token[:4]}%{token[5:]}")) == []  # % is no wildcard
    assert await _search_ids(uow_factory, UserQuery(text=f"s{token[:3]}_")) == []  # nor is _


async def test_user_search_filters_by_rank_status_and_deletion(uow_factory: UnitOfWorkFactory) -> None:
    token = uuid.uuid4().hex[:10]

    def mine(**fields: object) -> User:
        return _user(site_id=f"f{token}{uuid.uuid4().hex[:6]}", **fields)

    vip = mine(rank=Rank.VIP, created_at=NOW)
    suspended = mine(status=AccountStatus.SUSPENDED, created_at=NOW + timedelta(seconds=1))
    deleted = mine(deleted_at=NOW, created_at=NOW + timedelta(seconds=2))
    plain = mine(created_at=NOW + timedelta(seconds=3))
    await _given_users(uow_factory, vip, suspended, deleted, plain)

    assert await _search_ids(uow_factory, UserQuery(text=token)) == [plain.id, suspended.id, vip.id]
    assert await _search_ids(uow_factory, UserQuery(text=token, rank=Rank.VIP)) == [vip.id]
    assert await _search_ids(uow_factory, UserQuery(text=token, status=AccountStatus.SUSPENDED)) == [suspended.id]
    assert await _search_ids(uow_factory, UserQuery(text=token, deleted=True)) == [deleted.id]
    assert await _search_ids(uow_factory, UserQuery(text=token, rank=Rank.VIP, status=AccountStatus.BANNED)) == []


async def test_user_search_pages_newest_first_without_duplicates(uow_factory: UnitOfWorkFactory) -> None:
    token = uuid.uuid4().hex[:10]
    stamps = [NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1), NOW + timedelta(minutes=1), NOW]
    users = [_user(site_id=f"p{token}{n}", created_at=stamp) for n, stamp in enumerate(stamps)]
    await _given_users(uow_factory, *users)

    seen: list[User] = []
    cursor: str | None = None
    async with uow_factory() as sut:
        for _ in range(len(users) + 1):  # bounded: a cursor that never ends fails the test
            page = await sut.users.search(UserQuery(text=token), 2, decode_cursor(cursor))
            seen.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == sorted(users, key=lambda user: (user.created_at, user.id), reverse=True)


async def test_session_history_lists_every_session_of_the_user_newest_sign_in_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user, other_user = await _given_user(uow_factory), await _given_user(uow_factory)
    first = _session(user.id, created_at=NOW - timedelta(days=3))
    revoked = _session(
        user.id, created_at=NOW - timedelta(days=2), revoked_at=NOW - timedelta(days=1), revoke_reason="logout"
    )
    latest = _session(user.id, created_at=NOW - timedelta(hours=1))
    async with uow_factory() as sut:
        for session in (latest, first, revoked, _session(other_user.id)):
            await sut.sessions.add(session)
        await sut.commit()

    async with uow_factory() as sut:
        page = await sut.sessions.history(user.id, 2, None)
        rest = await sut.sessions.history(user.id, 2, decode_cursor(page.next_cursor))
    assert page.items == [latest, revoked]
    assert rest.items == [first]
    assert rest.next_cursor is None


async def test_audit_search_filters_by_target(uow_factory: UnitOfWorkFactory) -> None:
    target = _id()
    about = [_audit(_id(), "user.update", NOW, target_id=target), _audit(_id(), "user.delete", NOW, target_id=target)]
    async with uow_factory() as sut:
        for entry in (*about, _audit(_id(), "user.update", NOW)):
            await sut.audit.add(entry)
        await sut.commit()

    async with uow_factory() as sut:
        page = await sut.audit.search(AuditQuery(target_id=target), 10, None)
    assert sorted(entry.id for entry in page.items) == sorted(entry.id for entry in about)


async def test_a_locked_read_makes_a_concurrent_vip_raise_wait_and_keeps_both_changes(
    uow_factory: UnitOfWorkFactory,
) -> None:
    user = await _given_user(uow_factory)

    async def raise_to_two() -> bool:
        async with uow_factory() as uow:
            raised = await uow.users.raise_vip_tier(user.id, 2)
            await uow.commit()
            return raised

    async with uow_factory() as admin:
        locked = await admin.users.get_for_update(user.id)
        assert locked is not None
        raising = asyncio.create_task(raise_to_two())
        await until_waiting(admin)
        assert not raising.done()  # it waits for the admin's change
        locked.rank = Rank.VIP
        await admin.users.update(locked)
        await admin.commit()
    assert await raising

    async with uow_factory() as sut:
        stored = await sut.users.get(user.id)
    assert stored is not None
    assert (stored.rank, stored.vip_tier) == (Rank.VIP, 2)


# not SQLite: it has one writer at a time, whatever is locked
@pytest.mark.parametrize("uow_factory", ["memory", "postgres"], indirect=True)
async def test_a_locked_read_leaves_the_players_own_inserts_free(uow_factory: UnitOfWorkFactory) -> None:
    """A VIP upgrade or an admin change locks the user to write it; a row of the player's that refers to the user (a
    spin's history and ledger rows: a foreign-key check) must not wait for that transaction to end."""
    user = await _given_user(uow_factory)
    inserted_while_locked: list[bool] = []
    inserted = False

    async def locked_read(hold: Hold) -> None:
        async with uow_factory() as uow:
            assert await uow.users.get_for_update(user.id) is not None
            await hold(uow)  # until the other waits for a lock, or has ended
            inserted_while_locked.append(inserted)
            await uow.commit()

    async def own_insert(hold: Hold) -> None:
        nonlocal inserted
        async with uow_factory() as uow:
            await uow.sessions.add(_session(user.id))
            await uow.commit()
        inserted = True

    await contend(locked_read, own_insert)

    assert inserted_while_locked == [True]
