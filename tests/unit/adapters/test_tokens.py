"""Access tokens: HS256 only, keys picked by kid for rotation, strict claims; opaque refresh tokens."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from src.adapters.security.tokens import PyJwtTokenService, key_id
from src.domain.identity.errors import TokenExpired
from src.domain.shared.errors import Unauthorized
from src.domain.shared.principal import Principal, Rank

_FILL = "0123456789abcdef" * 4  # 64+ bytes, so even the HS512 forgery below signs without a key-length warning
SECRET = f"current-secret-{_FILL}"
OLD_SECRET = f"previous-secret-{_FILL}"
OTHER_SECRET = f"someone-elses-secret-{_FILL}"
ISSUER = "casino-club"


@pytest.fixture
def sut() -> PyJwtTokenService:
    return PyJwtTokenService(SECRET, previous_secrets=[OLD_SECRET])


def make_principal(*, rank: Rank = Rank.VIP, is_admin: bool = True) -> Principal:
    return Principal(user_id="user-1", session_id="session-1", rank=rank, is_admin=is_admin)


def make_claims(now: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    """Valid access claims; an override of None drops the claim."""
    issued_at = int((now or datetime.now(UTC)).timestamp())
    claims: dict[str, Any] = {
        "sub": "user-1",
        "sid": "session-1",
        "jti": "a" * 32,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + 1800,
        "iss": ISSUER,
        "typ": "access",
        "rank": "STANDARD",
        "roles": [],
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], secret: str = SECRET, *, kid: str | None = "current", alg: str = "HS256") -> str:
    headers = {} if kid is None else {"kid": key_id(secret) if kid == "current" else kid}
    return jwt.encode(claims, secret, algorithm=alg, headers=headers)


def test_round_trip_returns_user_and_session(sut: PyJwtTokenService) -> None:
    now = datetime.now(UTC)

    issued = sut.issue_access(make_principal(), now)

    assert sut.read_access(issued.token) == ("user-1", "session-1")
    assert issued.expires_in == 1800


def test_token_carries_kid_and_the_claims_clients_rely_on(sut: PyJwtTokenService) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    token = sut.issue_access(make_principal(rank=Rank.VIP, is_admin=True), now).token

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert header["kid"] == key_id(SECRET)
    assert re.fullmatch(r"[0-9a-f]{12}", header["kid"])
    assert claims["typ"] == "access"
    assert claims["rank"] == "VIP"
    assert claims["roles"] == ["admin"]
    assert claims["iss"] == ISSUER
    assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"])
    assert claims["iat"] == claims["nbf"] == int(now.timestamp())
    assert claims["exp"] == int(now.timestamp()) + 1800


def test_each_token_has_its_own_jti(sut: PyJwtTokenService) -> None:
    now = datetime.now(UTC)
    tokens = [sut.issue_access(make_principal(is_admin=False), now).token for _ in range(2)]

    jtis = {jwt.decode(token, options={"verify_signature": False})["jti"] for token in tokens}

    assert len(jtis) == 2


def test_ttl_is_configurable() -> None:
    sut = PyJwtTokenService(SECRET, access_ttl_seconds=60)
    now = datetime.now(UTC)

    issued = sut.issue_access(make_principal(), now)

    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert issued.expires_in == 60
    assert claims["exp"] - claims["iat"] == 60


def test_a_naive_now_is_refused(sut: PyJwtTokenService) -> None:
    with pytest.raises(ValueError, match="timezone"):
        sut.issue_access(make_principal(), datetime.now())


def test_an_expired_token_is_token_expired(sut: PyJwtTokenService) -> None:
    token = sut.issue_access(make_principal(), datetime.now(UTC) - timedelta(hours=2)).token

    with pytest.raises(TokenExpired):
        sut.read_access(token)


def test_leeway_forgives_a_few_seconds_of_clock_skew_only() -> None:
    sut = PyJwtTokenService(SECRET, leeway_seconds=10, access_ttl_seconds=1800)
    now = datetime.now(UTC)
    just_expired = sut.issue_access(make_principal(), now - timedelta(seconds=1800 + 5)).token
    long_expired = sut.issue_access(make_principal(), now - timedelta(seconds=1800 + 60)).token

    assert sut.read_access(just_expired) == ("user-1", "session-1")
    with pytest.raises(TokenExpired):
        sut.read_access(long_expired)


def test_a_token_of_a_previous_secret_still_verifies_during_rotation(sut: PyJwtTokenService) -> None:
    old_service = PyJwtTokenService(OLD_SECRET)
    token = old_service.issue_access(make_principal(), datetime.now(UTC)).token

    assert sut.read_access(token) == ("user-1", "session-1")


def test_new_tokens_are_signed_with_the_current_secret(sut: PyJwtTokenService) -> None:
    token = sut.issue_access(make_principal(), datetime.now(UTC)).token

    assert PyJwtTokenService(SECRET).read_access(token) == ("user-1", "session-1")
    with pytest.raises(Unauthorized):
        PyJwtTokenService(OLD_SECRET).read_access(token)


def _flip_middle_char(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(payload) // 2
    replacement = "B" if payload[middle] != "B" else "C"
    return f"{header}.{payload[:middle]}{replacement}{payload[middle + 1 :]}.{signature}"


def _swap_subject(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "user-2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("tamper", [_flip_middle_char, _swap_subject])
def test_a_tampered_payload_is_unauthorized(sut: PyJwtTokenService, tamper: Any) -> None:
    token = sut.issue_access(make_principal(), datetime.now(UTC)).token

    with pytest.raises(Unauthorized):
        sut.read_access(tamper(token))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(sign(make_claims(), OTHER_SECRET), id="another-service"),
        pytest.param(sign(make_claims(), OTHER_SECRET, kid=key_id(SECRET)), id="right-kid-wrong-key"),
        pytest.param(jwt.encode(make_claims(), None, algorithm="none", headers={"kid": key_id(SECRET)}), id="alg-none"),
        pytest.param(sign(make_claims(), SECRET, alg="HS512"), id="alg-hs512-right-key"),
        pytest.param(sign(make_claims(), SECRET, kid="0123456789ab"), id="unknown-kid"),
        pytest.param(sign(make_claims(), SECRET, kid=None), id="missing-kid"),
        pytest.param(sign(make_claims(typ="refresh")), id="typ-refresh"),
        pytest.param(sign(make_claims(iss="someone-else")), id="wrong-issuer"),
        pytest.param(sign(make_claims(sid=42)), id="sid-not-a-string"),
        pytest.param(sign(make_claims(nbf=int(datetime.now(UTC).timestamp()) + 3600)), id="not-yet-valid"),
        pytest.param("not-a-jwt", id="malformed"),
        pytest.param("", id="empty"),
    ],
)
def test_a_token_we_did_not_issue_as_an_access_token_is_unauthorized(sut: PyJwtTokenService, token: str) -> None:
    with pytest.raises(Unauthorized):
        sut.read_access(token)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "sid", "jti", "typ", "iss"])
def test_a_token_missing_a_required_claim_is_unauthorized(sut: PyJwtTokenService, missing: str) -> None:
    token = sign(make_claims(**{missing: None}))

    with pytest.raises(Unauthorized):
        sut.read_access(token)


def test_a_hand_signed_valid_token_is_accepted(sut: PyJwtTokenService) -> None:
    """Guards the negative cases above: the same helper with nothing wrong passes."""
    assert sut.read_access(sign(make_claims())) == ("user-1", "session-1")


def test_refresh_tokens_are_long_random_and_stored_only_as_a_hash(sut: PyJwtTokenService) -> None:
    pairs = [sut.new_refresh_token() for _ in range(50)]

    tokens = [token for token, _ in pairs]
    assert len(set(tokens)) == 50
    for token, token_hash in pairs:
        assert len(token) >= 43
        assert re.fullmatch(r"[0-9a-f]{64}", token_hash)
        assert token_hash != token
        assert sut.hash_refresh_token(token) == token_hash


def test_refresh_hash_is_stable_across_instances_and_secrets() -> None:
    """The stored hash must survive a restart or key rotation."""
    token = "a-refresh-token"

    assert PyJwtTokenService(SECRET).hash_refresh_token(token) == PyJwtTokenService(OTHER_SECRET).hash_refresh_token(
        token
    )


class _WallClock:
    def __init__(self) -> None:
        self.seconds = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.seconds


def test_a_token_verified_once_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    sut = PyJwtTokenService(SECRET)
    token = sut.issue_access(make_principal(), datetime.now(UTC)).token
    sut.read_access(token)
    decodes: list[str] = []
    real_decode = jwt.decode

    def counted_decode(*args: Any, **kwargs: Any) -> Any:
        decodes.append("decode")
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted_decode)

    answers = [sut.read_access(token) for _ in range(3)]

    assert (answers, decodes) == ([("user-1", "session-1")] * 3, [])


def test_a_kept_token_expires_when_a_fresh_one_would() -> None:
    clock = _WallClock()
    sut = PyJwtTokenService(SECRET, access_ttl_seconds=60, leeway_seconds=10, wall_clock=clock)
    token = sut.issue_access(make_principal(), datetime.fromtimestamp(clock.seconds, UTC)).token
    assert sut.read_access(token) == ("user-1", "session-1")

    clock.seconds += 60 + 9  # inside the leeway: still good
    assert sut.read_access(token) == ("user-1", "session-1")
    clock.seconds += 2
    with pytest.raises(TokenExpired):
        sut.read_access(token)
    with pytest.raises(TokenExpired):  # and stays expired, kept or not
        sut.read_access(token)


@pytest.mark.parametrize("tamper", [_flip_middle_char, _swap_subject])
def test_a_tampered_copy_of_a_kept_token_is_still_unauthorized(sut: PyJwtTokenService, tamper: Any) -> None:
    token = sut.issue_access(make_principal(), datetime.now(UTC)).token
    sut.read_access(token)

    with pytest.raises(Unauthorized):
        sut.read_access(tamper(token))


def test_past_the_bound_the_kept_tokens_are_dropped_and_each_still_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("src.adapters.security.tokens.VERIFIED_TOKENS_KEPT", 2)
    sut = PyJwtTokenService(SECRET)
    tokens = [sut.issue_access(make_principal(), datetime.now(UTC)).token for _ in range(5)]

    first = [sut.read_access(token) for token in tokens]
    again = [sut.read_access(token) for token in tokens]

    assert first == again == [("user-1", "session-1")] * 5
    assert len(sut._verified) <= 2
