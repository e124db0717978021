"""Server seeds at rest: sealed with AES-GCM under the configured key, bound to their pair, never in the clear."""

from __future__ import annotations

import pytest

from src.adapters.security.seeds import AesGcmSeedVault

KEY = "a-test-key-that-is-long-enough-0123456789"


def test_a_sealed_seed_opens_for_its_pair_and_hides_the_seed() -> None:
    sut = AesGcmSeedVault(KEY)
    seed = sut.new_server_seed()

    sealed = sut.seal("pair-1", seed)

    assert sut.open("pair-1", sealed) == seed
    assert seed not in sealed
    assert sut.seal("pair-1", seed) != sealed  # a fresh nonce each time


def test_new_server_seeds_are_32_random_bytes_in_hex() -> None:
    sut = AesGcmSeedVault(KEY)

    seeds = {sut.new_server_seed() for _ in range(100)}

    assert len(seeds) == 100
    assert all(len(seed) == 64 and int(seed, 16) >= 0 for seed in seeds)


@pytest.mark.parametrize(
    ("pair_id", "key"), [("pair-2", KEY), ("pair-1", "another-key-entirely-0123456789abcdef")], ids=["pair", "key"]
)
def test_a_seal_does_not_open_for_another_pair_or_under_another_key(pair_id: str, key: str) -> None:
    sealed = AesGcmSeedVault(KEY).seal("pair-1", "0" * 64)

    with pytest.raises(ValueError, match="does not open"):
        AesGcmSeedVault(key).open(pair_id, sealed)


def test_the_key_never_shows_in_its_repr() -> None:
    assert KEY not in repr(AesGcmSeedVault(KEY))


def test_an_opened_seed_is_kept_and_a_kept_seal_opens_without_decrypting(monkeypatch: pytest.MonkeyPatch) -> None:
    sut = AesGcmSeedVault(KEY)
    seed = sut.new_server_seed()
    sealed = sut.seal("pair-1", seed)
    assert sut.open("pair-1", sealed) == seed

    class Refusing:
        def decrypt(self, *_: object) -> bytes:
            raise AssertionError("decrypted again")

    monkeypatch.setattr(sut, "_aead", Refusing())
    assert sut.open("pair-1", sealed) == seed


def test_a_kept_seed_does_not_open_another_pair_or_another_seal() -> None:
    sut = AesGcmSeedVault(KEY)
    sealed = sut.seal("pair-1", "0" * 64)
    assert sut.open("pair-1", sealed) == "0" * 64

    with pytest.raises(ValueError, match="does not open"):
        sut.open("pair-2", sealed)
    resealed = sut.seal("pair-1", "1" * 64)
    assert sut.open("pair-1", resealed) == "1" * 64
    assert sut.open("pair-1", sealed) == "0" * 64


def test_the_kept_seeds_are_bounded_the_least_recently_opened_leaving_first() -> None:
    sut = AesGcmSeedVault(KEY, kept=3)
    seals = {f"pair-{n}": sut.seal(f"pair-{n}", f"{n}" * 64) for n in range(5)}
    for pair_id in ("pair-0", "pair-1", "pair-2", "pair-0", "pair-3", "pair-4"):
        sut.open(pair_id, seals[pair_id])

    assert list(sut._opened) == [("pair-0", seals["pair-0"]), ("pair-3", seals["pair-3"]), ("pair-4", seals["pair-4"])]
    assert sut.open("pair-1", seals["pair-1"]) == "1" * 64  # opens again after leaving
    assert len(sut._opened) == 3
