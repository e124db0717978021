"""The spin benchmark's reference endpoint: the minimal wallet transaction, raw ASGI + asyncpg, no framework.

`POST /debit {"user_id": ...}` runs, on one pooled connection (pool of 10):

    BEGIN
    SELECT balance FROM wallets WHERE user_id = $1 AND currency = 'coins' FOR UPDATE
    UPDATE wallets SET balance = balance - 1, updated_at = now() WHERE … RETURNING balance
    INSERT INTO ledger_entries (…) VALUES (…) RETURNING id
    COMMIT

and answers `200 {"balance_after": …, "entry_id": …}`. No authentication, no validation beyond the body shape,
no logging: it is the floor the real spin is compared with. Served by uvicorn with the same defaults as
`casino-club serve` (uvloop and httptools when installed, no access log), in a process of its own:

    python -m tests.bench.wallet_reference --port 8123   # DATABASE_URL=postgresql://… in the environment
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from typing import Any

import asyncpg
import uvicorn

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

Scope = dict[str, Any]


class WalletReference:
    """A raw ASGI app; the pool opens in the lifespan, so uvicorn must run with lifespan on."""

    def __init__(self, dsn: str, pool_size: int = POOL_SIZE) -> None:
        self._dsn = dsn
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            status, body = await self._handle(scope, receive)
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._pool = await asyncpg.create_pool(self._dsn, min_size=self._pool_size, max_size=self._pool_size)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._pool is not None:
                    await self._pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(self, scope: Scope, receive: Any) -> tuple[int, bytes]:
        if scope["path"] == "/health":
            return 200, b'{"status":"ok"}'
        if scope["path"] != "/debit" or scope["method"] != "POST":
            return 404, b'{"error":"not found"}'
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            user_id = str(json.loads(raw)["user_id"])
        except (ValueError, KeyError, TypeError):
            return 422, b'{"error":"body must be {\\"user_id\\": ...}"}'
        try:
            balance, entry_id = await self._debit(user_id)
        except Exception as exc:  # the load generator counts any non-200 as an error and shows the text
            return 500, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
        if balance is None:
            return 404, b'{"error":"no coins wallet"}'
        return 200, json.dumps({"balance_after": balance, "entry_id": entry_id}).encode()

    async def _debit(self, user_id: str) -> tuple[int | None, int | None]:
        assert self._pool is not None
        async with self._pool.acquire() as connection, connection.transaction():
            if await connection.fetchval(LOCK, user_id) is None:
                return None, None
            balance = await connection.fetchval(DEBIT, user_id)
            entry_id = await connection.fetchval(LEDGER, user_id, balance, uuid.uuid4().hex)
        return balance, entry_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = WalletReference(os.environ["DATABASE_URL"])
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False, lifespan="on")


if __name__ == "__main__":
    main()
