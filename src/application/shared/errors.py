"""Failures of the world the core depends on, in terms adapters and entrypoints share."""

from __future__ import annotations


class DependencyUnavailable(Exception):
    """A dependency (database, cache, queue) could not be reached: a bug nowhere, and a retry may succeed.

    Adapters raise it `from` their driver's connection-level error; the message names the dependency, never a host.
    """

    @property
    def reason(self) -> str:
        """The driver error's class; its message stays out of logs and answers (it may name hosts or a DSN)."""
        return type(self.__cause__).__name__ if self.__cause__ is not None else "unknown"


class StoreInUse(Exception):
    """An embedded store that admits one process (the chDB directory under VAR_DIR) is held by another process,
    typically a running `casino-club serve`. The message says which store and what to do, in one line."""
