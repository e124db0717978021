"""Fixtures for the PaymentGateway contract: every test runs against each adapter, today the sandbox on the
in-memory cache and on Redis. `another` is a second instance on the same state, as another process would be
(on Redis, with its own client)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from src.adapters.memory.cache import InMemoryCache
from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.adapters.redis.cache import RedisCache
from src.application.shared.ports import Cache
from src.application.shop.payments import PaymentGateway
from tests.support.env import TEST_REDIS_URL

MakeGateway = Callable[[], PaymentGateway]


@pytest.fixture(params=["sandbox-memory", "sandbox-redis"])
async def make_gateway(request: pytest.FixtureRequest, redis_namespace: str) -> AsyncIterator[MakeGateway]:
    clients: list[Redis] = []
    shared_memory = InMemoryCache()

    def cache() -> Cache:
        if request.param == "sandbox-memory":
            return shared_memory
        clients.append(Redis.from_url(TEST_REDIS_URL))
        return RedisCache(clients[-1], namespace=redis_namespace)

    yield lambda: SandboxPaymentGateway(webhook_secret="whsec_contract", cache=cache())
    for client in clients:
        await client.aclose()


@pytest.fixture
def sut(make_gateway: MakeGateway) -> PaymentGateway:
    return make_gateway()


@pytest.fixture
def another(make_gateway: MakeGateway, sut: PaymentGateway) -> PaymentGateway:
    return make_gateway()
