"""The connection, the cluster client and the api-versions CLI against the real broker."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Coroutine
from typing import Any

import kafka_wire
import pytest
from kafkaproto.cluster import ClusterClient
from kafkaproto.connection import Connection
from kafkaproto.errors import KafkaConnectionError, RequestTimeoutError
from kafkaproto.messages import APIS
from kafkaproto.messages.create_topics import CreateTopicsRequest, CreateTopicsRequestCreatableTopic
from kafkaproto.messages.fetch import (
    FetchRequest,
    FetchRequestFetchPartition,
    FetchRequestFetchTopic,
)
from kafkaproto.messages.metadata import MetadataRequest, MetadataResponse

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]

HOST = "127.0.0.1"


def _port(bootstrap: str) -> int:
    return int(bootstrap.split(",")[0].rsplit(":", 1)[1])


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 90))


async def _open(bootstrap: str, **kwargs: Any) -> Connection:
    options: dict[str, Any] = {"connect_timeout": 10, "request_timeout": 30, **kwargs}
    return await Connection.open(HOST, _port(bootstrap), **options)


async def _ready_topic(broker: str) -> uuid.UUID:
    """A new one-partition topic whose partition already serves fetches. Until it does, a Fetch
    is answered at once with a partition error instead of being held (a known leader is not
    enough: on a loaded machine the partition can lag its metadata)."""
    async with ClusterClient(broker) as client:
        conn = await client.any_connection()
        name, topic_id = await _create_topic(conn, partitions=1)
        await client.leader_for(name, 0, timeout=30)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while True:
            response = await conn.request(_long_poll(topic_id, 10))
            errors = [p.error_code for t in response.responses for p in t.partitions]
            if response.error_code == 0 and errors == [0]:
                return topic_id
            assert loop.time() < deadline, f"{name} serves no fetch after 30 s: {errors}"
            await asyncio.sleep(0.1)


async def _create_topic(conn: Connection, partitions: int = 3) -> tuple[str, uuid.UUID]:
    name = f"kp-client-{uuid.uuid4().hex[:10]}"
    assert conn.version_for(19) == 7
    response = await conn.request(
        CreateTopicsRequest(
            topics=[
                CreateTopicsRequestCreatableTopic(
                    name=name, num_partitions=partitions, replication_factor=1
                )
            ],
            timeout_ms=15000,
        )
    )
    (result,) = response.topics
    assert result.error_code == 0, result
    return name, result.topic_id


def _long_poll(topic_id: uuid.UUID, wait_ms: int) -> FetchRequest:
    """A Fetch the broker holds for ``wait_ms`` (an empty partition, min_bytes 1)."""
    return FetchRequest(
        max_wait_ms=wait_ms,
        min_bytes=1,
        max_bytes=1 << 20,
        topics=[
            FetchRequestFetchTopic(
                topic_id=topic_id,
                partitions=[
                    FetchRequestFetchPartition(
                        partition=0, fetch_offset=0, partition_max_bytes=1 << 20
                    )
                ],
            )
        ],
    )


def test_negotiation_matches_the_broker(broker: str) -> None:
    expected = kafka_wire.api_versions_v0(HOST, _port(broker)).versions

    async def main() -> None:
        async with await _open(broker) as conn:
            assert dict(conn.broker_versions) == expected
            for key, (lo, hi) in expected.items():
                info = APIS.get(key)
                if info is None:
                    continue
                best = min(hi, info.latest_stable)
                if best >= max(lo, info.min_version):
                    assert conn.version_for(key) == best
            assert conn.version_for(18) == min(expected[18][1], APIS[18].latest_stable)

    run(main())


def _buffers(conn: Connection) -> tuple[int, int]:
    assert conn._transport is not None
    sock = conn._transport.get_extra_info("socket")
    return (
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
    )


@pytest.mark.skipif(sys.platform != "linux", reason="Linux reports twice the size asked")
def test_socket_buffers_take_send_and_receive_buffer_bytes(broker: str) -> None:
    # Java's send.buffer.bytes / receive.buffer.bytes: SO_SNDBUF / SO_RCVBUF on each socket the
    # client opens, -1 for the operating system's own. (Linux keeps twice the size asked.)
    async def main() -> None:
        async with await _open(broker, send_buffer_bytes=70_000, receive_buffer_bytes=50_000) as c:
            assert _buffers(c) == (140_000, 100_000)
            assert (await c.request(MetadataRequest(topics=[]))).brokers  # still a connection
        async with ClusterClient(
            broker, send_buffer_bytes=60_000, receive_buffer_bytes=30_000
        ) as client:
            assert _buffers(await client.any_connection()) == (120_000, 60_000)
        async with ClusterClient(broker) as client:  # Java's defaults: 128 KiB and 64 KiB
            assert _buffers(await client.any_connection()) == (262_144, 131_072)
        async with await _open(broker) as c:  # -1 by default: what the system gives
            assert _buffers(c) not in ((140_000, 100_000), (262_144, 131_072))

    run(main())


def test_pipelining_100_requests(broker: str) -> None:
    async def main() -> None:
        async with await _open(broker, max_in_flight=100) as conn:
            tasks = [
                asyncio.create_task(conn.request(MetadataRequest(topics=[]))) for _ in range(100)
            ]
            await asyncio.sleep(0)
            assert conn.in_flight == 100  # all on the wire before any answer
            responses = await asyncio.gather(*tasks)
            assert len(responses) == 100
            assert all(isinstance(r, MetadataResponse) for r in responses)
            assert {r.cluster_id for r in responses} == {responses[0].cluster_id}
            assert conn.in_flight == 0

    run(main())


def test_request_timeout_on_a_held_fetch(broker: str) -> None:
    async def main() -> None:
        topic_id = await _ready_topic(broker)
        conn = await _open(broker, request_timeout=0.5)
        assert conn.version_for(1) == 18
        with pytest.raises(RequestTimeoutError) as info:
            await conn.request(_long_poll(topic_id, 5000))
        assert info.value.api == "Fetch" and info.value.version == 18
        assert conn.closed
        await asyncio.wait_for(conn.wait_closed(), 5)

    run(main())


def test_close_with_pending_requests(broker: str) -> None:
    async def main() -> None:
        topic_id = await _ready_topic(broker)
        conn = await _open(broker, max_in_flight=3)
        tasks = [asyncio.create_task(conn.request(_long_poll(topic_id, 10000))) for _ in range(5)]
        await asyncio.sleep(0.3)
        loop = asyncio.get_running_loop()
        # A broker may answer a long poll early (e.g. with a partition error while the topic
        # settles); only the requests still pending when close() is called must fail.
        pending = [t for t in tasks if not t.done()]
        assert pending, "every long poll was answered within 0.3 s"
        started = loop.time()
        conn.close()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert loop.time() - started < 1
        assert all(isinstance(r, KafkaConnectionError) for r in results), results
        await asyncio.wait_for(conn.wait_closed(), 5)

    run(main())


def test_cluster_client_metadata_leader_and_topic_id(broker: str) -> None:
    async def main() -> None:
        async with ClusterClient(broker, client_id="kp-test") as client:
            md = client.metadata
            assert md.cluster_id and set(md.brokers) == {1}
            assert md.brokers[1].address == broker
            name, topic_id = await _create_topic(await client.any_connection(), partitions=3)
            for partition in range(3):
                leader = await client.leader_for(name, partition, timeout=30)
                assert leader.node_id == 1
            assert client.topic_id(name) == topic_id
            topic = client.metadata.topics[name]
            assert sorted(topic.partitions) == [0, 1, 2]
            assert all(p.leader_epoch >= 0 and p.isr == (1,) for p in topic.partitions.values())
            assert client.metadata.topic_name(topic_id) == name
            # Everything went over one shared connection to broker 1.
            assert await client.connection(1) is await client.any_connection()
            refreshed = await client.refresh_metadata([name])
            assert refreshed.fetched_at > md.fetched_at

    run(main())


def test_unknown_topic_has_no_leader(broker: str) -> None:
    from kafkaproto.errors import MetadataTimeoutError

    async def main() -> None:
        async with ClusterClient(broker, retry_backoff_ms=50) as client:
            missing = f"kp-missing-{uuid.uuid4().hex[:10]}"
            with pytest.raises(MetadataTimeoutError, match="UNKNOWN_TOPIC_OR_PARTITION"):
                await client.leader_for(missing, 0, timeout=1)
            # allow_auto_topic_creation is off by default: the lookup created nothing.
            md = await client.refresh_metadata([missing])
            assert md.topics[missing].error is not None

    run(main())


def test_api_versions_cli(broker: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kafkaproto", "api-versions", "--bootstrap", broker],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"broker {broker}"
    assert lines[1].split() == ["KEY", "NAME", "BROKER", "KAFKAPROTO", "USED"]
    rows = {line.split()[1]: line.split() for line in lines[2:]}
    expected = kafka_wire.api_versions_v0(HOST, _port(broker)).versions
    lo, hi = expected[3]
    assert rows["Metadata"] == [
        "3",
        "Metadata",
        f"{lo}-{hi}",
        f"{APIS[3].min_version}-{APIS[3].latest_stable}",
        str(min(hi, APIS[3].latest_stable)),
    ]
    assert len(rows) == len(expected)
