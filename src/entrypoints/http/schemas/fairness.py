"""Wire formats of the fairness routes and a play's proof."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from src.application.games.fairness import SeedsView
from src.application.games.ports import RevealedSeeds
from src.application.games.proofs import Proof, Verified, VerifyRequest
from src.entrypoints.http.schemas.identity import Struct

BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1


class PreviousSeedsOut(Struct):
    server_seed: str
    server_seed_hash: str
    client_seed: str
    last_nonce: int | None  # None: the pair was rotated before any play
    created_at: datetime
    revealed_at: datetime

    @classmethod
    def of(cls, revealed: RevealedSeeds) -> PreviousSeedsOut:
        return cls(
            server_seed=revealed.server_seed,
            server_seed_hash=revealed.server_seed_hash,
            client_seed=revealed.client_seed,
            last_nonce=revealed.last_nonce,
            created_at=revealed.created_at,
            revealed_at=revealed.revealed_at,
        )


class SeedsOut(Struct):
    server_seed_hash: str
    client_seed: str
    nonce: int  # the nonce of the next play
    previous: PreviousSeedsOut | None

    @classmethod
    def of(cls, view: SeedsView) -> SeedsOut:
        active, previous = view.active, view.previous
        return cls(
            server_seed_hash=active.server_seed_hash,
            client_seed=active.client_seed,
            nonce=active.nonce,
            previous=None if previous is None else PreviousSeedsOut.of(previous),
        )


class ClientSeedIn(Struct):
    client_seed: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ProofOut(Struct):
    play_id: str
    game_type: str
    server_seed_hash: str
    server_seed: str | None
    client_seed: str
    nonce: int
    config_version: int
    bet: int | None
    streak: int | None
    count: int | None
    pity_counter: int | None
    outcome: dict[str, Any]

    @classmethod
    def of(cls, proof: Proof) -> ProofOut:
        return cls(
            play_id=proof.play_id,
            game_type=proof.game_type,
            server_seed_hash=proof.server_seed_hash,
            server_seed=proof.server_seed,
            client_seed=proof.client_seed,
            nonce=proof.nonce,
            config_version=proof.config_version,
            bet=proof.inputs.get("bet"),
            streak=proof.inputs.get("streak"),
            count=proof.inputs.get("count"),
            pity_counter=proof.inputs.get("pity_counter"),
            outcome=proof.outcome,
        )


class VerifyIn(Struct):
    """`streak` (slot) and `pity_counter` (gacha) are the player's state before the play, as its proof shows; a
    `server_seed_hash` (the commitment shown before play) is checked against the seed."""

    game_type: Annotated[str, msgspec.Meta(max_length=16)]
    server_seed: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    client_seed: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    nonce: Annotated[int, msgspec.Meta(ge=0, le=BIGINT_MAX)]
    config_version: Annotated[int, msgspec.Meta(ge=0, le=INT_MAX)]
    bet: Annotated[int, msgspec.Meta(ge=1, le=BIGINT_MAX)] | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=10)] | None = None
    streak: Annotated[int, msgspec.Meta(ge=0, le=INT_MAX)] = 0
    pity_counter: Annotated[int, msgspec.Meta(ge=0, le=INT_MAX)] = 0
    server_seed_hash: Annotated[str, msgspec.Meta(max_length=64)] | None = None

    def to_request(self) -> VerifyRequest:
        return VerifyRequest(**msgspec.structs.asdict(self))


class VerifyOut(Struct):
    game_type: str
    server_seed_hash: str
    client_seed: str
    nonce: int
    config_version: int
    hash_matches: bool | None  # given a server_seed_hash: whether the seed is the one committed to
    outcome: dict[str, Any]

    @classmethod
    def of(cls, verified: Verified) -> VerifyOut:
        request = verified.request
        return cls(
            game_type=request.game_type,
            server_seed_hash=verified.server_seed_hash,
            client_seed=request.client_seed,
            nonce=request.nonce,
            config_version=request.config_version,
            hash_matches=verified.hash_matches,
            outcome=verified.outcome,
        )
