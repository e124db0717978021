"""Everything the social use cases depend on, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.shared.ports import Clock
from src.application.social.ports import FollowsUnitOfWorkFactory


@dataclass(frozen=True)
class SocialDeps:
    uow_factory: FollowsUnitOfWorkFactory
    clock: Clock
