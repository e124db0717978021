"""One owner of money: only the wallet adapters write `wallets` and `ledger_entries` (and their in-memory twins).

Other contexts move money through the wallet port; a hot path that needs one round trip rides the wallet's own
statement (`PgWalletRepository.settle_wager`). This reads the code: any SQL that writes those tables, or any use
of their ORM rows or in-memory tables, outside the wallet's modules fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.processes import PROJECT_ROOT

WALLET_MODULES = {
    "src/adapters/sqla/repositories/wallet.py",
    "src/adapters/sqla/repositories/pg_wallet.py",
    "src/adapters/memory/wallet.py",
}
# the tables' definitions, and where they are gathered for the metadata and the in-memory store
DEFINITIONS = {
    "src/adapters/sqla/models/wallet.py",
    "src/adapters/sqla/models/__init__.py",
    "src/adapters/memory/uow.py",
}
WALLET_NAMES = {"WalletRow", "LedgerEntryRow", "WalletTables", "wallet_tables"}
_SQL_WRITE = re.compile(
    r"\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?|merge\s+into|copy)\s+(?:only\s+)?"
    r"(?:\w+\.)?\"?(?:wallets|ledger_entries)\b",
    re.IGNORECASE,
)


def sql_writes(source: str) -> list[str]:
    return [match.group(0) for match in _SQL_WRITE.finditer(source)]


def wallet_names_used(source: str) -> set[str]:
    """The wallet's ORM rows or in-memory tables named anywhere in the module (imports, calls, attributes)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.rsplit(".", 1)[-1])
    return names & WALLET_NAMES


def _code_modules() -> list[Path]:
    return sorted([*PROJECT_ROOT.glob("src/**/*.py"), *PROJECT_ROOT.glob("workers/**/*.py")])


def _relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def test_only_the_wallet_modules_write_the_wallet_tables_in_sql() -> None:
    writers = {
        _relative(path): found
        for path in _code_modules()
        if _relative(path) not in WALLET_MODULES and (found := sql_writes(path.read_text(encoding="utf-8")))
    }

    assert writers == {}


def test_only_the_wallet_modules_touch_the_wallet_rows_and_tables() -> None:
    users = {
        _relative(path): found
        for path in _code_modules()
        if _relative(path) not in WALLET_MODULES | DEFINITIONS
        and (found := wallet_names_used(path.read_text(encoding="utf-8")))
    }

    assert users == {}


def test_the_wallet_modules_exist_where_this_test_looks() -> None:
    """A moved wallet module must move here too, or the checks above would pass on nothing."""
    for module in WALLET_MODULES | DEFINITIONS:
        assert (PROJECT_ROOT / module).is_file(), module
    assert len(_code_modules()) > 100


@pytest.mark.parametrize(
    "source",
    [
        'SQL = """WITH w AS (\n    UPDATE wallets SET balance = balance - $3 WHERE user_id = $1\n)"""',
        'text("insert into ledger_entries (user_id, delta) values (:u, :d)")',
        '"DELETE FROM public.wallets WHERE user_id = $1"',
        '"TRUNCATE ledger_entries"',
    ],
)
def test_sql_that_writes_a_wallet_table_is_found(source: str) -> None:
    assert sql_writes(source)


@pytest.mark.parametrize(
    "source",
    ['"SELECT balance FROM wallets"', '"UPDATE wallet_settings SET x = 1"', '"INSERT INTO ledger_archive VALUES (1)"'],
)
def test_sql_that_only_reads_or_writes_other_tables_is_not_found(source: str) -> None:
    assert sql_writes(source) == []


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("from src.adapters.sqla.models.wallet import WalletRow", "WalletRow"),
        ("statement = insert(models.LedgerEntryRow).values(x=1)", "LedgerEntryRow"),
        ("store.wallet_tables.balances[key] = 0", "wallet_tables"),
    ],
)
def test_a_module_naming_the_wallet_rows_is_found(source: str, name: str) -> None:
    assert wallet_names_used(source) == {name}
