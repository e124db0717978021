"""`python -m tests.bench`: run every benchmark in turn and print its report.

A benchmark is a module here with a `run()` function or coroutine function that returns its report as text;
add it to BENCHMARKS. A failing benchmark is reported and the others still run; the exit status is then 1.

`--only NAME` (repeatable) runs just the named benchmarks: `python -m tests.bench --only spin` runs spin_bench.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
import time
import traceback
from types import ModuleType

from tests.bench import (
    census,
    experiment_bench,
    http_bench,
    kpi_bench,
    login_bench,
    mixed_bench,
    pipeline_bench,
    relay_bench,
    segment_bench,
    spin_bench,
    workers_bench,
    ws_bench,
)

BENCHMARKS: tuple[ModuleType, ...] = (
    census,
    http_bench,
    login_bench,
    spin_bench,
    ws_bench,
    kpi_bench,
    pipeline_bench,
    experiment_bench,
    segment_bench,
    mixed_bench,
    workers_bench,
    relay_bench,
)


def _run_one(benchmark: ModuleType) -> str:
    report = benchmark.run()
    if inspect.isawaitable(report):
        report = asyncio.run(report)
    return str(report)


def _name(benchmark: ModuleType) -> str:
    """`spin` for tests.bench.spin_bench."""
    return benchmark.__name__.rsplit(".", 1)[-1].removesuffix("_bench")


def _selected(argv: list[str] | None) -> list[ModuleType]:
    names = [_name(benchmark) for benchmark in BENCHMARKS]
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description="Run the benchmarks.")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help=f"run only this benchmark (repeatable): {', '.join(names)}"
    )
    args = parser.parse_args(argv)
    wanted = [name.removesuffix("_bench") for name in args.only or names]
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(names)})")
    return [benchmark for benchmark in BENCHMARKS if _name(benchmark) in wanted]


def main(argv: list[str] | None = None) -> int:
    failed = []
    for benchmark in _selected(argv):
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
