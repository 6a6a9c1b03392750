"""The cluster client without a broker: Java's backoff arithmetic, bootstrap parsing, settings,
metadata parsing, connection sharing and reconnect backoff against a scripted 127.0.0.1 server,
and the api-versions table."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Coroutine
from typing import Any

import pytest
from fake_broker import CLOSE, FakeBroker, api_versions_body
from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.cli.api_versions import render
from kafkaproto.cluster import ClusterClient, ClusterClientConfig, parse_bootstrap
from kafkaproto.cluster_config import inherited_settings
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.error_codes import (
    LeaderNotAvailableError,
    NotLeaderOrFollowerError,
    TopicAuthorizationFailedError,
)
from kafkaproto.errors import KafkaConnectionError, MetadataTimeoutError
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import APIS
from kafkaproto.messages.metadata import (
    MetadataRequest,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.producer.config import ProducerConfig

pytestmark = pytest.mark.timeout(30)

TOPIC_ID = uuid.UUID("0f8e3c2a-1b4d-4e5f-9a6b-7c8d9e0f1a2b")


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 20))


# -- backoff -------------------------------------------------------------------------------------


def test_backoff_without_jitter_doubles_to_the_cap() -> None:
    backoff = ExponentialBackoff(50, 2, 1000, jitter=0)
    assert [backoff.backoff(n) for n in range(7)] == [50, 100, 200, 400, 800, 1000, 1000]


def test_backoff_jitter_stays_within_twenty_percent() -> None:
    rng = random.Random(7)
    backoff = ExponentialBackoff(50, 2, 1000, uniform=rng.uniform)
    for attempts, term in ((0, 50), (1, 100), (3, 400)):
        values = [backoff.backoff(attempts) for _ in range(500)]
        assert min(values) >= int(term * 0.8) and max(values) <= term * 1.2
        assert len(set(values)) > 5  # really jittered
    assert max(backoff.backoff(20) for _ in range(100)) <= 1000


def test_backoff_equal_initial_and_max_is_constant() -> None:
    """Java: reconnect.backoff.ms alone disables the exponential growth (max == initial)."""
    backoff = ExponentialBackoff(200, 2, 200)
    assert {backoff.backoff(n) for n in range(10)} == {200}


# -- settings ------------------------------------------------------------------------------------


def test_parse_bootstrap() -> None:
    assert parse_bootstrap("127.0.0.1:9092, 127.0.0.1:9094") == (
        ("127.0.0.1", 9092),
        ("127.0.0.1", 9094),
    )
    assert parse_bootstrap(["[::1]:9092"]) == (("::1", 9092),)
    for bad in ("127.0.0.1", "", "h:0", "h:port", ":9092"):
        with pytest.raises(ValueError):
            parse_bootstrap(bad)


def test_client_settings_defaults_and_validation() -> None:
    config = ClusterClientConfig()
    assert (config.reconnect_backoff_ms, config.reconnect_backoff_max_ms) == (50, 1000)
    assert config.request_timeout_ms == 30000 and config.metadata_max_age_ms == 300000
    assert (
        config.socket_connection_setup_timeout_ms,
        config.socket_connection_setup_timeout_max_ms,
    ) == (10000, 30000)
    with pytest.raises(ValueError, match=r"reconnect\.backoff\.ms"):
        ClusterClientConfig(reconnect_backoff_ms=-1)
    with pytest.raises(ValueError, match=r"request\.timeout\.ms"):
        ClusterClientConfig({"request.timeout.ms": "0"})
    with pytest.raises(TypeError, match="linger"):
        ClusterClient("127.0.0.1:9092", linger_ms=5)
    # Socket buffers: Java's AdminClient's defaults; -1 is the system's own, below it refused.
    assert (config.send_buffer_bytes, config.receive_buffer_bytes) == (131072, 65536)
    assert ClusterClientConfig({"send.buffer.bytes": "-1"}).send_buffer_bytes == -1
    with pytest.raises(ValueError, match=r"receive\.buffer\.bytes"):
        ClusterClientConfig(receive_buffer_bytes=-2)


def test_producer_and_consumer_hand_their_socket_buffers_to_their_cluster_client() -> None:
    # Each client's own defaults (Java's: the producer receives into 32 KiB, the consumer 64 KiB)
    # and the user's values reach the connections it opens.
    producer = ProducerConfig(bootstrap_servers="b:1")
    consumer = ConsumerConfig(bootstrap_servers="b:1", group_id="g")
    sizes = ("send_buffer_bytes", "receive_buffer_bytes")
    assert [inherited_settings(producer)[k] for k in sizes] == [131072, 32768]
    assert [inherited_settings(consumer)[k] for k in sizes] == [131072, 65536]
    mine = ProducerConfig(bootstrap_servers="b:1", send_buffer_bytes=-1, receive_buffer_bytes=4096)
    client = ClusterClientConfig(**inherited_settings(mine))
    assert (client.send_buffer_bytes, client.receive_buffer_bytes) == (-1, 4096)


# -- against a scripted server -------------------------------------------------------------------


class Script:
    """Answers like a one-broker cluster whose broker is the fake itself."""

    def __init__(self) -> None:
        self.port = 0
        self.leader = 1
        self.topic_error = 0
        self.metadata_requests: list[MetadataRequest] = []
        self.hang_up_next = False

    def __call__(self, header: RequestHeader, body: ApiRequest[ApiResponse]) -> object:
        if body.api_key == 18:
            return api_versions_body({18: (0, 4), 3: (0, 12)})
        if self.hang_up_next:
            self.hang_up_next = False
            return CLOSE
        assert isinstance(body, MetadataRequest)
        self.metadata_requests.append(body)
        topics = [
            MetadataResponseTopic(
                error_code=self.topic_error,
                name=t.name,
                topic_id=TOPIC_ID,
                partitions=[
                    MetadataResponsePartition(
                        partition_index=0,
                        leader_id=self.leader,
                        leader_epoch=3,
                        replica_nodes=[1],
                        isr_nodes=[1],
                    )
                ]
                if not self.topic_error
                else [],
            )
            for t in body.topics or ()
        ]
        return MetadataResponse(
            brokers=[MetadataResponseBroker(node_id=1, host="127.0.0.1", port=self.port)],
            cluster_id="fake-cluster",
            controller_id=1,
            topics=topics,
        )


def _client(port: int, **settings: Any) -> ClusterClient:
    options: dict[str, Any] = {
        "request_timeout_ms": 3000,
        "socket_connection_setup_timeout_ms": 2000,
        **settings,
    }
    return ClusterClient(f"127.0.0.1:{port}", **options)


def test_metadata_leader_and_topic_id() -> None:
    script = Script()

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(fake.port) as client:
                md = client.metadata
                assert md.cluster_id == "fake-cluster" and md.controller_id == 1
                assert set(md.brokers) == {1}
                assert script.metadata_requests[0].topics == ()  # brokers only, no topics
                leader = await client.leader_for("orders", 0)
                assert leader.node_id == 1 and leader.port == fake.port
                assert client.topic_id("orders") == TOPIC_ID
                assert client.metadata.topic_name(TOPIC_ID) == "orders"
                partition = client.metadata.topics["orders"].partitions[0]
                assert (partition.leader_epoch, partition.isr) == (3, (1,))
                assert "orders" in client.topics
                # One connection, adopted from bootstrap by broker 1 and shared.
                assert len(fake.writers) == 1
                assert await client.connection(1) is await client.any_connection()

    run(main())


def test_non_retriable_topic_error_is_raised() -> None:
    script = Script()
    script.topic_error = TopicAuthorizationFailedError.code

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(fake.port) as client:
                with pytest.raises(TopicAuthorizationFailedError):
                    await client.leader_for("secret", 0)

    run(main())


def test_leader_lookup_times_out_typed() -> None:
    script = Script()
    script.leader = -1  # an election that never ends

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(fake.port, retry_backoff_ms=20) as client:
                with pytest.raises(MetadataTimeoutError, match="orders-0"):
                    await client.leader_for("orders", 0, timeout=0.5)
                assert len(script.metadata_requests) >= 3  # it kept asking, with backoff

    run(main())


def test_leader_not_available_then_elected() -> None:
    script = Script()
    script.topic_error = LeaderNotAvailableError.code

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(fake.port, retry_backoff_ms=20) as client:
                lookup = asyncio.create_task(client.leader_for("orders", 0, timeout=5))
                await asyncio.sleep(0.2)
                script.topic_error = 0
                assert (await lookup).node_id == 1

    run(main())


def test_concurrent_starts_make_one_refresh_task() -> None:
    """Producer sender and send() both start the client at once: close() must stop the one
    refresh task there is (a second one used to leak, "Task was destroyed but it is pending")."""
    script = Script()

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            client = _client(fake.port)
            before = set(asyncio.all_tasks())
            await asyncio.gather(client.start(), client.start(), client.start())
            refreshers = [
                t
                for t in asyncio.all_tasks() - before
                if "_refresh_loop" in repr(t.get_coro()) and not t.done()
            ]
            assert len(refreshers) == 1
            await client.close()
            await asyncio.sleep(0)
            assert all(t.done() for t in refreshers)

    run(main())


def test_note_error_triggers_refresh() -> None:
    script = Script()

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(fake.port, retry_backoff_ms=10) as client:
                before = len(script.metadata_requests)
                client.note_error(NotLeaderOrFollowerError())
                for _ in range(100):
                    if len(script.metadata_requests) > before:
                        break
                    await asyncio.sleep(0.02)
                assert len(script.metadata_requests) > before

    run(main())


def test_periodic_refresh_by_max_age() -> None:
    script = Script()

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(fake.port, metadata_max_age_ms=100) as client:
                first = client.metadata.fetched_at
                await asyncio.sleep(0.5)
                assert client.metadata.fetched_at > first
                assert 3 <= len(script.metadata_requests) <= 7

    run(main())


def test_reconnect_after_disconnect_waits_the_backoff() -> None:
    script = Script()

    async def main() -> None:
        async with FakeBroker(script) as fake:
            script.port = fake.port
            async with _client(
                fake.port, reconnect_backoff_ms=300, reconnect_backoff_max_ms=300
            ) as client:
                conn = await client.connection(1)
                assert client.open_connection(1) is conn
                assert client.open_connection(2) is None  # not in the metadata
                script.hang_up_next = True
                with pytest.raises(KafkaConnectionError):
                    await conn.request(MetadataRequest())
                assert client.open_connection(1) is None  # would reconnect: no waiting there
                loop = asyncio.get_running_loop()
                started = loop.time()
                again = await client.connection(1)
                waited = loop.time() - started
                assert again is not conn and not again.closed
                assert client.open_connection(1) is again
                assert 0.2 <= waited <= 1.5  # 300 ms ± 20% jitter (+ connect time)
                assert len(fake.writers) == 2

    run(main())


def test_unreachable_bootstrap_is_typed() -> None:
    async def main() -> None:
        client = ClusterClient("127.0.0.1:1", socket_connection_setup_timeout_ms=1000)
        with pytest.raises(KafkaConnectionError, match="no broker is reachable"):
            await client.start()
        await client.close()

    run(main())


# -- the api-versions table ----------------------------------------------------------------------


def test_api_versions_table() -> None:
    table = render({0: (0, 2), 3: (0, 13), 18: (0, 4), 999: (0, 1)}, {3: 13, 18: 4})
    lines = table.splitlines()
    assert lines[0].split() == ["KEY", "NAME", "BROKER", "KAFKAPROTO", "USED"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["0"][:3] == ["0", "Produce", "0-2"] and rows["0"][-1] == "none"
    assert rows["3"] == ["3", "Metadata", "0-13", f"0-{APIS[3].latest_stable}", "13"]
    assert rows["18"][-1] == "4"
    assert "unknown to kafkaproto" in table
    full = render({3: (0, 13)}, {3: 13}, include_unknown=True)
    assert len(full.splitlines()) == 1 + len(APIS)
