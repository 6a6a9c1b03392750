"""The accumulator's fast lane (keyless records appended straight into the sticky partition's
open batch) must give exactly what the full append path gives: same partitions, same batches,
same bytes, same partitioner decisions. Every await is bounded."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from kafkaproto import partitioner as partitioner_module
from kafkaproto.producer import async_producer as async_producer_module
from kafkaproto.producer._internals.accumulator import estimate_record_size
from kafkaproto.producer._internals.engine import Blocked
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import ProducerClosedError
from kafkaproto.producer.futures import RecordFuture
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.records.reader import read_batches
from producer_fakes import FakeCluster, count_lane_appends

T = 10.0
TS = 1_700_000_000_000


def seeded_partitioners(monkeypatch: pytest.MonkeyPatch, seed: int) -> Callable[[], None]:
    """The sticky partitioner's random draws (``random.getrandbits``, through the module, as the
    compiled build calls it too) come from a sequence seeded by ``seed``; the returned function
    starts the sequence again, so two runs over one topic draw the same partitions."""
    rng = random.Random()

    def restart() -> None:
        rng.seed(f"{seed}-t")

    restart()
    monkeypatch.setattr(partitioner_module.random, "getrandbits", rng.getrandbits)
    return restart


def workload(seed: int, n: int) -> list[tuple[bytes, int]]:
    """Values of mixed sizes (so batch and switch limits fall anywhere) and timestamps that
    mostly rise but sometimes step back (negative deltas) or jump (long varints)."""
    rng = random.Random(seed)
    out = []
    ts = TS
    for i in range(n):
        size = rng.choice((0, 1, 100, 100, 100, 700, 3000, 9000))
        ts += rng.choice((0, 0, 1, 5, -3, 100_000))
        out.append((bytes([i % 251]) * size, ts))
    return out


async def produce_all(
    records: list[tuple[bytes, int]],
    send: Callable[[AsyncProducer[Any, Any], bytes, int], Any],
    cluster: FakeCluster,
) -> None:
    # linger.ms far away: batches leave only when full or at the flushes, at the same points in
    # both runs, so the two runs see the same drains.
    settings = {"bootstrap.servers": "fake:9092", "linger.ms": 60_000, "batch.size": 16384}
    async with AsyncProducer(settings, transport=cluster) as p:
        futures = []
        for i, (value, ts) in enumerate(records):
            futures.append(await send(p, value, ts))
            if i % 97 == 96:
                await p.flush()
        await p.flush()
        for f in futures:
            assert f.done() and f.exception() is None


def batches_by_partition(cluster: FakeCluster) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {}
    for _, request in cluster.requests:
        if request.api_key != 0:
            continue
        for td in request.topic_data:
            for pd in td.partition_data:
                data = bytes(pd.records)
                [batch] = read_batches(data).batches  # a well-formed batch, CRC checked
                assert batch.records_count == len(batch.records) >= 1
                # Whole: both fake clusters hand out the same producer id.
                out.setdefault(pd.index, []).append(data)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_lane_gives_the_same_batches_as_the_full_path(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    restart_draws = seeded_partitioners(monkeypatch, seed)
    # No turn of the loop between flushes but the ones both paths take: a sender turn drains
    # open batches too, so send's periodic yield would move batch boundaries.
    monkeypatch.setattr(async_producer_module, "_YIELD_INTERVAL", float("inf"))
    records = workload(seed, 3000)
    lane_appends = count_lane_appends(monkeypatch)

    async def via_send(p: AsyncProducer[Any, Any], value: bytes, ts: int) -> Any:
        return await p.send(ProducerRecord("t", value, timestamp=ts))

    async def via_full_path(p: AsyncProducer[Any, Any], value: bytes, ts: int) -> Any:
        # The full path, below the lane: what send does when no lane applies.
        size = estimate_record_size(None, value, None)
        place = p.engine.append("t", None, value, None, ts, None, size)
        while isinstance(place, Blocked):  # the topic's metadata, the first time
            await p.engine.wait_async(place, "t", time.monotonic() + T)
            place = p.engine.append("t", None, value, None, ts, None, size)
        batch, index, timestamp = place
        return RecordFuture(asyncio.get_running_loop(), batch, index, timestamp, -1, len(value))

    fast, full = FakeCluster({"t": 5}), FakeCluster({"t": 5})
    asyncio.run(asyncio.wait_for(produce_all(records, via_send, fast), T))
    through_lane = lane_appends()
    restart_draws()
    asyncio.run(asyncio.wait_for(produce_all(records, via_full_path, full), T))

    assert lane_appends() == through_lane  # the full path never takes the lane
    assert through_lane > len(records) // 2  # and send mostly does
    assert batches_by_partition(fast) == batches_by_partition(full)
    # Every record arrived exactly once.
    for cluster in (fast, full):
        delivered = sorted(r.value for log in cluster.log.values() for r in log)
        assert delivered == sorted(v for v, _ in records)


def test_send_after_close_began_fails_even_with_an_open_lane() -> None:
    cluster = FakeCluster({"t": 3})

    async def main() -> None:
        settings = {"bootstrap.servers": "fake:9092", "linger.ms": 60_000}
        p: AsyncProducer[Any, Any] = AsyncProducer(settings, transport=cluster)
        await p.send(ProducerRecord("t", b"first"))
        await p.flush()
        await p.send(ProducerRecord("t", b"opens a lane"))
        assert p.engine.accumulator.lanes  # the precondition this test is about
        closing = asyncio.ensure_future(p.close())
        await asyncio.sleep(0)
        with pytest.raises(ProducerClosedError):
            await p.send(ProducerRecord("t", b"late"))
        await closing
        delivered = sorted(v for p in range(3) for v in cluster.records("t", p) if v)
        assert delivered == [b"first", b"opens a lane"]

    asyncio.run(asyncio.wait_for(main(), T))


def test_lane_is_not_used_for_keys_partitions_or_headers() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> None:
        settings = {"bootstrap.servers": "fake:9092", "linger.ms": 60_000}
        async with AsyncProducer(settings, transport=cluster) as p:
            await p.send(ProducerRecord("t", b"first"))
            await p.flush()
            await p.send(ProducerRecord("t", b"open"))
            lanes = p.engine.accumulator.lanes
            lane = lanes["t"]
            await p.send(ProducerRecord("t", b"keyed", key=b"k"))  # full path: retires the lane
            assert "t" not in lanes or lanes["t"] is not lane
            await p.send(ProducerRecord("t", b"h", headers=[("a", b"b")]))
            await p.send(ProducerRecord("t", b"p", partition=0))
            await p.send(ProducerRecord("t", b"again"))
            await p.flush()
        [(_, log)] = cluster.log.items()
        assert [(r.key, r.value, tuple(r.headers)) for r in log] == [
            (None, b"first", ()),
            (None, b"open", ()),
            (b"k", b"keyed", ()),
            (None, b"h", (("a", b"b"),)),
            (None, b"p", ()),
            (None, b"again", ()),
        ]

    asyncio.run(asyncio.wait_for(main(), T))
