"""The client side of Kafka's wire protocol, sans I/O: requests in, bytes out; bytes in, responses
out (the shape of h11: ``send()`` returns bytes, ``receive_data()`` buffers, ``next_event()``
returns a :class:`Response` or :data:`NEED_DATA`).

What lives here is every rule of the byte stream of one connection: the int32 size prefix, which
request and response header version goes with an API version, correlation ids and their order
(Kafka answers the requests of a connection in the order they were sent, so the oldest pending
request is the only one a response may answer), the limit on a frame's size, the ApiVersions
v0 fallback, and which requests get no response at all (Produce with ``acks=0``).

This module must never touch a socket, an event loop, a clock or a thread: the asyncio layer
(:mod:`kafkaproto.connection`) feeds it bytes and writes what it returns. Every error it raises is
typed (:mod:`kafkaproto.errors`) and fatal: after one, the stream cannot be trusted and every later
call raises :class:`~kafkaproto.errors.ProtocolStateError`.
"""

from __future__ import annotations

import enum
from collections import deque
from struct import Struct
from typing import Final, Literal, NamedTuple

from kafkaproto.errors import (
    DecodeError,
    FrameTooLargeError,
    KafkaProtoError,
    NegativeFrameSizeError,
    ProtocolStateError,
    UnexpectedCorrelationIdError,
)
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import ApiKey, request_header_version, response_header_version
from kafkaproto.messages.api_versions import ApiVersionsResponse
from kafkaproto.messages.produce import ProduceRequest
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.messages.response_header import ResponseHeader

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "NEED_DATA",
    "ClientProtocol",
    "NeedData",
    "Response",
]

#: Default cap on one response frame: the broker's own ``socket.request.max.bytes`` (100 MiB).
DEFAULT_MAX_FRAME_SIZE: Final = 100 * 1024 * 1024

_INT32 = Struct(">i")
_pack_int32_into = _INT32.pack_into
_unpack_int32_from = _INT32.unpack_from
_MAX_CORRELATION_ID = 0x7FFFFFFF
# Consumed bytes at the front of the receive buffer are dropped once there are this many and they
# are at least half of it, so each byte is moved O(1) times on average.
_COMPACT_AT = 64 * 1024
# Frames at least this big are received into a buffer of their own once their size is known.
_DIRECT_FRAME_AT = 64 * 1024


class NeedData(enum.Enum):
    """The type of :data:`NEED_DATA` (an enum so that ``event is NEED_DATA`` narrows types)."""

    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


#: What :meth:`ClientProtocol.next_event` returns when no complete frame is buffered.
NEED_DATA: Final = NeedData.NEED_DATA


class Response(NamedTuple):
    """One decoded response: its correlation id, body (decoded at the request's version) and
    header."""

    correlation_id: int
    message: ApiResponse
    header: ResponseHeader


class _Route(NamedTuple):
    """What one request class at one version needs, decided once: its frame prefix (4 size bytes
    and the request header with a zero correlation id, patched per request) and how to read its
    response."""

    prefix: bytes
    response_cls: type[ApiResponse]
    version: int
    response_header_version: int


class _Pending(NamedTuple):
    correlation_id: int
    response_cls: type[ApiResponse]
    version: int
    response_header_version: int


