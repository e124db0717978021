"""In-memory unit of work: changes staged in the block become visible only on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class InMemoryUnitOfWork:
    def __init__(self) -> None:
        self.committed = False

    async def __aenter__(self) -> Self:
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            await self.rollback()

    async def commit(self) -> None:
        self.committed = True

    async def rollback(self) -> None:
        self.committed = False
