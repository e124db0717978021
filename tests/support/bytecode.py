"""`make bytecode`: our code's bytecode, and pytest's assert-rewritten test modules, written once before the suite.

This machine sets PYTHONDONTWRITEBYTECODE and a fresh clone has no `__pycache__`: without this step every
pytest-xdist worker would parse, rewrite and compile the same ~275 test modules and conftests on its own (~2.6 s
of CPU each, measured) before its first test. pytest keeps its rewritten modules in `__pycache__` under a name of
its own (`*.cpython-311-pytest-<version>.pyc`, checked against a hash of the source), which plain `compileall` does
not write; this writes them as pytest's import hook would. Only ever a saving: a file it cannot rewrite, or a
pytest whose internals moved, leaves pytest to rewrite that module itself, as before.
"""

from __future__ import annotations

import compileall
import fnmatch
import re
import sys
import types
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("src", "workers", "migrations", "tests")
# pytest's default `python_files` (pyproject sets none) and the conftests, which it rewrites too
REWRITTEN = ("test_*.py", "*_test.py", "conftest.py")
# compileall leaves those to the rewrite below: Python's own bytecode of a test module is never loaded
NOT_COMPILED = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")


def rewrite_test_modules(tests: Path) -> int:
    """Writes pytest's cached rewrite of each test module and conftest under `tests` that lacks an up-to-date one;
    returns how many it wrote. The rewrite is the one pytest makes with this project's settings (no
    `enable_assertion_pass_hook`, the only setting that changes it)."""
    try:
        from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc
    except ImportError:  # another pytest: it rewrites on import, as without this step
        return 0
    trace = types.SimpleNamespace(trace=lambda message: None)
    written = 0
    for source in sorted(tests.rglob("*.py")):
        if not any(fnmatch.fnmatch(source.name, pattern) for pattern in REWRITTEN):
            continue
        cache = source.parent / "__pycache__"
        pyc = cache / (source.name[:-3] + PYC_TAIL)
        if _read_pyc(source, pyc) is not None:
            continue
        try:
            source_hash, code = _rewrite_test(source, None)  # type: ignore[arg-type]  # None: pytest's defaults
        except SyntaxError:
            continue  # pytest reports it when it collects the module
        cache.mkdir(exist_ok=True)
        written += _write_pyc(trace, code, source_hash, pyc)  # type: ignore[arg-type]
    return written


def main() -> int:
    compiled = all(compileall.compile_dir(PROJECT_ROOT / name, quiet=1, rx=NOT_COMPILED) for name in SOURCES)
    rewrite_test_modules(PROJECT_ROOT / "tests")
    return 0 if compiled else 1


if __name__ == "__main__":
    sys.exit(main())
