"""Acceptance: provably fair plays. A spin and a pull are checked after rotation by the public endpoint and by the
standalone script in docs/; a tampered seed fails; the nonce never repeats under 64 concurrent spins."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from src.adapters.sqla.models import FairnessSeedRow
from tests.api.games.conftest import SLOT_ODDS
from tests.api.games.helpers import get_json, grant, pull_ok, spin, spin_ok
from tests.support.api import bearer, in_app, sign_up

SEEDS, ROTATE = "/api/fairness/seeds", "/api/fairness/rotate"
CLIENT_SEED, VERIFY = "/api/fairness/client-seed", "/api/fairness/verify"
SCRIPT = Path(__file__).parents[3] / "docs" / "verify_fair.py"
HEX64 = set("0123456789abcdef")


def proof_url(play_id: str) -> str:
    return f"/api/games/history/{play_id}/proof"


async def rotate(client: Any, tokens: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(ROTATE, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def verify_body(proof: dict[str, Any], server_seed: str) -> dict[str, Any]:
    inputs = ("bet", "streak") if proof["game_type"] == "slot" else ("count", "pity_counter")
    return {
        "game_type": proof["game_type"],
        "server_seed": server_seed,
        "client_seed": proof["client_seed"],
        "nonce": proof["nonce"],
        "config_version": proof["config_version"],
        "server_seed_hash": proof["server_seed_hash"],
        **{key: proof[key] for key in inputs},
    }


async def verify(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(VERIFY, json=body)  # no token: the check is public
    assert response.status_code == 200, response.text
    verified: dict[str, Any] = response.json()
    return verified


def run_script(tmp_path: Path, config: dict[str, Any], proof: dict[str, Any], server_seed: str) -> dict[str, Any]:
    """docs/verify_fair.py in a process of its own, with the published config saved as a file."""
    path = tmp_path / f"{proof['game_type']}.json"
    path.write_text(json.dumps(config))
    game_args = (
        ["--bet", str(proof["bet"]), "--streak", str(proof["streak"])]
        if proof["game_type"] == "slot"
        else ["--count", str(proof["count"]), "--pity", str(proof["pity_counter"])]
    )
    args = ["--config", str(path), "--server-seed", server_seed, "--client-seed", proof["client_seed"]]
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--nonce", str(proof["nonce"]), *game_args],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    checked: dict[str, Any] = json.loads(result.stdout)
    return checked


async def test_a_seed_pair_is_committed_before_any_play_and_its_server_seed_is_not_shown(
    client: Any, player: dict[str, Any]
) -> None:
    sut = await get_json(client, SEEDS, player)
    again = await get_json(client, SEEDS, player)

    assert set(sut) == {"server_seed_hash", "client_seed", "nonce", "previous"}
    assert len(sut["server_seed_hash"]) == 64
    assert set(sut["server_seed_hash"]) <= HEX64
    assert (sut["nonce"], sut["previous"]) == (0, None)
    assert 1 <= len(sut["client_seed"]) <= 64
    assert again == sut


async def test_a_spin_and_a_pull_verify_after_rotation_by_the_public_endpoint_and_the_standalone_script(
    client: Any, player: dict[str, Any], admin: dict[str, Any], tmp_path: Path
) -> None:
    await grant(client, admin, player["user"]["id"], "gems", 450)
    committed = await get_json(client, SEEDS, player)
    played_spin = await spin_ok(client, player, bet=100)
    played_pull = await pull_ok(client, player, count=10)
    before = [await get_json(client, proof_url(i), player) for i in (played_spin["spin_id"], played_pull["pull_id"])]

    rotated = await rotate(client, player)
    proofs = [await get_json(client, proof_url(i), player) for i in (played_spin["spin_id"], played_pull["pull_id"])]

    assert [p["server_seed"] for p in before] == [None, None]
    assert [(p["nonce"], p["server_seed_hash"]) for p in proofs] == [
        (0, committed["server_seed_hash"]),
        (1, committed["server_seed_hash"]),
    ]
    server_seed = rotated["previous"]["server_seed"]
    assert hashlib.sha256(server_seed.encode()).hexdigest() == committed["server_seed_hash"]
    assert rotated["previous"]["last_nonce"] == 1
    assert (rotated["nonce"], rotated["client_seed"]) == (0, committed["client_seed"])
    assert rotated["server_seed_hash"] != committed["server_seed_hash"]
    assert all(p["server_seed"] == server_seed for p in proofs)
    spin_proof, pull_proof = proofs
    assert spin_proof["outcome"] == {
        key: played_spin[key] for key in ("reels", "outcome", "multiplier", "payout", "streak")
    }
    assert pull_proof["outcome"]["items"] == [
        {"item_id": item["item_id"], "rarity": item["rarity"], "near_miss": item["near_miss"]}
        for item in played_pull["items"]
    ]
    assert pull_proof["outcome"]["pity_counter"] == played_pull["pity_counter"]
    configs = {"slot": await get_json(client, "/api/games/slot/config", player)}
    configs["gacha"] = await get_json(client, "/api/games/gacha/config", player)
    for proof in proofs:
        verified = await verify(client, verify_body(proof, server_seed))
        assert (verified["outcome"], verified["hash_matches"]) == (proof["outcome"], True)
        checked = run_script(tmp_path, configs[proof["game_type"]], proof, server_seed)
        assert checked == {"server_seed_hash": proof["server_seed_hash"], "outcome": proof["outcome"]}


async def test_a_tampered_seed_fails_the_check(client: Any, player: dict[str, Any]) -> None:
    played = await spin_ok(client, player, bet=100)
    server_seed = (await rotate(client, player))["previous"]["server_seed"]
    proof = await get_json(client, proof_url(played["spin_id"]), player)
    tampered = ("0" if server_seed[0] != "0" else "1") + server_seed[1:]

    honest = await verify(client, verify_body(proof, server_seed))
    sut = await verify(client, verify_body(proof, tampered))

    assert (honest["hash_matches"], honest["outcome"]) == (True, proof["outcome"])
    assert sut["hash_matches"] is False
    assert sut["server_seed_hash"] != proof["server_seed_hash"]


async def test_the_nonce_never_repeats_under_64_concurrent_spins(
    client: Any, player: dict[str, Any], admin: dict[str, Any]
) -> None:
    await grant(client, admin, player["user"]["id"], "coins", 64 * 100)

    responses = await asyncio.gather(*(spin(client, player, bet=100) for _ in range(64)))

    assert [r.status_code for r in responses] == [200] * 64
    proofs = [await get_json(client, proof_url(r.json()["spin_id"]), player) for r in responses]
    assert sorted(p["nonce"] for p in proofs) == list(range(64))
    assert len({p["server_seed_hash"] for p in proofs}) == 1
    assert (await get_json(client, SEEDS, player))["nonce"] == 64


async def test_a_refused_spin_uses_no_nonce(client: Any, player: dict[str, Any]) -> None:
    too_much = await spin(client, player, bet=5000)  # 1000 coins

    assert too_much.status_code == 409
    assert (await get_json(client, SEEDS, player))["nonce"] == 0


async def test_a_proof_is_for_its_owner_only(client: Any, player: dict[str, Any]) -> None:
    played = await spin_ok(client, player)
    stranger = await sign_up(client)

    response = await client.get(proof_url(played["spin_id"]), headers=bearer(stranger))
    unknown = await client.get(proof_url("no-such-play"), headers=bearer(player))
    anonymous = await client.get(proof_url(played["spin_id"]))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert unknown.status_code == 404
    assert anonymous.status_code == 401


async def test_a_new_client_seed_replaces_an_unused_pair_and_rotates_a_used_one(
    client: Any, player: dict[str, Any]
) -> None:
    fresh = await get_json(client, SEEDS, player)

    unused = await client.put(CLIENT_SEED, json={"client_seed": "lucky 7 ~!"}, headers=bearer(player))
    await spin_ok(client, player)
    used = await client.put(CLIENT_SEED, json={"client_seed": "another"}, headers=bearer(player))

    assert unused.status_code == 200, unused.text
    assert unused.json() | {} == {**fresh, "client_seed": "lucky 7 ~!"}
    body = used.json()
    assert (body["client_seed"], body["nonce"]) == ("another", 0)
    assert body["server_seed_hash"] != fresh["server_seed_hash"]
    assert body["previous"]["server_seed_hash"] == fresh["server_seed_hash"]
    assert (body["previous"]["client_seed"], body["previous"]["last_nonce"]) == ("lucky 7 ~!", 0)


async def test_a_client_seed_must_be_1_to_64_printable_ascii_characters(client: Any, player: dict[str, Any]) -> None:
    for bad in ("", "x" * 65, "tab\there", "caf\u00e9"):
        response = await client.put(CLIENT_SEED, json={"client_seed": bad}, headers=bearer(player))
        assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR"), bad
        assert response.json()["error"]["details"]["fields"][0]["key"] == "client_seed"


async def test_the_server_seed_is_stored_sealed(client: Any, player: dict[str, Any], container: Any) -> None:
    await spin_ok(client, player)

    async def stored() -> str:
        async with container.uow_factory() as uow:
            query = select(FairnessSeedRow.sealed_server_seed).where(FairnessSeedRow.user_id == player["user"]["id"])
            return str((await uow.session.execute(query)).scalar_one())

    sealed = await in_app(client, stored)

    server_seed = (await rotate(client, player))["previous"]["server_seed"]

    assert server_seed not in sealed
    assert sealed.startswith("v1.")


async def test_the_known_vector_and_a_play_under_odds_since_replaced(
    client: Any, player: dict[str, Any], admin: dict[str, Any], restore_odds: None, tmp_path: Path
) -> None:
    vector = await verify(
        client,
        {"game_type": "slot", "server_seed": "def", "client_seed": "abc", "nonce": 0, "config_version": 0, "bet": 100},
    )
    published = await get_json(client, SLOT_ODDS, admin)
    richer = [{**s, "weight": s["weight"] * 2} if s["name"] == "diamond" else s for s in published["symbols"]]
    changed = await client.put(SLOT_ODDS, json={**published, "symbols": richer}, headers=bearer(admin))
    played = await spin_ok(client, player)
    replaced = await client.put(SLOT_ODDS, json=published, headers=bearer(admin))
    server_seed = (await rotate(client, player))["previous"]["server_seed"]
    proof = await get_json(client, proof_url(played["spin_id"]), player)
    then = await get_json(client, "/api/games/slot/config", player, version=proof["config_version"])
    now = await get_json(client, "/api/games/slot/config", player)

    # the first float 0.8320531346835196 is the word 3573641002; q = 2**32 // 100**3 = 4294, so the ticket is
    # 832240: base-100 digits 40, 22, 83 → lemon [32, 58), cherry [0, 32), star [76, 88)
    assert vector["outcome"]["reels"] == ["lemon", "cherry", "star"]
    assert (changed.status_code, replaced.status_code) == (200, 200)
    assert proof["config_version"] >= 1
    assert (
        [s["weight"] for s in then["symbols"]] == [s["weight"] for s in richer] != [s["weight"] for s in now["symbols"]]
    )
    assert (await verify(client, verify_body(proof, server_seed)))["outcome"] == proof["outcome"]
    assert run_script(tmp_path, then, proof, server_seed)["outcome"] == proof["outcome"]


async def test_verify_refuses_what_it_cannot_check(client: Any, player: dict[str, Any]) -> None:
    base = {"game_type": "slot", "server_seed": "def", "client_seed": "abc", "nonce": 0, "config_version": 0}

    no_bet = await client.post(VERIFY, json=base)
    no_count = await client.post(VERIFY, json={**base, "game_type": "gacha"})
    unknown_game = await client.post(VERIFY, json={**base, "game_type": "poker", "bet": 1})
    unknown_version = await client.post(VERIFY, json={**base, "config_version": 999_999, "bet": 1})
    bad_count = await client.post(VERIFY, json={**base, "game_type": "gacha", "count": 3})
    no_such_config = await client.get("/api/games/gacha/config", params={"version": 999_999}, headers=bearer(player))

    answers = (no_bet, no_count, unknown_game, unknown_version, bad_count, no_such_config)
    assert [r.status_code for r in answers] == [400, 400, 400, 404, 400, 404]
    assert no_bet.json()["error"]["details"]["fields"][0]["key"] == "bet"
