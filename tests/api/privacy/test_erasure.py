"""Acceptance: erasure. Sessions end at once; then no text column of the schema, no OLAP row and no leaderboard
holds anything of the player, while their financial records stay (pseudonymized) and verify-ledger passes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.games.leaderboard import BOARDS, PERIODS
from src.application.privacy import erasure
from src.application.wallet.verification import verify_ledger
from src.domain.privacy.model import PrivacyRequest, RequestKind
from src.entrypoints.container import Container
from tests.api.privacy.player import ActivePlayer, active_player
from tests.api.privacy.schema_scan import places_holding
from tests.support.api import PASSWORD, bearer, in_app, log_in, sign_up
from tests.support.olap import olap_event_counts, olap_ledger_totals
from tests.support.polling import eventually
from tests.support.realtime import settle
from tests.support.wallet import assert_ledger_explains

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    return {"job_queue": "in-process", "trust_proxy_headers": "true"}


@pytest.fixture(scope="module")
def pg_url(module_pg_url: str) -> str:
    """The erasure test scans every text column of every table and verifies every wallet's ledger: on the
    session's database those grow with every earlier test of the worker."""
    return module_pg_url


async def _erase(client: Client, player: ActivePlayer) -> str:
    response = await client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=player.headers())
    assert response.status_code == 202, response.text
    request_id: str = response.json()["request_id"]
    return request_id


async def _requests(client: Client, admin: dict[str, Any], query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/api/admin/privacy/requests?limit=100{query}", headers=bearer(admin))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _erased(client: Client, admin: dict[str, Any], request_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        found = next(r for r in await _requests(client, admin, "&kind=erasure") if r["id"] == request_id)
        return found if found["status"] == "done" else None

    return await eventually(done, deadline=60)


async def _olap_rows(client: Client, container: Container, user_id: str) -> tuple[dict[str, int], dict[Any, int]]:
    olap = container.olap
    assert olap is not None
    events = await in_app(client, lambda: olap_event_counts(olap, [user_id]))
    movements = await in_app(client, lambda: olap_ledger_totals(olap, [user_id]))
    return events, movements


async def _on_boards(client: Client, container: Container, user_id: str) -> list[tuple[str, str]]:
    board = container.games.leaderboard
    now = container.clock.now()
    places = []
    for name in BOARDS:
        for period in PERIODS:
            if await in_app(client, lambda n=name, p=period: board.rank_of(n, p, user_id, now)) is not None:
                places.append((name, period))
    return places


async def test_erasure_leaves_nothing_personal_anywhere_and_the_ledger_still_verifies(
    client: Client, container: Container, admin: dict[str, Any], pg_url: str
) -> None:
    player = await active_player(client, admin)
    values = player.personal_values()
    assert set(await places_holding(pg_url, values.values())) == set(values.values())  # the scan sees them first
    await eventually(lambda: _has_olap_rows(client, container, player.user_id), deadline=30)
    assert await _on_boards(client, container, player.user_id)
    assert (await _stream_ids(client, container, player.user_id))["user"] > 0

    request_id = await _erase(client, player)
    refused = await client.get("/api/auth/me", headers=player.headers())
    relogin = await log_in(client, player.site_id)
    record = await _erased(client, admin, request_id)
    await settle(client)

    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "TOKEN_REVOKED")
    assert (relogin.status_code, relogin.json()["error"]["code"]) == (401, "INVALID_CREDENTIALS")
    assert record["user_id"] == player.user_id
    assert await places_holding(pg_url, values.values()) == {}
    assert await eventually(lambda: _no_olap_rows(client, container, player.user_id), deadline=30)
    assert await _on_boards(client, container, player.user_id) == []
    assert (await _stream_ids(client, container, player.user_id))["user"] == 0
    ledger = await in_app(client, lambda: verify_ledger(container.ledger_auditor))
    assert [check for check in ledger.drifted if check.user_id == player.user_id] == []
    entries, wallets = await _kept_money(client, container, player.user_id)
    for wallet in wallets:  # the erased player's ledger still explains each balance, chain unbroken
        assert_ledger_explains(entries, wallet["currency"], wallet["balance"])
    assert {entry["reason"] for entry in entries} >= {"slot_bet", "purchase"}
    [tombstone] = await _rows(client, container, player.user_id, "privacy_tombstones")
    assert tombstone["request_id"] == request_id
    assert tombstone["record"]["tables"]["users"] == {"pseudonymized": 1}
    assert tombstone["record"]["tables"]["game_history"]["deleted"] == 5  # four spins and a pull
    assert tombstone["record"]["tables"]["ledger_entries"]["kept"] == len(entries)


async def _stream_ids(client: Client, container: Container, user_id: str) -> dict[str, int]:
    """The newest message id in the player's realtime stream (0: the stream holds nothing)."""
    return await in_app(client, lambda: container.realtime.history.latest_ids(user_id))


async def _has_olap_rows(client: Client, container: Container, user_id: str) -> bool:
    events, movements = await _olap_rows(client, container, user_id)
    return "SpinSettled" in events and bool(movements)


