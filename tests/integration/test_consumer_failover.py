"""The consumer's fail-over proof on the three-node cluster (RF=3): 150,000 records are written
(acks=all, idempotent) to 3 partitions, then read by our Consumer while the leader of partition
0 is killed (SIGKILL) a third of the way through and started again later. Consumption goes on
from the new leaders (NOT_LEADER_OR_FOLLOWER / KIP-951 hints / fresh metadata, then KIP-320
validation of the positions against the new leader epoch); every record comes back exactly
once, in order per partition."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
from kafka_cluster import KafkaCluster
from kafkaproto.cluster import ClusterClient
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.sync_consumer import Consumer
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.record import ProducerRecord
from proofs import check_log, index_of, value_for
from topics import create_topic, wait_fully_replicated

pytestmark = pytest.mark.cluster

COUNT = 150_000
PARTITIONS = 3
KILL_AT = 50_000
RESTART_AT = 110_000


async def _produce(cluster: str, topic: str) -> None:
    async with AsyncProducer(
        bootstrap_servers=cluster, acks="all", enable_idempotence=True, linger_ms=5
    ) as producer:
        pending = [
            await producer.send(ProducerRecord(topic, value_for(i), key=b"%d" % (i % 97)))
            for i in range(COUNT)
        ]
        await asyncio.wait_for(producer.flush(), 180)
        for f in pending:
            f.result()


async def _leader_of_partition_0(cluster: str, topic: str) -> int:
    async with ClusterClient(cluster) as client:
        return (await client.leader_for(topic, 0, timeout=30)).node_id


@pytest.mark.timeout(600)
def test_leader_killed_during_consumption_loses_and_repeats_nothing(
    kafka_cluster: KafkaCluster, cluster: str
) -> None:
    topic = f"failover-consume-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(cluster, topic, PARTITIONS, replication_factor=3))
    asyncio.run(_produce(cluster, topic))
    victim = asyncio.run(_leader_of_partition_0(cluster, topic))
    events: list[str] = []

    def rows() -> Iterator[tuple[int, int, int]]:
        started = time.monotonic()
        with Consumer(
            bootstrap_servers=cluster,
            auto_offset_reset="earliest",
            max_poll_records=200,
            max_partition_fetch_bytes=64 * 1024,
        ) as c:
            c.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
            seen = 0
            killed = restarted = False
            deadline = time.monotonic() + 300
            while seen < COUNT:
                assert time.monotonic() < deadline, f"stalled at {seen} records"
                if seen >= KILL_AT and not killed:
                    kafka_cluster.stop_node(victim, hard=True)
                    killed = True
                    events.append(f"killed node {victim} at {seen} records")
                if seen >= RESTART_AT and not restarted:
                    kafka_cluster.start_node(victim)
                    restarted = True
                    events.append(f"node {victim} back at {seen} records")
                for r in c.poll(2):
                    yield r.partition, r.offset, index_of(r.value)
                    seen += 1
            assert not c.poll(1), "records beyond those written"
            events.append(f"all {COUNT} read in {time.monotonic() - started:.1f} s")

    try:
        placed = check_log(COUNT, rows())
    finally:
        if not kafka_cluster.node_up(victim):
            kafka_cluster.start_node(victim)
        asyncio.run(wait_fully_replicated(cluster, 3))
    print("\n" + "; ".join(events))
    assert set(placed.partition) == set(range(PARTITIONS))
    assert any("killed" in e for e in events)
