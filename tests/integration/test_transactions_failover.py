"""Transactions on the three-node cluster (RF=3, min.insync.replicas=2) while a broker dies: the
transaction coordinator of the producer's transactional.id is killed (SIGKILL) a third of the
way through a run of 1,000 transactions of 10 records each and started again later. Every
transaction must be whole or absent when read with kcat at read_committed: all 10 records of
each transaction whose commit returned, none of the others, none twice.

Marked `cluster`.
"""

from __future__ import annotations

import asyncio
import collections
import time
import uuid

import pytest
from kafka_cluster import KafkaCluster
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import TransactionAbortRequiredError, TransactionTimeoutError
from kafkaproto.producer.record import ProducerRecord
from topics import create_topic, wait_fully_replicated
from txn_checks import kcat_values

TRANSACTIONS = 1_000
PER_TXN = 10
PARTITIONS = 3
KILL_AT = 300
RESTART_AT = 700


@pytest.mark.cluster
@pytest.mark.timeout(600)
def test_coordinator_killed_during_1000_transactions_each_whole_or_absent(
    kafka_cluster: KafkaCluster, cluster: str
) -> None:
    topic = f"txn-failover-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(cluster, topic, PARTITIONS, replication_factor=3))
    committed: set[int] = set()
    aborted: set[int] = set()
    events: list[str] = []

    async def commit_or_abort(producer: AsyncProducer[bytes, bytes], n: int) -> None:
        while True:
            try:
                await producer.commit_transaction()
                committed.add(n)
                return
            except TransactionTimeoutError:
                continue  # Java's rule: call commit again, it waits for the same EndTxn
            except TransactionAbortRequiredError as exc:
                events.append(f"transaction {n} aborted: {exc.__cause__!r}")
                break
        while True:
            try:
                await producer.abort_transaction()
                aborted.add(n)
                return
            except TransactionTimeoutError:
                continue

    async def run() -> None:
        started = time.monotonic()
        restart: asyncio.Task[None] | None = None
        async with AsyncProducer(
            bootstrap_servers=cluster,
            transactional_id=f"failover-{uuid.uuid4().hex[:8]}",
            linger_ms=5,
            max_block_ms=20_000,
            # Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the previous one's
            # markers are written: retry sooner than the default 100 ms to keep the run short.
            retry_backoff_ms=20,
        ) as producer:
            await producer.init_transactions()
            txn = producer.engine.transactions
            assert txn is not None
            victim = txn.transaction_coordinator
            assert victim is not None
            for n in range(TRANSACTIONS):
                if n == KILL_AT:
                    await asyncio.to_thread(kafka_cluster.stop_node, victim, hard=True)
                    events.append(
                        f"killed coordinator node {victim} at {time.monotonic() - started:.1f} s"
                    )
                if n == RESTART_AT:
                    restart = asyncio.create_task(
                        asyncio.to_thread(kafka_cluster.start_node, victim)
                    )
                producer.begin_transaction()
                for i in range(PER_TXN):
                    await producer.send(ProducerRecord(topic, b"%d-%d" % (n, i), key=b"%d" % i))
                await commit_or_abort(producer, n)
            events.append(
                f"{len(committed)} committed, {len(aborted)} aborted at "
                f"{time.monotonic() - started:.1f} s (transaction version "
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
    assert len(committed) + len(aborted) == TRANSACTIONS
    seen = collections.Counter(kcat_values(cluster, topic, "read_committed", timeout=120))
    per_txn = collections.Counter(int(v.split("-")[0]) for v in seen)
    assert all(count == 1 for count in seen.values()), "a record is there twice"
    assert {n for n, c in per_txn.items() if c == PER_TXN} == committed
    assert set(per_txn) == committed, "a transaction is there in part, or an aborted one"
