"""Authentication (access token → Principal on every protected route), guards, and client identity."""

from __future__ import annotations

import math
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult, DefineMiddleware
from litestar.types import Guard, Receive, Scope, Send

from src.application.identity.sessions import authenticate
from src.application.shared.commands import ClientInfo
from src.domain.shared.errors import Forbidden, RankRequired, RateLimited, Unauthorized
from src.domain.shared.principal import Principal, Rank
from src.entrypoints.container import Container

PUBLIC = "public"  # route opt key: no access token needed
OPEN_PATHS = ["^/health$", "^/ready$", "^/metrics$", "^/schema"]


def container_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Container:
    container: Container = connection.app.state.container
    return container


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """From the scope's raw headers (the first Authorization, as `connection.headers` would give): building
    Litestar's header multidict for this one header cost more than the rest of the check before the token's."""
    for name, value in connection.scope["headers"]:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


class _Refused(Exception):
    """Carries a refusal from authenticate_request to __call__; never leaves the middleware."""

    def __init__(self, reason: Exception) -> None:
        super().__init__(str(reason))
        self.reason = reason


class AccessTokenMiddleware(AbstractAuthenticationMiddleware):
    """A refused request is answered here, inside the middleware stack, through the app's exception handlers:
    raised further, it would be answered by the app's outermost handler after the access log and the metrics
    had already recorded the request (as status 0 and 200)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except _Refused as refused:
            if scope["type"] != ScopeType.HTTP:
                raise refused.reason from None
            await _answer(refused.reason, scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        try:
            token = bearer_token(connection)
            if token is None:
                raise Unauthorized
            principal = await authenticate(token, container_of(connection).identity)
        except Exception as exc:
            raise _Refused(exc) from exc
        return AuthenticationResult(user=principal, auth=None)  # the raw token is not kept around


async def _answer(exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    """The response the app's exception handlers give `exc` (the most specific handler by class)."""
    request: Request[Any, Any, Any] = Request(scope, receive, send)
    handlers = request.app.exception_handlers
    handler = next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)
    response = handler(request, exc)
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)


def authentication_middleware() -> DefineMiddleware:
    return DefineMiddleware(
        AccessTokenMiddleware, exclude=OPEN_PATHS, exclude_from_auth_key=PUBLIC, exclude_http_methods=["OPTIONS"]
    )


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthorized
    return principal


# guards are coroutines: Litestar runs a plain function guard in a worker thread, a hop on every request it guards
async def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not principal_of(connection).is_admin:
        raise Forbidden("administrators only")


def rank_at_least(required: Rank) -> Guard:
    """Guard for routes that need a rank: 403 RANK_REQUIRED with the required and current rank."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        current = principal_of(connection).rank
        if not current.at_least(required):
            raise RankRequired(required.value, current.value)

    return guard


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The peer address; X-Forwarded-For is believed only when TRUST_PROXY_HEADERS is set."""
    if container_of(connection).settings.trust_proxy_headers:
        forwarded = connection.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:45]
    return connection.client.host if connection.client else None


def client_info(connection: ASGIConnection[Any, Any, Any, Any]) -> ClientInfo:
    return ClientInfo(ip=client_ip(connection), user_agent=connection.headers.get("user-agent", "")[:512])


async def auth_rate_limit(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Per client IP, shared by every instance through the cache."""
    container = container_of(connection)
    limit = container.settings.rate_limit_auth_per_minute
    decision = await container.cache.hit_rate_limit(f"ratelimit:auth:{client_ip(connection)}", limit, 60)
    if not decision.allowed:
        raise RateLimited(math.ceil(decision.retry_after_seconds))
