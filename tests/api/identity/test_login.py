"""POST /api/auth/login and /api/auth/admin/login: credentials, lockout, account status, rate limit."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import argon2

from src.application.identity.admin_users import UpdateAccount, update_account
from src.application.shared.commands import ClientInfo
from src.domain.identity.model import AccountStatus
from src.domain.shared.principal import Principal, Rank
from tests.support.api import ADMIN_PASSWORD, PASSWORD, bearer, in_app, log_in, served, sign_up, unique


async def _signed_up(client: Any) -> str:
    site_id = unique()
    await sign_up(client, site_id=site_id)
    return site_id


async def _all_at_once(client: Any, logins: list[tuple[str, str]]) -> list[Any]:
    """(site_id, password) logins, each from a thread of its own: the test client alone sends one at a time."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=len(logins)) as threads:
        sent = [loop.run_in_executor(threads, asyncio.run, log_in(client, *login)) for login in logins]
        return list(await asyncio.gather(*sent))


def _error(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def _set_status(client: Any, container: Any, user_id: str, status: AccountStatus) -> None:
    admin = Principal(user_id="operator", session_id="-", rank=Rank.STANDARD, is_admin=True)
    command = UpdateAccount(admin=admin, client=ClientInfo(), user_id=user_id, status=status)
    await in_app(client, lambda: update_account(command, container.identity))


async def test_login_with_the_right_password(client: Any) -> None:
    site_id = unique()
    await sign_up(client, site_id=site_id)

    response = await log_in(client, site_id.upper())

    assert response.status_code == 200
    assert response.json()["user"]["site_id"] == site_id
    assert (await client.get("/api/auth/me", headers=bearer(response.json()))).status_code == 200


async def test_wrong_password_and_unknown_site_id_get_the_same_answer(client: Any) -> None:
    site_id = unique()
    await sign_up(client, site_id=site_id)

    wrong_password = await log_in(client, site_id, "not-the-password-1")
    unknown_user = await log_in(client, unique("ghost"), "not-the-password-1")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert _error(wrong_password) == _error(unknown_user) == "INVALID_CREDENTIALS"
    assert wrong_password.json()["error"]["message"] == unknown_user.json()["error"]["message"]


async def test_five_failures_lock_the_account_even_for_the_right_password(client: Any) -> None:
    site_id = unique()
    await sign_up(client, site_id=site_id)

    failures = [await log_in(client, site_id, "wrong-password-0") for _ in range(5)]
    locked = await log_in(client, site_id)

    assert [response.status_code for response in failures] == [401] * 5
    assert locked.status_code == 429
    assert _error(locked) == "LOGIN_LOCKED"
    assert 590 <= int(locked.headers["retry-after"]) <= 600


async def test_concurrent_wrong_passwords_are_verified_only_up_to_the_limit(client: Any) -> None:
    site_id = await _signed_up(client)

    burst = await _all_at_once(client, [(site_id, f"wrong-password-{n}") for n in range(16)])
    right_password = await log_in(client, site_id)

    assert sorted(response.status_code for response in burst) == [401] * 5 + [429] * 11
    for refused in [response for response in burst if response.status_code == 429] + [right_password]:
        assert _error(refused) == "LOGIN_LOCKED"
        assert 1 <= int(refused.headers["retry-after"]) <= 600


async def test_a_concurrent_burst_answers_the_same_for_a_known_and_an_unknown_site_id(client: Any) -> None:
    known, unknown = await _signed_up(client), unique("ghost")

    answers = await _all_at_once(
        client, [(site_id, "wrong-password-0") for site_id in (known, unknown) for _ in range(8)]
    )

    known_answers, unknown_answers = ([(r.status_code, _error(r)) for r in half] for half in (answers[:8], answers[8:]))
    assert sorted(known_answers) == sorted(unknown_answers)
    assert sorted(known_answers) == [(401, "INVALID_CREDENTIALS")] * 5 + [(429, "LOGIN_LOCKED")] * 3


async def test_a_successful_login_resets_the_failure_count(client: Any) -> None:
    site_id = unique()
    await sign_up(client, site_id=site_id)

    for _ in range(4):
        await log_in(client, site_id, "wrong-password-0")
    assert (await log_in(client, site_id)).status_code == 200
    for _ in range(4):
        await log_in(client, site_id, "wrong-password-0")

    assert (await log_in(client, site_id)).status_code == 200


async def test_lockout_of_one_account_does_not_touch_another(client: Any) -> None:
    locked_site, other_site = unique(), unique()
    await sign_up(client, site_id=locked_site)
    await sign_up(client, site_id=other_site)

    for _ in range(5):
        await log_in(client, locked_site, "wrong-password-0")

    assert (await log_in(client, other_site)).status_code == 200


async def test_suspended_and_banned_accounts_cannot_log_in(client: Any, container: Any) -> None:
    suspended, banned = await sign_up(client), await sign_up(client)
    await _set_status(client, container, suspended["user"]["id"], AccountStatus.SUSPENDED)
    await _set_status(client, container, banned["user"]["id"], AccountStatus.BANNED)

    suspended_login = await log_in(client, suspended["user"]["site_id"])
    banned_login = await log_in(client, banned["user"]["site_id"])

    assert (suspended_login.status_code, _error(suspended_login)) == (403, "ACCOUNT_SUSPENDED")
    assert (banned_login.status_code, _error(banned_login)) == (403, "ACCOUNT_BANNED")


async def test_suspending_an_account_revokes_its_tokens(client: Any, container: Any) -> None:
    tokens = await sign_up(client)

    await _set_status(client, container, tokens["user"]["id"], AccountStatus.SUSPENDED)
    me = await client.get("/api/auth/me", headers=bearer(tokens))
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert (me.status_code, _error(me)) == (401, "TOKEN_REVOKED")
    assert (refreshed.status_code, _error(refreshed)) == (401, "TOKEN_REVOKED")


async def test_admin_login_is_for_admins_only(client: Any, admin_site_id: str) -> None:
    player = await sign_up(client)

    refused = await client.post(
        "/api/auth/admin/login", json={"site_id": player["user"]["site_id"], "password": PASSWORD}
    )
    accepted = await client.post("/api/auth/admin/login", json={"site_id": admin_site_id, "password": ADMIN_PASSWORD})

    assert (refused.status_code, _error(refused)) == (403, "FORBIDDEN")
    assert accepted.status_code == 200
    assert accepted.json()["user"]["is_admin"] is True


async def test_login_rehashes_a_password_stored_with_weaker_parameters(make_settings: Any) -> None:
    async with served(make_settings(test_cheap_password_hashes=False)) as client:
        await _rehash_on_login(client, client.app.state.container)  # the production cost, not the suite's cheap one


async def _rehash_on_login(client: Any, container: Any) -> None:
    tokens = await sign_up(client)
    user_id = tokens["user"]["id"]
    weak_hash = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)

    async def store_weak_hash() -> None:
        async with container.identity.uow_factory() as uow:
            user = await uow.users.get(user_id)
            user.password_hash = weak_hash
            await uow.users.update(user)
            await uow.commit()

    async def stored_hash() -> str:
        async with container.identity.uow_factory() as uow:
            return str((await uow.users.get(user_id)).password_hash)

    await in_app(client, store_weak_hash)
    response = await log_in(client, tokens["user"]["site_id"])

    assert response.status_code == 200
    assert (await in_app(client, stored_hash)).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_login_and_signup_are_rate_limited_per_client_ip(make_settings: Any) -> None:
    async with served(make_settings(rate_limit_auth_per_minute=3)) as sut:
        answers = [await log_in(sut, unique("nobody"), "whatever-password") for _ in range(3)]
        limited = await log_in(sut, unique("nobody"), "whatever-password")
        signup = await sut.post("/api/auth/signup", json={})

    assert [response.status_code for response in answers] == [401, 401, 401]
    assert (limited.status_code, _error(limited)) == (429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert (signup.status_code, _error(signup)) == (429, "RATE_LIMITED")
