"""Litestar side of idempotency: read the key, fingerprint the request, store or replay the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response

from src.application.shared.idempotency import (
    IdempotencyInProgress,
    IdempotencyScope,
    KeyRecorder,
    StoredResponse,
    check_key,
    fingerprint,
    run_claimed,
    run_idempotent,
    run_in_work,
)
from src.domain.shared.errors import DomainError
from src.entrypoints.http.errors import domain_error_body
from src.entrypoints.http.json_body import raw_header
from src.entrypoints.http.security import container_of

REPLAYED_HEADER = "Idempotent-Replayed"
ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class NotFinal:
    """An answer sent now but not stored under the key (e.g. a purchase still pending): a retry asks again."""

    value: Any


def idempotency_key(request: Request[Any, Any, Any], body_key: str | None, *, required: bool = False) -> str | None:
    """The header wins over the body's `idempotency_key`; a key that is present is 1-255 characters, else 400."""
    header = raw_header(request.scope, b"idempotency-key")
    if header is not None or body_key is None:
        return check_key(header, required=required)
    return check_key(body_key, required=required, field="idempotency_key", source="body")


def _route_template(request: Request[Any, Any, Any]) -> str:
    paths = sorted(request.route_handler.paths)
    return f"{request.method} {paths[0] if paths else request.url.path}"


async def idempotent(
    request: Request[Any, Any, Any],
    user_id: str,
    operation: Callable[[], Awaitable[Any]],
    *,
    required: bool,
    body_key: str | None = None,
    status_code: int = 200,
) -> Response[bytes]:
    """Run `operation` once per (user, route, Idempotency-Key); a domain refusal is remembered like a success,
    a `NotFinal` answer is sent but not remembered.

    `body_key` is the `idempotency_key` field of the already-parsed body (the header wins over it).
    """
    key = idempotency_key(request, body_key, required=required)

    async def answer() -> StoredResponse:
        try:
            result = await operation()
        except DomainError as refusal:
            status, content = domain_error_body(request, refusal)
            return StoredResponse(status, msgspec.json.encode(content))
        if isinstance(result, NotFinal):
            return StoredResponse(status_code, msgspec.json.encode(result.value), final=False)
        return StoredResponse(status_code, msgspec.json.encode(result))

    if key is None:
        stored, replayed = await answer(), False
    else:
        container = container_of(request)
        scope, request_fingerprint = await _keyed(request, user_id, key)
        stored, replayed = await run_idempotent(
            container.idempotency, container.clock, container.idempotency_policy, scope, request_fingerprint, answer
        )
    return _response(stored, replayed)


async def idempotent_in_work(
    request: Request[Any, Any, Any],
    user_id: str,
    work: Callable[[KeyRecorder[ResultT] | None], Awaitable[ResultT]],
    present: Callable[[ResultT], Any],
    *,
    required: bool,
    body_key: str | None = None,
    status_code: int = 200,
) -> Response[bytes]:
    """`idempotent` for work done in one transaction: `work` hands the recorder to its use case, which writes the
    answer (`present(result)`, encoded) under the key in that transaction. Same contract, no transactions of its own.
    """
    return await _recorded_by_work(request, user_id, work, present, required, body_key, status_code, claim=False)


async def idempotent_claimed(
    request: Request[Any, Any, Any],
    user_id: str,
    work: Callable[[KeyRecorder[ResultT] | None], Awaitable[ResultT]],
    present: Callable[[ResultT], Any],
    *,
    required: bool,
    body_key: str | None = None,
    status_code: int = 200,
) -> Response[bytes]:
    """`idempotent` for work of several transactions: the key is claimed first, and the use case may store the
    answer (`present(result)`, a `NotFinal` one never) on the claim in its last transaction."""
    return await _recorded_by_work(request, user_id, work, present, required, body_key, status_code, claim=True)


async def _recorded_by_work(
    request: Request[Any, Any, Any],
    user_id: str,
    work: Callable[[KeyRecorder[ResultT] | None], Awaitable[ResultT]],
    present: Callable[[ResultT], Any],
    required: bool,
    body_key: str | None,
    status_code: int,
    *,
    claim: bool,
) -> Response[bytes]:
    key = idempotency_key(request, body_key, required=required)

    def answer(result: ResultT) -> StoredResponse:
        shown = present(result)
        if isinstance(shown, NotFinal):
            return StoredResponse(status_code, msgspec.json.encode(shown.value), final=False)
        return StoredResponse(status_code, msgspec.json.encode(shown))

    async def attempt(recorder: KeyRecorder[ResultT] | None) -> StoredResponse:
        try:
            result = await work(recorder)
        except IdempotencyInProgress:
            raise  # the answer of this moment, not of the request: never stored under the key
        except DomainError as refusal:
            status, content = domain_error_body(request, refusal)
            return StoredResponse(status, msgspec.json.encode(content))
        recorded = None if recorder is None else recorder.recorded
        return recorded or answer(result)

    if key is None:
        return _response(await attempt(None), replayed=False)
    container = container_of(request)
    scope, request_fingerprint = await _keyed(request, user_id, key)
    run = run_claimed if claim else run_in_work
    stored, replayed = await run(
        container.idempotency,
        container.clock,
        container.idempotency_policy,
        scope,
        request_fingerprint,
        answer,
        attempt,
    )
    return _response(stored, replayed)


def _response(stored: StoredResponse, replayed: bool) -> Response[bytes]:
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(stored.body, status_code=stored.status_code, media_type="application/json", headers=headers)


async def _keyed(request: Request[Any, Any, Any], user_id: str, key: str) -> tuple[IdempotencyScope, str]:
    """The key's scope and the request's fingerprint (the body without its `idempotency_key`)."""
    body = await request.json() if await request.body() else None
    if isinstance(body, dict):
        body = {name: value for name, value in body.items() if name != "idempotency_key"}
    return IdempotencyScope(user_id, _route_template(request), key), fingerprint(request.method, request.url.path, body)
