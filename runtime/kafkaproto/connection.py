"""One asyncio TCP connection to one Kafka broker: the thin I/O layer over
:class:`kafkaproto.protocol.ClientProtocol`.

``await Connection.open(...)`` connects (with a timeout) and negotiates API versions the way
Kafka's clients do (ApiVersionsRequest at our newest version; on UNSUPPORTED_VERSION, again at the
version the broker says it supports; then per API the highest version both sides support).
``await conn.request(msg)`` pipelines: up to ``max_in_flight`` requests await responses at once,
further callers wait for a slot. Every request has a deadline; a request that misses it closes the
connection, because the responses that follow could no longer be matched to their requests. When
the connection closes for any reason (``close()``, the broker going away, a protocol error, a
timeout) every waiting request fails at once with a typed error: nothing ever hangs.

Security (``security=`` a :class:`~kafkaproto.security.channel.ChannelSecurity`): TLS is started
on the TCP connection before anything else (so a TCP time-out and a TLS one are told apart), then
ApiVersions, then SASL (SaslHandshake + SaslAuthenticate, :mod:`kafkaproto.security.sasl_exchange`)
before the connection is handed out. When the broker grants a session lifetime (KIP-368), the
connection re-authenticates on its own before the session ends: the first request after 85-95%
of the lifetime (Java's window and jitter) waits while the handshake goes out behind the requests
already in flight, whose responses arrive first, so nothing in flight fails. Failures of the
first exchange that look like a wrong ``security.protocol`` say so
(:class:`~kafkaproto.security.errors.SecurityProtocolMismatchError`).

This module must never parse or frame bytes itself (that is the protocol core's job), retry,
reconnect or choose a broker (that is :mod:`kafkaproto.cluster`'s), and never connects anywhere
it was not told to.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
from collections import deque
from collections.abc import Callable, Mapping
from importlib import metadata
from types import MappingProxyType
from typing import Final, TypeVar

from kafkaproto.error_codes import UnsupportedVersionError as UnsupportedVersionCode
from kafkaproto.error_codes import error_for_code
from kafkaproto.errors import (
    ApiVersionError,
    ConnectTimeoutError,
    FrameTooLargeError,
    KafkaConnectionError,
    KafkaProtoError,
    NoCommonVersionError,
    ProtocolError,
    RequestTimeoutError,
)
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import APIS, ApiKey
from kafkaproto.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from kafkaproto.protocol import DEFAULT_MAX_FRAME_SIZE, NEED_DATA, ClientProtocol
from kafkaproto.security.channel import ChannelSecurity, classify_tls_failure
from kafkaproto.security.errors import SecurityProtocolMismatchError
from kafkaproto.security.sasl_exchange import authenticate

__all__ = ["CLIENT_SOFTWARE_NAME", "CLIENT_SOFTWARE_VERSION", "Connection"]

R = TypeVar("R", bound=ApiResponse)


def _package_version() -> str:
    try:
        return metadata.version("kafkaproto")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


#: What ApiVersionsRequest v3+ tells the broker about us (KIP-511; the broker checks both
#: against ``[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?``). The version is the installed
#: package's.
CLIENT_SOFTWARE_NAME: Final = "kafkaproto"
CLIENT_SOFTWARE_VERSION: Final = _package_version()
# Requests smaller than this are gathered and written once per event-loop turn.
_COALESCE_LIMIT = 64 * 1024
# KIP-368 / Java's SaslClientAuthenticator.ReauthInfo: re-authenticate at 85% of the session
# lifetime plus up to 10% jitter, leaving room for latency and clock drift.
_REAUTH_WINDOW = 0.85
_REAUTH_JITTER = 0.10
# A TLS record's first byte (handshake 0x16, alert 0x15) read as the top byte of a size prefix.
_TLS_RECORD_TYPES = (0x15, 0x16)


class _Adapter(asyncio.Protocol):
    """asyncio's callbacks, forwarded to the connection (kept off its public surface)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def data_received(self, data: bytes) -> None:
        self._conn._data_received(data)

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._conn._connection_lost(exc)

    def pause_writing(self) -> None:
        self._conn._pause_writing()

    def resume_writing(self) -> None:
        self._conn._resume_writing()


