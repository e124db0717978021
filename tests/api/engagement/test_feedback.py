"""GET /api/feedback: the situation from the caller's own recent plays and streak, the message in the client's
language (Korean by default), the same answer for the same inputs and context, 400 for unknown values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from src.application.games.fairness import candidate
from src.domain.games.play import GameType, PlayRecord
from src.entrypoints.container import Container
from tests.api.engagement.conftest import SettableClock, tick_ok
from tests.support.api import bearer, in_app
from tests.support.realtime import settle

Client = AsyncTestClient[Litestar]
FEEDBACK = "/api/feedback"
LOSE, NEAR, PAIR, TRIPLE = (
    ("cherry", "lemon", "bell"),
    ("seven", "bar", "seven"),
    ("bar", "bar", "lemon"),
    ("seven",) * 3,
)


async def _played(
    client: Client, container: Container, player: dict[str, Any], *spins: tuple[tuple[str, ...], int]
) -> None:
    """Slot plays in the player's history, oldest first: (reels, payout) at a bet of 100."""
    user_id = player["user"]["id"]

    async def record() -> None:
        for reels, payout in spins:
            async with container.games.uow_factory() as uow:
                begun = await uow.plays.begin_play(user_id, GameType.SLOT, candidate(user_id, container.games))
                play = PlayRecord(
                    id=str(uuid.uuid4()),
                    user_id=user_id,
                    game_type=GameType.SLOT,
                    action="spin",
                    bet=100,
                    payout=payout,
                    delta_coins=payout - 100,
                    delta_gems=0,
                    won=payout > 0,
                    created_at=datetime.now(UTC),  # each after the last: one commit apart
                    result_meta={"reels": list(reels), "outcome": "lose" if not payout else "pair"},
                )
                await uow.plays.record(begun.state, play)
                await uow.commit()

    await in_app(client, record)


async def _feedback(
    client: Client, player: dict[str, Any], language: str | None = None, **query: str
) -> dict[str, Any]:
    headers = bearer(player) | ({"accept-language": language} if language else {})
    response = await client.get(FEEDBACK, params=query, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_new_player_is_welcomed_in_korean_by_default_and_in_the_language_asked(
    client: Client, player: dict[str, Any]
) -> None:
    korean = await _feedback(client, player)
    english = await _feedback(client, player, "en-US,en;q=0.9")
    preferred = await _feedback(client, player, "fr-FR, en;q=0.4, ko;q=0.8")
    unsupported = await _feedback(client, player, "fr, de;q=0.5")

    assert set(korean) == {"message", "emotion", "animation_key", "situation", "language"}
    assert (korean["situation"], korean["language"]) == ("welcome", "ko")
    assert korean["message"] in ("환영해요! 오늘도 즐거운 시간 보내세요.", "반가워요! 행운을 빌어요!")
    assert (english["language"], english["situation"]) == ("en", "welcome")
    assert english["message"] in ("Welcome! Have a great time today.", "Good to see you! Good luck!")
    # the same variant in every language: the emotion and animation do not depend on it
    assert (english["emotion"], english["animation_key"]) == (korean["emotion"], korean["animation_key"])
    assert preferred["language"] == "ko"
    assert unsupported["language"] == "ko"


async def test_three_losses_in_a_row_answer_with_calm_and_the_same_context_gives_the_same_answer(
    client: Client, container: Container, player: dict[str, Any]
) -> None:
    await _played(client, container, player, (LOSE, 0), (LOSE, 0), (LOSE, 0))

    first = await _feedback(client, player, "en", action_type="spin", outcome="loss")
    again = await _feedback(client, player, "en", action_type="spin", outcome="loss")

    assert first == again
    assert first["situation"] == "loss_streak"
    assert first["emotion"] in ("calm", "supportive")


async def test_the_latest_play_decides_near_miss_big_win_and_a_win_streak(
    client: Client, container: Container, player: dict[str, Any]
) -> None:
    await _played(client, container, player, (LOSE, 0), (NEAR, 0))
    near = await _feedback(client, player, action_type="spin")
    await _played(client, container, player, (TRIPLE, 2_500))
    big = await _feedback(client, player, action_type="spin")
    await _played(client, container, player, (PAIR, 150), (PAIR, 150))
    streak = await _feedback(client, player, action_type="spin", outcome="win")
    given = await _feedback(client, player, action_type="spin", outcome="near_miss")

    assert (near["situation"], near["language"]) == ("near_miss", "ko")
    assert big["situation"] == "big_win"
    assert streak["situation"] == "win_streak"  # three wins in a row (the triple and two pairs)
    assert given["situation"] == "near_miss"  # the client's outcome wins over the history


async def test_a_tick_that_reaches_a_milestone_is_celebrated(
    client: Client, player: dict[str, Any], clock: SettableClock
) -> None:
    for offset in range(3):
        clock.on_day(offset)
        await tick_ok(client, player)

    milestone = await _feedback(client, player, "en", action_type="streak")

    assert milestone["situation"] == "streak_milestone"
    assert milestone["animation_key"] in ("calendar_trophy", "milestone_confetti")


async def test_a_tier_raised_today_is_a_level_up(client: Client, admin: dict[str, Any], player: dict[str, Any]) -> None:
    patched = await client.patch(
        f"/api/admin/users/{player['user']['id']}", json={"vip_tier": 2}, headers=bearer(admin)
    )
    assert patched.status_code == 200
    await settle(client)

    level = await _feedback(client, player, "en")

    assert level["situation"] == "level_up"


@pytest.mark.parametrize(("key", "value"), [("action_type", "dance"), ("outcome", "draw"), ("outcome", "WIN")])
async def test_an_unknown_value_is_400_naming_it(client: Client, player: dict[str, Any], key: str, value: str) -> None:
    response = await client.get(FEEDBACK, params={key: value}, headers=bearer(player))

    assert response.status_code == 400
    assert [field["key"] for field in response.json()["error"]["details"]["fields"]] == [key]


async def test_feedback_needs_a_token(client: Client) -> None:
    assert (await client.get(FEEDBACK)).status_code == 401


async def test_the_routes_are_in_the_openapi_document_with_their_schemas(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]

    for path, method in (
        ("/api/feedback", "get"),
        ("/api/vip/daily-bonus", "post"),
        ("/api/vip/history", "get"),
        ("/api/streak/history", "get"),
        ("/api/shop/items", "get"),
        ("/api/shop/items/buy", "post"),
    ):
        operation = paths[path][method]
        assert "200" in operation["responses"], path
        assert operation["responses"]["200"]["content"]["application/json"]["schema"], path
    assert "requestBody" in paths["/api/shop/items/buy"]["post"]
    assert {"action_type", "outcome"} <= {
        parameter["name"] for parameter in paths["/api/feedback"]["get"]["parameters"]
    }
