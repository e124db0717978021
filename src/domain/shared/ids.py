"""Random identifiers in uuid4's form, without building `uuid.UUID` objects (two thirds of `uuid4()`'s cost, and
the hot paths make several per request)."""

from __future__ import annotations

import os

_VERSION_AND_VARIANT = (0xF000 << 64) | (0xC000 << 48)
_UUID4 = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


def uuid4_hex() -> str:
    """As `uuid.uuid4().hex`: 122 bits from the OS's CSPRNG, the version and variant bits set."""
    return f"{int.from_bytes(os.urandom(16), 'big') & ~_VERSION_AND_VARIANT | _UUID4:032x}"


def uuid4_text() -> str:
    """As `str(uuid.uuid4())`."""
    hex_digits = uuid4_hex()
    return f"{hex_digits[:8]}-{hex_digits[8:12]}-{hex_digits[12:16]}-{hex_digits[16:20]}-{hex_digits[20:]}"
