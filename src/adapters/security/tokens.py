"""Signed access tokens (JWT, HS256) with key rotation, and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import jwt

from src.application.identity.ports import IssuedToken
from src.domain.identity.errors import TokenExpired
from src.domain.shared.errors import Unauthorized
from src.domain.shared.principal import Principal

_ALGORITHM = "HS256"
_ACCESS = "access"
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "sid", "jti", "typ"]
VERIFIED_TOKENS_KEPT = 20_000  # ~8 MB at most; a client sends its token with every request for up to its TTL


def key_id(secret: str) -> str:
    """A public, stable name for a secret, so a token says which key signed it without revealing the key."""
    return hashlib.sha256(f"kid:{secret}".encode()).hexdigest()[:12]


class PyJwtTokenService:
    """Signs with `secret`; also verifies tokens of `previous_secrets` so keys can rotate without logging anyone out."""

    def __init__(
        self,
        secret: str,
        previous_secrets: Sequence[str] = (),
        access_ttl_seconds: int = 1800,
        leeway_seconds: int = 10,
        issuer: str = "casino-club",
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the token secret must not be empty")
        self._secret = secret
        self._kid = key_id(secret)
        self._keys = {key_id(old): old for old in previous_secrets if old}
        self._keys[self._kid] = secret
        self._ttl = access_ttl_seconds
        self._leeway = leeway_seconds
        self._issuer = issuer
        self._wall_clock = wall_clock  # PyJWT's clock by default: a kept token expires when a fresh one would
        # token → (subject, session, exp) of tokens whose signature and claims were checked once: the same string
        # cannot carry other claims, so only its expiry is left to check (the session's revocation is checked apart)
        self._verified: dict[str, tuple[str, str, int]] = {}

    def issue_access(self, principal: Principal, now: datetime) -> IssuedToken:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        issued_at = int(now.timestamp())
        claims: dict[str, Any] = {
            "sub": principal.user_id,
            "sid": principal.session_id,
            "jti": uuid.uuid4().hex,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + self._ttl,
            "iss": self._issuer,
            "typ": _ACCESS,
            "rank": principal.rank.value,
            "roles": list(principal.roles),
        }
        token = jwt.encode(claims, self._secret, algorithm=_ALGORITHM, headers={"kid": self._kid})
        return IssuedToken(token=token, expires_in=self._ttl)

    def read_access(self, token: str) -> tuple[str, str]:
        """(user id, session id) of a valid access token. Decoding costs more than the rest of a one-row read, so a
        token verified once is kept until it expires."""
        kept = self._verified.get(token)
        if kept is not None:
            subject, session_id, expires_at = kept
            if self._expired(expires_at):
                self._verified.pop(token, None)
                raise TokenExpired
            return subject, session_id
        subject, session_id, expires_at = self._verify(token)
        if self._expired(expires_at):
            raise TokenExpired
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified.clear()  # cheaper than tracking recency, and a cleared token is only decoded once more
        self._verified[token] = (subject, session_id, expires_at)
        return subject, session_id

    def _expired(self, expires_at: int) -> bool:
        return self._wall_clock() >= expires_at + self._leeway

    def _verify(self, token: str) -> tuple[str, str, int]:
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=[_ALGORITHM],
                options={"require": _REQUIRED_CLAIMS},
                leeway=self._leeway,
                issuer=self._issuer,
            )
        except jwt.ExpiredSignatureError as e:
            raise TokenExpired from e
        except jwt.PyJWTError as e:
            raise Unauthorized from e
        subject, session_id, expires_at = claims["sub"], claims["sid"], claims["exp"]
        if claims["typ"] != _ACCESS or not isinstance(subject, str) or not isinstance(session_id, str):
            raise Unauthorized
        return subject, session_id, int(expires_at)

    def new_refresh_token(self) -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, self.hash_refresh_token(token)

    def hash_refresh_token(self, token: str) -> str:
        """A fast hash is right here: the token is 256 random bits, not a guessable password."""
        return hashlib.sha256(token.encode()).hexdigest()

    def _key_for(self, token: str) -> str:
        """The unverified header is read only to pick a key by `kid`; the algorithm is never taken from it."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as e:
            raise Unauthorized from e
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthorized
        return key
