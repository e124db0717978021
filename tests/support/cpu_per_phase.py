"""Opt-in: where a run's CPU goes, per test phase (setup, call, teardown): threads, waited-for children and the
`casino-club` processes forked for the tests (tests/support/processes.py) included.

`pytest -p tests.support.cpu_per_phase ...` with CPU_PER_PHASE_DIR set writes one JSON line per phase to
`cpu-<xdist worker>.jsonl` there; `python -m tests.support.cpu_per_phase DIR` sums them per module, costliest first, and
`python -m tests.support.cpu_per_phase --timeline DIR` says when each worker finished collecting and went idle.
CPU rather than wall time: on this shared machine the wall time of a phase says more about the load than the test.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.support.processes import forked_cpu_seconds

DIRECTORY = "CPU_PER_PHASE_DIR"
_out: list[IO[str]] = []


def _cpu_seconds() -> float:
    """This process, its waited-for children, and the `casino-club` processes forked for it (which the fork
    server waits for: counted in the phase they exit in)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + forked_cpu_seconds()


def _record(line: str) -> None:
    """Opened at the first test, so an xdist controller, which runs none, writes no file."""
    if not _out:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _out.append((Path(os.environ[DIRECTORY]) / f"cpu-{worker}.jsonl").open("w"))
    _out[0].write(line + "\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    while _out:
        _out.pop().close()


def _measured(item: pytest.Item, phase: str) -> Iterator[None]:
    cpu, wall, start = _cpu_seconds(), time.perf_counter(), time.time()
    yield
    if os.environ.get(DIRECTORY):
        record = {
            "id": item.nodeid,
            "phase": phase,
            "cpu": _cpu_seconds() - cpu,
            "wall": time.perf_counter() - wall,
            "start": start,  # the epoch second it began: `--timeline` lays the workers' phases out on one clock
        }
        _record(json.dumps(record))


def pytest_collection_finish(session: pytest.Session) -> None:
    """When this process finished collecting, and the CPU it spent to get there (its start included)."""
    if os.environ.get(DIRECTORY) and hasattr(session.config, "workerinput"):
        _record(json.dumps({"id": "", "phase": "collected", "cpu": _cpu_seconds(), "wall": 0.0, "start": time.time()}))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _measured(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _measured(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield from _measured(item, "teardown")


def summary(directory: Path) -> list[str]:
    """One line per module: tests, CPU seconds per phase and in all, costliest first."""
    modules: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for path in directory.glob("cpu-*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record["phase"] == "collected":
                continue
            counts = modules[record["id"].split("::")[0]]
            counts[record["phase"]] += record["cpu"]
            counts["tests"] += record["phase"] == "call"
    ranked = sorted(modules.items(), key=lambda entry: -sum(entry[1][p] for p in ("setup", "call", "teardown")))
    return [
        f"{sum(c[p] for p in ('setup', 'call', 'teardown')):7.2f} s  setup {c['setup']:6.2f}  call {c['call']:6.2f}"
        f"  teardown {c['teardown']:5.2f}  {int(c['tests']):4d} tests  {module}"
        for module, c in ranked
    ]


def timeline(directory: Path) -> list[str]:
    """Per xdist worker, on one clock from the first worker's collection end: when it finished collecting (and its
    CPU until then), when its last test ended, and how long it sat idle before the run's last test ended."""
    workers: dict[str, list[dict[str, object]]] = {}
    for path in sorted(directory.glob("cpu-*.jsonl")):
        workers[path.stem.removeprefix("cpu-")] = [json.loads(line) for line in path.read_text().splitlines()]
    ends = {name: max(float(r["start"]) + float(r["wall"]) for r in records) for name, records in workers.items()}
    collected = {
        name: next((r for r in records if r["phase"] == "collected"), None) for name, records in workers.items()
    }
    origin = min(float(c["start"]) for c in collected.values() if c) if any(collected.values()) else 0.0
    last = max(ends.values())
    lines = []
    for name, records in workers.items():
        done = collected[name]
        busy = sum(float(r["wall"]) for r in records if r["phase"] != "collected")
        lines.append(
            f"{name}: collected at {float(done['start']) - origin if done else float('nan'):6.1f} s"
            f" ({float(done['cpu']) if done else float('nan'):5.1f} s CPU), busy {busy:6.1f} s,"
            f" last test ended at {ends[name] - origin:6.1f} s, idle {last - ends[name]:5.1f} s at the end"
        )
    return lines


if __name__ == "__main__":
    lines = timeline(Path(sys.argv[2])) if sys.argv[1] == "--timeline" else summary(Path(sys.argv[1]))
    sys.stdout.write("".join(f"{line}\n" for line in lines))
