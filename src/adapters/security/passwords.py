"""Password hashing with Argon2id and a blocklist of common passwords."""

from __future__ import annotations

import asyncio
import secrets
import threading
from pathlib import Path

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_BLOCKLIST_PATH = Path(__file__).with_name("common_passwords.txt")


class Argon2PasswordHasher:
    """Argon2id at the OWASP minimum by default (m=19 MiB, t=2, p=1); the work runs in a thread, never on the loop."""

    def __init__(self, time_cost: int = 2, memory_cost: int = 19456, parallelism: int = 1) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """An unknown user (no hash) costs one real verification too, so timing does not reveal who exists."""
        if password_hash is None:
            await asyncio.to_thread(self._check_against_dummy, password)
            return False
        return await asyncio.to_thread(self._check, password_hash, password)

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
