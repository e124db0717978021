"""OLAP store through clickhouse-connect: a ClickHouse server over HTTP, or chDB in process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client


class ClickHouseOlap:
    """The sync client runs in a worker thread so the event loop never waits on ClickHouse."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("the OLAP store is not started")
        return self._client

    def _connect(self) -> Client:
        if self.dsn.startswith("chdb:///"):
            Path(self.dsn.removeprefix("chdb://")).parent.mkdir(parents=True, exist_ok=True)
        return clickhouse_connect.get_client(dsn=self.dsn)

    async def start(self) -> None:
        if self._client is None:
            self._client = await asyncio.to_thread(self._connect)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)

    async def command(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self.client.command, sql, parameters=parameters)


class ClickHouseProbe:
    name = "olap"

    def __init__(self, olap: ClickHouseOlap) -> None:
        self._olap = olap

    async def check(self) -> None:
        await self._olap.command("SELECT 1")
