"""The consumer's own typed errors: the ones raised on the client side, not read off the wire.

Broker error codes stay in ``kafkaproto.error_codes``; these are what Java's consumer raises
itself: ``NoOffsetForPartitionException`` and ``OffsetOutOfRangeException`` (both
``InvalidOffsetException``s) under ``auto.offset.reset=none``, ``LogTruncationException``
(KIP-320), ``RecordTooLargeException`` for a batch no fetch size can return,
``RecordDeserializationException``, ``WakeupException``, the timeouts of the blocking calls, and
the "not assigned" / "closed" / "used from two threads" misuse errors. This module must never
import anything from the consumer's engine, so every layer can raise them.
"""

from __future__ import annotations

from collections.abc import Mapping

from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.errors import KafkaProtoError

__all__ = [
    "CommitFailedError",
    "ConcurrentAccessError",
    "ConsumerClosedError",
    "ConsumerError",
    "ConsumerTimeoutError",
    "InvalidOffsetError",
    "LogTruncationError",
    "NoOffsetForPartitionError",
    "PartitionAssignmentError",
    "PositionOutOfRangeError",
    "RecordDeserializationError",
    "RecordTooLargeForFetchError",
    "UnassignedPartitionError",
    "WakeupError",
]


class ConsumerError(KafkaProtoError):
    """Base of the consumer's client-side errors."""


class InvalidOffsetError(ConsumerError):
    """A partition has no valid position and ``auto.offset.reset`` is ``none`` (Java's
    ``InvalidOffsetException``); ``partitions`` are the partitions concerned. Seek them (or
    ``seek_to_beginning``/``_end``) and poll again."""

    def __init__(self, message: str, partitions: frozenset[TopicPartition]) -> None:
        super().__init__(message)
        self.partitions = partitions


class NoOffsetForPartitionError(InvalidOffsetError):
    """No committed offset and no position, with ``auto.offset.reset=none``."""


class PositionOutOfRangeError(InvalidOffsetError):
    """The fetch position is outside the partition's log, with ``auto.offset.reset=none``;
    ``offsets`` maps each partition to the position that was out of range (Java's consumer
    ``OffsetOutOfRangeException``; named apart from the broker's ``OFFSET_OUT_OF_RANGE`` error
    code, ``kafkaproto.error_codes.OffsetOutOfRangeError``)."""

    def __init__(self, message: str, offsets: Mapping[TopicPartition, int]) -> None:
        super().__init__(message, frozenset(offsets))
        self.offsets = dict(offsets)


class LogTruncationError(PositionOutOfRangeError):
    """KIP-320: the log was truncated below the position (an unclean leader election), with
    ``auto.offset.reset=none``; ``diverging_offsets`` holds the first offset known to diverge
    per partition (seek there to go on)."""

    def __init__(
        self,
        message: str,
        offsets: Mapping[TopicPartition, int],
        diverging_offsets: Mapping[TopicPartition, OffsetAndMetadata],
    ) -> None:
        super().__init__(message, offsets)
        self.diverging_offsets = dict(diverging_offsets)


class RecordTooLargeForFetchError(ConsumerError):
    """A batch at ``offset`` is larger than any fetch the broker will answer (only brokers
    older than KIP-74 or an old message format): raise the fetch sizes or seek past it (Java's
    consumer ``RecordTooLargeException``; named apart from the producer's)."""

    def __init__(self, message: str, partition: TopicPartition, offset: int) -> None:
        super().__init__(message)
        self.partition = partition
        self.offset = offset


class RecordDeserializationError(ConsumerError):
    """A deserializer failed on the record at ``partition``/``offset`` (the cause is chained).
    The position stays at that record: seek past it to go on (Java's
    ``RecordDeserializationException``)."""

    def __init__(self, message: str, partition: TopicPartition, offset: int) -> None:
        super().__init__(message)
        self.partition = partition
        self.offset = offset


class WakeupError(ConsumerError):
    """``wakeup()`` was called: the blocking call in progress (or the next one) returns with
    this instead (Java's ``WakeupException``)."""


class ConsumerTimeoutError(ConsumerError, TimeoutError):
    """A blocking call (``position``, ``committed``, ``commit_sync``, offsets lookups) did not
    finish within its timeout (Java's ``TimeoutException``); also a builtin ``TimeoutError``."""

    retriable = True


class ConsumerClosedError(ConsumerError):
    """The consumer is closed (Java's ``IllegalStateException("This consumer has already been
    closed.")``)."""


class UnassignedPartitionError(ConsumerError, ValueError):
    """A call named a partition that is not assigned to this consumer (Java's
    ``IllegalStateException``)."""


class ConcurrentAccessError(ConsumerError):
    """Two threads used one blocking consumer at once (Java's
    ``ConcurrentModificationException``): one thread drives a consumer; only ``wakeup()`` may
    be called from another."""


class CommitFailedError(ConsumerError):
    """A commit of a group member failed because the member is no longer part of the group's
    current generation (Java's ``CommitFailedException``): it was kicked out (its session
    expired, or the time between polls went past ``max.poll.interval.ms``) or the group moved
    on to a new member epoch. The partitions are likely gone to another member; poll again to
    rejoin, and expect the records since the last commit to be read again."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Commit cannot be completed since the group has already rebalanced and assigned "
            "the partitions to another member. This means that the time between subsequent "
            "calls to poll() was longer than the configured max.poll.interval.ms, which "
            "typically implies that the poll loop is spending too much time message "
            "processing. You can address this either by increasing max.poll.interval.ms or by "
            "reducing the maximum size of batches returned in poll() with max.poll.records."
        )


class PartitionAssignmentError(ConsumerError):
    """The group leader's assignor could not assign the partitions (Java's
    ``IllegalStateException`` from an assignor): a bug or inconsistent subscriptions."""
