"""The SQL personal-data store and privacy requests on SQLite (the embedded default) and PostgreSQL: a player's
rows are found by every registry rule (own rows, events naming them, admin actions naming them), erasure deletes
and pseudonymizes them, and nobody else's rows change."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.domain.identity.events import UserSignedUp
from src.domain.identity.model import Session, User
from src.domain.privacy.model import ERASED, PrivacyRequest, RequestKind, RequestStatus
from src.domain.shared.audit import AuditEntry

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
Factory = Callable[[], SqlaUnitOfWork]


@pytest.fixture(scope="session")
def sqlite_template(session_tmp: Path) -> Path:
    path = session_tmp / "privacy-contract-template.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
async def uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str
) -> AsyncIterator[Factory]:
    url = pg_url
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "x.db")
        url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    database = SqlaDatabase(url)
    try:
        yield lambda: SqlaUnitOfWork(database.session_factory)
    finally:
        await database.dispose()


async def _player(uow_factory: Factory, nickname: str) -> User:
    tag = uuid.uuid4().hex[:10]
    user = User(str(uuid.uuid4()), f"site_{tag}", f"{nickname} {tag}", "hash", NOW, email=f"{tag}@example.org")
    session = Session(uuid.uuid4().hex, user.id, NOW, NOW, NOW + timedelta(days=1), NOW + timedelta(days=1),
                      user_agent=f"Agent/{tag}", ip="10.9.8.7")  # fmt: skip
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.sessions.add(session)
        uow.record(UserSignedUp(aggregate_id=user.id, occurred_at=NOW, site_id=user.site_id, nickname=user.nickname,
                                invite_code="5858"))  # fmt: skip
        payload = {"user_id": user.id, "source": f"sorry {user.nickname}"}
        await uow.audit.add(AuditEntry(uuid.uuid4().hex, "admin-1", "reward.grant", "reward", "r1", NOW, payload))
        await uow.commit()
    return user


async def test_rows_of_finds_the_players_own_rows_events_and_admin_actions_naming_them(uow_factory: Factory) -> None:
    player, other = await _player(uow_factory, "Ann"), await _player(uow_factory, "Bob")

    async with uow_factory() as uow:
        users = await uow.personal_data.rows_of(player.id, "users")
        sessions = await uow.personal_data.rows_of(player.id, "auth_sessions")
        events = await uow.personal_data.rows_of(player.id, "outbox")
        audit = await uow.personal_data.rows_of(player.id, "audit_logs")

    assert [(row["id"], row["password_hash"]) for row in users] == [(player.id, "[redacted]")]
    assert [row["user_agent"] for row in sessions] == [f"Agent/{player.site_id.removeprefix('site_')}"]
    assert [row["payload"]["nickname"] for row in events] == [player.nickname]
    assert [row["payload"]["user_id"] for row in audit] == [player.id]
    assert other.id not in str([users, sessions, events, audit])


async def test_erase_deletes_pseudonymizes_and_leaves_the_others_alone(uow_factory: Factory) -> None:
    player, other = await _player(uow_factory, "Cid"), await _player(uow_factory, "Dee")

    async with uow_factory() as uow:
        personal = await uow.personal_data.personal_values(player.id)
        assert personal is not None
        summary = await uow.personal_data.erase(player.id, personal)
        await uow.commit()

    async with uow_factory() as uow:
        account = (await uow.personal_data.rows_of(player.id, "users"))[0]
        sessions = await uow.personal_data.rows_of(player.id, "auth_sessions")
        events = await uow.personal_data.rows_of(player.id, "outbox")
        audit = await uow.personal_data.rows_of(player.id, "audit_logs")
        untouched = await uow.personal_data.rows_of(other.id, "outbox")
    assert (account["site_id"].startswith("erased-"), account["email"], account["nickname"]) == (
        True,
        None,
        "erased player",
    )
    assert sessions == []
    assert summary["auth_sessions"] == {"deleted": 1}
    assert [(row["payload"]["site_id"], row["payload"]["nickname"]) for row in events] == [(ERASED, ERASED)]
    assert audit[0]["payload"]["source"] == f"sorry {ERASED}"
    assert untouched[0]["payload"]["nickname"] == other.nickname


async def test_requests_open_one_per_kind_archive_and_list_newest_first(uow_factory: Factory) -> None:
    player = await _player(uow_factory, "Eve")
    export = PrivacyRequest(uuid.uuid4().hex, player.id, RequestKind.EXPORT, NOW, NOW)
    erasure = PrivacyRequest(uuid.uuid4().hex, player.id, RequestKind.ERASURE, NOW + timedelta(seconds=1), NOW)

    async with uow_factory() as uow:
        await uow.privacy_requests.add(export)
        await uow.privacy_requests.add(erasure)
        await uow.privacy_requests.store_archive(export.id, b"\x1f\x8b archive")
        export.export_ready(10, NOW, NOW + timedelta(hours=1))
        await uow.privacy_requests.update(export)
        await uow.commit()

    async with uow_factory() as uow:
        open_export = await uow.privacy_requests.open_of(player.id, RequestKind.EXPORT)
        open_erasure = await uow.privacy_requests.open_of(player.id, RequestKind.ERASURE)
        archive = await uow.privacy_requests.archive(export.id)
        expired = await uow.privacy_requests.expired_exports(NOW + timedelta(hours=2), 100)
        page = await uow.privacy_requests.search(None, None, 100, None)
    assert open_export is None
    assert open_erasure is not None
    assert open_erasure.id == erasure.id
    assert archive == b"\x1f\x8b archive"
    assert export.id in [r.id for r in expired]
    mine = [r for r in page.items if r.user_id == player.id]
    assert [(r.kind, r.status) for r in mine] == [
        (RequestKind.ERASURE, RequestStatus.QUEUED),
        (RequestKind.EXPORT, RequestStatus.READY),
    ]
