"""CPU accounting for the benchmarks (Linux /proc): the servers, PostgreSQL, the load generator, the rest."""

from __future__ import annotations

import os
import time
from pathlib import Path


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (so index 11 is utime), or None if it has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _ticks(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of `pid` so far, in seconds (0 for none or one that has gone)."""
    return _ticks(pid) / os.sysconf("SC_CLK_TCK") if pid is not None else 0.0


def _postgres_ticks(database: str | None = None) -> dict[int, int]:
    """utime + stime of every process named `postgres` on the machine (other databases' backends included), or
    only of the backends connected to `database` (their title reads `postgres: USER DATABASE HOST(PORT) STATE`)."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                if database is None or f" {database} ".encode() in (entry / "cmdline").read_bytes():
                    ticks[int(entry.name)] = _ticks(int(entry.name))
            except OSError:
                continue
    return ticks


def pids_named(name: str) -> list[int]:
    """Every process on the machine whose command name is `name` (e.g. `redis-server`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def children(pid: int) -> list[int]:
    """The direct children of `pid` (uvicorn's worker processes of a `serve --workers N`, say)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def app_pid() -> int | None:
    """Our child process running `casino-club serve` (uvicorn runs in that same process)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if fields and int(fields[1]) == os.getpid() and b"casino-club" in command and b"serve" in command:
            return int(entry.name)
    return None


class CpuMeter:
    """Percent of one CPU used by each watched process, PostgreSQL and this process; machine busy %. With
    `database`, PostgreSQL's figure counts that database's backends only (others' test suites share the server)."""

    def __init__(self, pids: dict[str, int | None], database: str | None = None) -> None:
        self._hz = os.sysconf("SC_CLK_TCK")
        self._database = database
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self.usage: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self._machine = machine_ticks()
        self._procs = {name: _ticks(pid) for name, pid in self._pids.items()}
        self._postgres = _postgres_ticks(self._database)
        self._self = time.process_time()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        wall = time.perf_counter() - self._wall
        busy, total = machine_ticks()
        postgres = _postgres_ticks(self._database)
        postgres_ticks = sum(ticks - self._postgres.get(pid, 0) for pid, ticks in postgres.items())
        percent = 100 / self._hz / wall
        machine_percent = 100 * (busy - self._machine[0]) / max(1, total - self._machine[1])
        self.usage = {
            "machine_busy_percent": round(machine_percent, 1),
            **{
                f"{name}_percent_of_one_cpu": round((_ticks(pid) - self._procs[name]) * percent, 1)
                for name, pid in self._pids.items()
            },
            "postgres_percent_of_one_cpu": round(postgres_ticks * percent, 1),
            "load_generator_percent_of_one_cpu": round(100 * (time.process_time() - self._self) / wall, 1),
        }
        ours = sum(value for name, value in self.usage.items() if name.endswith("_percent_of_one_cpu"))
        # the rest of the machine (other users' tests, say): large values mean the figures are skewed
        self.usage["others_percent_of_one_cpu"] = round(max(0.0, machine_percent * (os.cpu_count() or 1) - ours), 1)