class ClientProtocol:
    """One client connection's protocol state: correlation ids, requests awaiting a response, and
    the receive buffer. Not thread safe; one per connection."""

    __slots__ = (
        "_buf",
        "_client_id",
        "_error",
        "_frame",
        "_frame_fill",
        "_max_frame_size",
        "_next_id",
        "_pending",
        "_pos",
        "_routes",
    )

    def __init__(
        self,
        *,
        client_id: str | None = "kafkaproto",
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        first_correlation_id: int = 0,
    ) -> None:
        if not 0 <= first_correlation_id <= _MAX_CORRELATION_ID:
            raise ValueError(f"first_correlation_id must be an int32 >= 0: {first_correlation_id}")
        if max_frame_size < 0:
            raise ValueError(f"max_frame_size must be >= 0: {max_frame_size}")
        self._client_id = client_id
        self._max_frame_size = max_frame_size
        self._next_id = first_correlation_id
        self._pending: deque[_Pending] = deque()
        self._routes: dict[tuple[type[ApiRequest[ApiResponse]], int], _Route] = {}
        self._buf = bytearray()
        self._pos = 0
        # A large frame being received: its body, sized from the prefix, filled straight from
        # the received chunks (one copy, instead of growing ``_buf`` and slicing it out).
        self._frame: bytearray | None = None
        self._frame_fill = 0
        self._error: KafkaProtoError | None = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def client_id(self) -> str | None:
        return self._client_id

    @property
    def max_frame_size(self) -> int:
        return self._max_frame_size

    @property
    def in_flight(self) -> int:
        """How many requests await a response."""
        return len(self._pending)

    @property
    def pending_correlation_ids(self) -> tuple[int, ...]:
        """Correlation ids awaiting a response, oldest first."""
        return tuple(p.correlation_id for p in self._pending)

    @property
    def buffered(self) -> int:
        """Received bytes not yet returned as a response (a partial frame)."""
        if self._frame is not None:
            return 4 + self._frame_fill + len(self._buf) - self._pos
        return len(self._buf) - self._pos

    @property
    def error(self) -> KafkaProtoError | None:
        """The error that broke this protocol, if one did."""
        return self._error

    # -- sending --------------------------------------------------------------------------------

    def send(
        self,
        request: ApiRequest[ApiResponse],
        version: int,
        *,
        client_id: str | Literal[False] | None = False,
        expect_response: bool = True,
    ) -> tuple[int, bytearray]:
        """Frame ``request`` at ``version`` (size prefix, request header, body) and return its
        correlation id and bytes. ``client_id`` overrides the protocol's own for this request
        (``False``: keep it).

        ``expect_response=False`` is for Produce with ``acks=0``, the one request Kafka never
        answers; it is required there and refused elsewhere, because a wrong guess would either
        wait forever or misattribute every later response.
        """
        if self._error is not None:
            raise ProtocolStateError("the protocol failed earlier") from self._error
        key = (type(request), version)
        if client_id is False:
            route = self._routes.get(key)
            if route is None:
                route = self._routes[key] = _route(key[0], version, self._client_id)
        else:
            route = _route(key[0], version, client_id)
        if isinstance(request, ProduceRequest):
            no_response = request.acks == 0
            if no_response == expect_response:
                raise ValueError(
                    "Produce with acks=0 gets no response: send it with expect_response=False"
                    if no_response
                    else "only Produce with acks=0 may be sent with expect_response=False"
                )
        elif not expect_response:
            raise ValueError("only Produce with acks=0 may be sent with expect_response=False")
        correlation_id = self._next_id
        self._next_id = 0 if correlation_id == _MAX_CORRELATION_ID else correlation_id + 1
        out = bytearray(route.prefix)
        _pack_int32_into(out, 8, correlation_id)
        request.encode_into(out, version)
        _pack_int32_into(out, 0, len(out) - 4)
        if expect_response:
            self._pending.append(
                _Pending(correlation_id, route.response_cls, version, route.response_header_version)
            )
        return correlation_id, out

    # -- receiving ------------------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Buffer bytes received from the broker; call :meth:`next_event` until it returns
        :data:`NEED_DATA`."""
        if self._error is not None:
            raise ProtocolStateError("the protocol failed earlier") from self._error
        frame = self._frame
        if frame is not None:
            fill = self._frame_fill
            take = len(frame) - fill
            if len(data) <= take:
                frame[fill : fill + len(data)] = data
                self._frame_fill = fill + len(data)
                return
            frame[fill:] = memoryview(data)[:take]
            self._frame_fill = len(frame)
            data = memoryview(data)[take:]  # the start of the next frame
        buf = self._buf
        pos = self._pos
        if pos:
            if pos == len(buf):
                buf.clear()
                self._pos = 0
            elif pos >= _COMPACT_AT and pos * 2 >= len(buf):
                del buf[:pos]
                self._pos = 0
        buf += data

    def next_event(self) -> Response | NeedData:
        """The next complete response, or :data:`NEED_DATA`.

        Raises :class:`~kafkaproto.errors.NegativeFrameSizeError` and
        :class:`~kafkaproto.errors.FrameTooLargeError` as soon as a size prefix is read (before
        the frame is buffered), :class:`~kafkaproto.errors.UnexpectedCorrelationIdError` for a
        response that does not answer the oldest pending request, and the generated classes'
        :class:`~kafkaproto.errors.DecodeError` (offsets count from the first byte after the size
        prefix) for a frame that is not the expected response.
        """
        if self._error is not None:
            raise ProtocolStateError("the protocol failed earlier") from self._error
        frame = self._frame
        if frame is not None:
            if self._frame_fill < len(frame):
                return NEED_DATA
            self._frame = None
            size = len(frame)
        else:
            buf = self._buf
            pos = self._pos
            if len(buf) - pos < 4:
                return NEED_DATA
            (size,) = _unpack_int32_from(buf, pos)
            if size < 0:
                raise self._fail(NegativeFrameSizeError(size))
            if size > self._max_frame_size:
                raise self._fail(FrameTooLargeError(size, self._max_frame_size))
            start = pos + 4
            end = start + size
            if len(buf) < end:
                if size >= _DIRECT_FRAME_AT:
                    # A large frame (a Fetch response): receive the rest straight into it.
                    frame = bytearray(size)
                    have = len(buf) - start
                    with memoryview(buf) as view:  # released before ``buf`` is cleared
                        frame[:have] = view[start:]
                    self._frame = frame
                    self._frame_fill = have
                    buf.clear()
                    self._pos = 0
                return NEED_DATA
            # A private copy of the frame: decoded records are memoryviews into it, and they
            # must not pin (or see) the receive buffer, which keeps changing. As bytes, which
            # the compiled table decoder reads without a copy of its own.
            with memoryview(buf) as view:
                whole = bytes(view[start:end])
            self._pos = end
            return self._response(whole, size)
        return self._response(frame, size)

    def _response(self, frame: bytes | bytearray, size: int) -> Response:
        pending = self._pending
        if not pending:
            received = _unpack_int32_from(frame, 0)[0] if size >= 4 else -1
            raise self._fail(UnexpectedCorrelationIdError(received, None, was_sent=False))
        expected, response_cls, version, header_version = pending[0]
        view = memoryview(frame)
        try:
            header, body_pos = ResponseHeader.decode_from(view, 0, header_version)
        except DecodeError as exc:
            raise self._fail(_noted(exc, expected, size)) from None
        # Both response header versions start with the int32 correlation id.
        (received,) = _unpack_int32_from(frame, 0)
        if received != expected:
            was_sent = any(p.correlation_id == received for p in pending)
            raise self._fail(UnexpectedCorrelationIdError(received, expected, was_sent=was_sent))
        pending.popleft()
        try:
            message, body_end = response_cls.decode_from(view, body_pos, version)
            if body_end != size:
                raise DecodeError(
                    f"{size - body_end} trailing bytes after the message",
                    what=f"{response_cls.__name__} v{version}",
                    offset=body_end,
                )
        except DecodeError as exc:
            fallback = _api_versions_v0_fallback(response_cls, version, view, body_pos)
            if fallback is None:
                raise self._fail(_noted(exc, expected, size)) from None
            message = fallback
        return Response(received, message, header)

    def _fail(self, exc: KafkaProtoError) -> KafkaProtoError:
        self._error = exc
        return exc


def _route(cls: type[ApiRequest[ApiResponse]], version: int, client_id: str | None) -> _Route:
    api_key = cls.api_key
    header = RequestHeader(
        request_api_key=api_key,
        request_api_version=version,
        correlation_id=0,
        client_id=client_id,
    )
    prefix = bytearray(4)
    header.encode_into(prefix, request_header_version(api_key, version))
    return _Route(
        bytes(prefix), cls.response_class, version, response_header_version(api_key, version)
    )


def _api_versions_v0_fallback(
    response_cls: type[ApiResponse], version: int, view: memoryview, pos: int
) -> ApiResponse | None:
    """Kafka's rule (``ApiVersionsResponse.parse``): a broker that does not know the
    ApiVersionsRequest version it got answers UNSUPPORTED_VERSION in the v0 layout, so a body that
    does not parse at the version asked for is read again as v0."""
    if response_cls.api_key != ApiKey.API_VERSIONS or version == 0:
        return None
    try:
        return ApiVersionsResponse.decode(view[pos:], 0)
    except DecodeError:
        return None


def _noted(exc: DecodeError, correlation_id: int, size: int) -> DecodeError:
    exc.add_note(
        f"in the response to correlation id {correlation_id}, a frame of {size} bytes "
        "(offsets count from the byte after the size prefix)"
    )
    return exc
