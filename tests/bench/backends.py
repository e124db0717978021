"""Throwaway backends for a benchmark run: its own database, Redis namespace and VAR_DIR."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from redis.asyncio import Redis

from src.adapters.sqla import migrations
from tests.support.databases import create_database, drop_database
from tests.support.env import TEST_REDIS_URL
from tests.support.redis_keys import delete_namespace, new_namespace


async def _delete_keys(namespace: str) -> None:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()


@contextmanager
def throwaway_backends(extra_env: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """A migrated database, a Redis namespace and a VAR_DIR of its own; all removed afterwards."""
    name, url = asyncio.run(create_database("cc_bench"))
    namespace = new_namespace()
    try:
        migrations.upgrade(url)
        with tempfile.TemporaryDirectory(prefix="cc-bench-") as var_dir:
            yield {
                "APP_ENV": "test",
                "DATABASE_URL": url,
                "REDIS_URL": TEST_REDIS_URL,
                "REDIS_NAMESPACE": namespace,
                "VAR_DIR": var_dir,
                "LOG_LEVEL": "WARNING",
                "RATE_LIMIT_AUTH_PER_MINUTE": "1000000",
                **(extra_env or {}),
            }
    finally:
        try:
            asyncio.run(drop_database(name))
        finally:
            asyncio.run(_delete_keys(namespace))
