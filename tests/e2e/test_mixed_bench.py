"""The mixed-traffic benchmark (`python -m tests.bench --only mixed`) run tiny, so the tool cannot rot: every route
answers through wrk, the sockets stay open, nothing errs, the outbox drains and the ledger has no drift."""

from __future__ import annotations

import json

import pytest

from tests.bench.mixed_bench import ROUTES, Scenario, measure

pytestmark = pytest.mark.e2e


def test_mixed_traffic_of_twenty_players_for_two_seconds_errs_nowhere_and_leaves_no_drift(
    env: dict[str, str],
) -> None:
    scenario = Scenario(players=20, seconds=2, think_ms=200)

    results = measure(env, scenario)

    assert list(results["routes"]) == [route.name for route, _ in ROUTES]
    assert sum(route["connections"] for route in results["routes"].values()) == scenario.players
    assert sum(route["requests"] for route in results["routes"].values()) > 0
    for route in results["routes"].values():
        assert route["errors"] == 0, route["first_error"]
        assert route["p50_ms"] <= route["p99_ms"] <= route["max_ms"]
    assert results["errors"] == 0
    assert results["server_errors"] == {}
    assert results["websockets"]["opened"] == scenario.sockets == 10
    assert results["websockets"]["closed_under_load"] == 0
    assert results["drain"]["left_undelivered"] == 0
    assert results["drain"]["seconds"] >= 0
    assert results["purchases"]["one_row_per_buy"] is True
    assert results["ledger"]["exit_code"] == 0
    assert results["ledger"]["drifted"] == 0
    assert results["ledger"]["wallets_checked"] >= scenario.players
    assert results["cpu"]["wrk_percent_of_one_cpu"] >= 0
    assert json.loads(json.dumps(results)) == results  # what run() writes to var/bench/mixed.json
