"""Per-record overhead of the producer engine: appends/s at each layer, in one process.

Layers, each on 200,000 records with a 16-byte key and a 100-byte value, uncompressed:
  builder      BatchBuilder.append alone (the floor: bytes into a batch)
  accumulator  RecordAccumulator.append (sans-I/O: queue look-up, batch.size, memory)
  send_nowait  AsyncProducer.send_nowait (+ partitioning, RecordFuture), futures not awaited
  end-to-end   await AsyncProducer.send of bytes + flush, against an in-memory transport that
               decodes nothing and acks at once (everything but the network), futures not
               awaited
  awaited      the same with every future awaited through asyncio.gather (one callback each)
  sync         Producer.send from one thread + flush (concurrent future per record)
  ... keyless  end-to-end and sync again with no key: the sticky partitioner's fast lane

A measuring script: it must never be imported by the library or the tests.
Run: .venv/bin/python bench/producer_engine.py [--records N] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable, Collection
from typing import Any

from kafkaproto.messages import produce
from kafkaproto.messages.init_producer_id import InitProducerIdResponse
from kafkaproto.producer._internals.accumulator import RecordAccumulator
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.metadata import ClusterSnapshot, PartitionInfo, TopicInfo
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.sync_producer import Producer
from kafkaproto.records.batch_builder import BatchBuilder

TS = 1_700_000_000_000
VALUE = b"v" * 100
KEYS = [b"key-%012d" % i for i in range(1000)]
PARTITIONS = 6


class InstantTransport:
    """Acks every batch at once with offset 0; no decoding of the records."""

    def __init__(self) -> None:
        self.topic_id = uuid.uuid4()
        self.pid = 1

    async def api_version(self, api_key: int) -> int | None:
        return {0: 13, 22: 4}.get(api_key)

    async def metadata_for(self, topics: Collection[str]) -> ClusterSnapshot:
        parts = tuple(PartitionInfo(p, leader=1) for p in range(PARTITIONS))
        return ClusterSnapshot.of([TopicInfo(t, parts, self.topic_id) for t in topics])

    async def send(
        self, node_id: int | None, request: Any, version: int, *, expect_response: bool = True
    ) -> Any:
        if request.api_key == 22:
            return InitProducerIdResponse(producer_id=1, producer_epoch=0)
        out = []
        for td in request.topic_data:
            parts = tuple(
                produce.ProduceResponsePartitionProduceResponse(index=p.index, base_offset=0)
                for p in td.partition_data
            )
            out.append(
                produce.ProduceResponseTopicProduceResponse(
                    topic_id=td.topic_id, partition_responses=parts
                )
            )
        return produce.ProduceResponse(responses=tuple(out))


def bench_builder(n: int) -> float:
    t0 = time.perf_counter()
    b = BatchBuilder(batch_size=16384)
    for i in range(n):
        if b.append(KEYS[i % 1000], VALUE, TS) < 0:
            b = BatchBuilder(batch_size=16384)
            b.append(KEYS[i % 1000], VALUE, TS)
    return time.perf_counter() - t0


def bench_accumulator(n: int) -> float:
    acc = RecordAccumulator(buffer_memory=1 << 40)
    t0 = time.perf_counter()
    for i in range(n):
        acc.append("t", i % PARTITIONS, TS, KEYS[i % 1000], VALUE, None, 0)
    return time.perf_counter() - t0


def settings() -> dict[str, object]:
    return {"bootstrap.servers": "bench:9092", "buffer.memory": 1 << 30, "linger.ms": 5}


async def _send_only(n: int) -> float:
    p: AsyncProducer[Any, Any] = AsyncProducer(settings(), transport=InstantTransport())
    await p.send(ProducerRecord("t", VALUE, key=KEYS[0]))
    await p.flush()  # metadata and producer id in place
    send = p.send_nowait
    t0 = time.perf_counter()
    for i in range(n):
        send(ProducerRecord("t", VALUE, key=KEYS[i % 1000], timestamp=TS))
    elapsed = time.perf_counter() - t0
    await p.close()
    return elapsed


async def _end_to_end(n: int, awaited: bool, keyed: bool = True) -> float:
    p: AsyncProducer[Any, Any] = AsyncProducer(settings(), transport=InstantTransport())
    await p.send(ProducerRecord("t", VALUE, key=KEYS[0]))
    await p.flush()
    t0 = time.perf_counter()
    futures = []
    for i in range(n):
        key = KEYS[i % 1000] if keyed else None
        f = await p.send(ProducerRecord("t", VALUE, key=key, timestamp=TS))
        if awaited:
            futures.append(f)
    await p.flush()
    if awaited:
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - t0
    await p.close()
    return elapsed


def bench_sync(n: int, keyed: bool = True) -> float:
    with Producer(settings(), transport=InstantTransport()) as p:
        p.send(ProducerRecord("t", VALUE, key=KEYS[0])).result(10)
        t0 = time.perf_counter()
        for i in range(n):
            p.send(ProducerRecord("t", VALUE, key=KEYS[i % 1000] if keyed else None, timestamp=TS))
        p.flush()
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    n = args.records
    cases: list[tuple[str, Callable[[], float]]] = [
        ("builder", lambda: bench_builder(n)),
        ("accumulator", lambda: bench_accumulator(n)),
        ("send_nowait", lambda: asyncio.run(_send_only(n))),
        ("end-to-end", lambda: asyncio.run(_end_to_end(n, False))),
        ("awaited", lambda: asyncio.run(_end_to_end(n, True))),
        ("sync", lambda: bench_sync(n)),
        ("e2e keyless", lambda: asyncio.run(_end_to_end(n, False, keyed=False))),
        ("sync keyless", lambda: bench_sync(n, keyed=False)),
    ]
    print(f"{n} records, 16-byte keys, 100-byte values, median of {args.runs} runs")
    print(f"{'layer':<14} {'us/record':>10} {'records/s':>12}")
    for name, fn in cases:
        times = [fn() for _ in range(args.runs)]
        med = statistics.median(times)
        print(f"{name:<14} {med / n * 1e6:>10.2f} {n / med:>12,.0f}")


if __name__ == "__main__":
    main()
