"""Small helpers for the games API tests: plays, wallet reads, admin grants, waiting for event delivery."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select

from src.adapters.sqla.models import OutboxRow
from tests.support.api import bearer, in_app

SPIN = "/api/games/slot/spin"
PULL = "/api/games/gacha/pull"
HISTORY = "/api/games/history"
DELIVERY_TIMEOUT_SECONDS = 10.0


async def spin(client: Any, tokens: dict[str, Any], bet: int = 100, **headers: str) -> Any:
    return await client.post(SPIN, json={"bet": bet}, headers=bearer(tokens) | headers)


async def spin_ok(client: Any, tokens: dict[str, Any], bet: int = 100) -> dict[str, Any]:
    response = await spin(client, tokens, bet)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def pull(client: Any, tokens: dict[str, Any], count: int = 1) -> Any:
    return await client.post(PULL, json={"count": count}, headers=bearer(tokens))


async def pull_ok(client: Any, tokens: dict[str, Any], count: int = 1) -> dict[str, Any]:
    response = await pull(client, tokens, count)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_json(client: Any, url: str, tokens: dict[str, Any], **params: Any) -> Any:
    response = await client.get(url, params=params, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()


async def wallet(client: Any, tokens: dict[str, Any]) -> dict[str, int]:
    balances: dict[str, int] = await get_json(client, "/api/wallet", tokens)
    return balances


async def ledger(client: Any, tokens: dict[str, Any]) -> list[dict[str, Any]]:
    """The caller's whole ledger, every page, oldest first."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await get_json(client, "/api/wallet/ledger", tokens, limit=100, **({"cursor": cursor} if cursor else {}))
        entries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return sorted(entries, key=lambda entry: int(entry["id"]))


async def grant(client: Any, admin: dict[str, Any], user_id: str, currency: str, amount: int) -> None:
    response = await client.post(
        f"/api/admin/users/{user_id}/grant",
        json={"currency": currency, "amount": amount, "reason": "games test"},
        headers=bearer(admin) | {"idempotency-key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


async def deliver_events(client: Any, container: Any) -> None:
    """Relay until the session's whole outbox is published, so every play so far is on the boards."""

    async def unpublished() -> int:
        async with container.uow_factory() as uow:
            query = select(func.count()).select_from(OutboxRow).where(OutboxRow.published_at.is_(None))
            return int((await uow.session.execute(query)).scalar_one())

    async def settle() -> None:
        async with asyncio.timeout(DELIVERY_TIMEOUT_SECONDS):
            while True:
                await container.relay.drain()
                if await unpublished() == 0:
                    return
                await asyncio.sleep(0.005)

    await in_app(client, settle)
