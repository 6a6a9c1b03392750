"""Exactly-once consume-transform-produce on the three-node cluster (RF=3) while a broker dies
(issue 13's last proof): a group member reads 100,000 records, and for each poll a transactional
producer writes one output per input record and commits the consumer's offsets in the same
transaction (``send_offsets_to_transaction`` with the consumer's ``group_metadata()``, KIP-447).
The transaction coordinator is killed (SIGKILL) a third of the way through and started again
later. A transaction that cannot commit is aborted and the consumer goes back to the group's
committed offsets, as Java's EOS loop does. Read with kcat at read_committed, every output is
there exactly once.

Marked `cluster`.
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from kafka_cluster import KafkaCluster
from kafkaproto.consumer.async_consumer import AsyncConsumer
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import TransactionAbortRequiredError, TransactionTimeoutError
from kafkaproto.producer.record import ProducerRecord
from topics import create_topic, wait_fully_replicated
from txn_checks import kcat_values

COUNT = 100_000
PARTITIONS = 3


def _write_inputs(cluster: str, topic: str, tmp: Path) -> None:
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat is not on PATH: run `make kcat`"
    lines = tmp / "inputs.txt"
    lines.write_bytes(b"".join(b"%d\n" % i for i in range(COUNT)))
    subprocess.run(
        [kcat, "-P", "-b", cluster, "-t", topic, "-X", "linger.ms=20", "-l", str(lines)],
        check=True,
        timeout=300,
    )


@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_consume_transform_produce_exactly_once_while_the_coordinator_dies(
    kafka_cluster: KafkaCluster, cluster: str, tmp_path: Path
) -> None:
    inputs = f"eos-in-{uuid.uuid4().hex[:8]}"
    outputs = f"eos-out-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(cluster, inputs, PARTITIONS, replication_factor=3))
    asyncio.run(create_topic(cluster, outputs, PARTITIONS, replication_factor=3))
    _write_inputs(cluster, inputs, tmp_path)
    group = f"eos-{uuid.uuid4().hex[:8]}"
    events: list[str] = []
    stats = collections.Counter[str]()

    async def run() -> None:
        started = time.monotonic()
        restart: asyncio.Task[None] | None = None
        killed = False
        committed: dict[TopicPartition, int] = {}
        async with (
            AsyncConsumer(
                bootstrap_servers=cluster,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                default_api_timeout_ms=30_000,
            ) as consumer,
            AsyncProducer(
                bootstrap_servers=cluster,
                transactional_id=f"eos-{uuid.uuid4().hex[:8]}",
                linger_ms=5,
                max_block_ms=20_000,
                retry_backoff_ms=20,
            ) as producer,
        ):
            await producer.init_transactions()
            txn = producer.engine.transactions
            assert txn is not None
            consumer.subscribe([inputs])
            while sum(committed.values()) < COUNT:
                assert time.monotonic() - started < 420, (committed, events)
                done = sum(committed.values())
                if done >= COUNT // 3 and not killed:
                    victim = txn.transaction_coordinator
                    assert victim is not None
                    await asyncio.to_thread(kafka_cluster.stop_node, victim, hard=True)
                    killed = True
                    events.append(f"killed transaction coordinator {victim} at {done} records")
                if done >= 2 * COUNT // 3 and killed and restart is None:
                    restart = asyncio.create_task(
                        asyncio.to_thread(kafka_cluster.start_node, victim)
                    )
                records = await consumer.poll(1.0)
                if not records:
                    continue
                producer.begin_transaction()
                for r in records:
                    await producer.send(ProducerRecord(outputs, b"out-%s" % r.value, key=r.value))
                offsets = dict(records.next_offsets)
                if await _commit(producer, offsets, consumer, stats):
                    committed.update({tp: om.offset for tp, om in offsets.items()})
                    stats["transactions"] += 1
                else:
                    # Java's EOS loop: back to what the group committed, then on.
                    await _rewind(consumer)
            events.append(
                f"{stats['transactions']} transactions committed, {stats['aborted']} aborted, "
                f"in {time.monotonic() - started:.1f} s (transaction version "
                f"{producer.transaction_version})"
            )
        if restart is not None:
            await asyncio.wait_for(restart, 180)

    try:
        asyncio.run(asyncio.wait_for(run(), 480))
    finally:
        for node_id in (1, 2, 3):
            if not kafka_cluster.node_up(node_id):
                kafka_cluster.start_node(node_id)
        asyncio.run(wait_fully_replicated(cluster, 3))
    print("\n" + "; ".join(events))
    seen = collections.Counter(kcat_values(cluster, outputs, "read_committed", timeout=180))
    assert len(seen) == COUNT, f"{COUNT - len(seen)} outputs missing"
    twice = [v for v, n in seen.items() if n > 1]
    assert not twice, f"{len(twice)} outputs there more than once, e.g. {twice[:3]}"
    assert set(seen) == {f"out-{i}" for i in range(COUNT)}


async def _commit(
    producer: AsyncProducer[bytes, bytes],
    offsets: dict[TopicPartition, OffsetAndMetadata],
    consumer: AsyncConsumer[bytes, bytes],
    stats: collections.Counter[str],
) -> bool:
    """Offsets into the transaction and commit it; on an abortable error, abort (True when
    committed)."""
    try:
        await producer.send_offsets_to_transaction(offsets, consumer.group_metadata())
        while True:
            try:
                await producer.commit_transaction()
                return True
            except TransactionTimeoutError:
                continue  # Java's rule: call commit again, it waits for the same EndTxn
    except TransactionAbortRequiredError:
        stats["aborted"] += 1
    except TransactionTimeoutError:
        stats["aborted"] += 1  # the offsets could not join the transaction in time
    while True:
        try:
            await producer.abort_transaction()
            return False
        except TransactionTimeoutError:
            continue


async def _rewind(consumer: AsyncConsumer[bytes, bytes]) -> None:
    assigned = consumer.assignment()
    committed = await consumer.committed(assigned)
    for tp in assigned:
        om = committed.get(tp)
        if om is None:
            consumer.seek_to_beginning([tp])
        else:
            consumer.seek(tp, om.offset)
