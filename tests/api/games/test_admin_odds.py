"""Admin odds: a validated, audit-logged config change is published at once and used by the very next play."""

from __future__ import annotations

from typing import Any

import pytest

from src.application.identity.accounts import ensure_admin
from src.entrypoints.container import Container
from tests.api.games.conftest import GACHA_ODDS, SLOT_ODDS
from tests.api.games.helpers import get_json, grant, pull_ok, spin_ok, wallet
from tests.support.api import ADMIN_PASSWORD, bearer, in_app, unique

pytestmark = pytest.mark.usefixtures("restore_odds")


@pytest.fixture
async def admin_site_id(client: Any, container: Container) -> str:
    """An admin of each test's own on the module's app: the tests read the admin's audit trail, which must hold
    only their own entries (restoring the odds after a test is audited too)."""
    site_id = unique("admin")
    await in_app(client, lambda: ensure_admin(site_id, ADMIN_PASSWORD, container.identity))
    return site_id


def _symbol(name: str, weight: int = 1, triple: float = 2.0, pair: float = 0.5) -> dict[str, Any]:
    return {"name": name, "weight": weight, "triple_multiplier": triple, "pair_multiplier": pair}


# Two equally likely symbols: every spin is a triple (1/4) or a pair (3/4), and every one pays, so the
# streak always grows and the capped bonus is always on: RTP = (0.25 x 2 + 0.375 x 0.5 + 0.375 x 0.6) x 1.05.
TWO_GEMS_MACHINE = {
    "symbols": [_symbol("ruby", pair=0.5), _symbol("onyx", pair=0.6)],
    "min_bet": 5,
    "max_bet": 500,
    "streak_bonus_step": 0.05,
    "streak_bonus_cap": 0.05,
}


def _banner(**overrides: Any) -> dict[str, Any]:
    """A valid gacha config whose items exist nowhere else."""
    return {
        "rates": {"Legendary": 0.01, "Epic": 0.09, "Rare": 0.3, "Common": 0.6},
        "pools": {
            "Legendary": [{"item_id": "t_star_crown", "name": "Star Crown"}],
            "Epic": [{"item_id": "t_moon_cape", "name": "Moon Cape"}],
            "Rare": [{"item_id": "t_comet_pin", "name": "Comet Pin"}],
            "Common": [{"item_id": "t_dust_badge", "name": "Dust Badge"}, {"item_id": "t_pebble", "name": "Pebble"}],
        },
        "single_cost": 40,
        "ten_cost": 350,
        "pity_threshold": 50,
        "near_miss_rate": 0.1,
        **overrides,
    }


async def _audit(client: Any, admin: dict[str, Any], action: str) -> list[dict[str, Any]]:
    logs = await get_json(client, "/api/admin/audit/logs", admin, action=action, admin_id=admin["user"]["id"])
    items: list[dict[str, Any]] = logs["items"]
    return items


