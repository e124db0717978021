"""rebuild-leaderboards lists players as the live boards do, from the scores the play history gives."""

from __future__ import annotations

from datetime import UTC, datetime

from src.adapters.memory.leaderboard import InMemoryLeaderboard
from src.application.games.boards import rebuild_leaderboards

NOW = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)


class History:
    """Per user, the boards of the games they played (a slot player has net_coins and wins, even at zero)."""

    async def scores_since(self, since: datetime | None) -> dict[str, dict[str, float]]:
        return {
            "even": {"net_coins": 0.0, "wins": 2.0},  # won some, lost as much
            "loser": {"net_coins": -50.0, "wins": 0.0},
            "collector": {"gacha_legendary": 1.0},  # pulls only
        }


async def test_a_slot_player_back_at_zero_stays_listed_and_only_real_wins_and_legendaries_count() -> None:
    sut = InMemoryLeaderboard()

    sizes = await rebuild_leaderboards(History(), sut, NOW)

    assert dict(await sut.top("net_coins", "all_time", 10, NOW)) == {"even": 0.0, "loser": -50.0}
    assert dict(await sut.top("wins", "all_time", 10, NOW)) == {"even": 2.0}
    assert dict(await sut.top("gacha_legendary", "all_time", 10, NOW)) == {"collector": 1.0}
    assert (sizes["net_coins:daily"], sizes["wins:weekly"], sizes["gacha_legendary:all_time"]) == (2, 1, 1)
