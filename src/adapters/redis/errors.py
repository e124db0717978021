"""Redis that cannot be reached is a DependencyUnavailable (the request fails cleanly), never a crash."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis import exceptions as redis_errors

from src.application.shared.errors import DependencyUnavailable

P = ParamSpec("P")
R = TypeVar("R")


def unavailable_when_unreachable(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Connection errors and timeouts become DependencyUnavailable; refused credentials (a wrong setting) and
    every other Redis error stay what they are."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (redis_errors.AuthenticationError, redis_errors.AuthorizationError):
            raise
        except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
            raise DependencyUnavailable("redis unreachable") from exc

    return call