async def _no_olap_rows(client: Client, container: Container, user_id: str) -> bool:
    events, movements = await _olap_rows(client, container, user_id)
    return not events and not movements


async def _rows(client: Client, container: Container, user_id: str, table: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        async with container.privacy.uow_factory() as uow:
            return await uow.personal_data.rows_of(user_id, table)

    return await in_app(client, read)


async def _kept_money(
    client: Client, container: Container, user_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with container.privacy.uow_factory() as uow:
            entries = await uow.personal_data.rows_of(user_id, "ledger_entries")
            wallets = await uow.personal_data.rows_of(user_id, "wallets")
        return entries, wallets

    return await in_app(client, read)


async def test_a_wrong_password_erases_nothing_and_answers_invalid_credentials(client: Client) -> None:
    player = await sign_up(client)

    wrong = await client.request("DELETE", "/api/me", json={"password": "not-my-password"}, headers=bearer(player))
    missing = await client.request("DELETE", "/api/me", json={}, headers=bearer(player))
    not_json = await client.request("DELETE", "/api/me", content=b"password", headers=bearer(player))
    still_in = await client.get("/api/auth/me", headers=bearer(player))

    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "INVALID_CREDENTIALS")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert not_json.status_code in {400, 415}
    assert still_in.status_code == 200


async def test_the_site_id_can_be_taken_again_after_erasure(client: Client, admin: dict[str, Any]) -> None:
    first = await sign_up(client)
    site_id = first["user"]["site_id"]
    response = await client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=bearer(first))
    await _erased(client, admin, response.json()["request_id"])

    second = await sign_up(client, site_id=site_id, nickname=first["user"]["nickname"])

    assert second["user"]["id"] != first["user"]["id"]


async def test_admins_see_exports_and_erasures_with_their_status_and_players_do_not(
    client: Client, admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    exported = await client.post("/api/me/export", headers=bearer(player))

    listed = await _requests(client, admin, "&kind=export")
    forbidden = await client.get("/api/admin/privacy/requests", headers=bearer(player))
    bad_kind = await client.get("/api/admin/privacy/requests?kind=everything", headers=bearer(admin))

    mine = [r for r in listed if r["id"] == exported.json()["export_id"]]
    assert [(r["user_id"], r["kind"]) for r in mine] == [(player["user"]["id"], "export")]
    assert mine[0]["status"] in {"queued", "running", "ready"}
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "FORBIDDEN")
    assert (bad_kind.status_code, bad_kind.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_a_second_erasure_of_an_erased_player_ends_done_without_erasing_again(
    client: Client, container: Container, admin: dict[str, Any]
) -> None:
    player = await sign_up(client)
    response = await client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=bearer(player))
    await _erased(client, admin, response.json()["request_id"])
    now = container.clock.now()
    second = PrivacyRequest(uuid.uuid4().hex, player["user"]["id"], RequestKind.ERASURE, now, now)

    async def run_second() -> None:
        async with container.privacy.uow_factory() as uow:
            await uow.privacy_requests.add(second)
            await uow.commit()
        await erasure.erase_player(second.id, container.privacy)

    await in_app(client, run_second)

    assert (await _erased(client, admin, second.id))["status"] == "done"


async def test_a_self_excluded_player_erased_cannot_come_back_under_any_identifier_until_it_ends(
    client: Client, admin: dict[str, Any], container: Container
) -> None:
    key = uuid.uuid4().hex[:10]
    email, phone = f"Excluded.{key}@Example.com", f"+44 20 {int(key, 16) % 10**8:08d}"
    first = await sign_up(client, email=email, phone_number=phone)
    excluded = await client.post("/api/limits/self-exclusion", json={"months": 6}, headers=bearer(first))
    assert excluded.status_code in {200, 201}, excluded.text
    response = await client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=bearer(first))
    await _erased(client, admin, response.json()["request_id"])

    async def try_sign_up(**identity: str) -> Any:
        body = {"password": PASSWORD, "invite_code": "5858", "site_id": f"n{uuid.uuid4().hex[:12]}"}
        return await client.post("/api/auth/signup", json={"nickname": f"n{uuid.uuid4().hex[:12]}", **body, **identity})

    same_site_id = await try_sign_up(site_id=first["user"]["site_id"])
    same_email = await try_sign_up(email=email.upper())
    same_phone = await try_sign_up(phone_number=phone.replace(" ", "-"))
    stranger = await try_sign_up(email=f"other.{key}@example.com")

    until = datetime.fromisoformat(excluded.json()["until"])
    refusals = [(r.status_code, r.json()["error"]["code"]) for r in (same_site_id, same_email, same_phone)]
    ends = [
        datetime.fromisoformat(r.json()["error"]["details"]["until"]) for r in (same_site_id, same_email, same_phone)
    ]
    assert refusals == [(403, "SELF_EXCLUDED")] * 3
    assert ends == [until] * 3
    assert stranger.status_code == 201, stranger.text
    [tombstone] = await _rows(client, container, first["user"]["id"], "privacy_tombstones")
    assert datetime.fromisoformat(tombstone["record"]["self_exclusion_kept_until"]) == until
