"""Litestar side of idempotency: read the key, fingerprint the request, store or replay the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response

from src.application.shared.idempotency import (
    IdempotencyScope,
    StoredResponse,
    check_key,
    fingerprint,
    run_idempotent,
)
from src.domain.shared.errors import DomainError
from src.entrypoints.http.errors import domain_error_body
from src.entrypoints.http.security import container_of

REPLAYED_HEADER = "Idempotent-Replayed"


def _route_template(request: Request[Any, Any, Any]) -> str:
    paths = sorted(request.route_handler.paths)
    return f"{request.method} {paths[0] if paths else request.url.path}"


async def idempotent(
    request: Request[Any, Any, Any],
    user_id: str,
    operation: Callable[[], Awaitable[Any]],
    *,
    required: bool,
    status_code: int = 200,
) -> Response[bytes]:
    """Run `operation` once per (user, route, Idempotency-Key); a domain refusal is remembered like a success."""
    body = await request.json() if await request.body() else None
    body_key = body.get("idempotency_key") if isinstance(body, dict) else None
    key = check_key(request.headers.get("idempotency-key") or (str(body_key) if body_key else None), required=required)
    if isinstance(body, dict):
        body = {name: value for name, value in body.items() if name != "idempotency_key"}

    async def answer() -> StoredResponse:
        try:
            return StoredResponse(status_code, msgspec.json.encode(await operation()))
        except DomainError as refusal:
            status, content = domain_error_body(request, refusal)
            return StoredResponse(status, msgspec.json.encode(content))

    if key is None:
        stored, replayed = await answer(), False
    else:
        container = container_of(request)
        scope = IdempotencyScope(user_id, _route_template(request), key)
        stored, replayed = await run_idempotent(
            container.idempotency,
            container.clock,
            container.idempotency_policy,
            scope,
            fingerprint(request.method, request.url.path, body),
            answer,
        )
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(stored.body, status_code=stored.status_code, media_type="application/json", headers=headers)
