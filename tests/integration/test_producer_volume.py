"""Volume proof: N small records (20-99 bytes, default 300,000; 1,000,000 with
KAFKAPROTO_PROOF_RECORDS=1000000) through ``Producer`` and through ``AsyncProducer`` into a
3-partition topic on the real broker, read back by our fetcher and by ``kcat -C -e``: every
record exactly once, in send order per partition, at the offset its future reported.

Each phase's time is printed (``pytest -s``) so the numbers in the report can be checked."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import deque
from typing import Any

import pytest
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.sync_producer import Producer
from proofs import (
    Placement,
    assert_same_placement,
    check_log,
    fetcher_rows,
    index_of,
    kcat_rows,
    value_for,
)
from topics import create_topic

pytestmark = [pytest.mark.broker, pytest.mark.timeout(900)]

COUNT = int(os.environ.get("KAFKAPROTO_PROOF_RECORDS", "1000000"))
PARTITIONS = 3
WINDOW = 20_000  # AsyncProducer: records in flight before the loop awaits the oldest


def _verify(broker: str, topic: str, produced: Placement) -> None:
    t = time.monotonic()
    read = check_log(COUNT, asyncio.run(fetcher_rows(broker, topic, PARTITIONS)))
    assert_same_placement(produced, read)
    print(f"  read back by our fetcher and checked: {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    assert_same_placement(produced, check_log(COUNT, kcat_rows(broker, topic)))
    print(f"  read back by kcat -C -e and checked: {time.monotonic() - t:.1f} s")


def test_sync_producer_volume(broker: str) -> None:
    topic = f"volume-sync-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, PARTITIONS))
    produced = Placement(COUNT)
    errors: list[BaseException] = []

    def done(meta: RecordMetadata | None, exc: BaseException | None) -> None:
        # On the producer's loop thread, one at a time.
        if exc is not None:
            errors.append(exc)
            return
        assert meta is not None
        produced.put(
            index_of(value_for_meta[meta.partition].popleft()), meta.partition, meta.offset
        )

    # Callbacks of one partition come in send order (Java's guarantee, kept here): the values
    # sent to each partition are matched to their metadata through a per-partition queue, so
    # no per-record closure is needed. The partition is chosen here, round-robin by index.
    value_for_meta: dict[int, deque[bytes]] = {p: deque() for p in range(PARTITIONS)}
    t = time.monotonic()
    with Producer(bootstrap_servers=broker, linger_ms=5) as producer:
        for i in range(COUNT):
            p = i % PARTITIONS
            value = value_for(i)
            value_for_meta[p].append(value)
            producer.send(ProducerRecord(topic, value, partition=p), callback=done)
        producer.flush(300)
    elapsed = time.monotonic() - t
    print(f"\nProducer: {COUNT} records in {elapsed:.1f} s ({COUNT / elapsed:,.0f}/s)")
    assert errors == []
    assert all(not q for q in value_for_meta.values()), "callbacks missing"
    _verify(broker, topic, produced)


def test_async_producer_volume(broker: str) -> None:
    topic = f"volume-async-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, PARTITIONS))
    produced = Placement(COUNT)

    async def produce() -> None:
        window: deque[tuple[int, Any]] = deque()
        async with AsyncProducer(bootstrap_servers=broker, linger_ms=5) as producer:
            for i in range(COUNT):
                window.append((i, await producer.send(ProducerRecord(topic, value_for(i)))))
                if len(window) >= WINDOW:
                    j, f = window.popleft()
                    meta = await asyncio.wait_for(f, 120)
                    produced.put(j, meta.partition, meta.offset)
            await asyncio.wait_for(producer.flush(), 300)
            while window:
                j, f = window.popleft()
                meta = await f
                produced.put(j, meta.partition, meta.offset)

    t = time.monotonic()
    asyncio.run(produce())
    elapsed = time.monotonic() - t
    print(f"\nAsyncProducer: {COUNT} records in {elapsed:.1f} s ({COUNT / elapsed:,.0f}/s)")
    assert min(produced.partition) >= 0  # every future resolved with metadata
    _verify(broker, topic, produced)
