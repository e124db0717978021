"""log_in on in-memory adapters: no more wrong passwords than the limit are ever verified, even concurrently.

The hasher is a fake that records each verification and can hold chosen passwords inside the verification,
so a test decides which attempts are still running when the next one arrives.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from src.adapters.memory.cache import InMemoryCache
from src.adapters.memory.uow import InMemoryStore, InMemoryUnitOfWork
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.security.tokens import PyJwtTokenService
from src.application.identity.auth import AuthResult, log_in
from src.application.identity.commands import LogIn
from src.application.identity.config import IdentityConfig
from src.application.identity.deps import IdentityDeps
from src.application.identity.session_state import SessionStateCache
from src.application.shared.commands import ClientInfo
from src.domain.identity.errors import InvalidCredentials, LoginLocked
from src.domain.identity.model import User
from src.domain.shared.errors import Forbidden
from tests.support.clocks import FakeClock

NOW = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)
PASSWORD = "plum-orbit-canyon-42"
LIMIT = 5
DEADLINE_SECONDS = 30.0


class RecordingHasher:
    """Stores `plain:<password>`; every verification is recorded, and held while its password is in `held`."""

    def __init__(self) -> None:
        self.verified: list[tuple[str | None, str]] = []
        self.held: set[str] = set()
        self.release = asyncio.Event()
        self.error: Exception | None = None

    async def hash(self, password: str) -> str:
        return f"plain:{password}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified.append((password_hash, password))
        if password in self.held:
            await self.release.wait()
        if self.error is not None:
            raise self.error
        return password_hash == f"plain:{password}"

    def needs_rehash(self, password_hash: str) -> bool:
        return False


@pytest.fixture
def hasher() -> RecordingHasher:
    return RecordingHasher()


@pytest.fixture
def deps(hasher: RecordingHasher) -> IdentityDeps:
    store, cache = InMemoryStore(), InMemoryCache()
    return IdentityDeps(
        uow_factory=lambda: InMemoryUnitOfWork(store),
        clock=FakeClock(NOW),
        cache=cache,
        hasher=hasher,
        tokens=PyJwtTokenService("unit-test-secret-" + "x" * 32),
        ids=SecretsIdGenerator(),
        blocklist=frozenset(),
        session_state=SessionStateCache(cache, 30, revoked_ttl_seconds=60),
        config=IdentityConfig(max_failed_logins=LIMIT),
    )


async def _player(deps: IdentityDeps, is_admin: bool = False) -> str:
    site_id = f"u_{uuid.uuid4().hex[:10]}"
    user = User(
        id=str(uuid.uuid4()),
        site_id=site_id,
        nickname=f"P{site_id}",
        password_hash=f"plain:{PASSWORD}",
        created_at=NOW,
        is_admin=is_admin,
    )
    async with deps.uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return site_id


def _log_in(deps: IdentityDeps, site_id: str, password: str = PASSWORD, admin_only: bool = False) -> LogIn:
    return LogIn(site_id=site_id, password=password, client=ClientInfo("203.0.113.9"), admin_only=admin_only)


async def _outcome(attempt: Awaitable[AuthResult]) -> str:
    """The answer a client would see, by error code."""
    try:
        await attempt
    except (InvalidCredentials, LoginLocked, Forbidden) as refused:
        return refused.code
    return "OK"


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.001)


async def test_concurrent_wrong_passwords_are_verified_only_up_to_the_limit(
    deps: IdentityDeps, hasher: RecordingHasher
) -> None:
    site_id = await _player(deps)
    hasher.held.add("wrong")
    burst = [asyncio.create_task(_outcome(log_in(_log_in(deps, site_id, "wrong"), deps))) for _ in range(20)]
    await _until(lambda: sum(task.done() for task in burst) == 20 - LIMIT, "the refusals")

    while_running = await _outcome(log_in(_log_in(deps, site_id), deps))
    hasher.release.set()
    outcomes = await asyncio.gather(*burst)
    after_lock = await _outcome(log_in(_log_in(deps, site_id), deps))

    assert sorted(outcomes) == ["INVALID_CREDENTIALS"] * LIMIT + ["LOGIN_LOCKED"] * (20 - LIMIT)
    assert len(hasher.verified) == LIMIT  # the right password was never verified either
    assert (while_running, after_lock) == ("LOGIN_LOCKED", "LOGIN_LOCKED")


async def test_the_lock_answers_retry_after_the_lockout(deps: IdentityDeps) -> None:
    site_id = await _player(deps)
    for _ in range(LIMIT):
        await _outcome(log_in(_log_in(deps, site_id, "wrong"), deps))

    with pytest.raises(LoginLocked) as locked:
        await log_in(_log_in(deps, site_id), deps)

    assert 590 <= locked.value.retry_after_seconds <= 600


async def test_unknown_site_ids_cost_a_verification_and_lock_like_known_ones(
    deps: IdentityDeps, hasher: RecordingHasher
) -> None:
    known, unknown = await _player(deps), f"ghost_{uuid.uuid4().hex[:10]}"

    answers = {
        site_id: [await _outcome(log_in(_log_in(deps, site_id, "wrong"), deps)) for _ in range(LIMIT + 1)]
        for site_id in (known, unknown)
    }

    assert answers[known] == answers[unknown] == ["INVALID_CREDENTIALS"] * LIMIT + ["LOGIN_LOCKED"]
    assert [stored for stored, _ in hasher.verified].count(None) == LIMIT  # unknown ids: a real verification each


async def test_a_success_forgets_the_failures_but_not_a_wrong_password_still_being_verified(
    deps: IdentityDeps, hasher: RecordingHasher
) -> None:
    site_id = await _player(deps)
    for _ in range(LIMIT - 2):
        await _outcome(log_in(_log_in(deps, site_id, "wrong"), deps))
    hasher.held.add("slow-wrong")
    running = asyncio.create_task(_outcome(log_in(_log_in(deps, site_id, "slow-wrong"), deps)))
    await _until(lambda: len(hasher.verified) == LIMIT - 1, "the slow attempt to be verifying")

    success = await _outcome(log_in(_log_in(deps, site_id), deps))
    hasher.release.set()
    late_failure = await running
    more = [await _outcome(log_in(_log_in(deps, site_id, "wrong"), deps)) for _ in range(LIMIT - 1)]

    assert (success, late_failure) == ("OK", "INVALID_CREDENTIALS")
    assert more == ["INVALID_CREDENTIALS"] * (LIMIT - 1)  # the late failure was the first of a new series
    assert await _outcome(log_in(_log_in(deps, site_id), deps)) == "LOGIN_LOCKED"


async def test_verifications_that_raise_or_are_cancelled_do_not_count(
    deps: IdentityDeps, hasher: RecordingHasher
) -> None:
    site_id = await _player(deps)
    hasher.error = RuntimeError("hasher pool is gone")
    for _ in range(LIMIT):
        with pytest.raises(RuntimeError):
            await log_in(_log_in(deps, site_id, "wrong"), deps)
    hasher.error = None
    hasher.held.add("abandoned")
    abandoned = [asyncio.create_task(log_in(_log_in(deps, site_id, "abandoned"), deps)) for _ in range(LIMIT)]
    await _until(lambda: len(hasher.verified) == 2 * LIMIT, "the abandoned attempts to be verifying")
    for task in abandoned:
        task.cancel()  # the client went away: it learns nothing, so the slot is given back
    await asyncio.gather(*abandoned, return_exceptions=True)

    assert await _outcome(log_in(_log_in(deps, site_id), deps)) == "OK"


async def test_a_right_password_refused_for_other_reasons_is_not_a_failure(deps: IdentityDeps) -> None:
    site_id = await _player(deps, is_admin=False)

    answers = [await _outcome(log_in(_log_in(deps, site_id, admin_only=True), deps)) for _ in range(LIMIT + 1)]

    assert answers == ["FORBIDDEN"] * (LIMIT + 1)
