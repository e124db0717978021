"""POST /api/auth/signup and POST /api/invite/validate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from src.adapters.sqla.models import OutboxRow
from src.domain.identity.model import InviteCode
from tests.support.api import PASSWORD, bearer, in_app, served, sign_up, unique
from tests.support.polling import eventually


async def _create_invite(client: Any, admin: dict[str, Any], **body: Any) -> str:
    response = await client.post("/api/admin/invite-codes", json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


async def _signup(client: Any, **overrides: Any) -> Any:
    site_id = overrides.pop("site_id", unique())
    body = {"site_id": site_id, "nickname": site_id[-20:], "password": PASSWORD, "invite_code": "5858", **overrides}
    return await client.post("/api/auth/signup", json=body)


async def test_signup_returns_tokens_and_a_standard_user(client: Any) -> None:
    site_id = unique()

    sut = await sign_up(client, site_id=site_id.upper(), email="player@example.com")

    assert sut["token_type"] == "bearer"
    assert sut["expires_in"] == 1800
    assert len(sut["refresh_token"]) >= 43
    assert sut["user"]["site_id"] == site_id
    assert sut["user"]["rank"] == "STANDARD"
    assert sut["user"]["is_admin"] is False
    assert (await client.get("/api/auth/me", headers=bearer(sut))).status_code == 200


async def test_signup_publishes_user_signed_up_and_the_wallet_grants_the_starting_balance(
    client: Any, container: Any
) -> None:
    tokens = await sign_up(client)

    async def outbox_events() -> list[tuple[str, bool]]:
        async with container.uow_factory() as uow:
            query = (
                select(OutboxRow.event_type, OutboxRow.published_at)
                .where(OutboxRow.aggregate_id == tokens["user"]["id"])
                .order_by(OutboxRow.position)
            )
            return [(event_type, published is not None) for event_type, published in await uow.session.execute(query)]

    async def published() -> list[tuple[str, bool]]:
        events = await in_app(client, outbox_events)
        return events if events[0] == ("UserSignedUp", True) else []

    events = await eventually(published)  # the relay publishes it after the answer (the answer does not wait)
    assert events[0] == ("UserSignedUp", True)
    assert [event_type for event_type, _ in events].count("BalanceChanged") == 1
    assert tokens["user"]["balances"] == {"coins": 1000, "gems": 0}
    [(currency, delta, reason)] = await in_app(client, lambda: _ledger_of(container, tokens["user"]["id"]))
    assert (currency, delta, reason) == ("coins", 1000, "signup_bonus")


async def _ledger_of(container: Any, user_id: str) -> list[tuple[str, int, str]]:
    async with container.uow_factory() as uow:
        page = await uow.wallets.ledger(user_id, 10, None)
    return [(entry.currency.value, entry.delta, entry.reason) for entry in page.items]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"site_id": "ab"}, "site_id"),
        ({"site_id": "bad-chars!"}, "site_id"),
        ({"site_id": "x" * 33}, "site_id"),
        ({"nickname": "a"}, "nickname"),
        ({"nickname": "n" * 25}, "nickname"),
        ({"password": "short"}, "password"),
        ({"password": "p" * 129}, "password"),
        ({"password": "password123"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"phone_number": "12ab"}, "phone_number"),
    ],
)
async def test_invalid_signup_fields_are_validation_errors(client: Any, override: dict[str, str], field: str) -> None:
    response = await _signup(client, **override)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"][0]["key"] == field


async def test_site_id_is_unique_regardless_of_case(client: Any) -> None:
    site_id = unique()
    await sign_up(client, site_id=site_id)

    response = await _signup(client, site_id=site_id.upper(), nickname=unique("n")[-20:])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "SITE_ID_TAKEN"


async def test_nickname_is_unique_regardless_of_case(client: Any) -> None:
    nickname = unique("Nick")[-20:]
    await sign_up(client, nickname=nickname)

    response = await _signup(client, nickname=nickname.swapcase())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "NICKNAME_TAKEN"


async def test_unknown_invite_code_is_refused(client: Any) -> None:
    response = await _signup(client, invite_code="NOPE12345")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVITE_INVALID"


async def test_expired_invite_code_is_refused_and_reported(client: Any, container: Any) -> None:
    code = unique("EXP").upper()
    past = datetime.now(UTC) - timedelta(days=2)

    async def add_expired_invite() -> None:
        async with container.identity.uow_factory() as uow:
            await uow.invites.add(InviteCode(code=code, created_at=past, expires_at=past + timedelta(days=1)))
            await uow.commit()

    await in_app(client, add_expired_invite)

    signup = await _signup(client, invite_code=code)
    validation = await client.post("/api/invite/validate", json={"code": code})

    assert signup.status_code == 400
    assert signup.json()["error"]["code"] == "INVITE_EXPIRED"
    assert validation.json()["is_valid"] is False
    assert "expired" in validation.json()["error_message"]


async def test_an_exhausted_invite_code_is_refused(client: Any, admin: dict[str, Any]) -> None:
    code = await _create_invite(client, admin, max_uses=1)
    assert (await _signup(client, invite_code=code)).status_code == 201

    response = await _signup(client, invite_code=code)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVITE_EXHAUSTED"


async def test_concurrent_signups_on_a_one_use_code_admit_exactly_one(client: Any, admin: dict[str, Any]) -> None:
    code = await _create_invite(client, admin, max_uses=1)

    responses = await asyncio.gather(*(_signup(client, invite_code=code) for _ in range(6)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 400, 400, 400, 400, 400]
    refused = [r.json()["error"]["code"] for r in responses if r.status_code == 400]
    assert set(refused) == {"INVITE_EXHAUSTED"}


async def test_validate_reports_remaining_uses(client: Any, admin: dict[str, Any]) -> None:
    expires_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    code = await _create_invite(client, admin, max_uses=3, expires_at=expires_at.isoformat())
    await _signup(client, invite_code=code)

    sut = (await client.post("/api/invite/validate", json={"code": code})).json()

    assert sut["is_valid"] is True
    assert sut["remaining_uses"] == 2
    assert datetime.fromisoformat(sut["expires_at"]) == expires_at
    assert sut["error_message"] is None


async def test_validate_the_dev_code_and_an_unknown_code(client: Any) -> None:
    dev = (await client.post("/api/invite/validate", json={"code": "5858"})).json()
    unknown = (await client.post("/api/invite/validate", json={"code": "ZZZZ9999"})).json()

    assert dev["is_valid"] is True
    assert dev["remaining_uses"] is None
    assert unknown["is_valid"] is False
    assert unknown["error_message"]


def _vapid_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


async def test_dev_invite_code_is_refused_in_production(make_settings: Any) -> None:
    settings = make_settings(
        app_env="production",
        test_cheap_password_hashes=False,  # production refuses the suite's cheap hashes
        jwt_secret="prod-secret-" + "x" * 40,
        payment_receipt_secret="r" * 40,
        transaction_integrity_secret="i" * 40,
        fairness_seed_key="f" * 40,
        payment_webhook_secrets="whsec_" + "w" * 40,
        vapid_private_key=_vapid_pem(),
    )
    async with served(settings) as production:
        response = await _signup(production)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVITE_INVALID"


async def test_invite_validation_is_rate_limited_per_client_ip_like_signup(make_settings: Any) -> None:
    settings = make_settings(rate_limit_auth_per_minute=3, trust_proxy_headers=True)
    guesser, neighbour = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
    async with served(settings) as sut:
        answers = [
            await sut.post("/api/invite/validate", json={"code": f"GUESS{n}"}, headers=guesser) for n in range(3)
        ]
        limited = await sut.post("/api/invite/validate", json={"code": "5858"}, headers=guesser)
        signup = await sut.post("/api/auth/signup", json={}, headers=guesser)
        other_ip = await sut.post("/api/invite/validate", json={"code": "5858"}, headers=neighbour)

    assert [response.status_code for response in answers] == [200, 200, 200]
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert signup.status_code == 429
    assert (other_ip.status_code, other_ip.json()["is_valid"]) == (200, True)
