"""Check that PostgreSQL and Redis answer before the suite runs; say in one line how to start them."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time

import asyncpg
from redis.asyncio import Redis

from tests.support.env import TEST_POSTGRES_URL, TEST_REDIS_URL

HINTS = {
    "postgres": "start it with `docker compose up -d postgres` or `pg_ctlcluster <version> main start`",
    "redis": "start it with `docker compose up -d redis` or `redis-server --daemonize yes`",
}


async def _postgres_ok() -> bool:
    try:
        connection = await asyncpg.connect(TEST_POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def _redis_ok() -> bool:
    client = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception:  # any failure means "not reachable"
        return False
    finally:
        await client.aclose()
    return True


async def missing_services() -> list[str]:
    postgres, redis = await asyncio.gather(_postgres_ok(), _redis_ok())
    return [name for name, ok in (("postgres", postgres), ("redis", redis)) if not ok]


def _docker_engine_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def main() -> int:
    missing = asyncio.run(missing_services())
    if missing and _docker_engine_available():
        subprocess.run(["docker", "compose", "up", "-d", *missing], check=False)
        for _ in range(30):
            time.sleep(1)
            missing = asyncio.run(missing_services())
            if not missing:
                break
    for name in missing:
        url = TEST_POSTGRES_URL if name == "postgres" else TEST_REDIS_URL
        print(f"make test: {name} is not reachable at {url}; {HINTS[name]}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
