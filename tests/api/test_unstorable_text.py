"""Text PostgreSQL cannot store (a NUL character) is the client's mistake: 400 VALIDATION_ERROR, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import bearer, sign_up


async def test_a_nul_in_an_idempotency_key_sent_in_the_body_is_a_400(client: Any, admin: dict[str, Any]) -> None:
    response = await client.post(
        f"/api/admin/transactions/{uuid.uuid4()}/refund", json={"idempotency_key": "\u0000"}, headers=bearer(admin)
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_a_nul_in_a_stored_text_field_is_a_400_and_nothing_is_granted(client: Any, admin: dict[str, Any]) -> None:
    player = await sign_up(client)

    response = await client.post(
        f"/api/admin/users/{player['user']['id']}/grant",
        json={"currency": "gems", "amount": 5, "reason": "bonus\u0000"},
        headers={**bearer(admin), "idempotency-key": uuid.uuid4().hex},
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (await client.get("/api/wallet", headers=bearer(player))).json()["gems"] == 0
