"""/api/abtest: a player's variant is deterministic and sticky, and only the first assignment records an exposure,
however many calls race for it; a new phase moves nobody already assigned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.liveops.experiments import receive_variant
from src.domain.liveops.experiments import bucket, pick
from src.entrypoints.container import Container
from tests.api.liveops.experiments_support import EXPERIMENTS, create_experiment
from tests.support.api import bearer, in_app, sign_up

Client = AsyncTestClient[Litestar]


async def _exposures(pg_url: str, experiment_id: str) -> dict[str, int]:
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT payload->>'user_id' AS player, count(*) AS n FROM outbox "
            "WHERE event_type = 'ExperimentExposed' AND aggregate_id = $1 GROUP BY 1",
            experiment_id,
        )
    finally:
        await connection.close()
    return {row["player"]: row["n"] for row in rows}


async def test_get_and_post_give_the_same_sticky_variant_with_its_params(
    client: Client, admin: dict[str, Any], pg_url: str
) -> None:
    experiment = await create_experiment(client, admin)
    player = await sign_up(client)
    expected = ["control", "bundle"][pick((50, 50), bucket(experiment["key"], player["user"]["id"]))]

    first = await client.get(f"/api/abtest/variant?experiment={experiment['key']}", headers=bearer(player))
    again = [
        await client.post("/api/abtest/assign", json={"experiment": experiment["key"]}, headers=bearer(player))
        for _ in range(3)
    ]

    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["experiment"], body["variant"]) == (experiment["key"], expected)
    params = {
        "control": {"featured_banner": "default"},
        "bundle": {"featured_banner": "bundle_10", "discount_percent": 10},
    }
    assert body["params"] == params[expected]
    assert [r.json() for r in again] == [body] * 3
    assert await _exposures(pg_url, experiment["id"]) == {player["user"]["id"]: 1}


async def test_concurrent_first_calls_record_one_exposure_per_player(
    client: Client, admin: dict[str, Any], container: Container, pg_url: str
) -> None:
    experiment = await create_experiment(client, admin)
    players = [await sign_up(client) for _ in range(3)]
    key = experiment["key"]

    over_http = await asyncio.gather(
        *(
            client.post("/api/abtest/assign", json={"experiment": key}, headers=bearer(player))
            for player in players
            for _ in range(8)
        )
    )
    late = (await sign_up(client))["user"]["id"]
    in_process = await in_app(
        client, lambda: asyncio.gather(*(receive_variant(late, key, container.liveops) for _ in range(12)))
    )

    assert {r.status_code for r in over_http} == {200}
    for player in players:
        answers = {
            r.json()["variant"]
            for r in over_http
            if r.request.headers["authorization"] == bearer(player)["authorization"]
        }
        assert len(answers) == 1
    assert len({received.variant for received in in_process}) == 1
    exposures = await _exposures(pg_url, experiment["id"])
    assert exposures == {**{p["user"]["id"]: 1 for p in players}, late: 1}


async def test_a_new_phase_keeps_assigned_players_and_splits_new_ones_by_its_weights(
    client: Client, admin: dict[str, Any]
) -> None:
    experiment = await create_experiment(client, admin)
    key = experiment["key"]
    early = [await sign_up(client) for _ in range(6)]
    before = [(await client.get(f"/api/abtest/variant?experiment={key}", headers=bearer(p))).json() for p in early]

    moved = await client.post(
        f"{EXPERIMENTS}/{experiment['id']}/phases",
        json={"variants": [{"name": "control", "weight": 0}, {"name": "bundle", "weight": 1}]},
        headers=bearer(admin),
    )
    after = [(await client.get(f"/api/abtest/variant?experiment={key}", headers=bearer(p))).json() for p in early]
    newcomers = [await sign_up(client) for _ in range(4)]
    fresh = [(await client.get(f"/api/abtest/variant?experiment={key}", headers=bearer(p))).json() for p in newcomers]

    assert moved.status_code == 200, moved.text
    assert [a["variant"] for a in after] == [b["variant"] for b in before]
    assert {f["variant"] for f in fresh} == {"bundle"}  # the control is closed to new players


async def test_outside_its_window_or_after_a_stop_nobody_is_in_the_experiment(
    client: Client, admin: dict[str, Any], pg_url: str
) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    scheduled = await create_experiment(
        client, admin, starts_at=later.isoformat(), ends_at=(later + timedelta(days=1)).isoformat()
    )
    running = await create_experiment(client, admin)
    player = await sign_up(client)
    await client.get(f"/api/abtest/variant?experiment={running['key']}", headers=bearer(player))
    await client.post(f"{EXPERIMENTS}/{running['id']}/stop", headers=bearer(admin))

    for experiment in (scheduled, running):
        answer = await client.get(f"/api/abtest/variant?experiment={experiment['key']}", headers=bearer(player))
        assert answer.json() == {
            "experiment": experiment["key"],
            "variant": None,
            "params": {},
            "assigned_at": None,
        }
    assert await _exposures(pg_url, scheduled["id"]) == {}


async def test_unknown_experiments_404_bad_queries_400_and_strangers_401(client: Client) -> None:
    player = await sign_up(client)

    unknown = await client.get("/api/abtest/variant?experiment=nope", headers=bearer(player))
    missing = await client.get("/api/abtest/variant", headers=bearer(player))
    empty = await client.post("/api/abtest/assign", json={"experiment": ""}, headers=bearer(player))

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (missing.status_code, empty.status_code) == (400, 400)
    assert (await client.get("/api/abtest/variant?experiment=x")).status_code == 401
