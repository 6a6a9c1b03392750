"""The exceptions every part of kafkaproto raises.

Errors are data: each carries what a caller needs to act on it or to report it (the message and
version, the field path, the byte offset). Nothing in this module does I/O or imports another
kafkaproto module, so every layer can depend on it.
"""

from __future__ import annotations


class KafkaProtoError(Exception):
    """Base class of every error kafkaproto raises on purpose."""


class DecodeError(KafkaProtoError, ValueError):
    """Bytes that are not a valid encoding of what was expected.

    ``what`` names the message and version (``"ProduceRequest v9"``), ``field`` the dotted path of
    the field being read (``"topic_data[0].partition_data[1].records"``, empty for the message as
    a whole) and ``offset`` the byte offset in the input where the problem was found.
    """

    def __init__(self, reason: str, *, what: str = "", field: str = "", offset: int = -1) -> None:
        self.reason = reason
        self.what = what
        self.field = field
        self.offset = offset
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.what:
            parts.append(self.what)
        if self.field:
            parts.append(f"field {self.field}")
        if self.offset >= 0:
            parts.append(f"at byte {self.offset}")
        where = ", ".join(parts)
        return f"{where}: {self.reason}" if where else self.reason


class EncodeError(KafkaProtoError, ValueError):
    """A message that cannot be written at its version: a value of the wrong type, out of range
    for its wire type, null where the version does not allow null, or too long."""

    def __init__(self, reason: str, *, what: str = "", field: str = "") -> None:
        self.reason = reason
        self.what = what
        self.field = field
        where = ", ".join(p for p in (what, f"field {field}" if field else "") if p)
        super().__init__(f"{where}: {reason}" if where else reason)


class UnsupportedVersionError(KafkaProtoError, LookupError):
    """An API key or version this build of kafkaproto (or the peer) does not support."""
