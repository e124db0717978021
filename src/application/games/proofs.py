"""A play's proof (what it was drawn from) and the public check that recomputes an outcome from seeds alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from src.application.games.configs import gacha_of, slot_of, stored_version
from src.application.games.deps import GamesDeps
from src.domain.games.fairness import FairRandom, check_client_seed, check_nonce, seed_hash
from src.domain.games.gacha import PullOutcome, pull
from src.domain.games.play import GameType, PlayRecord
from src.domain.games.slot import SpinOutcome, spin
from src.domain.shared.errors import InvalidInput, NotFound


def spin_summary(outcome: SpinOutcome) -> dict[str, Any]:
    return {
        "reels": list(outcome.reels),
        "outcome": outcome.outcome,
        "multiplier": outcome.multiplier,
        "payout": outcome.payout,
        "streak": outcome.streak,
    }


def pull_summary(outcome: PullOutcome) -> dict[str, Any]:
    items = [{"item_id": i.item_id, "rarity": i.rarity.value, "near_miss": i.near_miss} for i in outcome.items]
    return {"items": items, "pity_counter": outcome.pity_counter}


def recorded_summary(play: PlayRecord) -> dict[str, Any]:
    """The summary `verify` recomputes, read from the history row."""
    meta = play.result_meta
    if play.game_type is GameType.SLOT:
        keys = ("reels", "outcome", "multiplier", "streak")
        return {**{key: meta[key] for key in keys}, "payout": play.payout}
    items = zip(meta["items"], meta["rarities"], meta["near_miss"], strict=True)
    return {
        "items": [{"item_id": i, "rarity": r, "near_miss": n} for i, r, n in items],
        "pity_counter": meta["pity_counter"],
    }


@dataclass(frozen=True)
class Proof:
    play_id: str
    game_type: str
    server_seed_hash: str
    server_seed: str | None
    client_seed: str
    nonce: int
    config_version: int
    inputs: dict[str, int]  # what else `verify` needs: bet and streak, or count and pity_counter
    outcome: dict[str, Any]


def _inputs(play: PlayRecord) -> dict[str, int]:
    meta = play.result_meta
    if play.game_type is GameType.SLOT:
        return {"bet": play.bet, "streak": meta["streak_before"]}
    return {"count": meta["count"], "pity_counter": meta["pity_before"]}


async def proof_of(user_id: str, play_id: str, deps: GamesDeps) -> Proof:
    """Own plays only (another player's is 404, as a missing one); the server seed once its pair is rotated."""
    async with deps.uow_factory() as uow:
        play = await uow.plays.play(user_id, play_id)
        if play is None or play.fair is None:
            raise NotFound("no provably fair play with this id")
        fair = play.fair
        revealed = await uow.seeds.revealed(fair.pair_id)
        if revealed is not None:
            seed_hash_, server_seed, client_seed = revealed.server_seed_hash, revealed.server_seed, revealed.client_seed
        else:
            active = await uow.seeds.active(user_id)
            if active is None or active.pair_id != fair.pair_id:
                raise NotFound("the seed pair of this play is gone")
            seed_hash_, server_seed, client_seed = active.server_seed_hash, None, active.client_seed
    return Proof(
        play_id=play.id,
        game_type=play.game_type.value,
        server_seed_hash=seed_hash_,
        server_seed=server_seed,
        client_seed=client_seed,
        nonce=fair.nonce,
        config_version=fair.config_version,
        inputs=_inputs(play),
        outcome=recorded_summary(play),
    )


@dataclass(frozen=True)
class VerifyRequest:
    game_type: str
    server_seed: str
    client_seed: str
    nonce: int
    config_version: int
    bet: int | None = None
    count: int | None = None
    streak: int = 0
    pity_counter: int = 0
    server_seed_hash: str | None = None  # the commitment to check the seed against, if given


@dataclass(frozen=True)
class Verified:
    request: VerifyRequest
    server_seed_hash: str
    outcome: dict[str, Any]

    @property
    def hash_matches(self) -> bool | None:
        """Whether the seed is the one committed to (None: no commitment was given to compare)."""
        expected = self.request.server_seed_hash
        return None if expected is None else expected.lower() == self.server_seed_hash


def _required(value: int | None, key: str, game: str) -> int:
    if value is None:
        raise InvalidInput(f"{key} is required for {game}", details={"fields": [{"key": key, "source": "body"}]})
    return value


async def verify(request: VerifyRequest, deps: GamesDeps) -> Verified:
    """The outcome recomputed by the published algorithm, with the config version the play names."""
    if request.game_type not in {game.value for game in GameType}:
        raise InvalidInput("game_type must be slot or gacha", details={"fields": [{"key": "game_type"}]})
    game = GameType(request.game_type)
    check_client_seed(request.client_seed)
    check_nonce(request.nonce)
    async with deps.uow_factory() as uow:
        stored = await stored_version(uow, game, request.config_version)
    rng = FairRandom(request.server_seed, request.client_seed, request.nonce)
    if game is GameType.SLOT:
        bet = _required(request.bet, "bet", "slot")
        outcome = spin_summary(spin(slot_of(stored, deps), rng, bet, request.streak))
    else:
        count = _required(request.count, "count", "gacha")
        outcome = pull_summary(pull(gacha_of(stored, deps), rng, count, request.pity_counter))
    return Verified(request, seed_hash(request.server_seed), outcome)
