"""Access tokens: forged, expired and wrong-type tokens are refused; refresh rotation and reuse."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import jwt
import pytest

from tests.support.api import JWT_SECRET, bearer, sign_up


def _kid(secret: str) -> str:
    return hashlib.sha256(f"kid:{secret}".encode()).hexdigest()[:12]


def _claims(tokens: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return claims


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _forge(claims: dict[str, Any], secret: str = JWT_SECRET, kid: str | None = None, **header: Any) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid or _kid(secret), **header})


async def _me(client: Any, token: str) -> tuple[int, str | None]:
    response = await client.get("/api/auth/me", headers={"authorization": f"Bearer {token}"})
    return response.status_code, response.json().get("error", {}).get("code")


async def test_access_token_claims(client: Any) -> None:
    tokens = await sign_up(client)

    sut = _claims(tokens)

    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == _kid(JWT_SECRET)
    assert sut["typ"] == "access"
    assert sut["sub"] == tokens["user"]["id"]
    assert sut["rank"] == "STANDARD"
    assert sut["roles"] == []
    assert {"sid", "jti", "iat", "exp"} <= set(sut)
    assert sut["exp"] - sut["iat"] == 1800


async def test_missing_or_malformed_authorization_is_unauthorized(client: Any) -> None:
    assert (await client.get("/api/auth/me")).json()["error"]["code"] == "UNAUTHORIZED"
    assert (await client.get("/api/auth/me", headers={"authorization": "Basic abc"})).status_code == 401
    assert await _me(client, "not.a.jwt") == (401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "forgery",
    ["alg_none", "tampered_payload", "wrong_secret", "refresh_type", "unknown_kid", "missing_sid", "hs512"],
)
async def test_forged_tokens_are_refused(client: Any, forgery: str) -> None:
    tokens = await sign_up(client)
    claims = _claims(tokens)
    header, payload, signature = tokens["access_token"].split(".")
    forged = {
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "tampered_payload": f"{header}.{_b64({**claims, 'rank': 'VIP', 'roles': ['admin']})}.{signature}",
        "wrong_secret": _forge(claims, secret="another-secret-of-sufficient-length-123456", kid=_kid(JWT_SECRET)),
        "refresh_type": _forge({**claims, "typ": "refresh"}),
        "unknown_kid": _forge(claims, kid="0123456789ab"),
        "missing_sid": _forge({key: value for key, value in claims.items() if key != "sid"}),
        "hs512": jwt.encode(claims, JWT_SECRET, algorithm="HS512", headers={"kid": _kid(JWT_SECRET)}),
    }[forgery]

    assert await _me(client, forged) == (401, "UNAUTHORIZED")


async def test_expired_token_is_refused_as_expired(client: Any) -> None:
    claims = _claims(await sign_up(client))
    long_ago = int(time.time()) - 7200

    expired = _forge({**claims, "iat": long_ago, "nbf": long_ago, "exp": long_ago + 1800})

    assert await _me(client, expired) == (401, "TOKEN_EXPIRED")


async def test_a_token_of_another_users_session_is_refused(client: Any) -> None:
    alice, bob = await sign_up(client), await sign_up(client)

    mixed = _forge({**_claims(alice), "sid": _claims(bob)["sid"]})

    assert await _me(client, mixed) == (401, "TOKEN_REVOKED")


async def test_refresh_rotates_the_token(client: Any) -> None:
    tokens = await sign_up(client)

    rotated = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert _claims(fresh)["sid"] == _claims(tokens)["sid"]
    assert (await client.get("/api/auth/me", headers=bearer(fresh))).status_code == 200
    again = await client.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert again.status_code == 200


async def test_reusing_a_spent_refresh_token_ends_the_whole_family(client: Any) -> None:
    tokens = await sign_up(client)
    newest = (await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()

    reused = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert (reused.status_code, reused.json()["error"]["code"]) == (401, "REFRESH_REUSED")
    newest_refresh = await client.post("/api/auth/refresh", json={"refresh_token": newest["refresh_token"]})
    assert newest_refresh.status_code == 401
    assert await _me(client, newest["access_token"]) == (401, "TOKEN_REVOKED")
    assert await _me(client, tokens["access_token"]) == (401, "TOKEN_REVOKED")


async def test_an_unknown_refresh_token_is_unauthorized(client: Any) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": "x" * 43})

    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHORIZED")
