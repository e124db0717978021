"""The one mapping from exceptions to the error envelope of API.md."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap

from src.application.shared.errors import DependencyUnavailable
from src.domain.shared.errors import DomainError
from src.entrypoints.http.disconnects import client_disconnected, client_gone
from src.entrypoints.http.request_id import request_id_of

logger = structlog.get_logger("casino_club.http")
_BODY_ARGUMENT = "data"  # what Litestar calls a handler's request body
RETRY_UNAVAILABLE_SECONDS = 2  # a dependency that blipped is usually back by then; a longer outage answers again

# Codes whose HTTP status is not 400; every other domain error is a 400.
STATUS_BY_CODE: dict[str, int] = {
    "UNAUTHORIZED": 401,
    "TOKEN_EXPIRED": 401,
    "TOKEN_REVOKED": 401,
    "INVALID_CREDENTIALS": 401,
    "REFRESH_REUSED": 401,
    "PAYMENT_FAILED": 402,
    "FORBIDDEN": 403,
    "ACCOUNT_SUSPENDED": 403,
    "ACCOUNT_BANNED": 403,
    "RANK_REQUIRED": 403,
    "DISABLED": 403,
    "WINDOW_CLOSED": 403,
    "USER_LIMIT": 403,
    "LIMIT_REACHED": 403,
    "TIMED_OUT": 403,
    "SELF_EXCLUDED": 403,
    "NOT_FOUND": 404,
    "SITE_ID_TAKEN": 409,
    "SEGMENT_EXISTS": 409,
    "NICKNAME_TAKEN": 409,
    "SKU_TAKEN": 409,
    "DEFINITION_EXISTS": 409,
    "PROMO_CODE_TAKEN": 409,
    "EXPERIMENT_KEY_TAKEN": 409,
    "ILLEGAL_TRANSITION": 409,
    "NOT_REFUNDABLE": 409,
    "NOT_CANCELLABLE": 409,
    "INSUFFICIENT_FUNDS": 409,
    "ALREADY_APPLIED": 409,
    "OUT_OF_STOCK": 409,
    "PROMO_EXHAUSTED": 409,
    "WEBHOOK_REPLAY": 409,
    "ALREADY_CLAIMED": 409,
    "NOT_CLAIMABLE": 409,
    "IDEMPOTENCY_IN_PROGRESS": 409,
    "IDEMPOTENCY_KEY_REUSED": 422,
    "FRAUD_BLOCK": 429,
    "LOGIN_LOCKED": 429,
    "RATE_LIMITED": 429,
}

# Framework errors by status: the code a client sees and a message that leaks nothing internal.
_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("VALIDATION_ERROR", "the request is not valid"),
    401: ("UNAUTHORIZED", "authentication is required"),
    403: ("FORBIDDEN", "you are not allowed to do this"),
    404: ("NOT_FOUND", "no such resource"),
    405: ("METHOD_NOT_ALLOWED", "this method is not allowed here"),
    413: ("PAYLOAD_TOO_LARGE", "the request body is too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "the content type is not supported"),
    429: ("RATE_LIMITED", "too many requests"),
    503: ("SERVICE_UNAVAILABLE", "the service is not available"),
}


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = {"error": {"code": code, "message": message, "details": details, "request_id": request_id_of(request.scope)}}
    return Response(body, status_code=status, headers=headers)


def _validation_details(request: Request[Any, Any, Any], exc: ValidationException) -> dict[str, Any]:
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    fields = []
    for item in extra:
        if isinstance(item, dict):
            fields.append(_as_client_wrote_it(request, {k: item[k] for k in ("key", "message", "source") if k in item}))
        else:
            fields.append({"message": str(item)})
    return {"fields": fields, "reason": exc.detail}


def _as_client_wrote_it(request: Request[Any, Any, Any], field: dict[str, Any]) -> dict[str, Any]:
    """Litestar names a failed argument as the handler does: `data` for the whole body, `since` for `?from=`."""
    key = field.get("key")
    if key == _BODY_ARGUMENT and field.get("source") == "body":
        del field["key"]
        if field.get("message") == repr(_BODY_ARGUMENT):  # the KeyError of an absent body
            field["message"] = "a JSON body is required"
        return field
    handler = request.scope.get("route_handler")
    argument = handler.parsed_fn_signature.parameters.get(key) if handler and key else None
    kwarg = argument.kwarg_definition if argument else None
    if isinstance(kwarg, ParameterKwarg):
        field["key"] = kwarg.name or key
    return field


def domain_error_body(request: Request[Any, Any, Any], exc: DomainError) -> tuple[int, dict[str, Any]]:
    """Status and envelope of a domain refusal (also what idempotent replays store)."""
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "details": exc.details,
            "request_id": request_id_of(request.scope),
        }
    }
    return STATUS_BY_CODE.get(exc.code, 400), body


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    headers = None if exc.retry_after_seconds is None else {"Retry-After": str(exc.retry_after_seconds)}
    status, body = domain_error_body(request, exc)
    return Response(body, status_code=status, headers=headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500 and status not in _HTTP_CODES:  # a deliberate 503 (try again later) is not a crash
        return handle_unexpected(request, exc)
    code, message = _HTTP_CODES.get(status, ("HTTP_ERROR", "the request could not be served"))
    details: Any = None
    if isinstance(exc, ValidationException) or status == 400:
        details = (
            _validation_details(request, exc)
            if isinstance(exc, ValidationException)
            else {"fields": [], "reason": exc.detail}
        )
        code, message = "VALIDATION_ERROR", "the request is not valid"
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after"}}
    return error_response(request, status, code, message, details, headers or None)


def log_unavailable(connection: ASGIConnection[Any, Any, Any, Any], exc: DependencyUnavailable) -> None:
    """One warning line, no trace: an outage is not a bug, and the driver's message may name hosts."""
    logger.warning(
        "dependency unavailable",
        request_id=request_id_of(connection.scope),
        path=connection.url.path,
        dependency=str(exc),
        error=exc.reason,
    )


def handle_unavailable(request: Request[Any, Any, Any], exc: DependencyUnavailable) -> Response[dict[str, Any]]:
    log_unavailable(request, exc)
    code, message = _HTTP_CODES[HTTP_503_SERVICE_UNAVAILABLE]
    headers = {"Retry-After": str(RETRY_UNAVAILABLE_SECONDS)}
    return error_response(request, HTTP_503_SERVICE_UNAVAILABLE, code, message, headers=headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if client_disconnected(request.scope):
        return client_gone(request, exc)
    logger.exception(
        "unhandled error",
        request_id=request_id_of(request.scope),
        method=request.method,
        path=request.url.path,
        exc_info=exc,
    )
    return error_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "INTERNAL_ERROR",
        "something went wrong on our side; quote the request_id",
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    DependencyUnavailable: handle_unavailable,
    Exception: handle_unexpected,
}
