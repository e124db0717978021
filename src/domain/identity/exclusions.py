"""Self-exclusions that outlive an erasure: a player who excluded themselves and then had their data erased must not
come back under the same name, email or phone before the exclusion ends. Only digests of those identifiers are kept
(with the end date), never the identifiers, and nothing links a digest to the erased account."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from src.domain.shared.errors import DomainError

_DOMAIN = "casino-club/excluded-identity/v1"


def identity_digests(site_id: str | None, email: str | None, phone_number: str | None) -> frozenset[str]:
    """One digest per identifier given, over a normal form (case and spacing do not make a new identity)."""
    normal = {
        "site_id": site_id.strip().casefold() if site_id else None,
        "email": email.strip().casefold() if email else None,
        "phone": re.sub(r"[^\d+]", "", phone_number) if phone_number else None,
    }
    return frozenset(
        hashlib.sha256(f"{_DOMAIN}:{kind}:{value}".encode()).hexdigest() for kind, value in normal.items() if value
    )


class SignUpExcluded(DomainError):
    """The API's SELF_EXCLUDED (403), at sign-up: one of the identifiers belongs to an erased, still excluded player."""

    code = "SELF_EXCLUDED"
    default_message = "a self-exclusion covers this sign-up"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"a self-exclusion covers this sign-up until {until.isoformat()}", details={"until": until.isoformat()}
        )