class _Entry:
    """A request awaiting its response."""

    __slots__ = ("api_key", "correlation_id", "deadline", "future", "timeout", "version")

    def __init__(
        self,
        correlation_id: int,
        future: asyncio.Future[ApiResponse],
        deadline: float,
        timeout: float,
        api_key: int,
        version: int,
    ) -> None:
        self.correlation_id = correlation_id
        self.future = future
        self.deadline = deadline
        self.timeout = timeout
        self.api_key = api_key
        self.version = version


def _size_buffers(transport: asyncio.BaseTransport, send: int, receive: int) -> None:
    # Java's Selector sets both on each new socket unless they are -1. (Here once connected:
    # the connect itself is asyncio's, for its address resolution and happy eyeballs.)
    sock = transport.get_extra_info("socket")
    if send != -1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send)
    if receive != -1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive)


class Connection:
    """A negotiated connection to one broker; make one with :meth:`open`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        client_id: str | None,
        request_timeout: float,
        max_in_flight: int,
        max_frame_size: int,
        security: ChannelSecurity | None = None,
    ) -> None:
        """Internal: use :meth:`open`."""
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1: {max_in_flight}")
        if request_timeout <= 0:
            raise ValueError(f"request_timeout must be > 0: {request_timeout}")
        self.host = host
        self.port = port
        self.broker = f"{host}:{port}"
        self.request_timeout = request_timeout
        self.max_in_flight = max_in_flight
        self._loop = asyncio.get_running_loop()
        self._protocol = ClientProtocol(client_id=client_id, max_frame_size=max_frame_size)
        self._transport: asyncio.Transport | None = None
        self._pending: deque[_Entry] = deque()
        self._slot_waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0
        self._write_paused: asyncio.Future[None] | None = None
        self._wbuf: bytearray | None = None
        self._closed_by: KafkaConnectionError | None = None
        self._closed = self._loop.create_future()
        self._close_callbacks: list[Callable[[KafkaConnectionError], None]] = []
        self._broker_versions: dict[int, tuple[int, int]] = {}
        self._versions: dict[int, int] = {}
        self._negotiated = False
        self.api_versions_response: ApiVersionsResponse | None = None
        self.security = security
        self.protocol_name = security.protocol if security is not None else "PLAINTEXT"
        #: Session lifetime the broker granted at the last SASL authentication (0: none).
        self.session_lifetime_ms = 0
        #: SASL authentications done on this connection (re-authentications included).
        self.authentications = 0
        self._reauth_at: float | None = None
        self._reauth: asyncio.Task[None] | None = None
        # Handed out, and whether the broker has answered a request since (a broker that closes
        # at once is likely a SASL listener spoken to without SASL).
        self._ready = False
        self._proven = True

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        client_id: str | None = "kafkaproto",
        connect_timeout: float = 10.0,
        request_timeout: float = 30.0,
        max_in_flight: int = 5,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        security: ChannelSecurity | None = None,
        send_buffer_bytes: int = -1,
        receive_buffer_bytes: int = -1,
    ) -> Connection:
        """Connect to ``host:port`` within ``connect_timeout`` seconds (the TLS handshake, if
        ``security`` asks for TLS, within as much again), then negotiate API versions and
        authenticate with SASL if asked (each request within ``request_timeout``). Raises
        :class:`KafkaConnectionError` (or its :class:`ConnectTimeoutError`) when either fails,
        and :class:`~kafkaproto.security.errors.AuthenticationError` when the broker refuses
        us. ``send_buffer_bytes`` and ``receive_buffer_bytes`` size the socket's buffers
        (``SO_SNDBUF``, ``SO_RCVBUF``, as Java's ``send.buffer.bytes`` and
        ``receive.buffer.bytes``); -1 leaves the operating system's own."""
        conn = cls(
            host,
            port,
            client_id=client_id,
            request_timeout=request_timeout,
            max_in_flight=max_in_flight,
            max_frame_size=max_frame_size,
            security=security,
        )
        try:
            async with asyncio.timeout(connect_timeout):
                transport, _ = await conn._loop.create_connection(
                    lambda: _Adapter(conn), host, port
                )
                _size_buffers(transport, send_buffer_bytes, receive_buffer_bytes)
        except TimeoutError:
            raise ConnectTimeoutError(
                f"no TCP connection within {connect_timeout:g} s", broker=conn.broker
            ) from None
        except OSError as exc:
            raise KafkaConnectionError(f"cannot connect: {exc}", broker=conn.broker) from exc
        assert isinstance(transport, asyncio.Transport)
        conn._transport = transport
        try:
            if security is not None and security.ssl_context is not None:
                await conn._start_tls(security.ssl_context, connect_timeout)
            await conn._negotiate()
            if security is not None and security.uses_sasl:
                await conn._authenticate()
        except RequestTimeoutError as exc:
            conn.close()
            raise conn._first_exchange_timeout(request_timeout) from exc
        except (KafkaConnectionError, ProtocolError) as exc:
            conn.close()
            raise conn._first_exchange_failure(exc) from exc
        except BaseException:
            conn.close()
            raise
        conn._ready = True
        conn._proven = security is not None and security.uses_sasl
        return conn

    async def _start_tls(self, context: ssl.SSLContext, timeout: float) -> None:
        assert self._transport is not None
        try:
            transport = await self._loop.start_tls(
                self._transport,
                self._transport.get_protocol(),
                context,
                server_hostname=self.host,
                ssl_handshake_timeout=timeout,
            )
        except (OSError, ssl.SSLError, TimeoutError, EOFError) as exc:
            self._transport.abort()
            raise classify_tls_failure(
                exc,
                broker=self.broker,
                host=self.host,
                protocol=self.protocol_name,
                has_client_certificate=self._has_client_certificate,
            ) from exc
        if transport is None:  # the peer closed during the handshake
            raise classify_tls_failure(
                EOFError("EOF during the TLS handshake"),
                broker=self.broker,
                host=self.host,
                protocol=self.protocol_name,
                has_client_certificate=self._has_client_certificate,
            )
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    @property
    def _has_client_certificate(self) -> bool:
        return self.security is not None and self.security.has_client_certificate

    def _first_exchange_timeout(self, request_timeout: float) -> ConnectTimeoutError:
        what = "SASL authentication" if self._negotiated else "ApiVersions response"
        hint = ""
        if not self._negotiated and (self.security is None or self.security.ssl_context is None):
            hint = " (if this is a TLS listener, set security.protocol=SSL or SASL_SSL)"
        return ConnectTimeoutError(
            f"no {what} within {request_timeout:g} s{hint}", broker=self.broker
        )

    def _first_exchange_failure(self, exc: KafkaConnectionError | ProtocolError) -> Exception:
        """The error to raise when ApiVersions or SASL failed on a fresh connection: a TLS
        alert, or the kind of close a wrong security.protocol causes, named as such."""
        if isinstance(exc, SecurityProtocolMismatchError):
            return exc
        cause = exc if isinstance(exc, ProtocolError) else exc.__cause__
        tls = self.security is not None and self.security.ssl_context is not None
        if tls and isinstance(cause, ssl.SSLError):
            return classify_tls_failure(
                cause,
                broker=self.broker,
                host=self.host,
                protocol=self.protocol_name,
                has_client_certificate=self._has_client_certificate,
            )
        if not tls and not self._negotiated:
            if isinstance(cause, FrameTooLargeError) and cause.size >> 24 in _TLS_RECORD_TYPES:
                return SecurityProtocolMismatchError(
                    "the broker answered ApiVersions with a TLS record",
                    broker=self.broker,
                    expected=self.protocol_name,
                    hint="this is a TLS listener: set security.protocol=SSL or SASL_SSL",
                )
            return SecurityProtocolMismatchError(
                f"the broker closed the connection before answering ApiVersions ({exc})",
                broker=self.broker,
                expected=self.protocol_name,
                hint="if this is a TLS listener, set security.protocol=SSL or SASL_SSL",
            )
        return exc

    async def _authenticate(self) -> None:
        security = self.security
        assert security is not None
        client = await security.sasl_client()
        lifetime = await authenticate(
            client, self._send, broker=self.broker, protocol=self.protocol_name
        )
        self.authentications += 1
        self.session_lifetime_ms = lifetime
        if lifetime > 0:
            share = _REAUTH_WINDOW + _REAUTH_JITTER * random.random()
            self._reauth_at = self._loop.time() + lifetime / 1000 * share
        else:
            self._reauth_at = None

    async def _reauthenticated(self) -> None:
        """Wait for the re-authentication due now (starting it if nobody has)."""
        if self._reauth is None:
            self._reauth = self._loop.create_task(self._reauthenticate())
        await asyncio.shield(self._reauth)

    async def _reauthenticate(self) -> None:
        try:
            await self._authenticate()
        except BaseException as exc:
            self._shutdown(
                KafkaConnectionError(
                    f"closed: re-authentication failed: {exc}", broker=self.broker
                ),
                cause=exc,
            )
            raise
        finally:
            self._reauth = None

    async def _negotiate(self) -> None:
        version = ApiVersionsRequest.latest_stable_version
        # The client software fields exist from v3 on and are ignorable before (KIP-511).
        request = ApiVersionsRequest(
            client_software_name=CLIENT_SOFTWARE_NAME,
            client_software_version=CLIENT_SOFTWARE_VERSION,
        )
        while True:
            response = await self.request(request, version=version)
            error_code = response.error_code
            api_keys = response.api_keys
            if error_code == UnsupportedVersionCode.code and version > 0:
                # Kafka 2.4+ lists the ApiVersions range it supports; older brokers: v0.
                broker_max = next(
                    (k.max_version for k in api_keys if k.api_key == ApiKey.API_VERSIONS), 0
                )
                version = min(broker_max, version - 1)
                continue
            if error_code:
                raise KafkaConnectionError(
                    f"ApiVersions v{version} failed: {error_for_code(error_code)}",
                    broker=self.broker,
                )
            break
        self.api_versions_response = response
        self._broker_versions = {k.api_key: (k.min_version, k.max_version) for k in api_keys}
        for api_key, (lo, hi) in self._broker_versions.items():
            info = APIS.get(api_key)
            if info is None:
                continue
            best = min(hi, info.latest_stable)
            if best >= max(lo, info.min_version):
                self._versions[api_key] = best
        self._negotiated = True

    # -- versions -------------------------------------------------------------------------------

    @property
    def broker_versions(self) -> Mapping[int, tuple[int, int]]:
        """The broker's (min, max) version of every API key it announced."""
        return MappingProxyType(self._broker_versions)

    @property
    def versions(self) -> Mapping[int, int]:
        """The version this connection uses for each API both sides support."""
        return MappingProxyType(self._versions)

    def version_for(self, api_key: int) -> int:
        """The highest version of ``api_key`` that both the broker and kafkaproto support (our
        newest *stable* version at most); :class:`NoCommonVersionError` names the API if none."""
        version = self._versions.get(api_key)
        if version is not None:
            return version
        info = APIS.get(api_key)
        if info is None:
            raise ApiVersionError(f"api key {api_key} is unknown to kafkaproto")
        raise NoCommonVersionError(
            api_key=api_key,
            api=info.name,
            ours=(info.min_version, info.latest_stable),
            broker=self._broker_versions.get(api_key),
        )

    # -- requests -------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Requests sent and awaiting a response."""
        return len(self._pending)

    @property
    def closed(self) -> bool:
        return self._closed_by is not None

    async def request(
        self, message: ApiRequest[R], *, version: int | None = None, timeout: float | None = None
    ) -> R:
        """Send ``message`` (a generated request) at ``version`` — by default
        :meth:`version_for` its API, the highest both sides support — and return its response,
        decoded at the same version. Waits for a free slot when ``max_in_flight`` requests are
        already out. ``timeout`` (seconds, default the connection's ``request_timeout``) counts
        from the moment the request is written.

        Raises :class:`RequestTimeoutError` (the connection is then closed),
        :class:`KafkaConnectionError` when the connection is or gets closed, and
        :class:`ApiVersionError` for a version the broker did not announce (or an API no
        version of which both sides support).
        """
        if self._closed_by is not None:
            raise self._closed_by
        if self._reauth_due():
            await self._reauthenticated()
        return await self._send(message, version=version, timeout=timeout)

    async def write_request(
        self, message: ApiRequest[R], *, version: int | None = None, timeout: float | None = None
    ) -> asyncio.Future[R]:
        """:meth:`request` in two steps: wait until ``message`` is written (for a free slot, a
        due re-authentication), then return the future of its response. For a caller that
        must know when its request has left, so that it can write a later one at once with
        :meth:`request_nowait` without overtaking it. Raises as :meth:`request` does; errors
        after the write arrive through the future."""
        if self._closed_by is not None:
            raise self._closed_by
        if self._reauth_due():
            await self._reauthenticated()
        return await self._written(message, version, timeout)  # type: ignore[return-value]

    async def _send(
        self, message: ApiRequest[R], *, version: int | None = None, timeout: float | None = None
    ) -> R:
        # request() without the re-authentication gate: the SASL exchange itself goes here.
        response = await (await self._written(message, version, timeout))
        expected = type(message).response_class
        if not isinstance(response, expected):
            raise TypeError(f"expected a {expected.__name__}, got a {type(response).__name__}")
        return response  # type: ignore[return-value]  # R is message's response class

    def request_nowait(
        self, message: ApiRequest[R], *, version: int | None = None
    ) -> asyncio.Future[R] | None:
        """:meth:`request` for a caller that cannot wait before the request is written: when it
        can go now, write it and return the future of its response (the same errors arrive
        through the future; cancelling it drops the response when it comes). None, with
        nothing written, when :meth:`request` would wait first: the connection is closed, a
        re-authentication is due, or every in-flight slot is taken. Raises
        :class:`ApiVersionError` as :meth:`request` does."""
        if self._closed_by is not None or self._reauth_due() or self._must_wait_for_slot():
            return None
        future = self._enqueue(message, self._checked_version(message, version), None)
        return future  # type: ignore[return-value]  # the protocol decodes message's response

    async def _written(
        self, message: ApiRequest[R], version: int | None, timeout: float | None
    ) -> asyncio.Future[ApiResponse]:
        # Write the request once a slot is free (FIFO behind earlier waiters): the future of
        # its response.
        if self._closed_by is not None:
            raise self._closed_by
        version = self._checked_version(message, version)
        if self._must_wait_for_slot():
            await self._wait_for_slot()
        return self._enqueue(message, version, timeout)

    def _must_wait_for_slot(self) -> bool:
        # Every in-flight slot is taken, or earlier requests wait for one (FIFO: none is
        # overtaken, whichever way a request is written).
        return len(self._pending) >= self.max_in_flight or bool(self._slot_waiters)

    def _reauth_due(self) -> bool:
        # A re-authentication is under way or its time has come (KIP-368): requests wait.
        return self._reauth_at is not None and (
            self._reauth is not None or self._loop.time() >= self._reauth_at
        )

    def _enqueue(
        self, message: ApiRequest[R], version: int, timeout: float | None
    ) -> asyncio.Future[ApiResponse]:
        # Write the request now (a slot is free) and start its deadline.
        cid, data = self._protocol.send(message, version)
        future: asyncio.Future[ApiResponse] = self._loop.create_future()
        seconds = self.request_timeout if timeout is None else timeout
        deadline = self._loop.time() + seconds
        self._pending.append(_Entry(cid, future, deadline, seconds, message.api_key, version))
        self._write(data)
        if self._timer is None or deadline < self._timer_when:
            self._arm_timer(deadline)
        return future

    async def send_no_response(
        self, message: ApiRequest[ApiResponse], *, version: int | None = None
    ) -> None:
        """Send a request the broker never answers (Produce with ``acks=0``) at ``version``
        (default :meth:`version_for` its API); returns once the transport has taken the bytes
        (waiting while its buffer is full)."""
        if self._closed_by is not None:
            raise self._closed_by
        if self._reauth_due():
            await self._reauthenticated()
            if self._closed_by is not None:
                raise self._closed_by
        version = self._checked_version(message, version)
        _, data = self._protocol.send(message, version, expect_response=False)
        self._write(data)
        if self._write_paused is not None:
            await asyncio.shield(self._write_paused)
            if self._closed_by is not None:
                raise self._closed_by

    def _checked_version(self, message: ApiRequest[ApiResponse], version: int | None) -> int:
        if version is None:
            return self.version_for(message.api_key)
        if self._negotiated:
            span = self._broker_versions.get(message.api_key)
            if span is None or not span[0] <= version <= span[1]:
                raise self._unsupported(message.api_key, version)
        return version

    def _write(self, data: bytearray) -> None:
        # Requests written in one turn of the event loop leave in one send() call: a syscall per
        # small request would cost more than everything else a request does. Big ones go at once.
        if len(data) >= _COALESCE_LIMIT:
            self._flush()
            assert self._transport is not None
            self._transport.write(data)
        elif self._wbuf is None:
            self._wbuf = data
            self._loop.call_soon(self._flush)
        else:
            self._wbuf += data

    def _flush(self) -> None:
        data, self._wbuf = self._wbuf, None
        if data is not None and self._transport is not None and self._closed_by is None:
            self._transport.write(data)

    def _unsupported(self, api_key: int, version: int) -> ApiVersionError:
        info = APIS.get(api_key)
        name = info.name if info else f"api key {api_key}"
        span = self._broker_versions.get(api_key)
        theirs = f"versions {span[0]}-{span[1]}" if span else "no version of it"
        return ApiVersionError(
            f"{self.broker}: {name} v{version} is not supported by the broker ({theirs})"
        )

    async def _wait_for_slot(self) -> None:
        # FIFO: each response that frees a slot wakes the oldest waiter.
        while True:
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._slot_waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done():
                    self._wake_slot_waiter()  # it was woken: hand the wake-up on
                else:
                    self._slot_waiters.remove(waiter)
                raise
            if self._closed_by is not None:
                raise self._closed_by
            if len(self._pending) < self.max_in_flight:
                return

    def _wake_slot_waiter(self) -> None:
        waiters = self._slot_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # -- timeouts -------------------------------------------------------------------------------

    def _arm_timer(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._on_timer)
        self._timer_when = when

    def _on_timer(self) -> None:
        # One timer for the whole connection, armed for the earliest deadline; with one common
        # timeout that is the oldest request, so this fires about once per request timeout.
        self._timer = None
        now = self._loop.time()
        earliest: float | None = None
        for entry in self._pending:
            if entry.deadline <= now:
                self._time_out(entry)
                return
            if earliest is None or entry.deadline < earliest:
                earliest = entry.deadline
        if earliest is not None:
            self._arm_timer(earliest)

    def _time_out(self, entry: _Entry) -> None:
        info = APIS.get(entry.api_key)
        error = RequestTimeoutError(
            api=info.name if info else str(entry.api_key),
            version=entry.version,
            correlation_id=entry.correlation_id,
            timeout=entry.timeout,
            broker=self.broker,
        )
        if not entry.future.done():
            entry.future.set_exception(error)
        self._shutdown(
            KafkaConnectionError(
                f"closed: request {entry.correlation_id} timed out after {entry.timeout:g} s",
                broker=self.broker,
            ),
            cause=error,
        )

    # -- closing --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection now; every request still waiting fails with
        :class:`KafkaConnectionError`. Idempotent."""
        self._shutdown(KafkaConnectionError("connection closed by the client", broker=self.broker))

    def add_close_callback(self, callback: Callable[[KafkaConnectionError], None]) -> None:
        """Call ``callback(error)`` once when the connection closes, for whatever reason (called
        at once if it already has)."""
        if self._closed_by is not None:
            callback(self._closed_by)
        else:
            self._close_callbacks.append(callback)

    @property
    def close_reason(self) -> KafkaConnectionError | None:
        """Why the connection closed (None while it is open)."""
        return self._closed_by

    async def wait_closed(self) -> None:
        """Wait until the socket is closed (after :meth:`close` or a failure)."""
        await asyncio.shield(self._closed)

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
        await self.wait_closed()

    def _shutdown(self, error: KafkaConnectionError, cause: BaseException | None = None) -> None:
        if self._closed_by is not None:
            return
        if cause is not None:
            error.__cause__ = cause
        self._closed_by = error
        self._wbuf = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, deque()
        for entry in pending:
            if not entry.future.done():
                entry.future.set_exception(error)
                # Callers that gave up (cancelled) never retrieve it: don't log it as unhandled.
                entry.future.exception()
        waiters, self._slot_waiters = self._slot_waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        if self._write_paused is not None and not self._write_paused.done():
            self._write_paused.set_result(None)
        if self._transport is not None:
            self._transport.abort()  # unanswered requests are void: don't flush them
        elif not self._closed.done():
            self._closed.set_result(None)
        callbacks, self._close_callbacks = self._close_callbacks, []
        for callback in callbacks:
            callback(error)

    # -- asyncio callbacks ----------------------------------------------------------------------

    def _data_received(self, data: bytes) -> None:
        if not self._proven:
            self._proven = self._ready
        protocol = self._protocol
        pending = self._pending
        try:
            protocol.receive_data(data)
            while True:
                event = protocol.next_event()
                if event is NEED_DATA:
                    break
                entry = pending.popleft()
                future = entry.future
                if not future.done():
                    future.set_result(event.message)
                if self._slot_waiters:
                    self._wake_slot_waiter()
        except KafkaProtoError as exc:
            # The oldest request gets the error itself; the stream is unusable for the others.
            if pending and not pending[0].future.done():
                pending[0].future.set_exception(exc)
            self._shutdown(
                KafkaConnectionError(f"closed after a protocol error: {exc}", broker=self.broker),
                cause=exc,
            )

    def _connection_lost(self, exc: Exception | None) -> None:
        n = len(self._pending)
        reason = f"connection lost ({n} request{'s' if n != 1 else ''} waiting)"
        if exc is not None:
            reason = f"{reason}: {exc}"
        error: KafkaConnectionError
        if self._ready and not self._proven:
            # Closed at the first request after ApiVersions, before any answer: what a SASL
            # listener does to a client that skips the SASL handshake.
            error = SecurityProtocolMismatchError(
                f"{reason}, at the first request after ApiVersions",
                broker=self.broker,
                expected=self.protocol_name,
                hint="if this is a SASL listener, set security.protocol=SASL_PLAINTEXT or "
                "SASL_SSL and sasl.mechanism",
            )
        else:
            error = KafkaConnectionError(reason, broker=self.broker)
        self._shutdown(error, cause=exc)
        self._transport = None
        if not self._closed.done():
            self._closed.set_result(None)

    def _pause_writing(self) -> None:
        if self._write_paused is None:
            self._write_paused = self._loop.create_future()

    def _resume_writing(self) -> None:
        if self._write_paused is not None:
            if not self._write_paused.done():
                self._write_paused.set_result(None)
            self._write_paused = None
