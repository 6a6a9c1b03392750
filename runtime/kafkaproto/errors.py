"""The exceptions every part of kafkaproto raises.

Errors are data: each carries what a caller needs to act on it or to report it (the message and
version, the field path, the byte offset). Nothing in this module does I/O or imports another
kafkaproto module, so every layer can depend on it.
"""

from __future__ import annotations

from typing import ClassVar


class KafkaProtoError(Exception):
    """Base class of every error kafkaproto raises on purpose."""


class KafkaError(KafkaProtoError):
    """An error code returned by a Kafka broker (the classes for each code are generated from
    Kafka's own table: :mod:`kafkaproto.error_codes`).

    Subclasses fix ``code``, ``name``, ``retriable``, ``invalid_metadata`` and ``default_message``;
    an instance's ``message`` is the broker's own error message when the response carried one,
    else the default message.
    """

    code: int = -1
    name: str = "UNKNOWN_SERVER_ERROR"
    retriable: bool = False
    invalid_metadata: bool = False
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message else self.default_message
        # args stays (message,) so instances pickle and copy like plain exceptions.
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.name} ({self.code}): {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


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


class ApiVersionError(KafkaProtoError, LookupError):
    """An API key or version this build of kafkaproto (or the peer) does not support, found
    before anything is sent. A broker answering with Kafka's UNSUPPORTED_VERSION code raises
    ``kafkaproto.error_codes.UnsupportedVersionError`` instead."""


# --- the wire protocol core and connections ---------------------------------------------------


class ProtocolError(KafkaProtoError):
    """The byte stream from a peer broke the framing rules (a frame too large, a negative size, a
    response nobody asked for). The stream cannot be trusted after one: close the connection."""


class FrameTooLargeError(ProtocolError):
    """A frame's size prefix is above the configured maximum; raised before anything is
    allocated for it (a peer speaking another protocol often looks like a huge size)."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"frame of {size} bytes is larger than the maximum of {limit} bytes")


class NegativeFrameSizeError(ProtocolError):
    """A frame's int32 size prefix is negative."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"frame size prefix is negative ({size})")


class UnexpectedCorrelationIdError(ProtocolError):
    """A response whose correlation id is not the oldest one awaiting a response. Kafka answers
    the requests of one connection in order, so this is either a response to a request never
    sent (``was_sent`` false) or an out-of-order one (``was_sent`` true)."""

    def __init__(self, received: int, expected: int | None, *, was_sent: bool) -> None:
        self.received = received
        self.expected = expected
        self.was_sent = was_sent
        if expected is None:
            reason = "no request is awaiting a response"
        elif was_sent:
            reason = f"out of order: the oldest pending request has correlation id {expected}"
        else:
            reason = f"no request was sent with it (expected {expected})"
        super().__init__(f"response with correlation id {received}: {reason}")


class ProtocolStateError(ProtocolError):
    """The protocol object was used after it failed; ``__cause__`` is the original error."""


class KafkaConnectionError(KafkaProtoError, ConnectionError):
    """A connection to a broker could not be opened, or was lost or closed while requests were
    waiting on it. ``broker`` is ``"host:port"``."""

    def __init__(self, reason: str, *, broker: str = "") -> None:
        self.reason = reason
        self.broker = broker
        super().__init__(f"{broker}: {reason}" if broker else reason)


class ConnectTimeoutError(KafkaConnectionError, TimeoutError):
    """The TCP connection (or the ApiVersions exchange that follows it) took too long."""


class RequestTimeoutError(KafkaProtoError, TimeoutError):
    """No response within the request timeout. The connection it was sent on has been closed:
    later responses could no longer be matched to their requests."""

    def __init__(
        self, *, api: str, version: int, correlation_id: int, timeout: float, broker: str
    ) -> None:
        self.api = api
        self.version = version
        self.correlation_id = correlation_id
        self.timeout = timeout
        self.broker = broker
        super().__init__(
            f"{broker}: {api} v{version} (correlation id {correlation_id}) got no response "
            f"within {timeout:g} s; the connection was closed"
        )


class NoCommonVersionError(ApiVersionError):
    """The broker and kafkaproto share no version of an API (or the broker lacks it)."""

    def __init__(
        self, *, api_key: int, api: str, ours: tuple[int, int], broker: tuple[int, int] | None
    ) -> None:
        self.api_key = api_key
        self.api = api
        self.ours = ours
        self.broker = broker
        theirs = f"versions {broker[0]}-{broker[1]}" if broker else "no version"
        super().__init__(
            f"{api} (api key {api_key}): kafkaproto supports versions {ours[0]}-{ours[1]}, "
            f"the broker {theirs}"
        )


class MetadataTimeoutError(KafkaProtoError, TimeoutError):
    """The cluster metadata did not show what was asked for (a topic, a partition's leader)
    within the time allowed."""
