"""GET /metrics: the operational gauges sampled at scrape time, the business counters, and who may scrape."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.api import bearer, served, sign_up

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "scrape-token-0123456789abcdef0123456789"


def _value(body: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", body, re.MULTILINE)
    assert match, f"{name}{labels} missing from /metrics"
    return float(match.group(1))


async def test_a_spin_counts_as_a_play_and_the_backlog_gauges_are_sampled(client: Any) -> None:
    before = (await client.get("/metrics")).text
    player = await sign_up(client)

    spun = await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
    body = (await client.get("/metrics")).text

    assert spun.status_code == 200, spun.text
    slot = '{game="slot"}'
    earlier = _value(before, "casino_club_plays_total", slot) if "casino_club_plays_total" + slot in before else 0
    assert _value(body, "casino_club_plays_total", slot) == earlier + 1
    assert _value(body, "casino_club_outbox_backlog") >= 0
    assert _value(body, "casino_club_outbox_oldest_age_seconds") >= 0
    assert _value(body, "casino_club_db_pool_size") == 10  # DB_POOL_SIZE, on PostgreSQL
    assert 0 <= _value(body, "casino_club_db_pool_in_use") <= 10
    assert _value(body, "casino_club_db_read_pool_size") == 10  # DB_READ_POOL_SIZE
    assert 0 <= _value(body, "casino_club_db_read_pool_in_use") <= 4
    for queue in ("maintenance", "payments", "notifications"):  # arq on Redis: one depth per queue
        assert _value(body, "casino_club_job_queue_depth", f'{{queue="{queue}"}}') >= 0
        assert _value(body, "casino_club_job_failures_total", f'{{queue="{queue}"}}') >= 0
    assert "# TYPE casino_club_job_failures_total counter" in body
    assert _value(body, "casino_club_realtime_connections") == 0


@pytest.mark.parametrize(
    ("settings", "headers", "status"),
    [
        ({"metrics_token": METRICS_TOKEN}, {}, 401),
        ({"metrics_token": METRICS_TOKEN}, {"authorization": "Bearer not-the-token"}, 401),
        ({"metrics_token": METRICS_TOKEN}, {"authorization": f"Bearer {METRICS_TOKEN}"}, 200),
        ({}, {}, 200),  # development: open
    ],
)
async def test_a_metrics_token_when_set_is_required(
    make_settings: Any, settings: dict[str, str], headers: dict[str, str], status: int
) -> None:
    async with served(make_settings(**settings)) as sut:
        response = await sut.get("/metrics", headers=headers)

    assert response.status_code == status, response.text
    if status == 401:
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
    else:
        assert "casino_club_outbox_backlog" in response.text


def _vapid_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


@pytest.mark.parametrize("metrics_token", [None, METRICS_TOKEN])
async def test_in_production_metrics_are_closed_without_the_token_and_open_with_it(
    make_settings: Any, metrics_token: str | None
) -> None:
    settings = make_settings(
        app_env="production",
        test_cheap_password_hashes=False,  # production refuses the suite's cheap hashes
        jwt_secret="prod-secret-" + "x" * 40,
        payment_receipt_secret="r" * 40,
        transaction_integrity_secret="i" * 40,
        fairness_seed_key="f" * 40,
        payment_webhook_secrets="whsec_" + "w" * 40,
        vapid_private_key=_vapid_pem(),
        metrics_token=metrics_token,
    )
    async with served(settings) as production:
        anonymous = await production.get("/metrics")
        guessed = await production.get("/metrics", headers={"authorization": "Bearer not-the-token"})
        scraper = await production.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})

    assert (anonymous.status_code, guessed.status_code) == (401, 401)
    assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"
    assert "casino_club" not in anonymous.text + guessed.text
    if metrics_token is None:  # no token configured: closed to everyone
        assert scraper.status_code == 401
    else:
        assert scraper.status_code == 200, scraper.text
        assert "casino_club_job_failures_total" in scraper.text


async def test_every_metric_the_dashboard_charts_is_exported(client: Any) -> None:
    dashboard = json.loads((ROOT / "deploy/monitoring/grafana/dashboards/casino-club.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    charted = {name for expression in expressions for name in re.findall(r"\bcasino_club_\w+", expression)}
    player = await sign_up(client)
    await client.post("/api/games/slot/spin", json={"bet": 10}, headers=bearer(player))
    bought = await client.post(
        "/api/shop/buy",
        json={"sku": "gems_100", "card_token": "tok_visa"},
        headers={**bearer(player), "idempotency-key": uuid.uuid4().hex},
    )
    assert bought.status_code == 200, bought.text

    body = (await client.get("/metrics")).text
    exported = set(re.findall(r"^(casino_club_\w+?)(?:\{| )", body, re.MULTILINE))

    assert len(charted) >= 8
    assert charted <= exported, charted - exported
