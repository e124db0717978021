"""A player who has done a bit of everything, through the API, with personal values of their own (site id,
nickname, email, phone, IP, user agent) that no other test uses: what the export and erasure tests look for."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import PASSWORD, bearer, sign_up, unique
from tests.support.polling import eventually
from tests.support.push_service import BrowserKeys, b64url
from tests.support.realtime import settle

Client = AsyncTestClient[Litestar]


@dataclass
class ActivePlayer:
    tokens: dict[str, Any]
    site_id: str
    nickname: str
    email: str
    phone: str
    ip: str
    user_agent: str

    @property
    def user_id(self) -> str:
        return str(self.tokens["user"]["id"])

    def personal_values(self) -> dict[str, str]:
        return {
            "site_id": self.site_id,
            "nickname": self.nickname,
            "email": self.email,
            "phone": self.phone,
            "ip": self.ip,
            "user_agent": self.user_agent,
        }

    def headers(self, **more: str) -> dict[str, str]:
        return {**bearer(self.tokens), "user-agent": self.user_agent, "x-forwarded-for": self.ip, **more}


async def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), response.text
    return response.json() if response.content else None


def _new_player_values() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    octets = [random.randint(1, 254) for _ in range(3)]
    return {
        "site_id": f"pv_{tag}",
        "nickname": f"Nick {tag}",
        "email": f"mail.{tag}@example.org",
        "phone": f"+4915{random.randint(10**7, 10**8 - 1)}",
        "ip": f"10.{octets[0]}.{octets[1]}.{octets[2]}",
        "user_agent": f"PrivacyProbe/{tag} (test)",
    }


async def active_player(client: Client, admin: dict[str, Any]) -> ActivePlayer:
    """Signs up, logs in from its own address and browser, plays, buys, follows and is followed, tracks actions,
    sets limits and settings, is granted and messaged by an admin; returns once every event has been relayed."""
    values = _new_player_values()
    await sign_up(client, site_id=values["site_id"], nickname=values["nickname"], email=values["email"],
                  phone_number=values["phone"])  # fmt: skip
    login = await client.post(
        "/api/auth/login",
        json={"site_id": values["site_id"], "password": PASSWORD},
        headers={"user-agent": values["user_agent"], "x-forwarded-for": values["ip"]},
    )
    player = ActivePlayer(await _ok(login), **values)
    await settle(client)
    await _play(client, player)
    await _shop(client, admin, player)
    await _social_and_settings(client, admin, player)
    await _experiment(client, admin, player)
    await settle(client)
    await _segments(client, admin)
    return player


async def _play(client: Client, player: ActivePlayer) -> None:
    for _ in range(3):
        await _ok(await client.post("/api/games/slot/spin", json={"bet": 10}, headers=player.headers()))
    await _ok(await client.post("/api/fairness/rotate", headers=player.headers()))
    await _ok(await client.post("/api/games/slot/spin", json={"bet": 10}, headers=player.headers()))
    await _ok(await client.post("/api/streak/tick", headers=player.headers()), 200, 201)
    action = {"action_type": "custom:opened_shop", "context": {"note": f"hello from {player.nickname}"}}
    await _ok(await client.post("/api/actions", json=action, headers=player.headers()), 202)


async def _experiment(client: Client, admin: dict[str, Any], player: ActivePlayer) -> None:
    now = datetime.now(UTC)
    experiment = {
        "key": f"pv_{uuid.uuid4().hex[:10]}",
        "variants": [{"name": "control", "weight": 50}, {"name": "bundle", "weight": 50}],
        "goal": "purchase",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
    }
    await _ok(await client.post("/api/admin/experiments", json=experiment, headers=bearer(admin)), 201)
    assign = {"experiment": experiment["key"]}
    await _ok(await client.post("/api/abtest/assign", json=assign, headers=player.headers()), 200, 201)


async def _segments(client: Client, admin: dict[str, Any]) -> None:
    """A recompute gives the player a profile, an RFM group and the history of joining it."""
    job_id = (await _ok(await client.post("/api/admin/segments/recompute", headers=bearer(admin)), 202))["job_id"]

    async def done() -> bool:
        job = await _ok(await client.get(f"/api/admin/segments/jobs/{job_id}", headers=bearer(admin)))
        return bool(job["status"] == "done")

    await eventually(done, deadline=60)


async def _shop(client: Client, admin: dict[str, Any], player: ActivePlayer) -> None:
    promo = f"PV{uuid.uuid4().hex[:8].upper()}"
    await _ok(await client.post("/api/admin/promo-codes", json={"code": promo, "discount_percent": 10},
                                headers=bearer(admin)), 200, 201)  # fmt: skip
    body = {"sku": "gems_100", "quantity": 1, "card_token": "tok_visa", "promo_code": promo}
    await _ok(
        await client.post("/api/shop/buy", json=body, headers=player.headers(**{"idempotency-key": uuid.uuid4().hex}))
    )
    now, package_id = datetime.now(UTC), f"pv_{uuid.uuid4().hex[:10]}"
    package = {
        "package_id": package_id,
        "name": "Privacy bundle",
        "price_cents": 99,
        "gems": 10,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "max_global_stock": 10,
        "per_user_limit": 2,
    }
    await _ok(await client.post("/api/admin/limited-packages/upsert", json=package, headers=bearer(admin)))
    limited = {"package_id": package_id, "quantity": 1, "card_token": "tok_visa"}
    await _ok(await client.post("/api/shop/limited/buy", json=limited,
                                headers=player.headers(**{"idempotency-key": uuid.uuid4().hex})))  # fmt: skip
    await _ok(await client.post("/api/games/gacha/pull", json={"count": 1}, headers=player.headers()))


async def _social_and_settings(client: Client, admin: dict[str, Any], player: ActivePlayer) -> None:
    friend = await sign_up(client, site_id=unique("pvf"))
    await _ok(await client.post(f"/api/games/follow/{friend['user']['id']}", headers=player.headers()), 200, 201, 204)
    await _ok(await client.post(f"/api/games/follow/{player.user_id}", headers=bearer(friend)), 200, 201, 204)
    await _ok(await client.put("/api/limits", json={"purchase": {"daily_cents": 50_000}}, headers=player.headers()))
    await _ok(await client.put("/api/notifications/settings", json={"email": False}, headers=player.headers()))
    keys = BrowserKeys()
    subscription = {"endpoint": f"https://push.example.org/{uuid.uuid4().hex}",
                    "keys": {"p256dh": keys.p256dh, "auth": b64url(keys.auth)}}  # fmt: skip
    await _ok(await client.post("/api/notifications/push/subscribe", json=subscription, headers=player.headers()), 201)
    message = {"target": {"type": "user", "value": player.user_id}, "channels": ["inbox"],
               "title": f"Hi {player.nickname}", "body": f"We wrote to {player.email}"}  # fmt: skip
    await _ok(await client.post("/api/admin/notifications/send", json=message, headers=bearer(admin)), 200, 201, 202)
    grant = {"user_id": player.user_id, "reward_type": "COIN", "amount": 5, "source": f"sorry {player.nickname}"}
    await _ok(await client.post("/api/rewards", json=grant,
                                headers={**bearer(admin), "idempotency-key": uuid.uuid4().hex}), 200, 201)  # fmt: skip
    change = {"vip_tier": 1, "reason": f"{player.nickname} asked nicely"}
    await _ok(await client.patch(f"/api/admin/users/{player.user_id}", json=change, headers=bearer(admin)))
    await _campaign_reaches(client, admin, player)


async def _campaign_reaches(client: Client, admin: dict[str, Any], player: ActivePlayer) -> None:
    title = f"Campaign {uuid.uuid4().hex[:8]}"
    body = {
        "title": title,
        "body": "Double coins",
        "channels": ["inbox"],
        "target": {"type": "user", "value": player.user_id},
        "scheduled_at": datetime.now(UTC).isoformat(),
    }
    await _ok(await client.post("/api/admin/campaigns", json=body, headers=bearer(admin)), 200, 201)

    async def delivered() -> bool:
        inbox = await _ok(await client.get("/api/notifications?limit=100", headers=player.headers()))
        return any(item["title"] == title for item in inbox["items"])

    await eventually(delivered, deadline=30)


async def settled_rows(pg_url: str, user_id: str) -> None:
    """Rows only a season's settlement writes (a final rank, a level paid at season end), for a season of the
    test's own: settlement runs on its schedule, after a season ends, which an API test does not wait for."""
    season, now = f"pv_{uuid.uuid4().hex[:10]}", datetime.now(UTC)
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO season_periods (season_id, definition_id, starts_at, ends_at, frozen_at, settled_at) "
                "VALUES ($1, 'pv', $2, $3, $3, $3)",
                season, now - timedelta(days=7), now,
            )  # fmt: skip
            await connection.execute(
                "INSERT INTO season_results (season_id, user_id, rank, score, coins, gems, paid_at) "
                "VALUES ($1, $2, 1, 100, 0, 0, $3)",
                season, user_id, now,
            )  # fmt: skip
            await connection.execute(
                "INSERT INTO battlepass_seasons (season_id, name, starts_at, ends_at, levels, xp_table, "
                "premium_price_gems, settled_at, updated_at) VALUES ($1, 'pv', $2, $3, '[]', '{}', 1, $3, $3)",
                season, now - timedelta(days=7), now,
            )  # fmt: skip
            await connection.execute(
                "INSERT INTO battlepass_claims (season_id, user_id, level, track, via, claimed_at) "
                "VALUES ($1, $2, 1, 'free', 'season_end', $3)",
                season, user_id, now,
            )  # fmt: skip
    finally:
        await connection.close()
