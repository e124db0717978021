"""Argon2id hashing at OWASP parameters, off the event loop, and the common-password blocklist."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import argon2
import pytest

from src.adapters.security.passwords import DEFAULT_BLOCKLIST_PATH, Argon2PasswordHasher, FilePasswordBlocklist

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def sut() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


async def test_hash_is_argon2id_at_the_owasp_minimum(sut: Argon2PasswordHasher) -> None:
    password_hash = await sut.hash(PASSWORD)

    assert password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in password_hash


async def test_verify_accepts_the_password_and_refuses_another(sut: Argon2PasswordHasher) -> None:
    password_hash = await sut.hash(PASSWORD)

    assert await sut.verify(password_hash, PASSWORD) is True
    assert await sut.verify(password_hash, PASSWORD + "!") is False


async def test_same_password_hashes_differently_each_time(sut: Argon2PasswordHasher) -> None:
    assert await sut.hash(PASSWORD) != await sut.hash(PASSWORD)


async def test_no_hash_verifies_false(sut: Argon2PasswordHasher) -> None:
    assert await sut.verify(None, PASSWORD) is False
    assert await sut.verify(None, "") is False


async def test_no_hash_costs_a_real_verification(sut: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown users must not answer faster than known ones: each runs one argon2 verification at the same cost."""
    password_hash = await sut.hash(PASSWORD)
    verified = _spy_on_verify(monkeypatch)

    await sut.verify(password_hash, "wrong password")
    await sut.verify(None, "wrong password")
    await sut.verify(None, "another wrong password")

    known, *unknown = verified
    assert len(verified) == 3
    assert [_parameters(stored) for stored in unknown] == [_parameters(known)] * 2
    assert unknown[0] != known  # the unknown user is checked against a hash of its own, made once
    assert unknown[1] == unknown[0]


@pytest.mark.parametrize(
    "stored",
    ["", "garbage", "$argon2id$v=19$m=19456,t=2,p=1$abc$def", "$2b$12$notanargon2hashatall", "$argon2id$é"],
)
async def test_a_corrupt_stored_hash_verifies_false(sut: Argon2PasswordHasher, stored: str) -> None:
    assert await sut.verify(stored, PASSWORD) is False


async def test_a_hash_with_weaker_parameters_still_verifies_but_needs_rehash(sut: Argon2PasswordHasher) -> None:
    weak_hash = await Argon2PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)

    assert await sut.verify(weak_hash, PASSWORD) is True
    assert sut.needs_rehash(weak_hash) is True
    assert sut.needs_rehash(await sut.hash(PASSWORD)) is False


async def test_hashing_and_verifying_run_off_the_event_loop(
    sut: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every argon2 call runs on a thread of the hasher's pool, never on the loop's thread (it would stall it)."""
    threads: list[int] = []
    real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

    def hash_spy(hasher: argon2.PasswordHasher, password: str, **kwargs: Any) -> str:
        threads.append(threading.get_ident())
        return real_hash(hasher, password, **kwargs)

    def verify_spy(hasher: argon2.PasswordHasher, stored: str, password: str) -> bool:
        threads.append(threading.get_ident())
        return real_verify(hasher, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", hash_spy)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", verify_spy)

    hashes = await asyncio.gather(sut.hash(PASSWORD), sut.hash(PASSWORD))
    await asyncio.gather(sut.verify(hashes[0], PASSWORD), sut.verify(None, PASSWORD))

    assert len(threads) >= 4
    assert threading.get_ident() not in threads


def test_shipped_blocklist_refuses_common_passwords_in_any_case() -> None:
    sut = FilePasswordBlocklist(DEFAULT_BLOCKLIST_PATH)

    assert "password1" in sut
    assert "PASSWORD1" in sut
    assert "Sunshine2024" in sut
    assert "xq7Vr2mLp9TzK4wN8bYd" not in sut


def test_shipped_blocklist_has_a_thousand_long_enough_entries() -> None:
    entries = _entries(DEFAULT_BLOCKLIST_PATH)

    assert len(entries) >= 1000
    assert all(len(entry) >= 8 for entry in entries)
    assert all(entry == entry.lower() for entry in entries)
    assert len(FilePasswordBlocklist(DEFAULT_BLOCKLIST_PATH)) == len(set(entries))


def test_blocklist_skips_comments_and_blank_lines_and_lowercases(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("# a header\n\n  Hunter2Hunter2  \nletmein123\n", encoding="utf-8")

    sut = FilePasswordBlocklist(path)

    assert len(sut) == 2
    assert "hunter2hunter2" in sut
    assert "LetMeIn123" in sut
    assert "# a header" not in sut
    assert "" not in sut


def _entries(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _spy_on_verify(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored hashes argon2 verifies against from now on, in order (each call still runs for real)."""
    verified: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def spy(hasher: argon2.PasswordHasher, stored: str, password: str) -> bool:
        verified.append(stored)
        return real_verify(hasher, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return verified


def _parameters(stored: str) -> str:
    """`$argon2id$v=19$m=19456,t=2,p=1`: the algorithm and the cost of a stored hash, without salt and digest."""
    return "$".join(stored.split("$")[:4])
