"""What an application hands the producer and what it gets back, plus the serializers.

``ProducerRecord`` is one record to send (topic and value; key, partition, timestamp and headers
optional), ``RecordMetadata`` is what an acknowledged record became: topic, partition, offset,
timestamp and the serialized key/value sizes (Java's ``RecordMetadata``). Serializers turn keys
and values into bytes (Java's ``Serializer.serialize(topic, data)``).

Light on purpose, one of each per record: slotted classes, no validation beyond types that would
break the wire. The module is on the compiled hot path (``kafkaproto.compiled.MODULES``): making
a ``ProducerRecord`` there is a native constructor, and the producer's compiled lane reads its
fields directly. Every class stays open to subclasses. This module must never depend on the
producer's engine or do I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from kafkaproto.records.record_batch import Header
from mypy_extensions import mypyc_attr

__all__ = [
    "NO_TIMESTAMP",
    "BytesSerializer",
    "JsonSerializer",
    "ProducerRecord",
    "RecordMetadata",
    "Serializer",
    "StringSerializer",
]

#: ``RecordBatch.NO_TIMESTAMP``.
NO_TIMESTAMP = -1

T_contra = TypeVar("T_contra", contravariant=True)
V = TypeVar("V")


class Serializer(Protocol[T_contra]):
    """Java's ``Serializer<T>``: ``serialize(topic, data)`` gives bytes, or None for a null."""

    def serialize(self, topic: str, data: T_contra) -> bytes | None: ...


@mypyc_attr(allow_interpreted_subclasses=True)
class BytesSerializer:
    """Bytes-like values as they are (``bytearray``/``memoryview`` copied to bytes); None stays
    null. Java's ``ByteArraySerializer``."""

    __slots__ = ()

    def serialize(self, topic: str, data: bytes | bytearray | memoryview | None) -> bytes | None:
        if data is None or type(data) is bytes:
            return data
        if isinstance(data, bytearray | memoryview):
            return bytes(data)
        raise TypeError(f"BytesSerializer takes bytes-like values, not {type(data).__name__}")


@mypyc_attr(allow_interpreted_subclasses=True)
class StringSerializer:
    """Text encoded with ``encoding`` (UTF-8 like Java's ``StringSerializer``); None stays null."""

    __slots__ = ("encoding",)

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding

    def serialize(self, topic: str, data: str | None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, str):
            raise TypeError(f"StringSerializer takes str values, not {type(data).__name__}")
        return data.encode(self.encoding)


@mypyc_attr(allow_interpreted_subclasses=True)
class JsonSerializer:
    """Any JSON-able value as compact UTF-8 JSON; None stays null (not ``null``, as Kafka
    Connect's JsonSerializer does for a null record)."""

    __slots__ = ("_dumps",)

    def __init__(self, default: Callable[[Any], Any] | None = None) -> None:
        encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=default)
        self._dumps = encoder.encode

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        return self._dumps(data).encode("utf-8")


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
