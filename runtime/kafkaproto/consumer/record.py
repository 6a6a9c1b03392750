"""What the consumer hands an application: ``ConsumerRecord`` (one record with its topic,
partition, offset, timestamp and type, key, value, headers and leader epoch), ``ConsumerRecords``
(one poll's records grouped by partition), ``TopicPartition``, ``OffsetAndTimestamp``,
``OffsetAndMetadata`` (the one :mod:`kafkaproto.group_metadata` shares with the transactional
producer), and the deserializers (Java's ``Deserializer.deserialize(topic,
headers, data)``).

Light on purpose: ``ConsumerRecord`` is a tuple subclass the fetcher builds without its
``__new__`` (``kafkaproto.tuple_new.make``: ``tuple.__new__``, or in C in the compiled build;
GUIDE.md's measurements), one per record and nothing else per record. This
module must never depend on the consumer's engine or do I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from kafkaproto.group_metadata import OffsetAndMetadata
from kafkaproto.records.record_batch import Header, TimestampType

__all__ = [
    "BytesDeserializer",
    "ConsumerRecord",
    "ConsumerRecords",
    "Deserializer",
    "JsonDeserializer",
    "OffsetAndMetadata",
    "OffsetAndTimestamp",
    "StringDeserializer",
    "TimestampType",
    "TopicPartition",
]

T_co = TypeVar("T_co", covariant=True)
K = TypeVar("K")
V = TypeVar("V")


class TopicPartition(NamedTuple):
    """A partition of a topic (Java's ``TopicPartition``)."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


class OffsetAndTimestamp(NamedTuple):
    """What ``offsets_for_times`` found: the first offset whose timestamp is at or after the
    time asked for, that record's timestamp and leader epoch."""

    offset: int
    timestamp: int
    leader_epoch: int | None = None


class ConsumerRecord(NamedTuple, Generic[K, V]):
    """One consumed record (Java's ``ConsumerRecord``). ``leader_epoch`` is the epoch of the
    leader that wrote its batch (None for old message formats)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: TimestampType
    key: K
    value: V
    headers: tuple[Header, ...]
    leader_epoch: int | None


class ConsumerRecords(Generic[K, V]):
    """One poll's records, grouped by partition in fetch order; iterating gives every record,
    partition by partition, each partition's in offset order (Java's ``ConsumerRecords``).
    ``next_offsets`` maps each partition to the position after its last record here."""

    __slots__ = ("_by_partition", "_count", "next_offsets")

    def __init__(
        self,
        by_partition: Mapping[TopicPartition, Sequence[ConsumerRecord[K, V]]],
        next_offsets: Mapping[TopicPartition, OffsetAndMetadata] | None = None,
    ) -> None:
        self._by_partition = by_partition
        self._count = sum(len(v) for v in by_partition.values())
        self.next_offsets = next_offsets if next_offsets is not None else {}

    def records(self, partition: TopicPartition) -> Sequence[ConsumerRecord[K, V]]:
        """The records of ``partition`` (empty if none came)."""
        return self._by_partition.get(partition, ())

    def partitions(self) -> frozenset[TopicPartition]:
        return frozenset(self._by_partition)

    def by_partition(self) -> Mapping[TopicPartition, Sequence[ConsumerRecord[K, V]]]:
        return self._by_partition

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[ConsumerRecord[K, V]]:
        # chain's C iterator, not a generator: this runs once per record in every poll loop.
        return chain.from_iterable(self._by_partition.values())

    def __repr__(self) -> str:
        return f"ConsumerRecords({self._count} records from {len(self._by_partition)} partitions)"


class Deserializer(Protocol[T_co]):
    """Java's ``Deserializer<T>``: ``deserialize(topic, headers, data)``; ``data`` is None for
    a null key or value."""

    def deserialize(self, topic: str, headers: tuple[Header, ...], data: bytes | None) -> T_co: ...


class BytesDeserializer:
    """Bytes as they came (Java's ``ByteArrayDeserializer``); the fetcher skips calling it."""

    __slots__ = ()

    def deserialize(
        self, topic: str, headers: tuple[Header, ...], data: bytes | None
    ) -> bytes | None:
        return data


class StringDeserializer:
    """Text decoded with ``encoding`` (UTF-8 like Java's ``StringDeserializer``); a null stays
    None. Bytes that do not decode raise ``UnicodeDecodeError`` from poll (Java: a
    ``RecordDeserializationException`` naming the offset), with the record's place noted."""

    __slots__ = ("encoding",)

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding

    def deserialize(
        self, topic: str, headers: tuple[Header, ...], data: bytes | None
    ) -> str | None:
        return None if data is None else data.decode(self.encoding)


class JsonDeserializer:
    """JSON documents (UTF-8); a null stays None."""

    __slots__ = ()

    def deserialize(self, topic: str, headers: tuple[Header, ...], data: bytes | None) -> Any:
        return None if data is None else json.loads(data)
