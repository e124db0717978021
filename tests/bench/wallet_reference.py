"""The benchmarks' reference endpoint: the minimal wallet transaction in a Litestar app on raw asyncpg, plus one
Redis INCR (what issue 16 measures the project against).

`POST /debit {"user_id": ...}` runs, on one pooled connection (pool of 10):

    BEGIN
    SELECT balance FROM wallets WHERE user_id = $1 AND currency = 'coins' FOR UPDATE
    UPDATE wallets SET balance = balance - 1, updated_at = now() WHERE … RETURNING balance
    INSERT INTO ledger_entries (…) VALUES (…) RETURNING id
    COMMIT

then `INCR` one Redis counter (when REDIS_URL is set), and answers `200 {"balance_after": …, "entry_id": …}`. No
authentication, no logging: the floor the real spin is compared with. Served by uvicorn with the same defaults as
`casino-club serve` (uvloop and httptools when installed, no access log), in a process of its own:

    python -m tests.bench.wallet_reference --port 8123   # DATABASE_URL=postgresql://… [REDIS_URL=…]
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec
import uvicorn
from litestar import Litestar, Response, get, post
from litestar.datastructures import State
from redis.asyncio import Redis

POOL_SIZE = 10

LOCK = "SELECT balance FROM wallets WHERE user_id = $1 AND currency = 'coins' FOR UPDATE"
DEBIT = (
    "UPDATE wallets SET balance = balance - 1, updated_at = now() "
    "WHERE user_id = $1 AND currency = 'coins' RETURNING balance"
)
LEDGER = (
    "INSERT INTO ledger_entries (user_id, currency, delta, balance_after, reason, ref_type, ref_id, created_at) "
    "VALUES ($1, 'coins', -1, $2, 'bench_reference', 'bench', $3, now()) RETURNING id"
)


class DebitIn(msgspec.Struct):
    user_id: str


class DebitOut(msgspec.Struct):
    balance_after: int
    entry_id: int


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@post("/debit", status_code=200)
async def debit(data: DebitIn, state: State) -> DebitOut | Response[dict[str, str]]:
    pool: asyncpg.Pool = state.pool
    async with pool.acquire() as connection, connection.transaction():
        if await connection.fetchval(LOCK, data.user_id) is None:
            return Response({"error": "no coins wallet"}, status_code=404)
        balance = await connection.fetchval(DEBIT, data.user_id)
        entry_id = await connection.fetchval(LEDGER, data.user_id, balance, uuid.uuid4().hex)
    if state.redis is not None:
        await state.redis.incr("bench:reference:debits")
    return DebitOut(balance, entry_id)


def create_reference(dsn: str, redis_url: str | None, pool_size: int = POOL_SIZE) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        app.state.redis = Redis.from_url(redis_url) if redis_url else None
        try:
            yield
        finally:
            await app.state.pool.close()
            if app.state.redis is not None:
                await app.state.redis.aclose()

    return Litestar([health, debit], lifespan=[lifespan], openapi_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_reference(os.environ["DATABASE_URL"], os.environ.get("REDIS_URL"))
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False, lifespan="on")


if __name__ == "__main__":
    main()
