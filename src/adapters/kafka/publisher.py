"""The exporter's sink on Kafka: aiokafka with acks=all (and the idempotent producer), one `events` topic."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from src.adapters.kafka.codec import encode, headers_of, key_of
from src.application.analytics.events import AnalyticsEvent
from src.application.shared.errors import DependencyUnavailable

logger = structlog.get_logger("casino_club.kafka")

TOPIC_PARTITIONS = 6
REQUEST_TIMEOUT_MS = 5_000
PUBLISH_TIMEOUT_SECONDS = 15.0  # a batch the broker has not acknowledged by then is a failed pass
STOP_TIMEOUT_SECONDS = 5.0  # stopping flushes what is pending: with the broker away it would wait for it


class KafkaEventSink:
    """Connects on first use and again after any failure, so a broker that is down at start, or goes away and
    comes back, costs failed passes (the outbox keeps the events) and never a request."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        idempotent: bool = True,
        request_timeout_ms: int = REQUEST_TIMEOUT_MS,
    ) -> None:
        self._servers = bootstrap_servers
        self._topic = topic
        self._idempotent = idempotent
        self._request_timeout_ms = request_timeout_ms  # how long a pass waits for a broker that went away
        self._producer: AIOKafkaProducer | None = None
        self._topic_ready = False

    async def publish(self, events: Sequence[AnalyticsEvent]) -> None:
        if not events:
            return
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                producer = await self._started()
                sent = [
                    await producer.send(self._topic, encode(e), key=key_of(e), headers=headers_of(e)) for e in events
                ]
                await asyncio.gather(*sent)
        except (KafkaError, OSError, TimeoutError) as exc:
            await self.close()  # a fresh producer next pass: no half-sent state survives a failure
            raise DependencyUnavailable("kafka unreachable") from exc

    async def _started(self) -> AIOKafkaProducer:
        if not self._topic_ready:
            await self._ensure_topic()
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._servers,
                acks="all",
                enable_idempotence=self._idempotent,
                linger_ms=5,
                request_timeout_ms=self._request_timeout_ms,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _ensure_topic(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._servers, request_timeout_ms=self._request_timeout_ms)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(self._topic, TOPIC_PARTITIONS, replication_factor=1)])
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()
        self._topic_ready = True

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        self._topic_ready = False
        if producer is not None:
            try:
                async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                    await producer.stop()
            except (KafkaError, OSError, TimeoutError) as exc:  # what it held is still in the outbox: nothing lost
                logger.warning("kafka producer did not stop cleanly", error=type(exc).__name__)
