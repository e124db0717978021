"""/api/admin/segments*: RFM groups of a seeded population against a table computed by hand, a purchase moving a
player at the next recompute, custom rules (validated with the error's position, previewed) and a campaign to a
segment reaching exactly its members, once each."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from src.adapters.sqla.models.notifications import CampaignDeliveryRow, NotificationRow
from src.entrypoints.container import Container
from tests.support.api import bearer, in_app, sign_up
from tests.support.players import days_ago, play_rows, purchase_row, user_row, write
from tests.support.polling import eventually

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    return {**app_settings, "job_queue": "in-process", "campaign_dispatch_interval_seconds": 0.2}


# name: (signup days ago, purchases [(days ago, cents, status, refunded)], plays [(days ago, count)]),
#       then the expected (group, churn risk, LTV cents) worked out by hand from src/domain/liveops/rfm.py
POPULATION: dict[str, tuple[int, list[tuple[int, int, str, int]], list[tuple[int, int]], tuple[str, int, int]]] = {
    # spent 600 $ 5 days ago, plays yesterday: risk 1*2 = 2; LTV 60000 + 60000*6*98/100
    "whale": (90, [(5, 60_000, "captured", 0)], [(1, 10)], ("Whale", 2, 412_800)),
    # 150 $ 40 days ago (none in 30 days): High by spend; risk 2; LTV is the spend alone
    "high_spender": (90, [(40, 15_000, "captured", 0)], [(1, 5)], ("High", 2, 15_000)),
    # 120 plays over the last 10 days, no spend: High by frequency; played today: risk 0
    "grinder": (90, [], [(0, 60), (9, 60)], ("High", 0, 0)),
    # 25 plays 3 days ago: Medium by frequency; risk 6
    "regular": (90, [], [(3, 25)], ("Medium", 6, 0)),
    # 20 $ less a 5 $ refund (a failed 999 $ never counts): Medium by spend; risk 4; LTV 1500 + 1500*6*96/100
    "small_spender": (90, [(2, 2_000, "refunded", 500), (2, 99_900, "failed", 0)], [(2, 2)], ("Medium", 4, 10_140)),
    # spent 200 $ 45 days ago, 30 plays 31-50 days ago, none since: At-risk; risk 30*2 + 40 (plays fell 30 → 0)
    "lapsed_payer": (90, [(45, 20_000, "captured", 0)], [(31, 15), (50, 15)], ("At-risk", 100, 20_000)),
    # signed up today, nothing yet: Low
    "newcomer": (0, [], [], ("Low", 0, 0)),
    # 3 plays 35 days ago and nothing since, never paid: lapsed but never engaged, so Low; risk 60 + 40
    "drifter": (40, [], [(35, 3)], ("Low", 100, 0)),
}


async def _seed(client: Client, container: Container, tier: int) -> dict[str, str]:
    """The population, all in a VIP tier of its own (rules below select it); returns name → user id."""
    now = datetime.now(UTC)
    users, purchases, plays, ids = [], [], [], {}
    for name, (signup, bought, played, _) in POPULATION.items():
        user = user_row(now, signup_days=signup, vip_tier=tier)
        users.append(user)
        ids[name] = user["id"]
        for age, cents, status, refunded in bought:
            purchases.append(
                purchase_row(user["id"], days_ago(now, age), cents, status=status, refunded_cents=refunded)
            )
        for age, count in played:
            plays += play_rows(user["id"], [days_ago(now, age)] * count)

    async def insert() -> None:
        async with container.uow_factory() as uow:
            await write(uow.session, users, purchases, plays)  # type: ignore[attr-defined]
            await uow.commit()

    await in_app(client, insert)
    return ids


async def _recompute(client: Client, admin: dict[str, Any]) -> dict[str, Any]:
    accepted = await client.post("/api/admin/segments/recompute", headers=bearer(admin))
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]

    async def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = (await client.get(f"/api/admin/segments/jobs/{job_id}", headers=bearer(admin))).json()
        return job if job["status"] in ("done", "failed") else None

    job = await eventually(finished, deadline=60)
    assert (job["status"], job["progress"], job["error"]) == ("done", 1.0, None), job
    return job


async def _standing(client: Client, admin: dict[str, Any], user_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/admin/users/{user_id}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    segments: dict[str, Any] = response.json()["segments"]
    return segments


async def test_rfm_groups_risk_and_ltv_of_a_seeded_population_match_the_hand_computed_table(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    ids = await _seed(client, container, random.randint(10_000, 10**9))

    await _recompute(client, admin)

    found = {}
    for name, user_id in ids.items():
        standing = await _standing(client, admin, user_id)
        found[name] = (standing["rfm"], standing["churn_risk"], standing["ltv_cents"])
        assert standing["rfm"] in standing["member_of"]
    assert found == {name: row[3] for name, row in POPULATION.items()}


async def test_a_purchase_moves_the_player_to_another_group_at_the_next_recompute(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    ids = await _seed(client, container, random.randint(10_000, 10**9))
    await _recompute(client, admin)
    assert (await _standing(client, admin, ids["regular"]))["rfm"] == "Medium"

    async def buy() -> None:
        async with container.uow_factory() as uow:
            purchase = purchase_row(ids["regular"], datetime.now(UTC), 55_000)
            await write(uow.session, [], [purchase], [])  # type: ignore[attr-defined]
            await uow.commit()

    await in_app(client, buy)
    assert (await _standing(client, admin, ids["regular"]))["rfm"] == "Medium"  # not before the recompute
    await _recompute(client, admin)

    standing = await _standing(client, admin, ids["regular"])
    assert standing["rfm"] == "Whale"
    assert "Whale" in standing["member_of"]
    assert "Medium" not in standing["member_of"]
    changes = [(change["segment"], change["change"]) for change in standing["history"]]
    assert changes[:2] in ([("Medium", "left"), ("Whale", "joined")], [("Whale", "joined"), ("Medium", "left")])


async def test_a_custom_segment_previews_its_members_and_a_campaign_reaches_each_once(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    tier = random.randint(10_000, 10**9)
    ids = await _seed(client, container, tier)
    await _recompute(client, admin)
    name = f"valuable_{tier}"
    rule = f'vip_tier = {tier} and (rfm in ("Whale", "High") or ltv_cents >= 10000) and not churn_risk > 50'
    expected = {ids["whale"], ids["high_spender"], ids["grinder"], ids["small_spender"]}

    created = await client.post("/api/admin/segments", json={"name": name, "rule": rule}, headers=bearer(admin))
    assert created.status_code == 201, created.text
    assert (created.json()["kind"], created.json()["count"]) == ("custom", 4)
    preview = (await client.get(f"/api/admin/segments/{name}/preview", headers=bearer(admin))).json()
    assert preview["count"] == 4
    assert {member["user_id"] for member in preview["sample"]} == expected
    listed = (await client.get("/api/admin/segments", headers=bearer(admin))).json()["items"]
    assert [item["name"] for item in listed[:5]] == ["Whale", "High", "Medium", "Low", "At-risk"]
    assert next(item for item in listed if item["name"] == name)["count"] == 4

    body = {"title": "For you", "body": "A gift", "channels": ["inbox"], "target": {"type": "segment", "value": name},
            "scheduled_at": datetime.now(UTC).isoformat()}  # fmt: skip
    campaign = await client.post("/api/admin/campaigns", json=body, headers=bearer(admin))
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]

    async def done() -> dict[str, Any] | None:
        listed = (await client.get("/api/admin/campaigns?limit=100", headers=bearer(admin))).json()["items"]
        found: dict[str, Any] = next(item for item in listed if item["id"] == campaign_id)
        return found if found["status"] == "done" else None

    finished = await eventually(done)
    assert finished["progress"] == {"targeted": 4, "sent": 4, "failed": 0}

    async def delivered() -> tuple[list[str], list[str]]:
        async with container.uow_factory() as uow:
            session: Any = uow.session  # type: ignore[attr-defined]
            deliveries = CampaignDeliveryRow.__table__.c  # type: ignore[attr-defined]
            inbox = NotificationRow.__table__.c  # type: ignore[attr-defined]
            claimed = await session.execute(select(deliveries.user_id).where(deliveries.campaign_id == campaign_id))
            users = [str(row.user_id) for row in claimed]
            rows = await session.execute(
                select(inbox.user_id).where(inbox.title == "For you", inbox.user_id.in_(ids.values()))
            )
            return users, [str(row.user_id) for row in rows]

    claimed, inboxed = await in_app(client, delivered)
    assert sorted(claimed) == sorted(expected)
    assert sorted(inboxed) == sorted(expected)  # each member once, nobody else of the population

    send = {"title": "Now", "channels": ["inbox"], "target": {"type": "segment", "value": name}}
    sent = await client.post("/api/admin/notifications/send", json=send, headers=bearer(admin))
    emailed = await client.post("/api/admin/email/trigger", json={"template": "welcome", "segment": f"segment:{name}"},
                                headers=bearer(admin))  # fmt: skip
    assert (sent.status_code, sent.json()["targeted"], sent.json()["inbox"]) == (200, 4, 4)
    assert (emailed.status_code, emailed.json()["targeted"]) == (200, 4)


@pytest.mark.parametrize(
    ("rule", "position"),
    [
        ("ltv_cents >= ", 13),
        ("ltv_cents >= 10 and", 19),
        ("wealth > 3", 0),
        ('rank = "VIP" or vip_tier = "gold"', 27),
        ("plays_30d > 5 )", 14),
        ("(plays_30d > 5", 14),
        ("rank < 'VIP'", 0),
        ("plays_30d ! 5", 10),
        ("", 0),
    ],
)
async def test_a_bad_rule_is_a_400_that_says_where(
    client: Client, admin: dict[str, Any], rule: str, position: int
) -> None:
    response = await client.post("/api/admin/segments", json={"name": "bad_rule", "rule": rule}, headers=bearer(admin))

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["position"]) == ("VALIDATION_ERROR", position)
    assert f"position {position}" in error["message"]


async def test_names_are_checked_and_unknown_segments_are_refused_as_targets(
    client: Client, admin: dict[str, Any]
) -> None:
    taken = await client.post(
        "/api/admin/segments", json={"name": "whale", "rule": "plays_30d > 1"}, headers=bearer(admin)
    )
    unknown = await client.get("/api/admin/segments/nope_404/preview", headers=bearer(admin))
    body = {"title": "x", "channels": ["inbox"], "target": {"type": "segment", "value": "nope_404"}}
    sent = await client.post("/api/admin/notifications/send", json=body, headers=bearer(admin))
    email = await client.post("/api/admin/email/trigger", json={"template": "welcome", "segment": "nope_404"},
                              headers=bearer(admin))  # fmt: skip
    job = await client.get("/api/admin/segments/jobs/nope", headers=bearer(admin))

    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "SEGMENT_EXISTS")
    assert unknown.status_code == 404
    assert (sent.status_code, sent.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (email.status_code, email.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert job.status_code == 404


async def test_an_experiment_can_be_limited_to_a_segment_and_only_its_members_take_part(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    ids = await _seed(client, container, random.randint(10_000, 10**9))
    outsider = await sign_up(client)
    await _recompute(client, admin)
    now = datetime.now(UTC)
    window = {"starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()}
    experiment = {"key": f"seg_{uuid.uuid4().hex[:10]}", "goal": "purchase", "audience": "Whale",
                  "variants": [{"name": "control", "weight": 1}, {"name": "bundle", "weight": 1}],
                  **window}  # fmt: skip

    created = await client.post("/api/admin/experiments", json=experiment, headers=bearer(admin))
    assigned = await client.post("/api/abtest/assign", json={"experiment": experiment["key"]}, headers=bearer(outsider))

    assert created.status_code == 201, created.text
    assert assigned.status_code in (200, 201), assigned.text
    assert assigned.json()["variant"] is None  # not a Whale: the default, nothing recorded
    assert (await _standing(client, admin, ids["whale"]))["rfm"] == "Whale"
