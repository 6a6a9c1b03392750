"""Serializers: what turns a record's key and value into bytes for the producer (Java's
``Serializer.serialize(topic, data)``). A value of the wrong type is a ``TypeError`` naming the
serializer and the type it got.

Interpreted on purpose, beside the compiled ``kafkaproto.producer.record``: compiled, a method
refuses an argument of the wrong type before its first line runs, with the compiler's own
message, and these classes must say what they take. The producer passes ``bytes`` through
without calling ``BytesSerializer`` at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["BytesSerializer", "JsonSerializer", "Serializer", "StringSerializer"]

T_contra = TypeVar("T_contra", contravariant=True)


class Serializer(Protocol[T_contra]):
    """Java's ``Serializer<T>``: ``serialize(topic, data)`` gives bytes, or None for a null."""

    def serialize(self, topic: str, data: T_contra) -> bytes | None: ...


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
