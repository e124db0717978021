"""One plain play at a time per player in this process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PlayerTurns:
    """A player's plain plays in this process take turns: a second spin that came while the first was in flight
    would read the same start, wait in the database for the first's row locks while holding a connection of the
    pool, be refused (PlayMoved) and queue for a connection again. Waiting here holds nothing, and the turn that
    follows starts from what the one before settled. Across processes the settlement's guard still decides."""

    def __init__(self) -> None:
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}  # a player's lock and how many hold or wait for it

    @asynccontextmanager
    async def of(self, player: str) -> AsyncIterator[None]:
        lock, holders = self._turns.get(player) or (asyncio.Lock(), 0)
        self._turns[player] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._turns[player]
            if holders == 1:
                del self._turns[player]
            else:
                self._turns[player] = (lock, holders - 1)

    def __len__(self) -> int:
        """Players with a play in flight or waiting (an empty map once every turn has ended)."""
        return len(self._turns)
