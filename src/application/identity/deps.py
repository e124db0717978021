"""Everything the identity use cases depend on, wired once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from src.application.identity.config import IdentityConfig
from src.application.identity.ports import (
    IdentityIdGenerator,
    IdentityUnitOfWork,
    PasswordBlocklist,
    PasswordHasher,
    StartingBalance,
    TokenService,
)
from src.application.identity.session_state import SessionStateCache
from src.application.shared.ports import Cache, Clock


@dataclass(frozen=True)
class IdentityDeps:
    uow_factory: Callable[[], IdentityUnitOfWork]
    clock: Clock
    cache: Cache
    hasher: PasswordHasher
    tokens: TokenService
    ids: IdentityIdGenerator
    blocklist: PasswordBlocklist
    session_state: SessionStateCache
    config: IdentityConfig
    starting_balance: StartingBalance | None = None  # None: the wallet's UserSignedUp consumer alone credits it
    # the session check's reads when a state left the cache (every request may make them): units of work whose
    # standalone reads go to the read pool, not to the pool the relay's passes hold; None: `uow_factory`
    lookup_uow_factory: Callable[[], IdentityUnitOfWork] | None = None
