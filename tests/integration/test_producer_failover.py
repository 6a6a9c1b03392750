"""Fail-over proofs on the three-node cluster (RF=3, min.insync.replicas=2).

- acks=all with idempotence: the leader of partition 0 is killed (SIGKILL) in the middle of a
  run of 200,000 records and started again later; every future resolves, nothing is lost or
  duplicated, order per partition holds and the futures' offsets are where the records are.
- The whole cluster down (all three nodes killed) after the producer knew the topic: every
  pending future fails with ``DeliveryTimeoutError`` within delivery.timeout.ms, close()
  returns; the cluster is started again afterwards.
- Nothing listening at all (a dead port, no metadata ever): every send waits max.block.ms for
  the topic's metadata and then fails with ``ProducerMetadataTimeoutError`` (raised by
  AsyncProducer's ``await send``, through the future and the callback for Producer, as Java's
  send), and close() returns.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import time
import uuid
from collections import deque
from typing import Any

import pytest
from kafka_cluster import KafkaCluster
from kafkaproto.cluster import ClusterClient
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import (
    DeliveryTimeoutError,
    ProducerMetadataTimeoutError,
    ProducerTimeoutError,
)
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.sync_producer import Producer
from proofs import Placement, assert_same_placement, check_log, fetcher_rows, kcat_rows, value_for
from topics import create_topic, wait_fully_replicated

COUNT = 200_000
PARTITIONS = 3
KILL_AT = 50_000
RESTART_AT = 120_000
WINDOW = 20_000


@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_leader_killed_mid_run_loses_and_duplicates_nothing(
    kafka_cluster: KafkaCluster, cluster: str
) -> None:
    topic = f"failover-produce-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(cluster, topic, PARTITIONS, replication_factor=3))
    produced = Placement(COUNT)
    events: list[str] = []

    async def leader_of_partition_0() -> int:
        async with ClusterClient(cluster) as client:
            return (await client.leader_for(topic, 0, timeout=30)).node_id

    async def produce() -> None:
        victim = await leader_of_partition_0()
        started = time.monotonic()
        window: deque[tuple[int, Any]] = deque()
        restart: asyncio.Task[None] | None = None
        async with AsyncProducer(
            bootstrap_servers=cluster, acks="all", enable_idempotence=True, linger_ms=5
        ) as producer:
            for i in range(COUNT):
                if i == KILL_AT:
                    await asyncio.to_thread(kafka_cluster.stop_node, victim, hard=True)
                    events.append(f"killed node {victim} at {time.monotonic() - started:.1f} s")
                if i == RESTART_AT:
                    restart = asyncio.create_task(
                        asyncio.to_thread(kafka_cluster.start_node, victim)
                    )
                window.append((i, await producer.send(ProducerRecord(topic, value_for(i)))))
                if len(window) >= WINDOW:
                    j, f = window.popleft()
                    meta = await asyncio.wait_for(f, 180)
                    produced.put(j, meta.partition, meta.offset)
            await asyncio.wait_for(producer.flush(), 180)
            while window:
                j, f = window.popleft()
                meta = await asyncio.wait_for(f, 1)  # flushed: every future is done
                produced.put(j, meta.partition, meta.offset)
            events.append(f"all {COUNT} acknowledged at {time.monotonic() - started:.1f} s")
        if restart is not None:
            await asyncio.wait_for(restart, 180)
            events.append(f"node {victim} back at {time.monotonic() - started:.1f} s")

    try:
        asyncio.run(asyncio.wait_for(produce(), 480))
    finally:
        for node_id in (1, 2, 3):
            if not kafka_cluster.node_up(node_id):
                kafka_cluster.start_node(node_id)
        asyncio.run(wait_fully_replicated(cluster, 3))
    print("\n" + "; ".join(events))
    assert min(produced.partition) >= 0  # every future resolved with metadata
    assert set(produced.partition) == set(range(PARTITIONS))
    assert_same_placement(produced, check_log(COUNT, asyncio.run(fetcher_rows(cluster, topic, 3))))
    assert_same_placement(produced, check_log(COUNT, kcat_rows(cluster, topic)))


@pytest.mark.cluster
@pytest.mark.timeout(300)
def test_whole_cluster_down_pending_futures_time_out(
    kafka_cluster: KafkaCluster, cluster: str
) -> None:
    topic = f"down-produce-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(cluster, topic, PARTITIONS, replication_factor=3))
    timings: dict[str, float] = {}

    async def main() -> list[BaseException | RecordMetadata]:
        producer: AsyncProducer[Any, Any] = AsyncProducer(
            bootstrap_servers=cluster, **DEAD_SETTINGS
        )
        await asyncio.wait_for(await producer.send(ProducerRecord(topic, b"before")), 30)
        for node_id in (1, 2, 3):
            await asyncio.to_thread(kafka_cluster.stop_node, node_id, hard=True)
        started = time.monotonic()
        futures = [await producer.send(ProducerRecord(topic, b"v%d" % i)) for i in range(300)]
        results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 30)
        timings["failed"] = time.monotonic() - started
        t = time.monotonic()
        await asyncio.wait_for(producer.close(), 10)
        timings["close"] = time.monotonic() - t
        return results

    try:
        results = asyncio.run(main())
    finally:
        kafka_cluster.start()
        asyncio.run(wait_fully_replicated(cluster, 3))
    print(f"\nall failed after {timings['failed']:.2f} s, close() took {timings['close']:.2f} s")
    assert all(isinstance(r, DeliveryTimeoutError) for r in results), results[:3]
    # delivery.timeout.ms counts from each batch's creation: 3 s, plus one request timeout of
    # slack for the sender to notice.
    assert timings["failed"] < 3.0 + 1.0 + 0.5
    assert timings["close"] < 2.0


def _dead_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then closed; nothing else takes it soon)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


DEAD_SETTINGS: dict[str, object] = {
    "delivery.timeout.ms": 3000,
    "request.timeout.ms": 1000,
    "linger.ms": 0,
    "max.block.ms": 2000,
}


@pytest.mark.timeout(60)
def test_nothing_listening_async_futures_time_out_and_close_returns() -> None:
    bootstrap = f"127.0.0.1:{_dead_port()}"

    async def main() -> list[BaseException]:
        producer: AsyncProducer[Any, Any] = AsyncProducer(
            bootstrap_servers=bootstrap, **DEAD_SETTINGS
        )
        started = time.monotonic()
        # 100 tasks sending at once: each waits for the metadata that never comes.
        sends = [producer.send(ProducerRecord("t", b"v%d" % i)) for i in range(100)]
        results = await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), 10)
        elapsed = time.monotonic() - started
        assert 2.0 <= elapsed < 2.0 + 1.0, elapsed  # max.block.ms (plus slack)
        t = time.monotonic()
        await asyncio.wait_for(producer.close(), 10)
        assert time.monotonic() - t < 5 and producer.closed
        return [r for r in results if isinstance(r, BaseException)]

    errors = asyncio.run(main())
    assert len(errors) == 100
    assert all(
        isinstance(e, ProducerMetadataTimeoutError) and isinstance(e, TimeoutError) for e in errors
    )


@pytest.mark.timeout(60)
def test_nothing_listening_sync_futures_time_out_and_close_returns() -> None:
    bootstrap = f"127.0.0.1:{_dead_port()}"
    started = time.monotonic()
    producer: Producer[Any, Any] = Producer(
        bootstrap_servers=bootstrap, **{**DEAD_SETTINGS, "max.block.ms": 500}
    )
    failed: list[BaseException | None] = []

    def two_sends() -> list[BaseException | None]:
        # Each send blocks its thread max.block.ms for the metadata, then fails its future.
        futures = [
            producer.send(ProducerRecord("t", b"v%d" % i), callback=lambda m, e: failed.append(e))
            for i in range(2)
        ]
        return [f.exception(timeout=0) for f in futures]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        errors = [e for es in pool.map(lambda _: two_sends(), range(4)) for e in es]
    assert 1.0 <= time.monotonic() - started < 1.0 + 1.5
    t = time.monotonic()
    producer.close(10)
    assert time.monotonic() - t < 5
    assert len(errors) == 8
    assert all(isinstance(e, ProducerMetadataTimeoutError) for e in errors), errors[:3]
    assert len(failed) == 8 and all(isinstance(e, ProducerTimeoutError) for e in failed)
