"""The personal-data registry covers the whole schema: every table of the metadata is either read (and erased)
per player or listed as holding nothing per player, and every column it names exists with the right type."""

from __future__ import annotations

from sqlalchemy import JSON, String

from src.adapters.sqla.models import Base
from src.adapters.sqla.repositories.personal_data import NOT_PLAYER_DATA, PLAYER_TABLES, Erasure, pseudonym
from src.domain.identity.policies import SITE_ID_PATTERN


def test_every_table_is_in_the_registry_or_holds_nothing_per_player() -> None:
    registered = [spec.name for spec in PLAYER_TABLES]

    assert len(registered) == len(set(registered))
    assert set(registered).isdisjoint(NOT_PLAYER_DATA)
    assert set(Base.metadata.tables) == set(registered) | NOT_PLAYER_DATA


def test_scrubbed_columns_are_text_or_json_and_redacted_columns_exist() -> None:
    for spec in PLAYER_TABLES:
        table = Base.metadata.tables[spec.name]
        for name in spec.scrub:
            assert isinstance(table.c[name].type, String | JSON), (spec.name, name)
        for name in spec.redact:
            assert name in table.c, (spec.name, name)
        assert not spec.scrub or spec.erasure is Erasure.PSEUDONYMIZE, spec.name


def test_financial_records_are_kept_and_the_account_row_is_pseudonymized() -> None:
    erasure = {spec.name: spec.erasure for spec in PLAYER_TABLES}

    assert erasure["ledger_entries"] is erasure["wallets"] is erasure["purchase_transactions"] is Erasure.PSEUDONYMIZE
    assert erasure["users"] is Erasure.ACCOUNT
    assert erasure["auth_sessions"] is erasure["player_actions"] is Erasure.DELETE


def test_an_erased_site_id_is_one_no_player_can_choose() -> None:
    sut = pseudonym("0b6e4c1e-8f1a-4a57-9a2b-6f5b0e6c1d2f")

    assert len(sut) <= 32
    assert not SITE_ID_PATTERN.match(sut)
