"""Random ids in uuid4's form: what `uuid.uuid4()` would give, version and variant included."""

from __future__ import annotations

import uuid

from src.domain.shared.ids import uuid4_hex, uuid4_text


def test_ids_read_as_random_uuid4s_in_either_form() -> None:
    hexes = [uuid4_hex() for _ in range(200)]
    texts = [uuid4_text() for _ in range(200)]

    for parsed in [uuid.UUID(hex=value) for value in hexes] + [uuid.UUID(value) for value in texts]:
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
    assert all(uuid.UUID(hex=value).hex == value for value in hexes)
    assert all(str(uuid.UUID(value)) == value for value in texts)
    assert len(set(hexes)) == len(set(texts)) == 200
