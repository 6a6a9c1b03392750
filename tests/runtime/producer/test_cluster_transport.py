"""ClusterTransport's life cycle without a broker: close() during the first, still-connecting
start() closes the client, leaving no task behind (a sync Producer closed right after it was
made used to leave a connection attempt running when its loop closed)."""

from __future__ import annotations

import asyncio

import pytest
from kafkaproto.producer._internals.cluster_transport import ClusterTransport
from kafkaproto.producer.config import ProducerConfig

pytestmark = pytest.mark.timeout(30)


def test_close_while_the_first_start_is_connecting_leaves_no_task() -> None:
    async def main() -> None:
        handlers: set[asyncio.Task[object] | None] = set()

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            handlers.add(asyncio.current_task())
            await reader.read()  # accepts, never answers ApiVersions
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = ClusterTransport.for_config(
            ProducerConfig({"bootstrap.servers": f"127.0.0.1:{port}", "request.timeout.ms": 20000})
        )
        before = asyncio.all_tasks()
        starting = asyncio.create_task(transport.metadata_for(["t"]))
        await asyncio.sleep(0.2)
        starting.cancel()  # the sender task being cancelled by the producer's close()
        await asyncio.gather(starting, return_exceptions=True)
        await asyncio.wait_for(transport.close(), 10)
        left = [t for t in asyncio.all_tasks() - before if not t.done() and t not in handlers]
        assert left == []
        server.close()
        await server.wait_closed()

    asyncio.run(asyncio.wait_for(main(), 20))
