"""Errors the core raises; each carries a stable code from the API contract."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. `code` is the contract's error code; `details` is safe to show the client."""

    code = "DOMAIN_ERROR"
    default_message = "the request was refused"
    retry_after_seconds: int | None = None

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "not found"


class InvalidInput(DomainError):
    code = "VALIDATION_ERROR"
    default_message = "the request is not valid"


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "too many requests"

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message, details={"retry_after_seconds": retry_after_seconds})
        self.retry_after_seconds = max(1, retry_after_seconds)


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    default_message = "a valid access token is required"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "you are not allowed to do this"


class RankRequired(DomainError):
    code = "RANK_REQUIRED"
    default_message = "a higher rank is required"

    def __init__(self, required: str, current: str) -> None:
        details: dict[str, Any] = {"required": required, "current": current}
        super().__init__(f"rank {required} or higher is required", details=details)
