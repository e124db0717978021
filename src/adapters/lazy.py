"""Repositories a unit of work builds on first use: a two-query read pays for two repositories, not twenty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, overload

RepositoryT = TypeVar("RepositoryT")


class HoldsRepositories(Protocol):
    """The owner resets `_repositories` whenever what its repositories stand on ends (a session, a transaction)."""

    _repositories: dict[str, Any]


class lazy_repository(Generic[RepositoryT]):  # lower case: it is used like @property
    """A unit-of-work attribute built by `build(uow)` on its first read, then the same object until reset."""

    def __init__(self, build: Callable[[Any], RepositoryT]) -> None:
        self._build = build
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> lazy_repository[RepositoryT]: ...

    @overload
    def __get__(self, uow: HoldsRepositories, owner: type) -> RepositoryT: ...

    def __get__(self, uow: HoldsRepositories | None, owner: type) -> RepositoryT | lazy_repository[RepositoryT]:
        if uow is None:
            return self
        built = uow._repositories
        if self._name not in built:
            built[self._name] = self._build(uow)
        repository: RepositoryT = built[self._name]
        return repository
