"""Which Redis failures are an outage (DependencyUnavailable) and which stay themselves."""

from __future__ import annotations

import pytest
from redis import exceptions as redis_errors

from src.adapters.redis.errors import unavailable_when_unreachable
from src.application.shared.errors import DependencyUnavailable


def failing_with(error: Exception) -> object:
    @unavailable_when_unreachable
    async def call() -> None:
        raise error

    return call


@pytest.mark.parametrize(
    "error",
    [
        redis_errors.ConnectionError("Error 111 connecting to cache.internal:6379"),
        redis_errors.TimeoutError("Timeout reading from cache.internal:6379"),
        redis_errors.BusyLoadingError("Redis is loading the dataset in memory"),
    ],
)
async def test_connection_failures_are_an_outage_that_names_only_the_driver_class(error: Exception) -> None:
    sut = failing_with(error)

    with pytest.raises(DependencyUnavailable) as raised:
        await sut()  # type: ignore[operator]

    assert raised.value.__cause__ is error
    assert raised.value.reason == type(error).__name__
    assert "cache.internal" not in str(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        redis_errors.AuthenticationError("invalid password"),  # a wrong setting: loud, not retried
        redis_errors.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        KeyError("ours"),
    ],
)
async def test_other_errors_stay_what_they_are(error: Exception) -> None:
    sut = failing_with(error)

    with pytest.raises(type(error)) as raised:
        await sut()  # type: ignore[operator]

    assert raised.value is error


async def test_results_pass_through() -> None:
    @unavailable_when_unreachable
    async def sut(value: int) -> int:
        return value * 2

    assert await sut(21) == 42
