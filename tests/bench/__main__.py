"""`python -m tests.bench`: run every benchmark in turn and print its report.

A benchmark is a module here with a `run()` function or coroutine function that returns its report as text;
add it to BENCHMARKS. A failing benchmark is reported and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
import traceback
from types import ModuleType

from tests.bench import login_bench

BENCHMARKS: tuple[ModuleType, ...] = (login_bench,)


def _run_one(benchmark: ModuleType) -> str:
    report = benchmark.run()
    if inspect.isawaitable(report):
        report = asyncio.run(report)
    return str(report)


def main() -> int:
    failed = []
    for benchmark in BENCHMARKS:
        name = benchmark.__name__.rsplit(".", 1)[-1]
        started = time.perf_counter()
        try:
            report = _run_one(benchmark)
        except Exception:
            failed.append(name)
            print(f"== {name}: FAILED\n{traceback.format_exc()}", file=sys.stderr, flush=True)
            continue
        print(f"== {name} ({time.perf_counter() - started:.0f} s)\n{report}\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
