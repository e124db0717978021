"""Argon2id hashing at OWASP parameters, off the event loop, and the common-password blocklist."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable
from pathlib import Path

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


async def test_no_hash_costs_a_real_verification(sut: Argon2PasswordHasher) -> None:
    """Unknown users must not answer faster than known ones; min-of-3 keeps this robust to noise."""
    password_hash = await sut.hash(PASSWORD)
    await sut.verify(None, PASSWORD)  # the dummy hash is made on first use

    known = min([await _timed(sut.verify(password_hash, "wrong password")) for _ in range(3)])
    unknown = min([await _timed(sut.verify(None, "wrong password")) for _ in range(3)])

    assert unknown >= known * 0.5


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


async def test_hashing_runs_off_the_event_loop(sut: Argon2PasswordHasher) -> None:
    """A ticker keeps ticking while four hashes run; on the loop it would stall for the whole batch."""
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = time.perf_counter()
    await asyncio.gather(*(sut.hash(f"{PASSWORD}{i}") for i in range(4)))
    end = time.perf_counter()
    stop.set()
    await ticking

    during = [t for t in ticks if start <= t <= end]
    points = [start, *during, end]
    longest_gap = max(b - a for a, b in itertools.pairwise(points))
    assert len(during) >= 3
    assert longest_gap < (end - start) / 2


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


async def _timed(awaitable: Awaitable[bool]) -> float:
    start = time.perf_counter()
    await awaitable
    return time.perf_counter() - start
