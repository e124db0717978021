"""The notifications contract opens adapters the way the wallet contract does (same migrated SQLite template)."""

from tests.contract.wallet.conftest import sqlite_template, uow_factory

__all__ = ["sqlite_template", "uow_factory"]
