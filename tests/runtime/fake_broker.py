"""A scripted stand-in for a broker on 127.0.0.1, for the connection's failure paths (a broker
that never answers, closes mid-request, lies about versions) that a real broker cannot be made
to show on demand. It reads request frames with the generated classes and answers whatever the
test's handler returns; it never stands in for the real broker in the broker tests."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kafkaproto.message import ApiMessage, HeaderMessage
from kafkaproto.messages import (
    request_class,
    request_header_class,
    response_class,
    response_header_class,
)
from kafkaproto.messages.api_versions import (
    ApiVersionsResponseApiVersionV0,
    ApiVersionsResponseApiVersionV3,
)

#: What the handler returns: a response to send, None to stay silent, CLOSE to hang up.
CLOSE = object()
Handler = Callable[[HeaderMessage, ApiMessage], Awaitable[object] | object]


def api_versions_body(version: int, ranges: dict[int, tuple[int, int]]) -> ApiMessage:
    """An ApiVersionsResponse at ``version`` announcing ``ranges``."""
    cls = response_class(18, version)
    entry = ApiVersionsResponseApiVersionV3 if version >= 3 else ApiVersionsResponseApiVersionV0
    keys = [entry(api_key=k, min_version=lo, max_version=hi) for k, (lo, hi) in ranges.items()]
    return cls(api_keys=keys)  # type: ignore[call-arg]


def encode_response(correlation_id: int, api_key: int, version: int, body: ApiMessage) -> bytes:
    header_cls = response_header_class(api_key, version)
    out = bytearray(4)
    header_cls(correlation_id=correlation_id).encode_into(out)  # type: ignore[call-arg]
    body.encode_into(out)
    struct.pack_into(">i", out, 0, len(out) - 4)
    return bytes(out)


@dataclass
class FakeBroker:
    handler: Handler
    received: list[tuple[HeaderMessage, ApiMessage]] = field(default_factory=list)
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
                header, pos = request_header_class(api_key, version).decode_from(
                    memoryview(frame), 0
                )
                body = request_class(api_key, version).decode(memoryview(frame)[pos:])
                self.received.append((header, body))
                answer = self.handler(header, body)
                if isinstance(answer, Awaitable):
                    answer = await answer
                if answer is CLOSE:
                    writer.close()
                    return
                if isinstance(answer, bytes):  # raw bytes, written as they are
                    writer.write(answer)
                elif isinstance(answer, ApiMessage):
                    cid = header.correlation_id  # type: ignore[attr-defined]
                    writer.write(encode_response(cid, api_key, version, answer))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
