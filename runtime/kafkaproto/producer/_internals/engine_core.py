"""The engine's synchronous work, compiled: ``EngineCore`` holds the producer engine's state and
does what needs no waiting — appends from any thread, the waits of a blocked thread, the hand-offs
that wake waiters when memory or metadata arrives, and the transactional checks; see
``engine.py`` for the whole engine.

``ProducerEngine`` (``kafkaproto.producer._internals.engine``) is an ``EngineCore`` with the
coroutines (a coroutine's wait, ``partitions_for``, the transactional calls, ``flush`` and
``close``). As with the sender (``sender_core``), the split keeps every coroutine out of
compiled code (``kafkaproto.compiled``).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Final
from uuid import UUID

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.config.definition import ConfigError
from kafkaproto.error_codes import KafkaError
from kafkaproto.partitioner import UNKNOWN_PARTITION, partition_for_record
from kafkaproto.producer._internals.accumulator import RecordAccumulator, RecordPlace
from kafkaproto.producer._internals.batch import ProducerBatch
from kafkaproto.producer._internals.cluster_transport import ClusterTransport
from kafkaproto.producer._internals.idempotence import IdempotenceManager, ProducerState
from kafkaproto.producer._internals.sender import Sender, SenderSettings
from kafkaproto.producer._internals.transactions import TransactionManager
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.errors import (
    BufferExhaustedError,
    ProducerClosedError,
    ProducerFatalError,
    ProducerMetadataTimeoutError,
    ProducerTimeoutError,
    RecordTooLargeError,
    TransactionStateError,
)
from kafkaproto.producer.metadata import ZERO_UUID
from kafkaproto.producer.transport import ProducerTransport
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.record_batch import Header
from mypy_extensions import mypyc_attr

__all__ = ["Blocked", "EngineCore", "Placed", "release"]

# The whole engine logs under one name (engine.py's), whichever half of it speaks.
log = logging.getLogger("kafkaproto.producer._internals.engine")

#: Where an appended record went: its batch, its index in it, and its timestamp.
Placed = tuple[ProducerBatch, int, int]

_COMPRESSION: Final = {
    "none": CompressionType.NONE,
    "gzip": CompressionType.GZIP,
    "snappy": CompressionType.SNAPPY,
    "lz4": CompressionType.LZ4,
    "zstd": CompressionType.ZSTD,
}

_IN_TRANSACTION: Final = ProducerState.IN_TRANSACTION


class Blocked(enum.Enum):
    """Why ``append`` could not place a record yet."""

    METADATA = "metadata"  # the topic's partitions are not known yet
    MEMORY = "memory"  # buffer.memory has no room for the batch the record needs


def release(waiter: asyncio.Future[None]) -> None:
    """Wake a waiter unless it is woken (or cancelled) already."""
    if not waiter.done():
        waiter.set_result(None)


def _level(config: ProducerConfig) -> int | None:
    kind = config.compression_type
    if kind == "gzip":
        return config.compression_gzip_level if config.compression_gzip_level != -1 else None
    if kind == "lz4":
        return config.compression_lz4_level
    if kind == "zstd":
        return config.compression_zstd_level
    return None


@mypyc_attr(allow_interpreted_subclasses=True)
class EngineCore:
    """The engine's state and synchronous steps; ``ProducerEngine`` adds the coroutines."""

    def __init__(
        self,
        config: ProducerConfig,
        transport: ProducerTransport | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = c = config
        self._owned_transport: ClusterTransport | None = None
        if transport is None:
            transport = self._owned_transport = ClusterTransport.for_config(c)
        #: The transaction manager of a transactional producer (also its ``idempotence``).
        self.transactions: TransactionManager | None = None
        self.idempotence: IdempotenceManager | None = None
        if c.transactional_id is not None:
            if c.transaction_two_phase_commit_enable:
                raise ConfigError(
                    "transaction.two.phase.commit.enable",
                    True,
                    "kafkaproto does not support two-phase commit (KIP-939) yet.",
                )
            self.transactions = TransactionManager(
                c.transactional_id,
                transaction_timeout_ms=c.transaction_timeout_ms,
                retry_backoff_ms=c.retry_backoff_ms,
                topic_id=self._known_topic_id,
            )
            self.idempotence = self.transactions
            log.info("Instantiated a transactional producer.")
        elif c.enable_idempotence:
            self.idempotence = IdempotenceManager()
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
        self.sender.on_memory_released = self._memory_released
        self.sender.on_metadata = self._metadata_updated
        #: Held by every append and by the accumulator's methods (reentrant).
        self.lock = self.accumulator.lock
        self._memory_freed = threading.Condition(self.lock)
        self._metadata_arrived = threading.Condition(self.lock)
        self._thread_memory_waiters = 0  # under lock
        # The loop's own waiters (loop thread only): memory in FIFO order, metadata all at once.
        self._memory_waiters: deque[asyncio.Future[None]] = deque()
        self._metadata_waiters: list[asyncio.Future[None]] = []
        self._ignore_keys = c.partitioner_ignore_keys
        # Records up to this estimate_record_size pass the max.request.size and buffer.memory
        # checks; lane values up to lane_value_max do too (the estimate adds at most 100
        # bytes to a keyless, headerless value).
        self._append_size_max = min(c.max_request_size, c.buffer_memory)
        self.accumulator.lane_value_max = self._append_size_max - 100
        #: The fast lane (see ``accumulator.Lane``) for a serialized record with a null key, no
        #: partition and no headers, ``timestamp`` resolved: ``lane_append(topic, value,
        #: timestamp)`` puts it straight into the sticky partition's open batch and answers
        #: where, or None when the lane does not apply (then ``append`` takes the record). The
        #: accumulator's own compiled method unless a transaction state must be checked first.
        #: The caller holds ``lock``.
        self.lane_append: Callable[[str, object, int], RecordPlace | None] = (
            self.accumulator.lane_append
            if self.transactions is None
            else self._transactional_lane_append
        )
        #: The accumulator, when its ``lane_append`` needs no check first (no transactions): a
        #: face whose serializers pass bytes as they are sends the commonest record through it
        #: in one compiled call (``futures.lane_place``/``lane_send``). None otherwise.
        self.unchecked_lane: RecordAccumulator | None = (
            self.accumulator if self.transactions is None else None
        )
        self._wakeup_scheduled = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = -1
        self._task: asyncio.Task[None] | None = None
        self.closing = False
        self.closed = False

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> asyncio.AbstractEventLoop:
        """Bind the engine to the running loop and start the sender (idempotent)."""
        loop = self.loop
        if loop is None:
            loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
            self._task = loop.create_task(self.sender.run())
            self.loop = loop
        return loop

    def on_loop_thread(self) -> bool:
        return threading.get_ident() == self._loop_thread

    # --- append: any thread ------------------------------------------------------------------

    def _transactional_lane_append(
        self, topic: str, value: object, timestamp: int
    ) -> RecordPlace | None:
        # ``lane_append`` of a transactional producer: the lane only inside a transaction.
        txn = self.transactions
        if txn is not None and txn.state is not _IN_TRANSACTION:
            return None  # append() raises what the state means
        return self.accumulator.lane_append(topic, value, timestamp)

    def append(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: int | None,
        headers: Sequence[Header] | None,
        size: int,
    ) -> Placed | Blocked:
        """Add a serialized record (``size`` is its ``estimate_record_size``). Returns where it
        went, or why it must wait; raises ``ProducerClosedError``, ``ProducerFatalError``,
        ``RecordTooLargeError``, ``ValueError`` (a partition the topic lacks) or the topic's
        non-retriable metadata error (e.g. ``TopicAuthorizationFailedError``). The caller holds
        ``lock``."""
        if self.closing:
            raise ProducerClosedError("Cannot send after the producer is closed.")
        txn = self.transactions
        idem = self.idempotence
        if txn is not None:
            txn.check_send_allowed()
        elif idem is not None and idem.has_fatal_error:
            error = ProducerFatalError("the idempotent producer hit a fatal error")
            error.__cause__ = idem.last_error
            raise error
        if size > self._append_size_max:
            self._too_large(size)
        cluster = self.sender.cluster
        n = cluster.num_partitions(topic)
        if n == 0:
            meta = cluster.topics.get(topic)
            if meta is not None and meta.error is not None and not meta.error.retriable:
                raise meta.error
            return Blocked.METADATA
        if partition is not None and partition >= n:
            raise ValueError(
                f"Invalid partition given with record: {partition} is not in the range [0...{n})."
            )
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        p = partition_for_record(key, partition, n, ignore_keys=self._ignore_keys)
        result = self.accumulator.append(
            topic,
            p,
            timestamp,
            key,
            value,
            headers,
            self.sender.now_ms(),
            cluster.availability(topic) if p == UNKNOWN_PARTITION else None,
        )
        if result is None:
            return Blocked.MEMORY
        if txn is not None:
            # After the append, as Java's doSend: the partition is known only now.
            txn.maybe_add_partition(result.batch.tp)
        if result.new_batch or result.batch_full:
            self._wake_sender()
        return result.batch, result.offset, timestamp

    def _too_large(self, size: int) -> None:
        c = self.config
        if size > c.max_request_size:
            raise RecordTooLargeError(
                f"The message is {size} bytes when serialized which is larger than "
                f"{c.max_request_size}, which is the value of the max.request.size configuration."
            )
        raise RecordTooLargeError(
            f"The message is {size} bytes when serialized which is larger than the total "
            "memory buffer you have configured with the buffer.memory configuration."
        )

    def _wake_sender(self) -> None:
        if self.on_loop_thread():
            self.sender.wakeup()
        elif not self._wakeup_scheduled:
            self._wakeup_scheduled = True
            self.loop.call_soon_threadsafe(self._scheduled_wakeup)  # type: ignore[union-attr]

    def _scheduled_wakeup(self) -> None:
        self._wakeup_scheduled = False
        self.sender.wakeup()

    def _want_metadata(self, topic: str) -> None:
        if self.on_loop_thread():
            self.sender.request_metadata(topic)
        else:
            self.loop.call_soon_threadsafe(self.sender.request_metadata, topic)  # type: ignore[union-attr]

    # --- waiting -------------------------------------------------------------------------------

    def wait_blocking(self, blocked: Blocked, topic: str, deadline: float) -> bool:
        """Block the calling thread until what ``blocked`` names may have changed (metadata
        arrived, a batch gave its memory back, the producer closed) or ``deadline``
        (``time.monotonic()``) passed; False when no time was left. The caller holds ``lock``
        (released while waiting) and calls ``append`` again. On the loop's own thread (a send
        from a callback) it raises instead: waiting there would block the loop that brings the
        metadata and frees the memory."""
        if self.on_loop_thread():
            metadata = blocked is Blocked.METADATA
            what = f"the metadata of topic {topic}" if metadata else "buffer.memory"
            cls = ProducerMetadataTimeoutError if metadata else BufferExhaustedError
            raise cls(f"A send on the producer's own thread (a callback) cannot wait for {what}.")
        left = deadline - time.monotonic()
        if left <= 0 or self.closing:
            return False
        if blocked is Blocked.METADATA:
            self._want_metadata(topic)
            self._metadata_arrived.wait(left)
            return True
        self._thread_memory_waiters += 1
        self._memory_waiters_changed()
        try:
            self._memory_freed.wait(left)
        finally:
            self._thread_memory_waiters -= 1
            self._memory_waiters_changed()
        return True

    def served(self) -> None:
        """A memory waiter of the loop has appended: wake the next one if memory is left."""
        if self._memory_waiters and self.accumulator.pool.available > 0:
            self._wake_first_memory_waiter()

    def _wake_first_memory_waiter(self) -> None:
        for waiter in self._memory_waiters:
            if not waiter.done():
                waiter.set_result(None)
                return

    def _memory_waiters_changed(self) -> None:
        with self.lock:
            count = self._thread_memory_waiters + len(self._memory_waiters)
            before = self.accumulator.memory_waiters
            self.accumulator.memory_waiters = count
        if count and not before:
            self._wake_sender()  # every batch is sendable now

    def _memory_released(self) -> None:
        # The sender, on the loop, after a batch gave its memory back: one wake-up per batch.
        if self._thread_memory_waiters:
            with self.lock:
                self._memory_freed.notify_all()
        if self._memory_waiters:
            self._wake_first_memory_waiter()

    def _metadata_updated(self) -> None:
        with self.lock:
            self._metadata_arrived.notify_all()
        waiters, self._metadata_waiters = self._metadata_waiters, []
        for waiter in waiters:
            release(waiter)

    def _wake_all_waiters(self) -> None:
        with self.lock:
            self._memory_freed.notify_all()
            self._metadata_arrived.notify_all()
        for waiter in self._memory_waiters:
            release(waiter)
        self._metadata_updated()

    def timeout_error(
        self, blocked: Blocked, topic: str, size: int, *, waited: bool = True
    ) -> Exception:
        """The error for a record that waited ``max.block.ms`` in vain (Java's messages), or,
        with ``waited`` false, for one that was not allowed to wait (``send_nowait``)."""
        ms = self.config.max_block_ms
        if self.closing:
            return ProducerClosedError("Producer closed while send in progress")
        if blocked is Blocked.METADATA:
            error = ProducerMetadataTimeoutError(
                f"Topic {topic} not present in metadata after {ms} ms."
                if waited
                else f"Topic {topic} not present in metadata yet (send_nowait does not wait for "
                "it; partitions_for(topic) does)."
            )
            if isinstance(self.sender.metadata_error, KafkaError):
                error.__cause__ = self.sender.metadata_error
            return error
        return BufferExhaustedError(
            f"Failed to allocate {size} bytes within the configured max blocking time {ms} ms."
            if waited
            else f"Failed to allocate {size} bytes: buffer.memory is full (send_nowait does not "
            "wait for room; send does, up to max.block.ms)."
        )

    # --- transactions: the loop (begin_transaction and note_send_error: any thread) ------------

    def _known_topic_id(self, topic: str) -> UUID | None:
        topic_id = self.sender.cluster.topic_id(topic)
        return None if topic_id == ZERO_UUID else topic_id

    def _txn(self) -> TransactionManager:
        # throwIfNoTransactionManager, throwIfProducerClosed
        txn = self.transactions
        if txn is None:
            raise TransactionStateError(
                "Cannot use transactional methods without enabling transactions by setting the "
                "transactional.id configuration property"
            )
        if self.closing:
            raise ProducerClosedError("Cannot perform operation after producer has been closed")
        return txn

    def _features(self) -> tuple[int, int | None]:
        """The cluster's finalized features epoch and ``transaction.version`` as last seen."""
        read = getattr(self.sender.transport, "finalized_features", None)
        if read is None:
            return -1, None
        epoch, levels = read()
        return epoch, levels.get("transaction.version")

    @property
    def transaction_version(self) -> int | None:
        """The transaction protocol in use (2: KIP-890 part 2, 1: before it), known once
        ``init_transactions`` completed; None for a producer without ``transactional.id``."""
        txn = self.transactions
        return None if txn is None else txn.transaction_version

    def begin_transaction(self) -> None:
        """Java's ``beginTransaction`` (no I/O; any thread)."""
        txn = self._txn()
        with self.lock:
            txn.begin_transaction()

    def note_send_error(self, error: BaseException) -> None:
        """A send failed before its record was queued: in a transaction that makes the
        transaction abortable (KafkaProducer.doSend's ApiException case)."""
        txn = self.transactions
        if txn is None or not isinstance(error, (KafkaError, ProducerTimeoutError)):
            return
        if isinstance(error, (TransactionStateError, ProducerFatalError)):
            return
        with self.lock:
            if txn.state is _IN_TRANSACTION:
                txn.maybe_transition_to_error_state(error)

    # --- flush and close: the loop -------------------------------------------------------------
