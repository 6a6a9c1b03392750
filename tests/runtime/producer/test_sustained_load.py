"""Sustained load through both faces, with an in-memory cluster slower than the caller: three
times ``buffer.memory`` sent in a plain loop with the default settings. Nothing may fail, order
per partition holds, ``buffer.memory`` is never exceeded, and the rate does not decay (the last
tenth of the records is acknowledged no slower than 1/1.5 of the first tenth's rate).

The real broker's version of this proof, with the process's RSS measured, is
tests/integration/test_producer_sustained.py."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from kafkaproto.messages.produce import ProduceResponsePartitionProduceResponse
from kafkaproto.producer._internals.engine import ProducerEngine
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.sync_producer import Producer
from kafkaproto.records.reader import read_batches
from producer_fakes import FakeCluster

BUFFER = ProducerConfig.of({"bootstrap.servers": "fake:9092"}, {}).buffer_memory  # 32 MiB
VALUE_SIZE = 500
# Records whose batches (16 KiB each, 32 records of ~508 bytes) add up to 3x buffer.memory.
COUNT = 3 * (BUFFER // 16384) * ((16384 - 61) // (VALUE_SIZE + 8))
PARTITIONS = 3
LATENCY = 0.005  # per Produce request: with 5 in flight, ~90,000 records/s, below the caller


def value(i: int) -> bytes:
    return b"%09d|" % i + b"x" * (VALUE_SIZE - 10)


class SinkCluster(FakeCluster):
    """A FakeCluster that keeps only each record's index (not its bytes), per partition."""

    def __init__(self) -> None:
        super().__init__({"t": PARTITIONS}, latency=LATENCY)
        self.indexes: dict[int, list[int]] = {p: [] for p in range(PARTITIONS)}

    def _append(self, topic: str, partition: int, data: bytes, node_id: int | None) -> Any:
        [batch] = read_batches(data).batches
        mine = self.indexes[partition]
        base = len(mine)
        mine.extend(int(bytes(r.value[:9])) for r in batch.records)  # type: ignore[index]
        return ProduceResponsePartitionProduceResponse(
            index=partition, error_code=0, base_offset=base, log_start_offset=0
        )


class Watch:
    """Ack times of the records that close each tenth, and the peak of buffer.memory in use."""

    def __init__(self, engine: ProducerEngine) -> None:
        self.engine = engine
        self.acked: dict[int, float] = {}
        self.peak_used = 0
        self.marks = {0} | {k * COUNT // 10 - 1 for k in range(1, 11)}

    def sample(self) -> None:
        self.peak_used = max(self.peak_used, self.engine.accumulator.pool.used)

    def rates(self) -> list[float]:
        bounds = sorted(self.marks)
        assert set(self.acked) == set(bounds), "every marked record was acknowledged"
        return [(b - a) / (self.acked[b] - self.acked[a]) for a, b in itertools.pairwise(bounds)]


def check(cluster: SinkCluster, watch: Watch) -> None:
    got = [i for p in range(PARTITIONS) for i in cluster.indexes[p]]
    assert sorted(got) == list(range(COUNT)), "every record exactly once"
    for p in range(PARTITIONS):
        assert cluster.indexes[p] == sorted(cluster.indexes[p]), f"order in partition {p}"
    assert 0 < watch.peak_used <= BUFFER
    # No decay: the last tenth is acknowledged at least at 1/1.5 of the first tenth's rate. (It
    # is usually faster: once the sends end, the full buffer drains with nothing else to do,
    # while during the first tenth the caller's appends share the loop with the acks.)
    rates = watch.rates()
    assert rates[-1] * 1.5 >= rates[0], rates


def test_async_producer_plain_await_loop_over_three_buffers() -> None:
    assert COUNT * VALUE_SIZE > 3 * BUFFER * 0.9
    cluster = SinkCluster()

    async def main() -> Watch:
        async with AsyncProducer({"bootstrap.servers": "fake:9092"}, transport=cluster) as p:
            watch = Watch(p.engine)
            loop = asyncio.get_running_loop()
            for i in range(COUNT):
                future = await p.send(ProducerRecord("t", value(i)))
                if i in watch.marks:
                    future.add_done_callback(lambda _, i=i: watch.acked.setdefault(i, loop.time()))
                if i % 1000 == 0:
                    watch.sample()
            await p.flush()
            await asyncio.sleep(0)  # the done-callbacks of the last batch
            return watch

    watch = asyncio.run(asyncio.wait_for(main(), 120))
    check(cluster, watch)


def test_sync_producer_plain_send_loop_over_three_buffers() -> None:
    cluster = SinkCluster()
    failed: list[BaseException] = []
    with Producer({"bootstrap.servers": "fake:9092"}, transport=cluster) as p:
        watch = Watch(p.engine)

        def ack(i: int) -> Any:
            def callback(meta: Any, error: BaseException | None) -> None:
                if error is not None:
                    failed.append(error)
                watch.acked[i] = time.monotonic()

            return callback

        for i in range(COUNT):
            future = p.send(ProducerRecord("t", value(i)), ack(i) if i in watch.marks else None)
            if i % 1000 == 0:
                watch.sample()
        p.flush(timeout=120)
        assert future.result(timeout=1).offset >= 0
    assert failed == []
    check(cluster, watch)
