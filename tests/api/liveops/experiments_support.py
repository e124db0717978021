"""Helpers for experiment tests: an experiment created over HTTP, and synthetic events written to the OLAP store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.analytics.events import AnalyticsEvent
from tests.support.api import bearer, unique

EXPERIMENTS = "/api/admin/experiments"


def experiment_body(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "key": unique("exp").lower(),
        "variants": [
            {"name": "control", "weight": 50, "params": {"featured_banner": "default"}},
            {"name": "bundle", "weight": 50, "params": {"featured_banner": "bundle_10", "discount_percent": 10}},
        ],
        "goal": "purchase",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        **changes,
    }


async def create_experiment(client: AsyncTestClient[Litestar], admin: dict[str, Any], **changes: Any) -> Any:
    response = await client.post(EXPERIMENTS, json=experiment_body(**changes), headers=bearer(admin))
    assert response.status_code == 201, response.text
    return response.json()


def _event(event_type: str, at: datetime, player: str, aggregate: tuple[str, str], payload: dict[str, Any]) -> Any:
    return AnalyticsEvent(uuid.uuid4().hex, event_type, 1, at, player, aggregate[0], aggregate[1], payload)


def exposure(experiment: dict[str, Any], player: str, variant: str, at: datetime) -> AnalyticsEvent:
    payload = {"user_id": player, "experiment_key": experiment["key"], "variant": variant, "phase": 1}
    return _event("ExperimentExposed", at, player, ("experiment", experiment["id"]), payload)


def purchase(player: str, cents: int, at: datetime) -> AnalyticsEvent:
    payload = {"user_id": player, "status": "captured", "amount_cents": cents, "currency": "USD"}
    return _event("PurchaseUpdated", at, player, ("purchase", uuid.uuid4().hex), payload)
