from __future__ import annotations

import uuid

from redis.asyncio import Redis


def new_namespace() -> str:
    return f"test:{uuid.uuid4().hex}:"


async def delete_namespace(client: Redis, namespace: str) -> None:
    async for key in client.scan_iter(match=f"{namespace}*", count=500):
        await client.delete(key)
