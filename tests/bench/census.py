"""What one request costs in round trips: database statements (BEGIN and COMMIT included) and Redis commands.

Counted in the request's own task (a context variable), so the outbox relay's passes running beside it are not
mixed in; the relay's own work per pass is counted the same way around `relay.drain`. Unlike throughput, these
counts do not depend on what else the machine runs, so they compare commits exactly.

    python -m tests.bench --only census
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from src.entrypoints.http.app import create_app
from src.entrypoints.settings import load_settings
from tests.bench.backends import throwaway_backends
from tests.support.processes import PROJECT_ROOT
from tests.support.round_trips import counted, instrumented

REQUESTS = 20  # of each kind, after one warm-up each; the averages are what one request costs
PASSWORD = "plum-orbit-canyon-42"
RESULTS_PATH = PROJECT_ROOT / "var" / "bench" / "census.json"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _player(client: httpx.AsyncClient) -> str:
    site_id = f"census_{uuid.uuid4().hex[:12]}"
    body = {"site_id": site_id, "nickname": site_id, "password": PASSWORD, "invite_code": "5858"}
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


def _routes(token: str) -> dict[str, Callable[[httpx.AsyncClient], Awaitable[Any]]]:
    auth = _bearer(token)

    async def spin(client: httpx.AsyncClient) -> Any:
        return await client.post("/api/games/slot/spin", json={"bet": 10}, headers=auth)

    async def spin_with_key(client: httpx.AsyncClient) -> Any:
        headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
        return await client.post("/api/games/slot/spin", json={"bet": 10}, headers=headers)

    async def pull_with_key(client: httpx.AsyncClient) -> Any:
        headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
        return await client.post("/api/games/gacha/pull", json={"count": 1}, headers=headers)

    async def buy(client: httpx.AsyncClient) -> Any:
        body = {"sku": "gems_100", "card_token": "tok_visa"}
        return await client.post("/api/shop/buy", json=body, headers={**auth, "Idempotency-Key": uuid.uuid4().hex})

    return {
        "GET /api/wallet": lambda client: client.get("/api/wallet", headers=auth),
        "GET /api/auth/me": lambda client: client.get("/api/auth/me", headers=auth),
        "POST /api/games/slot/spin": spin,
        "POST /api/games/slot/spin (Idempotency-Key)": spin_with_key,
        "POST /api/games/gacha/pull (Idempotency-Key)": pull_with_key,
        "POST /api/shop/buy": buy,
    }


async def _census(app: Litestar, client: httpx.AsyncClient) -> dict[str, dict[str, float]]:
    token = await _player(client)
    relay = app.state.container.relay
    await relay.drain(max_passes=100)
    figures: dict[str, dict[str, float]] = {}
    for name, send in _routes(token).items():
        response = await send(client)  # warm-up: caches filled, statements prepared
        assert response.status_code in (200, 201), f"{name}: {response.status_code} {response.text}"
        await relay.drain(max_passes=100)
        total: Counter[str] = Counter()
        for _ in range(REQUESTS):
            total += await counted(lambda send=send, name=name: _checked(send(client), name))
        deferred = await counted(lambda: relay.drain(max_passes=100))
        figures[name] = {
            **{kind: round(count / REQUESTS, 2) for kind, count in sorted(total.items())},
            **{f"deferred_{kind}": round(count / REQUESTS, 2) for kind, count in sorted(deferred.items())},
        }
    return figures


async def _checked(response: Awaitable[Any], name: str) -> None:
    answered = await response
    assert answered.status_code in (200, 201), f"{name}: {answered.status_code} {answered.text}"


async def _run_census(env: dict[str, str]) -> dict[str, dict[str, float]]:
    # the relay runs only when asked (drain), so its work is counted apart from the requests'
    settings = load_settings({**env, "OUTBOX_RELAY_IN_APP": "false"}, env_file=None)
    with instrumented():
        app = create_app(settings)
        # the app's lifespan and requests on this loop and in the caller's context (a test client would run them
        # in a thread of its own, out of reach of the context variable)
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://census") as client,
        ):
            return await _census(app, client)


def run(results_path: Path = RESULTS_PATH) -> str:
    extra = {
        "STARTING_COINS": "100000000",
        "STARTING_GEMS": "100000000",
        "FRAUD_MAX_ATTEMPTS": "1000000000",
        "TEST_CHEAP_PASSWORD_HASHES": "true",
    }
    with throwaway_backends(extra) as env:
        figures = asyncio.run(_run_census(env))
    results = {"benchmark": "census", "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps({**results, "per_request": figures}, indent=2) + "\n", encoding="utf-8")
    lines = [f"round trips per request ({REQUESTS} of each; deferred = the relay's passes afterwards, per request)"]
    lines += [f"  {name:<45} {json.dumps(counts)}" for name, counts in figures.items()]
    return "\n".join([*lines, f"  results  {results_path}"])
