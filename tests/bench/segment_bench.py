"""How long a segment recompute takes on PostgreSQL for 100 000 players with 2 000 000 plays and 40 000 purchases,
three custom segments beside the five RFM groups: the first run (every membership new) and a second one (only
what changed is written)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text

from src.adapters.memory.jobs import InProcessJobQueue
from src.adapters.security.ids import SecretsIdGenerator
from src.adapters.sqla import migrations
from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.adapters.system.clock import SystemClock
from src.application.liveops import segments
from src.application.liveops.deps import LiveOpsDeps
from src.domain.liveops.segments import Segment, SegmentKind
from tests.support.databases import create_database, drop_database

PLAYERS = 100_000
PLAYS = 2_000_000
PURCHASES = 40_000
CUSTOM = {
    "lapsed_spenders": "total_spent_cents > 0 and days_since_last_play >= 7",
    "vip_grinders": "vip_tier >= 2 and plays_30d >= 20",
    "fresh": "days_since_signup <= 7 and not rfm in ('Whale', 'High')",
}
SEED = [
    f"""INSERT INTO users (id, site_id, nickname, nickname_key, password_hash, vip_tier, created_at)
        SELECT 'u' || lpad(n::text, 8, '0'), 's' || n, 'n' || n, 'n' || n, 'x', n % 5,
               now() - make_interval(days => n % 365)
        FROM generate_series(1, {PLAYERS}) AS n""",  # noqa: S608 - only the constants above are interpolated
    # each player is last active (u * 13) % 45 days ago and played over the 3 days before: recent and lapsed ones
    f"""INSERT INTO game_history (id, user_id, game_type, action, bet, payout, delta_coins, delta_gems, won,
                                  result_meta, created_at)
        SELECT 'g' || n, 'u' || lpad(u::text, 8, '0'), CASE WHEN n % 4 = 0 THEN 'gacha' ELSE 'slot' END, 'spin', 10,
               0, -10, 0, false, '{{}}', now() - make_interval(days => ((u * 13) % 45)::int, hours => (n % 72)::int)
        FROM (SELECT n, 1 + (n * 7919) % {PLAYERS} AS u FROM generate_series(1::bigint, {PLAYS}::bigint) AS n) AS p""",  # noqa: S608
    # two purchases each for a fifth of the players, 4.99 $ to 499 $: some whales among them
    f"""INSERT INTO purchase_transactions (id, user_id, sku, kind, quantity, amount_cents, currency, gems,
                                           card_token_fingerprint, status, history, created_at, updated_at)
        SELECT 't' || n, 'u' || lpad((1 + (n * 31) % {PLAYERS // 5})::text, 8, '0'), 'gems_100', 'catalog', 1,
               (n % 100 + 1) * 499, 'USD', 100, 'f', CASE WHEN n % 9 = 0 THEN 'failed' ELSE 'captured' END, '[]',
               now() - make_interval(days => (n % 90)::int), now()
        FROM generate_series(1::bigint, {PURCHASES}::bigint) AS n""",  # noqa: S608
    "ANALYZE",
]


async def _seed(url: str) -> SqlaDatabase:
    database = SqlaDatabase(url, pool_size=4)
    async with database.session_factory() as session:
        for statement in SEED:
            await session.execute(text(statement))
        await session.commit()
    return database


async def _timed(deps: LiveOpsDeps) -> tuple[float, int, int]:
    job = await segments.request_recompute(deps, "bench")
    started = time.perf_counter()
    done = await segments.run_recompute(job.id, deps)
    assert done.error is None, done.error
    return time.perf_counter() - started, done.players or 0, done.changes or 0


async def _measure(url: str) -> str:
    database = await _seed(url)
    queue = InProcessJobQueue()
    queue.register(segments.RECOMPUTE_JOB, _nothing, max_tries=1)  # the bench runs the job itself, timed
    clock = SystemClock()
    deps = LiveOpsDeps(lambda: SqlaUnitOfWork(database.session_factory), clock, SecretsIdGenerator(), queue)
    try:
        async with deps.uow_factory() as uow:
            for name, rule in CUSTOM.items():
                await uow.segments.add(Segment(name, SegmentKind.CUSTOM, rule, 0, clock.now(), None), None)
            await uow.commit()
        first = await _timed(deps)
        second = await _timed(deps)
        counts = {s.name: s.members for s in await segments.list_segments(deps)}
    finally:
        await queue.close()
        await database.dispose()
    return (
        f"segment recompute on PostgreSQL, {PLAYERS:,} players, {PLAYS:,} plays, {PURCHASES:,} purchases, "
        f"5 RFM groups + {len(CUSTOM)} custom segments:\n"
        f"  first run:  {first[0]:.1f} s ({first[1]:,} profiles, {first[2]:,} membership changes)\n"
        f"  second run: {second[0]:.1f} s ({second[1]:,} profiles, {second[2]:,} membership changes)\n"
        f"  members: {counts}"
    )


async def _nothing(_: dict[str, object]) -> None:
    return None


def run() -> str:
    name, url = asyncio.run(create_database("cc_bench_segments"))
    try:
        migrations.upgrade(url)
        return asyncio.run(_measure(url))
    finally:
        asyncio.run(drop_database(name))


if __name__ == "__main__":
    print(run())
