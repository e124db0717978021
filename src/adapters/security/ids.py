"""Identifiers and invite codes from the OS CSPRNG."""

from __future__ import annotations

import secrets

from src.domain.shared.ids import uuid4_text

INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Upper-case letters and digits without 0/O/1/I/L, so a code read aloud or copied by hand survives."""

INVITE_CODE_LENGTH = 10


class SecretsIdGenerator:
    """Invite codes are unguessable: 10 symbols of 31 give ~49 bits from `secrets`."""

    def new_id(self) -> str:
        return uuid4_text()

    def new_invite_code(self) -> str:
        return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))
