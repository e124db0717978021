"""Seed pairs for tests: a vault with a test key, and a fresh candidate pair for a player."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from src.adapters.security.seeds import AesGcmSeedVault
from src.application.games.ports import ActiveSeeds
from src.domain.games.fairness import seed_hash

TEST_VAULT = AesGcmSeedVault("test-only-fairness-seed-key")
CREATED_AT = datetime(2031, 5, 6, 12, 0, tzinfo=UTC)


def candidate_for(user_id: str, client_seed: str = "test-client-seed") -> ActiveSeeds:
    pair_id, server_seed = str(uuid.uuid4()), TEST_VAULT.new_server_seed()
    return ActiveSeeds(
        pair_id=pair_id,
        user_id=user_id,
        sealed_server_seed=TEST_VAULT.seal(pair_id, server_seed),
        server_seed_hash=seed_hash(server_seed),
        client_seed=client_seed,
        nonce=0,
        created_at=CREATED_AT,
    )
