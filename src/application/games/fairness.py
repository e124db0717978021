"""Seed pairs: committed before any play, rotated on request (the old server seed revealed), never shown early.

Changing the client seed of a pair that has played rotates it (the plays of a pair share one client seed, so
each proof names one); a pair that has not played yet just takes the new client seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from src.application.games.deps import GamesDeps
from src.application.games.ports import ActiveSeeds, GamesUnitOfWork, RevealedSeeds, StoredConfig
from src.domain.games.fairness import check_client_seed, seed_hash


def candidate(user_id: str, deps: GamesDeps, client_seed: str | None = None) -> ActiveSeeds:
    """A fresh pair for the player: a new server seed, sealed, and its commitment."""
    pair_id, server_seed = deps.ids.new_id(), deps.vault.new_server_seed()
    return ActiveSeeds(
        pair_id=pair_id,
        user_id=user_id,
        sealed_server_seed=deps.vault.seal(pair_id, server_seed),
        server_seed_hash=seed_hash(server_seed),
        client_seed=deps.vault.new_client_seed() if client_seed is None else client_seed,
        nonce=0,
        created_at=deps.clock.now(),
    )


def config_version(stored: StoredConfig | None) -> int:
    """0 names the built-in default (no version stored yet)."""
    return 0 if stored is None else stored.version


@dataclass(frozen=True)
class SeedsView:
    active: ActiveSeeds
    previous: RevealedSeeds | None


async def _view(uow: GamesUnitOfWork, active: ActiveSeeds) -> SeedsView:
    return SeedsView(active, await uow.seeds.last_revealed(active.user_id))


async def get_seeds(user_id: str, deps: GamesDeps) -> SeedsView:
    """The active pair (committed now if the player has none yet) and the last revealed one."""
    async with deps.uow_factory() as uow:
        active = await uow.seeds.active(user_id)
        if active is None:
            active = await uow.seeds.lock(candidate(user_id, deps))
            await uow.commit()
        return await _view(uow, active)


async def _rotate(uow: GamesUnitOfWork, current: ActiveSeeds, client_seed: str, deps: GamesDeps) -> ActiveSeeds:
    """Reveal `current` and commit a new pair with `client_seed`, nonce 0."""
    revealed = RevealedSeeds(
        pair_id=current.pair_id,
        user_id=current.user_id,
        server_seed=deps.vault.open(current.pair_id, current.sealed_server_seed),
        server_seed_hash=current.server_seed_hash,
        client_seed=current.client_seed,
        last_nonce=current.nonce - 1 if current.nonce else None,
        created_at=current.created_at,
        revealed_at=deps.clock.now(),
    )
    new = candidate(current.user_id, deps, client_seed)
    await uow.seeds.replace(current, new, revealed)
    return new


async def rotate_seeds(user_id: str, deps: GamesDeps) -> SeedsView:
    """Reveal the server seed in use and commit a new one; the client seed stays, the nonce starts over."""
    async with deps.uow_factory() as uow:
        current = await uow.seeds.lock(candidate(user_id, deps))
        new = await _rotate(uow, current, current.client_seed, deps)
        await uow.commit()
        return await _view(uow, new)


async def set_client_seed(user_id: str, client_seed: str, deps: GamesDeps) -> SeedsView:
    check_client_seed(client_seed)
    async with deps.uow_factory() as uow:
        current = await uow.seeds.lock(candidate(user_id, deps, client_seed))
        if current.client_seed == client_seed:
            new = current
        elif current.nonce == 0:
            new = replace(current, client_seed=client_seed)
            await uow.seeds.replace(current, new, None)
        else:
            new = await _rotate(uow, current, client_seed, deps)
        await uow.commit()
        return await _view(uow, new)
