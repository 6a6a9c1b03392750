"""What an application hands the producer and what it gets back.

``ProducerRecord`` is one record to send (topic and value; key, partition, timestamp and headers
optional), ``RecordMetadata`` is what an acknowledged record became: topic, partition, offset,
timestamp and the serialized key/value sizes (Java's ``RecordMetadata``). The serializers that
turn keys and values into bytes are in ``kafkaproto.producer.serializers``.

Light on purpose, one of each per record: slotted classes, no validation beyond types that would
break the wire. The module is on the compiled hot path (``kafkaproto.compiled.MODULES``): making
a ``ProducerRecord`` there is a native constructor, and the producer's compiled lane reads its
fields directly. Every class stays open to subclasses. This module must never depend on the
producer's engine or do I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from kafkaproto.records.record_batch import Header
from mypy_extensions import mypyc_attr

__all__ = ["NO_TIMESTAMP", "ProducerRecord", "RecordMetadata"]

#: ``RecordBatch.NO_TIMESTAMP``.
NO_TIMESTAMP = -1

V = TypeVar("V")


@mypyc_attr(allow_interpreted_subclasses=True)
class ProducerRecord(Generic[V]):
    """One record to send. ``partition`` None lets the partitioner choose (murmur2 of the key,
    or the sticky partitioner without a key); ``timestamp`` None means "now" (CreateTime, ms
    since the epoch); ``headers`` are ``(str, bytes | None)`` pairs."""

    __slots__ = ("headers", "key", "partition", "timestamp", "topic", "value")

    def __init__(
        self,
        topic: str,
        value: V,
        key: Any = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Sequence[Header] | None = None,
    ) -> None:
        if not isinstance(topic, str):
            # The compiled build refuses it one step earlier, in the same way (a TypeError).
            raise TypeError(f"ProducerRecord's topic must be a str, not {type(topic).__name__}")
        if partition is not None and partition < 0:
            raise ValueError(
                f"Invalid partition given with record: {partition} is not in the range [0...)."
            )
        if timestamp is not None and timestamp < 0:
            raise ValueError(
                f"Invalid timestamp: {timestamp}. Timestamp should always be non-negative or null."
            )
        self.topic = topic
        self.value = value
        self.key = key
        self.partition = partition
        self.timestamp = timestamp
        self.headers = headers

    def __repr__(self) -> str:
        return (
            f"ProducerRecord(topic={self.topic!r}, partition={self.partition}, "
            f"headers={self.headers!r}, key={self.key!r}, value={self.value!r}, "
            f"timestamp={self.timestamp})"
        )


@mypyc_attr(allow_interpreted_subclasses=True)
class RecordMetadata:
    """An acknowledged record: where it went and when.

    ``offset`` is -1 when the broker did not say (acks=0, or a DUPLICATE_SEQUENCE_NUMBER
    treated as success). ``timestamp`` is the broker's LogAppendTime when the topic uses it,
    else the record's CreateTime (KIP-32; Java's ``ProduceRequestResult``/``FutureRecordMetadata``).
    Sizes are -1 for a null key or value."""

    __slots__ = (
        "offset",
        "partition",
        "serialized_key_size",
        "serialized_value_size",
        "timestamp",
        "topic",
    )

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        timestamp: int,
        serialized_key_size: int,
        serialized_value_size: int,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.serialized_key_size = serialized_key_size
        self.serialized_value_size = serialized_value_size

    def has_offset(self) -> bool:
        return self.offset != -1

    def has_timestamp(self) -> bool:
        return self.timestamp != NO_TIMESTAMP

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordMetadata):
            return NotImplemented
        return (
            self.topic == other.topic
            and self.partition == other.partition
            and self.offset == other.offset
            and self.timestamp == other.timestamp
            and self.serialized_key_size == other.serialized_key_size
            and self.serialized_value_size == other.serialized_value_size
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.topic}-{self.partition}@{self.offset}"
