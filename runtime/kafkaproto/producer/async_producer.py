"""``AsyncProducer``: the asyncio face of the producer engine.

``send(record)`` serializes, checks the size, picks the partition (the record's own, murmur2 of
the key, or the sticky partitioner) and appends to the accumulator, returning a ``RecordFuture``
at once; the sender task does the rest. When the topic's metadata is not known yet or
``buffer.memory`` is full, the record waits in a FIFO (Java's ``send`` blocks its thread there)
for at most ``max.block.ms``, then its future fails with ``ProducerMetadataTimeoutError`` or
``BufferExhaustedError``; records waiting that way are bounded by ``buffer.memory`` too, beyond
which they fail at once, so memory is never unbounded. ``flush()`` makes everything sendable and
waits for it; ``close(timeout)`` sends what it can within the timeout and fails the rest with
``ProducerClosedError``; it never hangs.

The engine lives on one event loop: every method must be called from that loop's thread
(``kafkaproto.producer.sync_producer.Producer`` is the thread-safe face).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Self, TypeVar

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.error_codes import KafkaError
from kafkaproto.partitioner import UNKNOWN_PARTITION, partition_for_record
from kafkaproto.producer.accumulator import AppendResult, RecordAccumulator, estimate_record_size
from kafkaproto.producer.batch import ProducerBatch
from kafkaproto.producer.cluster_transport import ClusterTransport
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.errors import (
    BufferExhaustedError,
    ProducerClosedError,
    ProducerFatalError,
    ProducerMetadataTimeoutError,
    RecordTooLargeError,
)
from kafkaproto.producer.futures import RecordFuture
from kafkaproto.producer.idempotence import IdempotenceManager
from kafkaproto.producer.metadata import ClusterSnapshot
from kafkaproto.producer.record import BytesSerializer, ProducerRecord, Serializer
from kafkaproto.producer.sender import Sender, SenderSettings
from kafkaproto.producer.transport import ProducerTransport
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.record_batch import Header

__all__ = ["AsyncProducer"]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

_COMPRESSION = {
    "none": CompressionType.NONE,
    "gzip": CompressionType.GZIP,
    "snappy": CompressionType.SNAPPY,
    "lz4": CompressionType.LZ4,
    "zstd": CompressionType.ZSTD,
}


class _Parked:
    __slots__ = (
        "deadline_ms",
        "future",
        "headers",
        "key",
        "partition",
        "size",
        "timestamp",
        "topic",
        "value",
    )

    def __init__(
        self,
        future: RecordFuture,
        topic: str,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Sequence[Header] | None,
        size: int,
        deadline_ms: int,
    ) -> None:
        self.future = future
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
        self.size = size
        self.deadline_ms = deadline_ms


def _level(config: ProducerConfig) -> int | None:
    kind = config.compression_type
    if kind == "gzip":
        return config.compression_gzip_level if config.compression_gzip_level != -1 else None
    if kind == "lz4":
        return config.compression_lz4_level
    if kind == "zstd":
        return config.compression_zstd_level
    return None


class AsyncProducer(Generic[K, V]):
    """Java's ``KafkaProducer`` on asyncio; see the module docstring.

    >>> async with AsyncProducer(transport=client, linger_ms=10) as producer:  # doctest: +SKIP
    ...     meta = await producer.send(ProducerRecord("events", b"payload", key=b"user-1"))
    """

    def __init__(
        self,
        config: ProducerConfig | Mapping[str, object] | None = None,
        *,
        transport: ProducerTransport | None = None,
        key_serializer: Serializer[K] | None = None,
        value_serializer: Serializer[V] | None = None,
        clock: Any = time.monotonic,
        **settings: object,
    ) -> None:
        self.config = ProducerConfig.of(config, settings)
        c = self.config
        # Without a transport given, the producer owns a cluster client for bootstrap.servers.
        self._owned_transport: ClusterTransport | None = None
        if transport is None:
            transport = self._owned_transport = ClusterTransport.for_config(c)
        self._key_serializer: Any = key_serializer or BytesSerializer()
        self._value_serializer: Any = value_serializer or BytesSerializer()
        self.idempotence = IdempotenceManager() if c.enable_idempotence else None
        self.accumulator = RecordAccumulator(
            batch_size=c.batch_size,
            compression=_COMPRESSION[c.compression_type],
            compression_level=_level(c),
            linger_ms=c.linger_ms,
            delivery_timeout_ms=c.delivery_timeout_ms,
            buffer_memory=c.buffer_memory,
            retry_backoff=ExponentialBackoff(c.retry_backoff_ms, 2, c.retry_backoff_max_ms, 0.2),
            idempotence=self.idempotence,
            partitioner_ignore_keys=c.partitioner_ignore_keys,
            adaptive_partitioning=c.partitioner_adaptive_partitioning_enable,
            partition_availability_timeout_ms=c.partitioner_availability_timeout_ms,
        )
        self.sender = Sender(
            SenderSettings(
                acks=c.acks,
                max_in_flight=c.max_in_flight_requests_per_connection,
                max_request_size=c.max_request_size,
                request_timeout_ms=c.request_timeout_ms,
                retries=c.retries,
                retry_backoff_ms=c.retry_backoff_ms,
                metadata_max_age_ms=c.metadata_max_age_ms,
            ),
            self.accumulator,
            transport,
            self.idempotence,
            clock=clock,
        )
        self._lanes = self.accumulator.lanes
        self._plain_keys = type(self._key_serializer) is BytesSerializer
        self._plain_values = type(self._value_serializer) is BytesSerializer
        # Records up to this estimate_record_size pass the max.request.size and buffer.memory
        # checks; values up to _lane_value_max do whatever their batch (the estimate adds at
        # most 100 bytes to a keyless, headerless value).
        self._append_size_max = min(c.max_request_size, c.buffer_memory)
        self._lane_value_max = self._append_size_max - 100
        self._wakeup_scheduled = False
        self.sender.on_memory_released = self._unpark
        self.sender.on_metadata = self._unpark
        self._parked: deque[_Parked] = deque()
        self._parked_bytes = 0
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the sender task (``send`` does it on first use too)."""
        self._ensure_started()

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
            self._task = loop.create_task(self.sender.run())
        return loop

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- send --------------------------------------------------------------------------------

    def send(self, record: ProducerRecord[Any]) -> RecordFuture:
        """Queue ``record``; the returned future gives its ``RecordMetadata``. Serialization
        errors raise here, as in Java; every other failure arrives through the future."""
        topic = record.topic
        key = record.key
        value = record.value
        if key is not None or not self._plain_keys:
            key = self._key_serializer.serialize(topic, key)
        if type(value) is not bytes or not self._plain_values:
            value = self._value_serializer.serialize(topic, value)
        return self.send_serialized(
            topic, value, key, record.partition, record.timestamp, record.headers
        )

    def _lane_send(
        self, topic: str, value: bytes | None, timestamp: int | None
    ) -> RecordFuture | None:
        """``_lane_append`` with the record's ``RecordFuture``; None when the lane does not
        apply (then the record takes the full path)."""
        place = self._lane_append(topic, value, timestamp)
        if place is None:
            return None
        batch, index, timestamp = place
        # A lane exists only once the loop is known (a record went the full path).
        return RecordFuture(
            self._loop,  # type: ignore[arg-type]
            batch,
            index,
            timestamp,
            -1,
            len(value),  # type: ignore[arg-type]
        )

    def _lane_append(
        self, topic: str, value: bytes | None, timestamp: int | None
    ) -> tuple[ProducerBatch, int, int] | None:
        """The fast lane (see ``accumulator.Lane``) for a serialized record with a null key, no
        partition and no headers: straight into the sticky partition's open batch when the
        topic has a lane, the value is bytes and nothing waits before it. Returns the batch, the
        record's index in it and its timestamp, or None when the lane does not apply."""
        if type(value) is not bytes or len(value) > self._lane_value_max or self._parked:
            return None
        lane = self._lanes.get(topic)
        if lane is None:
            return None
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        index = lane.builder.append_value(value, timestamp, lane.limit)
        if index < 0:
            return None
        return lane.batch, index, timestamp

    def _append_now(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: int | None,
        headers: Sequence[Header] | None,
        size: int,
    ) -> tuple[ProducerBatch, int, int] | None:
        """The full path's append when it needs nothing from the loop: the producer is open
        and healthy, no record waits, the topic's metadata is known, the partition valid, the
        record within the size limits (``size`` is its ``estimate_record_size``) and memory
        free. Returns the batch, the record's index in it and its timestamp; None when the
        record must go through ``send`` instead (which waits for what is missing, or fails
        it). The thread-safe ``Producer`` calls it from its callers' threads under
        ``accumulator.lock``: the sender is woken thread-safely."""
        idem = self.idempotence
        if (
            self._closing
            or self._parked
            or size > self._append_size_max
            or (idem is not None and idem.has_fatal_error)
        ):
            return None
        cluster = self.sender.cluster
        n = cluster.num_partitions(topic)
        if n == 0 or (partition is not None and partition >= n):
            return None
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        result = self._accumulate(cluster, n, topic, partition, key, value, timestamp, headers)
        if result is None:
            return None
        if (result.new_batch or result.batch_full) and not self._wakeup_scheduled:
            self._wakeup_scheduled = True
            self._loop.call_soon_threadsafe(self._scheduled_wakeup)  # type: ignore[union-attr]
        return result.batch, result.offset, timestamp

    def _scheduled_wakeup(self) -> None:
        self._wakeup_scheduled = False
        self.sender.wakeup()

    def send_serialized(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Sequence[Header] | None = None,
    ) -> RecordFuture:
        """``send`` for a key and value already in bytes."""
        if key is None and partition is None and not headers:
            future = self._lane_send(topic, value, timestamp)
            if future is not None:
                return future
        return self._send_sized(
            topic,
            value,
            key,
            partition,
            timestamp,
            headers,
            estimate_record_size(key, value, headers),
        )

    def _send_sized(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        partition: int | None,
        timestamp: int | None,
        headers: Sequence[Header] | None,
        size: int,
    ) -> RecordFuture:
        # ``size`` is estimate_record_size(key, value, headers): the thread-safe Producer has it
        # already (it reserved it against buffer.memory), so the loop thread does not redo it.
        loop = self._ensure_started()
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        future = RecordFuture(
            loop,
            None,
            0,
            timestamp,
            -1 if key is None else len(key),
            -1 if value is None else len(value),
        )
        if self._closing:
            future._fail(ProducerClosedError("Cannot send after the producer is closed."))
            return future
        idem = self.idempotence
        if idem is not None and idem.has_fatal_error:
            error = ProducerFatalError("the idempotent producer hit a fatal error")
            error.__cause__ = idem.last_error
            future._fail(error)
            return future
        c = self.config
        if size > c.max_request_size:
            future._fail(
                RecordTooLargeError(
                    f"The message is {size} bytes when serialized which is larger than "
                    f"{c.max_request_size}, which is the value of the max.request.size "
                    "configuration."
                )
            )
            return future
        if size > c.buffer_memory:
            future._fail(
                RecordTooLargeError(
                    f"The message is {size} bytes when serialized which is larger than the total "
                    "memory buffer you have configured with the buffer.memory configuration."
                )
            )
            return future
        if self._parked or not self._try_append(
            future, topic, partition, key, value, timestamp, headers
        ):
            self._park(future, topic, partition, key, value, timestamp, headers, size)
        return future

    def _try_append(
        self,
        future: RecordFuture,
        topic: str,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Sequence[Header] | None,
    ) -> bool:
        cluster = self.sender.cluster
        n = cluster.num_partitions(topic)
        if n == 0:
            self.sender.request_metadata(topic)
            return False
        if partition is not None and partition >= n:
            future._fail(
                ValueError(
                    f"Invalid partition given with record: {partition} is not in the range "
                    f"[0...{n})."
                )
            )
            return True
        result = self._accumulate(cluster, n, topic, partition, key, value, timestamp, headers)
        if result is None:
            return False
        future._attach(result.batch, result.offset)
        if result.new_batch or result.batch_full:
            self.sender.wakeup()
        return True

    def _accumulate(
        self,
        cluster: ClusterSnapshot,
        n: int,
        topic: str,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Sequence[Header] | None,
    ) -> AppendResult | None:
        # The partitioner, then RecordAccumulator.append; the topic has n > 0 partitions.
        p = partition_for_record(key, partition, n, ignore_keys=self.config.partitioner_ignore_keys)
        return self.accumulator.append(
            topic,
            p,
            timestamp,
            key,
            value,
            headers,
            self.sender.now_ms(),
            cluster.availability(topic) if p == UNKNOWN_PARTITION else None,
        )

    def _park(
        self,
        future: RecordFuture,
        topic: str,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Sequence[Header] | None,
        size: int,
    ) -> None:
        if self._parked_bytes + size > self.config.buffer_memory:
            future._fail(
                BufferExhaustedError(
                    "Failed to allocate memory: buffer.memory is full and as many bytes again "
                    "are already waiting for it."
                )
            )
            return
        now = self.sender.now_ms()
        self._parked.append(
            _Parked(
                future,
                topic,
                partition,
                key,
                value,
                timestamp,
                headers,
                size,
                now + self.config.max_block_ms,
            )
        )
        self._parked_bytes += size
        self.sender.topics.add(topic)
        self._after_park_change()

    def _after_park_change(self) -> None:
        parked = self._parked
        head = parked[0] if parked else None
        # Only a record waiting for memory (its topic is known) makes every batch sendable.
        self.accumulator.memory_waiters = int(
            head is not None and self.sender.cluster.num_partitions(head.topic) > 0
        )
        if head is not None:
            self.sender.wakeup()
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        if head is not None and self._loop is not None:
            delay = max(head.deadline_ms - self.sender.now_ms(), 0) / 1000
            self._deadline_timer = self._loop.call_later(delay, self._expire_parked)

    def _unpark(self) -> None:
        parked = self._parked
        while parked:
            p = parked[0]
            topic = self.sender.cluster.topics.get(p.topic)
            if topic is not None and topic.error is not None and not topic.error.retriable:
                p.future._fail(topic.error)
            elif not self._try_append(
                p.future, p.topic, p.partition, p.key, p.value, p.timestamp, p.headers
            ):
                break
            parked.popleft()
            self._parked_bytes -= p.size
        self._after_park_change()

    def _expire_parked(self) -> None:
        self._deadline_timer = None
        now = self.sender.now_ms()
        keep: deque[_Parked] = deque()
        for p in self._parked:
            if p.deadline_ms <= now:
                ms = self.config.max_block_ms
                if self.sender.cluster.num_partitions(p.topic) == 0:
                    error: Exception = ProducerMetadataTimeoutError(
                        f"Topic {p.topic} not present in metadata after {ms} ms."
                    )
                    if isinstance(self.sender.metadata_error, KafkaError):
                        error.__cause__ = self.sender.metadata_error
                else:
                    error = BufferExhaustedError(
                        f"Failed to allocate {p.size} bytes within the configured max blocking "
                        f"time {ms} ms."
                    )
                p.future._fail(error)
                self._parked_bytes -= p.size
            else:
                keep.append(p)
        self._parked = keep
        self._after_park_change()

    # --- flush and close ---------------------------------------------------------------------

    async def flush(self) -> None:
        """Make every queued record sendable now and wait until each record sent before this
        call completed (successfully or not). Java's ``flush``."""
        self._ensure_started()
        acc = self.accumulator
        acc.flushes_in_progress += 1
        self.sender.wakeup()
        try:
            parked = [p.future for p in self._parked]
            await self._wait_batches(list(acc.incomplete))
            loop = self._ensure_started()
            for future in parked:
                if not future.done():
                    # Wait on a future of our own: cancelling flush() must not cancel the
                    # caller's record future.
                    waiter = loop.create_future()
                    future.add_done_callback(
                        lambda _, w=waiter: w.done() or w.set_result(None)  # type: ignore[misc]
                    )
                    await waiter
        finally:
            acc.flushes_in_progress -= 1

    async def _wait_batches(self, batches: list[ProducerBatch]) -> None:
        loop = self._ensure_started()
        while batches:
            batch = batches.pop()
            if batch.done:
                continue
            if batch.moved_to is not None:
                batches.extend({id(b): b for b, _ in batch.moved_to}.values())
                continue
            waiter = loop.create_future()
            batch.add_waiter(lambda w=waiter: w.done() or w.set_result(None))  # type: ignore[misc]
            await waiter
            batches.append(batch)  # re-check: it may have been split

    async def close(self, timeout: float | None = None) -> None:
        """Stop accepting records, send what is queued, then stop the sender.

        ``timeout`` (seconds) bounds the wait; None means ``delivery.timeout.ms`` plus
        ``request.timeout.ms``, after which every record has been acknowledged or expired
        anyway. Whatever is left after it fails with ``ProducerClosedError``. Never hangs."""
        if self._closed:
            return
        self._closing = True
        self.accumulator.retire_lanes()  # every later send takes the full path and fails there
        if self._loop is None:
            self._closed = True
            return
        if timeout is None:
            timeout = (self.config.delivery_timeout_ms + self.config.request_timeout_ms) / 1000
        try:
            async with asyncio.timeout(timeout):
                await self.flush()
                self.accumulator.close()
                while self.accumulator.has_incomplete() or self.sender.has_inflight():
                    await self._wait_batches(list(self.accumulator.incomplete))
                    await asyncio.sleep(0.001)
        except TimeoutError:
            log.warning("close(): timed out after %.3f s; failing what is left", timeout)
        await self._force_close()

    async def _force_close(self) -> None:
        error = ProducerClosedError("Producer is closed forcefully.")
        for p in self._parked:
            p.future._fail(error)
        self._parked.clear()
        self._parked_bytes = 0
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self.accumulator.close()
        self.sender.abort_all(error)
        self.sender.stop()
        task = self._task
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._owned_transport is not None:
            await self._owned_transport.close()
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed
