"""The thread-safe Producer: its own loop thread, concurrent futures, Java-style callbacks."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Collection
from typing import Any

import pytest
from kafkaproto.error_codes import TopicAuthorizationFailedError
from kafkaproto.producer.errors import (
    BufferExhaustedError,
    ProducerClosedError,
    ProducerMetadataTimeoutError,
)
from kafkaproto.producer.metadata import ClusterSnapshot
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.serializers import StringSerializer
from kafkaproto.producer.sync_producer import Producer, SendFuture
from producer_fakes import FakeCluster, count_lane_appends

T = 5.0
SETTINGS: dict[str, Any] = {"bootstrap.servers": "fake:9092", "linger_ms": 1}


def test_send_from_threads_with_callbacks() -> None:
    cluster = FakeCluster({"t": 4})
    seen: list[tuple[RecordMetadata | None, BaseException | None, str]] = []
    lock = threading.Lock()

    def callback(meta: RecordMetadata | None, exc: BaseException | None) -> None:
        with lock:
            seen.append((meta, exc, threading.current_thread().name))

    with Producer(SETTINGS, transport=cluster, value_serializer=StringSerializer()) as p:

        def worker(n: int) -> list[concurrent.futures.Future[RecordMetadata]]:
            return [
                p.send(ProducerRecord("t", f"w{n}-{i}", partition=n), callback) for i in range(50)
            ]

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [f for fs in pool.map(worker, range(4)) for f in fs]
        metas = [f.result(timeout=T) for f in futures]
        p.flush(timeout=T)
    assert len(metas) == 200 and len(seen) == 200
    assert all(exc is None for _, exc, _ in seen)
    assert {name for _, _, name in seen} == {"kafkaproto-producer"}  # the I/O thread, as Java
    for n in range(4):
        assert cluster.records("t", n) == [f"w{n}-{i}".encode() for i in range(50)]
        assert [m.offset for m in metas if m.partition == n] == list(range(50))


def test_errors_reach_future_and_callback() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].append(TopicAuthorizationFailedError.code)
    got: list[BaseException | None] = []
    with Producer(SETTINGS, transport=cluster) as p:
        future = p.send(ProducerRecord("t", b"x"), lambda m, e: got.append(e))
        with pytest.raises(TopicAuthorizationFailedError):
            future.result(timeout=T)
    assert len(got) == 1 and isinstance(got[0], TopicAuthorizationFailedError)


def test_caller_blocks_on_buffer_memory_then_times_out() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.hold = asyncio.Event()
    with Producer(
        SETTINGS, transport=cluster, buffer_memory=2000, batch_size=1600, max_block_ms=100
    ) as p:
        first = p.send(ProducerRecord("t", b"x" * 1500))
        future = p.send(ProducerRecord("t", b"y" * 1500))  # blocks ~100 ms, then fails
        with pytest.raises(BufferExhaustedError):
            future.result(timeout=T)
        p._loop.call_soon_threadsafe(cluster.hold.set)
        assert first.result(timeout=T).offset == 0


def test_close_fails_pending_and_refuses_new_sends() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.hold = asyncio.Event()
    p = Producer(SETTINGS, transport=cluster)
    future = p.send(ProducerRecord("t", b"x"))
    p.close(timeout=0.2)
    with pytest.raises(ProducerClosedError):
        future.result(timeout=T)
    with pytest.raises(ProducerClosedError):
        p.send(ProducerRecord("t", b"y"))
    assert not p._thread.is_alive()


def test_callbacks_in_send_order_per_partition_across_batches_and_memory_returned() -> None:
    # Futures are resolved a batch at a time on the loop thread; order and the buffer.memory
    # budget must be exactly as with one completion per record.
    cluster = FakeCluster({"t": 2})
    order: list[tuple[int, int]] = []
    with Producer(SETTINGS, transport=cluster, batch_size=512, buffer_memory=64_000) as p:
        futures = [
            p.send(
                ProducerRecord("t", b"%04d" % i, partition=i % 2),
                lambda m, e: order.append((m.partition, m.offset)) if m else None,
            )
            for i in range(400)
        ]
        p.flush(timeout=T)
        metas = [f.result(timeout=T) for f in futures]
        assert p.engine.accumulator.pool.used == 0  # every batch's memory is back
    assert len(order) == 400
    for part in (0, 1):
        offsets = [o for pt, o in order if pt == part]
        assert offsets == list(range(200))
        assert cluster.records("t", part) == [b"%04d" % i for i in range(part, 400, 2)]
    assert [m.offset for m in metas[::2]] == list(range(200))


def test_send_futures_wait_done_callbacks_and_as_completed() -> None:
    # SendFuture makes its Condition lazily: futures waited on before, during and after their
    # batch completes, watched by concurrent.futures.wait and add_done_callback, all resolve.
    cluster = FakeCluster({"t": 1})
    cluster.hold = asyncio.Event()
    done_calls: list[int] = []
    with Producer(SETTINGS, transport=cluster) as p:
        futures = [p.send(ProducerRecord("t", b"%d" % i)) for i in range(6)]
        futures.append(futures[0])
        assert all(isinstance(f, SendFuture) for f in futures)
        futures[1].add_done_callback(lambda f: done_calls.append(f.result().offset))
        with pytest.raises(concurrent.futures.TimeoutError):
            futures[2].result(timeout=0.05)
        waiter = threading.Thread(target=lambda: done_calls.append(futures[3].result(T).offset))
        waiter.start()
        assert not futures[0].done()
        p._loop.call_soon_threadsafe(cluster.hold.set)
        finished, _ = concurrent.futures.wait(futures[4:6], timeout=T)
        assert len(finished) == 2
        waiter.join(T)
        p.flush(timeout=T)
        untouched = p.send(ProducerRecord("t", b"6"))  # metadata known now: appended at once
        futures[6] = untouched
        p.flush(timeout=T)
        assert not untouched._has_condition  # settled in the batch's pass without a Condition
        assert [f.result(timeout=T).offset for f in futures] == list(range(7))
        assert untouched._has_condition and untouched.done()
        assert sorted(done_calls) == [1, 3]
        assert len(list(concurrent.futures.as_completed(futures, T))) == 7


def test_a_busy_sending_thread_does_not_starve_the_loop_thread() -> None:
    """The caller sends as fast as it can, appending in its own thread: the loop thread must
    still get turns for its I/O (a loop starved by the appends once made connection set-up time
    out, seen with `python -m kafkaproto produce` of 1,000,000 lines)."""
    cluster = FakeCluster({"t": 1})
    beats: list[float] = []
    with Producer(SETTINGS, transport=cluster) as p:
        loop = p._loop
        stop = threading.Event()

        async def heartbeat() -> None:
            while not stop.is_set():
                beats.append(loop.time())
                await asyncio.sleep(0.005)

        beating = asyncio.run_coroutine_threadsafe(heartbeat(), loop)
        futures = [p.send(ProducerRecord("t", b"v%06d" % i)) for i in range(60_000)]
        sent = time.monotonic()  # the clock of loop.time()
        stop.set()
        beating.result(timeout=T)
        p.flush(timeout=30)
        assert all(f.result(timeout=T).offset == i for i, f in enumerate(futures[:10]))
    # A starved loop gets no turn at all while the caller sends: only the first beat, if any,
    # comes before `sent`. A second one proves it ran meanwhile.
    assert len([b for b in beats if b < sent]) >= 2, beats


class SlowMetadataCluster(FakeCluster):
    """The first metadata answer takes a while, so the first record's sender waits for it."""

    async def metadata_for(self, topics: Collection[str]) -> ClusterSnapshot:
        if self.metadata_calls == 0:
            await asyncio.sleep(0.2)
        return await super().metadata_for(topics)


def test_callback_order_kept_when_the_first_records_wait_for_metadata() -> None:
    cluster = SlowMetadataCluster({"t": 1})
    order: list[int] = []
    # A long linger keeps one batch open across both paths; flush() sends it.
    with Producer(SETTINGS, transport=cluster, linger_ms=5000) as p:
        first = [
            p.send(
                ProducerRecord("t", b"%d" % i), lambda m, e: order.append(m.offset) if m else None
            )
            for i in range(3)
        ]
        time.sleep(0.3)  # metadata has arrived: the next records go straight into the batch
        rest = [
            p.send(
                ProducerRecord("t", b"%d" % i), lambda m, e: order.append(m.offset) if m else None
            )
            for i in range(3, 200)
        ]
        p.flush(timeout=T)
        assert [f.result(timeout=T).offset for f in first + rest] == list(range(200))
    assert order == list(range(200))


def test_keyless_records_take_the_lane_and_resolve_through_split_and_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Keyless records go through the accumulator's fast lane in the caller's thread; their
    # futures and callbacks must come out as on the general path: in order, after a split too.
    lane_appends = count_lane_appends(monkeypatch)
    cluster = FakeCluster({"t": 1})
    order: list[int] = []
    settings = {**SETTINGS, "linger_ms": 50, "batch_size": 100_000}
    with Producer(settings, transport=cluster) as p:
        p.send(ProducerRecord("t", b"first")).result(timeout=T)  # metadata known
        cluster.errors[("t", 0)].append(10)  # MESSAGE_TOO_LARGE once: the next batch is split
        futures = [
            p.send(
                ProducerRecord("t", b"%03d" % i + b"v" * 200),
                lambda m, e: order.append(m.offset if m else -1),
            )
            for i in range(40)
        ]
        p.engine.accumulator.batch_size = 1000  # the split makes batch.size pieces
        metas = [f.result(timeout=T) for f in futures]
        assert p.engine.accumulator.pool.used == 0  # every batch's memory is back
        cluster.errors[("t", 0)].append(TopicAuthorizationFailedError.code)
        failed = [
            p.send(ProducerRecord("t", b"x"), lambda m, e: order.append(-2)) for _ in range(3)
        ]
        for f in failed:
            with pytest.raises(TopicAuthorizationFailedError):
                f.result(timeout=T)
    assert lane_appends() >= 30
    assert [m.offset for m in metas] == list(range(1, 41))
    assert order == [*range(1, 41), -2, -2, -2]
    assert [r.value[:3] for r in cluster.log[("t", 0)][1:]] == [b"%03d" % i for i in range(40)]
    produce = [r for _, r in cluster.requests if r.api_key == 0]
    # first, the refused batch, its ~9 pieces of <= 1000 bytes (a request each), the failing one
    assert len(produce) >= 10, len(produce)


def test_threads_appending_concurrently_keep_each_threads_order_per_partition() -> None:
    # Callers' threads append into the engine's batches themselves (under the accumulator's
    # lock): keyless records through the fast lane, keyed ones through the full append. Every
    # record must arrive once, and each thread's records keep their order within a partition.
    cluster = FakeCluster({"t": 3})
    called: list[str] = []
    settings = {**SETTINGS, "batch_size": 2048}
    with Producer(settings, transport=cluster) as p:

        def worker(n: int) -> list[concurrent.futures.Future[RecordMetadata]]:
            out = []
            for i in range(1500):
                key = None if i % 3 else b"k%d" % (i % 7)
                value = b"%d-%05d" % (n, i) + b"." * (i % 50)
                out.append(
                    p.send(ProducerRecord("t", value, key=key), lambda m, e: called.append("x"))
                )
            return out

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [f for fs in pool.map(worker, range(4)) for f in fs]
        metas = [f.result(timeout=T) for f in futures]
        p.flush(timeout=T)
        assert p.engine.accumulator.pool.used == 0  # every batch's memory is back
    assert len(called) == 6000
    sent = sorted(b"%d-%05d" % (n, i) for n in range(4) for i in range(1500))
    got = [v for part in range(3) for v in cluster.records("t", part)]
    assert sorted(v.rstrip(b".") for v in got if v) == sent
    for part in range(3):
        values = [v.rstrip(b".") for v in cluster.records("t", part) if v]
        for n in range(4):
            mine = [v for v in values if v.startswith(b"%d-" % n)]
            assert mine == sorted(mine)
        offsets = sorted(m.offset for m in metas if m.partition == part)
        assert offsets == list(range(len(values)))


def test_untouched_futures_settle_from_their_batch_when_first_looked_at() -> None:
    # Nobody looks at these futures until their batches have completed: each settles from its
    # batch on first touch, with the batch's offset or its error.
    cluster = FakeCluster({"t": 1})
    with Producer(SETTINGS, transport=cluster) as p:
        first = p.send(ProducerRecord("t", b"first"))
        p.flush(timeout=T)  # metadata known: later sends append in this thread
        assert first.result(timeout=T).offset == 0
        ok = [
            p.send(ProducerRecord("t", b"ok%d" % i, key=b"k" if i % 2 else None)) for i in range(5)
        ]
        p.flush(timeout=T)
        cluster.errors[("t", 0)].append(TopicAuthorizationFailedError.code)
        bad = [p.send(ProducerRecord("t", b"bad%d" % i)) for i in range(3)]
        p.flush(timeout=T)
        assert not any(f._has_condition for f in ok + bad)  # completed without being touched
        assert [f.done() for f in ok + bad] == [True] * 8
        assert [f.result(timeout=0).offset for f in ok] == [1, 2, 3, 4, 5]
        assert [f.result(timeout=0).serialized_key_size for f in ok] == [-1, 1, -1, 1, -1]
        for f in bad:
            assert isinstance(f.exception(timeout=0), TopicAuthorizationFailedError)
        assert not ok[0].cancel()  # finished: cannot be cancelled


def test_futures_follow_a_split_batch_whether_looked_at_before_or_after() -> None:
    # A batch refused as too large is split; its futures (no callbacks here, so the group keeps
    # only the one a thread waits on) must each resolve to their record's place in the pieces.
    cluster = FakeCluster({"t": 1})
    settings = {**SETTINGS, "linger_ms": 50, "batch_size": 100_000}
    seen: list[int] = []
    with Producer(settings, transport=cluster) as p:
        first = p.send(ProducerRecord("t", b"first"))
        p.flush(timeout=T)
        assert first.result(timeout=T).offset == 0
        cluster.errors[("t", 0)].append(10)  # MESSAGE_TOO_LARGE once: the next batch is split
        futures = [p.send(ProducerRecord("t", b"%03d" % i + b"v" * 200)) for i in range(40)]
        p.engine.accumulator.batch_size = 1000  # the split makes batch.size pieces
        waiter = threading.Thread(target=lambda: seen.append(futures[5].result(T).offset))
        waiter.start()
        p.flush(timeout=T)
        waiter.join(T)
        others = futures[:5] + futures[6:]
        assert not any(f._has_condition for f in others)  # untouched until now
        assert [f.result(timeout=0).offset for f in futures] == list(range(1, 41))
    assert seen == [6]
    assert [r.value[:3] for r in cluster.log[("t", 0)][1:]] == [b"%03d" % i for i in range(40)]
    produce = [r for _, r in cluster.requests if r.api_key == 0]
    assert len(produce) >= 10  # first, the refused batch and its pieces of <= 1000 bytes


def test_close_while_threads_send_resolves_every_future() -> None:
    # Threads keep appending (in their own threads, under the engine's lock) while the producer
    # closes: every send either raises ProducerClosedError or returns a future that resolves,
    # to metadata or to an error; nothing hangs, and what was acknowledged was delivered.
    cluster = FakeCluster({"t": 3})
    p = Producer({**SETTINGS, "batch_size": 1024}, transport=cluster)
    futures: list[concurrent.futures.Future[RecordMetadata]] = []
    refused = 0
    lock = threading.Lock()
    started = threading.Barrier(5)

    def worker(n: int) -> None:
        nonlocal refused
        started.wait(T)
        for i in range(100_000):  # far more than fit before close() comes
            try:
                key = b"k" if i % 4 == 0 else None
                f = p.send(ProducerRecord("t", b"%d-%d" % (n, i), key=key))
            except ProducerClosedError:
                with lock:
                    refused += 1
                return
            with lock:
                futures.append(f)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    started.wait(T)
    time.sleep(0.05)
    p.close(timeout=T)
    for t in threads:
        t.join(T)
        assert not t.is_alive()
    acked = 0
    for f in futures:
        try:
            f.result(timeout=T)
            acked += 1
        except ProducerClosedError:
            pass
    delivered = sum(len(cluster.records("t", part)) for part in range(3))
    assert acked == delivered > 0
    assert refused == 4  # every thread was still sending when close() began


def test_a_send_from_a_callback_fails_at_once_instead_of_blocking_the_loop() -> None:
    # Callbacks run on the producer's loop thread: a send there that would wait (here for the
    # metadata of a topic nobody asked for yet) fails its future at once, naming why, and the
    # producer goes on working.
    cluster = FakeCluster({"t": 1, "other": 1})
    nested: list[concurrent.futures.Future[RecordMetadata]] = []
    with Producer(SETTINGS, transport=cluster) as p:

        def callback(meta: RecordMetadata | None, exc: BaseException | None) -> None:
            nested.append(p.send(ProducerRecord("other", b"from a callback")))

        started = time.monotonic()
        p.send(ProducerRecord("t", b"x"), callback).result(timeout=T)
        error = nested[0].exception(timeout=T)
        assert time.monotonic() - started < 1.0  # not max.block.ms (60 s)
        assert isinstance(error, ProducerMetadataTimeoutError)
        assert "callback" in str(error) and "other" in str(error)
        assert p.send(ProducerRecord("other", b"later")).result(timeout=T).offset == 0
