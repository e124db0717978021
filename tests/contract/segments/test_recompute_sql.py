"""The recompute's set-based SQL agrees with the reference rules (src/domain/liveops/rfm.py) for a random population,
on PostgreSQL and on SQLite (the embedded default): group, churn risk and LTV of every player, and a rule segment's
members equal the players the rule matches in Python."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from src.adapters.memory.jobs import InProcessJobQueue
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.liveops import segments
from src.application.liveops.deps import LiveOpsDeps
from src.domain.liveops.rfm import Activity, RfmThresholds, churn_risk, ltv_cents, rfm_group
from src.domain.liveops.rules import matches, parse
from src.domain.liveops.segments import Segment, SegmentKind
from tests.support.clocks import FakeClock
from tests.support.players import play_row, purchase_row, user_row, write

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
RULE = "total_spent_cents > 0 and (days_since_last_play >= 10 or churn_risk > 40) and not rfm = 'Whale'"
PLAYERS = 150


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    url = f"sqlite+aiosqlite:///{tmp_path}/segments.db"
    migrations.upgrade(url)
    return url


@pytest.fixture
async def deps(database_url: str) -> AsyncIterator[LiveOpsDeps]:
    url = database_url
    database = SqlaDatabase(url, pool_size=2)
    queue = InProcessJobQueue()
    queue.register(segments.RECOMPUTE_JOB, _nothing, max_tries=1)  # the test runs the job itself
    yield LiveOpsDeps(lambda: SqlaUnitOfWork(database.session_factory), FakeClock(NOW), SecretsIdGenerator(), queue)
    await queue.close()
    await database.dispose()


async def _nothing(_: dict[str, Any]) -> None:
    return None


def _population(
    generator: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Random players and, per player, the properties the rules should find (computed here, by hand)."""
    users, purchases, plays, expected = [], [], [], {}
    tier = generator.randint(10**6, 10**9)  # a tier of this run's own: other tests share the PostgreSQL database
    for _ in range(PLAYERS):
        signup = generator.randint(0, 120)
        user = user_row(NOW, signup_days=0, vip_tier=tier)
        user["created_at"] = NOW - timedelta(days=signup, minutes=1)
        users.append(user)
        ages = [generator.uniform(0, signup) for _ in range(generator.choice([0, 0, 3, 15, 40, 120]))]
        bought = [
            (generator.uniform(0, signup), generator.choice([99, 499, 4999, 19999, 49999]))
            for _ in range(generator.choice([0, 0, 0, 1, 2, 5]))
        ]
        plays += [play_row(user["id"], NOW - timedelta(days=age)) for age in ages]
        purchases += [purchase_row(user["id"], NOW - timedelta(days=age), cents) for age, cents in bought]
        last = min([*ages, *(age for age, _ in bought)], default=signup + 1 / 1440)
        activity = Activity(
            days_since_last_play=int(last),
            plays_30d=sum(age < 30 for age in ages),
            plays_prev_30d=sum(30 <= age < 60 for age in ages),
            purchases_30d=sum(age < 30 for age, _ in bought),
            plays_total=len(ages),
            total_spent_cents=sum(cents for _, cents in bought),
            spent_30d_cents=sum(cents for age, cents in bought if age < 30),
        )
        expected[user["id"]] = {
            "rfm": rfm_group(activity, RfmThresholds()).value, "churn_risk": churn_risk(activity),
            "ltv_cents": ltv_cents(activity, RfmThresholds()), "total_spent_cents": activity.total_spent_cents,
            "days_since_last_play": activity.days_since_last_play, "vip_tier": tier, "rank": "STANDARD",
            "spent_30d_cents": activity.spent_30d_cents, "plays_30d": activity.plays_30d,
            "purchases_30d": activity.purchases_30d, "days_since_last_login": signup, "days_since_signup": signup,
            "streak": 0,
        }  # fmt: skip
    return users, purchases, plays, expected


async def test_the_sql_recompute_agrees_with_the_reference_rules(deps: LiveOpsDeps) -> None:
    users, purchases, plays, expected = _population(random.Random(2031))
    async with deps.uow_factory() as uow:
        await write(uow.session, users, purchases, plays)  # type: ignore[attr-defined]
        await uow.segments.add(Segment("reference_rule", SegmentKind.CUSTOM, RULE, 0, NOW, None), None)
        await uow.commit()

    job = await segments.request_recompute(deps)
    done = await segments.run_recompute(job.id, deps)

    assert done.error is None
    found = {}
    for user_id in expected:
        standing = await segments.player_segments(user_id, deps)
        assert standing.profile is not None
        profile = standing.profile
        in_rule = "reference_rule" in standing.segments
        found[user_id] = (profile.rfm.value, profile.churn_risk, profile.ltv_cents, in_rule)
    rule = parse(RULE)
    assert found == {
        user_id: (e["rfm"], e["churn_risk"], e["ltv_cents"], matches(rule, e)) for user_id, e in expected.items()
    }
    assert len({f[0] for f in found.values()}) == 5  # every group is exercised
