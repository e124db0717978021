"""The experiment repositories live in the shared unit of work: opened as in the wallet contract (per-test users)."""

from __future__ import annotations

from tests.contract.wallet.conftest import sqlite_template, uow_factory

__all__ = ["sqlite_template", "uow_factory"]
