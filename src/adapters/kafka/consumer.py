"""The OLAP consumer: a Kafka consumer group that writes batches to the OLAP store, committing offsets only
after the write succeeded. A crash in between delivers the batch again; the OLAP keys make that harmless."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import msgspec
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from src.adapters.kafka.codec import decode
from src.application.analytics.events import AnalyticsEvent
from src.application.analytics.ports import EventSink

logger = structlog.get_logger("casino_club.kafka.consumer")


class KafkaOlapConsumer:
    """`run()` until cancelled. A failed write is retried (backoff up to `max_backoff_seconds`) before anything
    else is read, so nothing is skipped while the OLAP store is away; the offsets wait for it."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        group_id: str,
        writer: EventSink,
        *,
        batch_size: int = 2000,
        retry_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        session_timeout_ms: int = 10_000,
        metadata_max_age_ms: int = 10_000,
    ) -> None:
        self._servers = bootstrap_servers
        self._topic = topic
        self._group = group_id
        self._writer = writer
        self._batch_size = batch_size
        self._retry = retry_seconds
        self._max_backoff = max_backoff_seconds
        self._session_timeout_ms = session_timeout_ms
        self._metadata_max_age_ms = metadata_max_age_ms
        self.written = 0  # events written (duplicates included), for progress lines and tests

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=self._servers,
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._batch_size,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=max(100, self._session_timeout_ms // 4),
            # partitions added to the topic (or a topic made again by a restarted broker) are read within this
            metadata_max_age_ms=self._metadata_max_age_ms,
        )
        await self._start(consumer)
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=self._batch_size)
                if batches:
                    await self._write(_events(batches))
                    await self._commit(consumer, batches)
                else:
                    await _rewind_truncated(consumer)
        finally:
            await consumer.stop()

    async def _start(self, consumer: AIOKafkaConsumer) -> None:
        failures = 0
        while True:
            try:
                await consumer.start()
                return
            except (KafkaError, OSError) as exc:
                failures += 1
                logger.warning("kafka unreachable; the consumer will try again", error=type(exc).__name__)
                await asyncio.sleep(self._backoff(failures))

    async def _write(self, events: Sequence[AnalyticsEvent]) -> None:
        failures = 0
        while True:
            try:
                await self._writer.publish(events)
                self.written += len(events)
                return
            except Exception as exc:  # noqa: BLE001 - whatever failed, the batch is written again, never skipped
                failures += 1
                logger.warning(
                    "OLAP write failed; the batch will be written again", events=len(events), error=type(exc).__name__
                )
                await asyncio.sleep(self._backoff(failures))

    async def _commit(self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        offsets = {tp: OffsetAndMetadata(records[-1].offset + 1, "") for tp, records in batches.items() if records}
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:  # a rebalance moved the partition: its new owner reads again
            logger.warning("offset commit failed; those events will be read again", error=type(exc).__name__)

    def _backoff(self, failures: int) -> float:
        return min(self._max_backoff, self._retry * 2.0 ** min(failures - 1, 8))


async def _rewind_truncated(consumer: AIOKafkaConsumer) -> None:
    """A partition whose log ends before our position lost its records (a single broker restarted without its
    volume): what it holds now came later, so it is read from its start rather than waited past."""
    for tp in consumer.assignment():
        end = consumer.highwater(tp)
        if end is not None and await consumer.position(tp) > end:
            logger.warning("partition log is shorter than the consumer's position; reading it from its start",
                           partition=tp.partition, end=end)  # fmt: skip
            await consumer.seek_to_beginning(tp)


def _events(batches: dict[TopicPartition, list[ConsumerRecord]]) -> list[AnalyticsEvent]:
    events: list[AnalyticsEvent] = []
    for records in batches.values():
        for record in records:
            try:
                events.append(decode(record.value))
            except (msgspec.DecodeError, msgspec.ValidationError, TypeError):
                # not ours: no retry would ever parse it, and blocking the partition would stop every later event
                logger.error("skipped a message that is not an event envelope", offset=record.offset)
    return events
