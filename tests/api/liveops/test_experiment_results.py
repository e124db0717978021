"""GET /api/admin/experiments/{id}/results, counted by the OLAP store: exposures reach it through the outbox once per
player; a known effect is significant, and a 60/40 split of a 50/50 experiment raises the SRM flag."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.writer import OlapEventWriter
from src.entrypoints.container import Container
from tests.api.liveops.experiments_support import EXPERIMENTS, create_experiment, exposure, purchase
from tests.support.api import bearer, in_app, sign_up

Client = AsyncTestClient[Litestar]
PRICE = 499


async def _write(client: Client, container: Container, events: list[AnalyticsEvent]) -> None:
    assert container.olap is not None
    writer = OlapEventWriter(container.olap)
    await in_app(client, lambda: writer.publish(events))


def _synthetic(
    experiment: dict[str, Any], players: dict[str, int], rates: dict[str, float], seed: int
) -> list[AnalyticsEvent]:
    """`players` exposed per variant, each buying once after exposure with the variant's rate."""
    rng, start = random.Random(seed), datetime.now(UTC) - timedelta(minutes=30)
    events: list[AnalyticsEvent] = []
    for variant, count in players.items():
        for _ in range(count):
            player = uuid.uuid4().hex
            events.append(exposure(experiment, player, variant, start))
            if rng.random() < rates[variant]:
                events.append(purchase(player, PRICE, start + timedelta(minutes=1)))
    return events


async def _results(client: Client, admin: dict[str, Any], experiment: dict[str, Any]) -> Any:
    response = await client.get(f"{EXPERIMENTS}/{experiment['id']}/results", headers=bearer(admin))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_known_effect_is_significant_and_the_split_is_healthy(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    experiment = await create_experiment(client, admin)
    await _write(
        client,
        container,
        _synthetic(experiment, {"control": 3000, "bundle": 3000}, {"control": 0.10, "bundle": 0.15}, 1),
    )

    results = await _results(client, admin, experiment)

    control, bundle = results["variants"]
    assert (control["variant"], control["exposed"], control["p_value"]) == ("control", 3000, None)
    assert bundle["exposed"] == 3000
    assert abs(bundle["conversion_rate"] - 0.15) < 0.02
    assert abs(control["conversion_rate"] - 0.10) < 0.02
    assert bundle["converted"] == round(bundle["conversion_rate"] * 3000)
    assert bundle["revenue_per_exposed_cents"] == bundle["converted"] * PRICE / 3000
    assert bundle["p_value"] < 0.01
    assert bundle["revenue_p_value"] < 0.01
    assert results["srm"]["flagged"] is False


async def test_without_an_effect_p_values_are_not_systematically_small(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    p_values = []
    for seed in range(20):
        experiment = await create_experiment(client, admin)
        await _write(
            client,
            container,
            _synthetic(experiment, {"control": 400, "bundle": 400}, {"control": 0.2, "bundle": 0.2}, seed),
        )
        p_values.append((await _results(client, admin, experiment))["variants"][1]["p_value"])

    assert sum(p < 0.05 for p in p_values) <= 4  # 5 % expected; 4 of 20 or more has probability < 2 %
    assert 0.3 < sum(p_values) / len(p_values) < 0.7


async def test_a_60_40_split_on_a_50_50_experiment_raises_the_srm_flag(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    experiment = await create_experiment(client, admin)
    await _write(
        client, container, _synthetic(experiment, {"control": 600, "bundle": 400}, {"control": 0.1, "bundle": 0.1}, 3)
    )

    srm = (await _results(client, admin, experiment))["srm"]

    assert srm["flagged"] is True
    assert srm["p_value"] < 0.001
    assert srm["expected"] == {"control": 500.0, "bundle": 500.0}


async def test_real_exposures_reach_the_olap_store_once_each(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    experiment = await create_experiment(client, admin)
    players = [await sign_up(client) for _ in range(4)]
    for player in players:
        for _ in range(3):
            await client.get(f"/api/abtest/variant?experiment={experiment['key']}", headers=bearer(player))
    assert container.exporter is not None
    exporter = container.exporter

    await in_app(client, exporter.drain)
    await in_app(client, exporter.drain)  # a second pass exports nothing new: still one exposure each

    results = await _results(client, admin, experiment)
    assert sum(v["exposed"] for v in results["variants"]) == 4
    assert container.olap is not None
    olap = container.olap
    sql = "SELECT count() AS n FROM events FINAL WHERE event_type = 'ExperimentExposed' AND aggregate_id = {e:String}"
    [row] = await in_app(client, lambda: olap.query(sql, {"e": experiment["id"]}))
    assert row["n"] == 4  # one event row per player, not one per call
    assert all(v["converted"] == 0 for v in results["variants"])


GOAL_EVENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "purchase": ("PurchaseUpdated", {"status": "captured", "amount_cents": PRICE, "currency": "USD"}),
    "spin": ("SpinSettled", {"bet": 10, "payout": 0, "outcome": "lose"}),
    "pull": ("GachaPulled", {"cost": 50, "rarities": ["Common"]}),
    "login": ("UserLoggedIn", {}),
    "mission_claim": ("RewardGranted", {"source": "mission:daily_login", "amount": 100, "currency": "coins"}),
    "retention_d1": ("UserLoggedIn", {}),
}


def _goal_event(goal: str, player: str, at: datetime) -> AnalyticsEvent:
    event_type, payload = GOAL_EVENTS[goal]
    unique_id = uuid.uuid4().hex
    ids = {"spin_id": unique_id, "pull_id": unique_id, "session_id": unique_id}
    return AnalyticsEvent(
        unique_id, event_type, 1, at, player, "user", unique_id, {"user_id": player, **ids, **payload}
    )


@pytest.mark.parametrize("goal", sorted(GOAL_EVENTS))
async def test_each_goal_counts_its_events_after_the_exposure_only(
    client: Client, admin: dict[str, Any], container: Container, goal: str
) -> None:
    experiment = await create_experiment(client, admin, goal=goal)
    # on a whole ten minutes, 30 to 40 minutes ago: 5 s after it is still the exposure's own day whatever the time
    # (run at 00:29:5x, "30 minutes ago" + 5 s would be the next day, a day-1 return)
    half_an_hour_ago = datetime.now(UTC) - timedelta(minutes=30)
    exposed_at = half_an_hour_ago.replace(minute=half_an_hour_ago.minute // 10 * 10, second=0, microsecond=0)
    after = exposed_at + (timedelta(days=1) if goal == "retention_d1" else timedelta(minutes=1))
    converts, early, idle = (uuid.uuid4().hex for _ in range(3))
    events = [exposure(experiment, player, "bundle", exposed_at) for player in (converts, early, idle)]
    events += [_goal_event(goal, converts, after), _goal_event(goal, early, exposed_at - timedelta(minutes=5))]
    if goal == "retention_d1":  # active again on the exposure's own day is not a day-1 return
        events.append(_goal_event(goal, idle, exposed_at + timedelta(seconds=5)))
    await _write(client, container, events)

    bundle = (await _results(client, admin, experiment))["variants"][1]

    assert (bundle["exposed"], bundle["converted"]) == (3, 1)
