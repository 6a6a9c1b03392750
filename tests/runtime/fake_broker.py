"""A scripted stand-in for a broker on 127.0.0.1, for the connection's failure paths (a broker
that never answers, closes mid-request, lies about versions) that a real broker cannot be made
to show on demand. It reads request frames with the generated classes and answers whatever the
test's handler returns; it never stands in for the real broker in the broker tests."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import request_class, request_header_version, response_header_version
from kafkaproto.messages.api_versions import ApiVersionsResponse, ApiVersionsResponseApiVersion
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.messages.response_header import ResponseHeader

#: What the handler returns: a response to send (at the request's version), None to stay silent,
#: CLOSE to hang up.
CLOSE = object()
Handler = Callable[[RequestHeader, ApiRequest[ApiResponse]], Awaitable[object] | object]


def api_versions_body(ranges: dict[int, tuple[int, int]]) -> ApiVersionsResponse:
    """An ApiVersionsResponse announcing ``ranges``."""
    keys = [
        ApiVersionsResponseApiVersion(api_key=k, min_version=lo, max_version=hi)
        for k, (lo, hi) in ranges.items()
    ]
    return ApiVersionsResponse(api_keys=keys)


def encode_response(correlation_id: int, api_key: int, version: int, body: ApiResponse) -> bytes:
    out = bytearray(4)
    header_version = response_header_version(api_key, version)
    ResponseHeader(correlation_id=correlation_id).encode_into(out, header_version)
    body.encode_into(out, version)
    struct.pack_into(">i", out, 0, len(out) - 4)
    return bytes(out)


@dataclass
class FakeBroker:
    handler: Handler
    received: list[tuple[RequestHeader, ApiRequest[ApiResponse]]] = field(default_factory=list)
    server: asyncio.Server | None = None
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def __aenter__(self) -> FakeBroker:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        for writer in self.writers:
            writer.transport.abort()
        self.server.close()
        await asyncio.wait_for(self.server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        try:
            while True:
                (size,) = struct.unpack(">i", await reader.readexactly(4))
                frame = await reader.readexactly(size)
                api_key, version = struct.unpack_from(">hh", frame, 0)
                header_version = request_header_version(api_key, version)
                header, pos = RequestHeader.decode_from(memoryview(frame), 0, header_version)
                body = request_class(api_key).decode(memoryview(frame)[pos:], version)
                self.received.append((header, body))
                answer = self.handler(header, body)
                if isinstance(answer, Awaitable):
                    answer = await answer
                if answer is CLOSE:
                    writer.close()
                    return
                if isinstance(answer, bytes):  # raw bytes, written as they are
                    writer.write(answer)
                elif isinstance(answer, ApiResponse):
                    writer.write(encode_response(header.correlation_id, api_key, version, answer))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
