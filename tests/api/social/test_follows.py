"""Follows (social, under /api/games/follow): idempotent follow and unfollow, both lists newest first and paged;
never yourself, never a stranger."""

from __future__ import annotations

from typing import Any

from tests.api.games.helpers import get_json
from tests.support.api import bearer, sign_up

FOLLOWING, FOLLOWERS = "/api/games/follow/list", "/api/games/follow/followers"
NOBODY = "00000000-0000-0000-0000-000000000000"


async def _follow(client: Any, follower: dict[str, Any], followee_id: str) -> Any:
    return await client.post(f"/api/games/follow/{followee_id}", headers=bearer(follower))


async def _unfollow(client: Any, follower: dict[str, Any], followee_id: str) -> Any:
    return await client.delete(f"/api/games/follow/{followee_id}", headers=bearer(follower))


async def _pages(client: Any, tokens: dict[str, Any], url: str, limit: int) -> list[list[str]]:
    """User ids page by page."""
    pages, cursor = [], None
    while True:
        page = await get_json(client, url, tokens, limit=limit, **({"cursor": cursor} if cursor else {}))
        pages.append([item["user_id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


async def test_following_twice_is_one_follow_seen_from_both_sides(client: Any, player: dict[str, Any]) -> None:
    star = await sign_up(client)

    first = await _follow(client, player, star["user"]["id"])
    listed = await get_json(client, FOLLOWING, player)
    again = await _follow(client, player, star["user"]["id"])

    for answer in (first, again):
        assert (answer.status_code, answer.json()) == (200, {"user_id": star["user"]["id"], "following": True})
    assert await get_json(client, FOLLOWING, player) == listed
    [followed] = listed["items"]
    assert (followed["user_id"], followed["nickname"]) == (star["user"]["id"], star["user"]["nickname"])
    [follower] = (await get_json(client, FOLLOWERS, star))["items"]
    assert (follower["user_id"], follower["nickname"]) == (player["user"]["id"], player["user"]["nickname"])
    assert follower["followed_at"] == followed["followed_at"]


async def test_unfollowing_twice_is_fine_and_empties_both_lists(client: Any, player: dict[str, Any]) -> None:
    star = await sign_up(client)
    await _follow(client, player, star["user"]["id"])

    answers = [await _unfollow(client, player, star["user"]["id"]) for _ in range(2)]

    expected = {"user_id": star["user"]["id"], "following": False}
    assert [(a.status_code, a.json()) for a in answers] == [(200, expected)] * 2
    assert (await get_json(client, FOLLOWING, player))["items"] == []
    assert (await get_json(client, FOLLOWERS, star))["items"] == []
    assert (await _unfollow(client, player, NOBODY)).status_code == 200


async def test_you_cannot_follow_yourself_or_someone_who_does_not_exist(client: Any, player: dict[str, Any]) -> None:
    yourself = await _follow(client, player, player["user"]["id"])
    nobody = await _follow(client, player, NOBODY)

    assert (yourself.status_code, yourself.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (await get_json(client, FOLLOWING, player))["items"] == []


async def test_both_lists_page_newest_first(client: Any, player: dict[str, Any]) -> None:
    others = [await sign_up(client) for _ in range(3)]
    for other in others:
        await _follow(client, player, other["user"]["id"])
        await _follow(client, other, player["user"]["id"])

    following = await _pages(client, player, FOLLOWING, limit=2)
    followers = await _pages(client, player, FOLLOWERS, limit=2)

    newest_first = [other["user"]["id"] for other in reversed(others)]
    assert following == followers == [newest_first[:2], newest_first[2:]]