async def test_a_new_slot_config_is_published_and_used_by_the_next_spin(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    sut = await client.put(SLOT_ODDS, json=TWO_GEMS_MACHINE, headers=bearer(admin))

    assert sut.status_code == 200, sut.text
    published = await get_json(client, "/api/games/slot/config", player)
    assert published == sut.json()
    assert [(s["name"], s["probability"]) for s in published["symbols"]] == [("ruby", 0.5), ("onyx", 0.5)]
    assert (published["min_bet"], published["max_bet"]) == (5, 500)
    assert published["base_rtp"] == pytest.approx(0.9125)
    assert published["rtp"] == pytest.approx(0.9125 * 1.05)
    assert (published["hit_rate"], published["triple_probability"], published["pair_probability"]) == pytest.approx(
        (1.0, 0.25, 0.75)
    )
    spins = [await spin_ok(client, player, bet=100) for _ in range(6)]
    assert {name for spin in spins for name in spin["reels"]} <= {"ruby", "onyx"}
    assert all(spin["outcome"] in {"triple", "pair"} and spin["payout"] >= 50 for spin in spins), spins
    over_limit = await client.post("/api/games/slot/spin", json={"bet": 501}, headers=bearer(player))
    assert over_limit.status_code == 400
    [entry] = await _audit(client, admin, "slot.config.update")
    assert (entry["target_type"], entry["target_id"]) == ("game_config", "slot")
    assert [s["name"] for s in entry["payload"]["config"]["symbols"]] == ["ruby", "onyx"]


async def test_a_new_gacha_config_is_published_and_used_by_the_next_pull(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    await grant(client, admin, player["user"]["id"], "gems", 390)

    sut = await client.put(GACHA_ODDS, json=_banner(), headers=bearer(admin))

    assert sut.status_code == 200, sut.text
    published = await get_json(client, "/api/games/gacha/config", player)
    assert published == sut.json()
    assert published["rates"] == {"Legendary": 0.01, "Epic": 0.09, "Rare": 0.3, "Common": 0.6}
    assert (published["costs"], published["pity_threshold"]) == ({"1": 40, "10": 350}, 50)
    assert sum(published["effective_rates"].values()) == pytest.approx(1.0)
    single, ten = await pull_ok(client, player, 1), await pull_ok(client, player, 10)
    new_items = {item["item_id"] for pool in _banner()["pools"].values() for item in pool}
    assert {item["item_id"] for item in single["items"] + ten["items"]} <= new_items
    assert (single["cost"], single["balance_after"], ten["cost"], ten["balance_after"]) == (40, 350, 350, 0)
    assert await wallet(client, player) == {"coins": 1000, "gems": 0}
    [entry] = await _audit(client, admin, "gacha.config.update")
    assert entry["payload"]["config"]["single_cost"] == 40


SLOT_REFUSALS = [
    ({**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby")]}, "symbols"),
    ({**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby", triple=10, pair=5), _symbol("onyx")]}, "symbols"),  # RTP > 0.99
    ({**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby", pair=0), _symbol("onyx", pair=0)]}, "symbols"),  # RTP < 0.80
    ({**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby"), {"name": "onyx", "weight": 1}]}, "symbols[1].triple_multiplier"),
    ({**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby", weight=-1), _symbol("onyx")]}, "symbols[0].weight"),
    ({**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby"), _symbol("ruby")]}, "symbols[1].name"),
    ({**TWO_GEMS_MACHINE, "min_bet": 0}, "min_bet"),
    ({**TWO_GEMS_MACHINE, "max_bet": 4}, "max_bet"),
    ({**TWO_GEMS_MACHINE, "streak_bonus_cap": 2}, "streak_bonus_cap"),
    ({"min_bet": 1}, "symbols"),
]

GACHA_REFUSALS = [
    (_banner(rates={"Legendary": 0.01, "Epic": 0.09, "Rare": 0.3, "Common": 0.5}), "rates"),  # sums to 0.9
    (_banner(rates={"Legendary": 0, "Epic": 0, "Rare": 0.4, "Common": 0.6}), "rates"),  # pity has nothing to give
    (_banner(rates={"Mythic": 0.01, "Epic": 0.09, "Rare": 0.3, "Common": 0.6}), "rates.Mythic"),
    (_banner(rates={"Legendary": 0.1, "Epic": 0.3, "Rare": 0.6}), "rates.Common"),
    (_banner(pools={**_banner()["pools"], "Legendary": []}), "pools.Legendary"),
    (_banner(pools={**_banner()["pools"], "Rare": [{"item_id": "t_pebble", "name": "Pebble"}]}), "pools.Common"),
    (_banner(pity_threshold=0), "pity_threshold"),
    (_banner(single_cost=0), "single_cost"),
    (_banner(near_miss_rate=1.5), "near_miss_rate"),
]


@pytest.mark.parametrize(
    ("url", "refusals"), [(SLOT_ODDS, SLOT_REFUSALS), (GACHA_ODDS, GACHA_REFUSALS)], ids=["slot", "gacha"]
)
async def test_an_invalid_config_is_refused_naming_the_field_and_changes_nothing(
    client: Any, admin: dict[str, Any], url: str, refusals: list[tuple[dict[str, Any], str]]
) -> None:
    before = await get_json(client, url, admin)

    answers = [await client.put(url, json=body, headers=bearer(admin)) for body, _ in refusals]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(400, "VALIDATION_ERROR")] * len(answers)
    named = [{field["key"] for field in a.json()["error"]["details"]["fields"]} for a in answers]
    unnamed = [(key, keys) for (_, key), keys in zip(refusals, named, strict=True) if key not in keys]
    assert unnamed == []
    assert await get_json(client, url, admin) == before
    assert await _audit(client, admin, "slot.config.update") + await _audit(client, admin, "gacha.config.update") == []


async def test_only_admins_see_or_change_the_odds(client: Any, player: dict[str, Any]) -> None:
    answers = [
        await client.get(SLOT_ODDS, headers=bearer(player)),
        await client.put(SLOT_ODDS, json=TWO_GEMS_MACHINE, headers=bearer(player)),
        await client.get(GACHA_ODDS, headers=bearer(player)),
        await client.put(GACHA_ODDS, json=_banner(), headers=bearer(player)),
    ]

    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [(403, "FORBIDDEN")] * 4
    assert "ruby" not in {s["name"] for s in (await get_json(client, "/api/games/slot/config", player))["symbols"]}


async def test_a_gacha_preview_shows_the_effective_rates_a_save_would_publish_and_stores_nothing(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    preview = await client.post(f"{GACHA_ODDS}/preview", json=_banner(), headers=bearer(admin))
    broken = await client.post(
        f"{GACHA_ODDS}/preview",
        json=_banner(rates={"Legendary": 0.5, "Epic": 0.5, "Rare": 0.5, "Common": 0.5}),
        headers=bearer(admin),
    )
    by_a_player = await client.post(f"{GACHA_ODDS}/preview", json=_banner(), headers=bearer(player))
    audited_after_previews = await _audit(client, admin, "gacha.config.update")
    published_before_save = await get_json(client, "/api/games/gacha/config", player)
    saved = await client.put(GACHA_ODDS, json=_banner(), headers=bearer(admin))

    assert preview.status_code == 200, preview.text
    rates = preview.json()["effective_rates"]
    assert rates == saved.json()["effective_rates"]  # the very rates a save publishes
    assert rates["Epic"] + rates["Legendary"] > 0.01 + 0.09  # pity lifts Epic or better above the nominal rates
    assert sum(rates.values()) == pytest.approx(1)
    assert (preview.json()["pity_threshold"], preview.json()["costs"]) == (50, {"1": 40, "10": 350})
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "VALIDATION_ERROR"
    assert by_a_player.status_code == 403
    assert audited_after_previews == []
    assert published_before_save["pity_threshold"] != 50  # nothing was stored by the previews


async def test_a_preview_shows_the_rtp_a_save_would_publish_and_stores_nothing(
    client: Any, admin: dict[str, Any], player: dict[str, Any]
) -> None:
    stingy = {**TWO_GEMS_MACHINE, "symbols": [_symbol("ruby", pair=0.1), _symbol("onyx", pair=0.1)]}

    preview = await client.post(f"{SLOT_ODDS}/preview", json=TWO_GEMS_MACHINE, headers=bearer(admin))
    refused_by_save = await client.put(SLOT_ODDS, json=stingy, headers=bearer(admin))
    too_low = await client.post(f"{SLOT_ODDS}/preview", json=stingy, headers=bearer(admin))
    broken = await client.post(f"{SLOT_ODDS}/preview", json={"symbols": []}, headers=bearer(admin))
    by_a_player = await client.post(f"{SLOT_ODDS}/preview", json=TWO_GEMS_MACHINE, headers=bearer(player))
    audited_after_previews = await _audit(client, admin, "slot.config.update")
    saved = await client.put(SLOT_ODDS, json=TWO_GEMS_MACHINE, headers=bearer(admin))

    assert preview.status_code == 200, preview.text
    assert preview.json()["acceptable"] is True
    assert preview.json()["rtp"] == pytest.approx((0.25 * 2 + 0.375 * 0.5 + 0.375 * 0.6) * 1.05)
    assert preview.json()["rtp"] == saved.json()["rtp"]  # the very number a save publishes
    assert refused_by_save.status_code == 400
    assert too_low.status_code == 200
    assert too_low.json()["acceptable"] is False
    assert too_low.json()["rtp"] < too_low.json()["rtp_min"] == 0.80
    assert broken.status_code == 400
    assert by_a_player.status_code == 403
    assert audited_after_previews == []  # previews store and audit nothing
