"""Kafka's error codes as typed exceptions, and turning a code read off the wire into one.

The classes (one per entry of the pinned kafka-clients jar's ``org.apache.kafka.common.protocol
.Errors`` but ``NONE``) are generated from the jar's own classes into
:mod:`kafkaproto.messages.error_table` and re-exported here. Each carries the wire ``code``,
Kafka's enum ``name``, its default ``message``, whether Java treats it as ``retriable`` (its
exception extends ``RetriableException``) and whether it is an ``invalid_metadata`` error
(extends ``InvalidMetadataException``: the producer refreshes metadata before retrying). Their
base, :class:`~kafkaproto.errors.KafkaError`, lives with the other errors.

``error_for_code`` turns a code into an instance; ``raise_for_code`` raises it unless the code is
0 (``NONE``). This module must never decide retry policy, log or do I/O; class names are the enum
names in CamelCase with a trailing ``_ERROR``/``_EXCEPTION`` folded into the ``Error`` suffix.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from kafkaproto.errors import KafkaError
from kafkaproto.messages import KAFKA_VERSION
from kafkaproto.messages import error_table as _table
from kafkaproto.messages.error_table import *  # noqa: F403  (the generated classes)
from kafkaproto.messages.error_table import ERRORS, UnknownServerError

__all__ = [
    *_table.__all__,
    "ERROR_CLASSES",
    "KAFKA_VERSION",
    "NONE_CODE",
    "KafkaError",
    "UnknownErrorCodeError",
    "error_class_for_code",
    "error_for_code",
    "raise_for_code",
]

#: ``Errors.NONE``: success; it has no exception class.
NONE_CODE = 0


class UnknownErrorCodeError(UnknownServerError):
    """A code this table does not know (a newer broker's). Java maps such codes to
    ``UNKNOWN_SERVER_ERROR`` (``Errors.forCode``); this class does too but keeps the code that was
    actually received in ``code``."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[UnknownErrorCodeError], tuple[int, str | None]]:
        return (type(self), (self.code, self.args[0] if self.args else None))

    def __str__(self) -> str:
        return f"unknown error code {self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.message!r})"


#: Every known error code (``NONE`` excluded) mapped to its class.
ERROR_CLASSES: Mapping[int, type[KafkaError]] = MappingProxyType({cls.code: cls for cls in ERRORS})


def error_class_for_code(code: int) -> type[KafkaError] | None:
    """The class for ``code``, or None when the code is unknown or 0 (``NONE``)."""
    return ERROR_CLASSES.get(code)


def error_for_code(code: int, message: str | None = None) -> KafkaError:
    """The typed error for a non-zero ``code``, with the broker's ``message`` when it sent one.

    Unknown codes give an ``UnknownErrorCodeError`` (a subclass of ``UnknownServerError``) that
    keeps ``code``. Code 0 is success and has no error: asking for it is a ``ValueError``.
    """
    cls = ERROR_CLASSES.get(code)
    if cls is not None:
        return cls(message)
    if code == NONE_CODE:
        raise ValueError("error code 0 (NONE) is success, not an error")
    return UnknownErrorCodeError(code, message)


def raise_for_code(code: int, message: str | None = None) -> None:
    """Raise the typed error for ``code``; return quietly for 0 (``NONE``)."""
    if code != NONE_CODE:
        raise error_for_code(code, message)
