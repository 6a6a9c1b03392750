"""One partition's batch of records on its way to the broker, and its single completion.

``ProducerBatch`` wraps a ``BatchBuilder`` with what the accumulator and sender track about it
(Java's ``ProducerBatch``): creation time (KIP-91 delivery timeout counts from it), attempts and
the last attempt time (retry backoff), the producer id/epoch/sequence it was sent with, and its
outcome. A batch completes exactly once, for all its records: a base offset and LogAppendTime,
or an error (optionally one per record, Produce v8+ ``record_errors``). Records do not get an
object each here: a record is ``(batch, index)``, turned into ``RecordMetadata`` only when asked.
When the broker refuses a batch as too large it is split; the old batch then points every record
at its place in a new batch (``moved_to``) instead of completing.

Sans-I/O and single-threaded: no clocks (times are passed in), no event loop. Waiters are plain
callables run synchronously when the batch completes or is split.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from kafkaproto.partitioner import UNKNOWN_PARTITION
from kafkaproto.producer.record import NO_TIMESTAMP, RecordMetadata
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.record_batch import NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE

__all__ = ["INVALID_OFFSET", "ProducerBatch", "TopicPartition"]

#: ``ProduceResponse.INVALID_OFFSET``.
INVALID_OFFSET: Final = -1

TopicPartition = tuple[str, int]


class ProducerBatch:
    """A batch for ``(topic, partition)``; see the module docstring."""

    __slots__ = (
        "_built",
        "attempts",
        "base_offset",
        "builder",
        "closed",
        "created_ms",
        "done",
        "drained_ms",
        "error",
        "in_retry",
        "is_split",
        "last_attempt_ms",
        "log_append_time",
        "maybe_written",
        "moved_to",
        "partition",
        "record_errors",
        "reserved",
        "retry_delay_ms",
        "sequence_reset",
        "topic",
        "tp",
        "waiters",
    )

    def __init__(
        self,
        topic: str,
        partition: int,
        builder: BatchBuilder,
        created_ms: int,
        *,
        reserved: int = 0,
        is_split: bool = False,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.tp: TopicPartition = (topic, partition)
        self.builder = builder
        self.created_ms = created_ms
        self.last_attempt_ms = created_ms
        self.drained_ms = 0
        self.attempts = 0
        self.retry_delay_ms = 0
        self.in_retry = False
        self.sequence_reset = False
        # Whether an attempt may have reached the log: set on any failure except the broker's
        # answers that reject before appending (the sender decides).
        self.maybe_written = False
        self.is_split = is_split
        self.closed = False  # no more appends (drained, or a record did not fit)
        self.reserved = reserved  # bytes of buffer.memory this batch holds
        self._built: bytes | None = None
        self.done = False
        self.base_offset = INVALID_OFFSET
        self.log_append_time = NO_TIMESTAMP
        self.error: BaseException | None = None
        self.record_errors: dict[int, BaseException] | None = None
        self.moved_to: list[tuple[ProducerBatch, int]] | None = None
        self.waiters: list[Callable[[], None]] | None = None

    # --- contents ---------------------------------------------------------------------------

    @property
    def record_count(self) -> int:
        return self.builder.record_count

    @property
    def size_in_bytes(self) -> int:
        """Uncompressed size so far (Java's ``estimatedSizeInBytes`` before ``close``)."""
        if self._built is not None:
            return len(self._built)
        return self.builder.size_in_bytes

    def is_full(self, batch_size: int) -> bool:
        """Java's ``isFull``: closed for appends, or at least ``batch.size`` bytes written."""
        return self.closed or self.builder.size_in_bytes >= batch_size

    def records(self) -> bytes:
        """The batch's bytes with its current producer state (built once, rebuilt after a
        sequence reset)."""
        built = self._built
        if built is None:
            built = self._built = self.builder.build()
        return built

    # --- idempotence ------------------------------------------------------------------------

    @property
    def producer_id(self) -> int:
        return self.builder.producer_id

    @property
    def producer_epoch(self) -> int:
        return self.builder.producer_epoch

    @property
    def base_sequence(self) -> int:
        return self.builder.base_sequence

    @property
    def last_sequence(self) -> int:
        return self.builder.base_sequence + self.builder.record_count - 1

    def has_sequence(self) -> bool:
        return self.builder.base_sequence != NO_SEQUENCE

    @property
    def is_transactional(self) -> bool:
        return self.builder.is_transactional

    def set_producer_state(
        self, producer_id: int, epoch: int, base_sequence: int, transactional: bool = False
    ) -> None:
        """Stamp the batch (Java's ``setProducerState``); ``transactional`` sets the batch's
        transactional attribute bit, which makes its records part of a transaction (KIP-98)."""
        self.builder.set_producer_state(producer_id, epoch, base_sequence, transactional)
        self._built = None

    def reset_producer_state(self, producer_id: int, epoch: int, base_sequence: int) -> None:
        """``ProducerBatch.resetProducerState``: new sequence after an epoch bump (the
        transactional bit stays as it was)."""
        self.sequence_reset = True
        self.set_producer_state(producer_id, epoch, base_sequence, self.is_transactional)

    def clear_producer_state(self) -> None:
        self.set_producer_state(NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE)

    # --- timing -----------------------------------------------------------------------------

    def has_reached_delivery_timeout(self, delivery_timeout_ms: int, now_ms: int) -> bool:
        # ProducerBatch.hasReachedDeliveryTimeout: measured from creation (KIP-91).
        return delivery_timeout_ms <= now_ms - self.created_ms

    def waited_ms(self, now_ms: int) -> int:
        return max(0, now_ms - self.last_attempt_ms)

    def reenqueued(self, now_ms: int, retry_delay_ms: int) -> None:
        # ProducerBatch.reenqueued; the backoff is drawn once per retry (Java redraws its jitter
        # on every ready check, which gives the same distribution).
        self.attempts += 1
        self.last_attempt_ms = max(self.last_attempt_ms, now_ms)
        self.retry_delay_ms = retry_delay_ms
        self.in_retry = True

    def backing_off(self, now_ms: int) -> bool:
        # RecordAccumulator.shouldBackoff (without the leader-change shortcut).
        return self.attempts > 0 and self.waited_ms(now_ms) < self.retry_delay_ms

    # --- completion -------------------------------------------------------------------------

    def add_waiter(self, waiter: Callable[[], None]) -> None:
        """Run ``waiter()`` when the batch completes or is split (at once if it already was)."""
        if self.done or self.moved_to is not None:
            waiter()
        elif self.waiters is None:
            self.waiters = [waiter]
        else:
            self.waiters.append(waiter)

    def _wake(self) -> None:
        waiters = self.waiters
        if waiters is not None:
            self.waiters = None
            for waiter in waiters:
                waiter()

    def _discard_records(self) -> None:
        # Done (or split): the records' bytes are never read again, so they go now, not when
        # the last future or flush() that refers to the batch lets go of it.
        self._built = None
        self.builder.discard()

    def complete(self, base_offset: int, log_append_time: int) -> bool:
        """Success for every record. False (and nothing done) if already completed."""
        if self.done:
            return False
        self.done = True
        self.base_offset = base_offset
        self.log_append_time = log_append_time
        self._discard_records()
        self._wake()
        return True

    def complete_exceptionally(
        self, error: BaseException, record_errors: dict[int, BaseException] | None = None
    ) -> bool:
        """Failure for every record (``record_errors`` overrides it per record index)."""
        if self.done:
            return False
        self.done = True
        self.error = error
        self.record_errors = record_errors
        self._discard_records()
        self._wake()
        return True

    def moved(self, places: list[tuple[ProducerBatch, int]]) -> None:
        """The batch was split: record ``i`` now lives at ``places[i]``."""
        self.moved_to = places
        self._discard_records()
        self._wake()

    def iter_records(
        self,
    ) -> Iterator[tuple[int, bytes | None, bytes | None, tuple[tuple[str, bytes | None], ...]]]:
        """``(timestamp, key, value, headers)`` of every record, read back from the built batch
        (used to split it)."""
        from kafkaproto.records.reader import iter_records

        for rec in iter_records(self.records(), partition=self.tp):
            key = None if rec.key is None else bytes(rec.key)
            value = None if rec.value is None else bytes(rec.value)
            yield rec.timestamp, key, value, rec.headers

    def metadata(
        self, index: int, timestamp: int, key_size: int, value_size: int
    ) -> RecordMetadata:
        """Record ``index``'s outcome: its ``RecordMetadata``, or raise its error."""
        error = self.error
        if error is not None:
            errors = self.record_errors
            if errors is not None:
                raise errors.get(index, error)
            raise error
        base = self.base_offset
        return RecordMetadata(
            self.topic,
            self.partition,
            base + index if base != INVALID_OFFSET else INVALID_OFFSET,
            self.log_append_time if self.log_append_time != NO_TIMESTAMP else timestamp,
            key_size,
            value_size,
        )

    def __repr__(self) -> str:
        p = self.partition if self.partition != UNKNOWN_PARTITION else "?"
        return (
            f"ProducerBatch({self.topic}-{p}, records={self.record_count}, "
            f"attempts={self.attempts})"
        )
