"""AsyncProducer + Sender against the in-memory FakeCluster. Every await is bounded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from kafkaproto.error_codes import (
    InvalidRecordError,
    NotLeaderOrFollowerError,
    TopicAuthorizationFailedError,
)
from kafkaproto.errors import KafkaError
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import (
    BufferExhaustedError,
    DeliveryTimeoutError,
    ProducerClosedError,
    ProducerMetadataTimeoutError,
    RecordTooLargeError,
)
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.serializers import JsonSerializer, StringSerializer
from producer_fakes import FakeCluster, T, run, settings


def test_send_and_await_metadata_with_ordering_per_partition() -> None:
    cluster = FakeCluster({"t": 3}, nodes=(1, 2))

    async def main() -> list[RecordMetadata]:
        async with AsyncProducer(settings(), transport=cluster) as p:
            futures = [
                await p.send(ProducerRecord("t", b"v%d" % i, key=b"k%d" % (i % 5)))
                for i in range(50)
            ]
            return list(await asyncio.gather(*futures))

    metas = run(main)
    assert len(metas) == 50
    for part in range(3):
        offsets = [m.offset for m in metas if m.partition == part]
        assert offsets == sorted(offsets) == list(range(len(offsets)))  # in send order
    assert sum(len(cluster.log[("t", q)]) for q in range(3)) == 50
    # Keyed records land where murmur2 says: the same key always on the same partition.
    by_key: dict[int, set[int]] = {}
    for i, m in enumerate(metas):
        by_key.setdefault(i % 5, set()).add(m.partition)
    assert all(len(s) == 1 for s in by_key.values())
    assert metas[0].serialized_key_size == 2 and metas[0].serialized_value_size == 2
    assert metas[0].timestamp > 1_600_000_000_000  # CreateTime


def test_batching_by_size_and_by_linger() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> tuple[int, float]:
        async with AsyncProducer(settings(linger_ms=200, batch_size=1000), transport=cluster) as p:
            # 40 records of ~110 bytes: full batches go at once, the last waits for linger.
            t0 = time.monotonic()
            full = [await p.send(ProducerRecord("t", b"x" * 100, partition=0)) for _ in range(16)]
            await asyncio.gather(*full[:8])
            early = time.monotonic() - t0
            await asyncio.gather(*full)
            return len(cluster.requests), early

    requests, early = run(main)
    assert early < 0.15  # a full batch did not wait for linger.ms
    batches = [r for r in cluster.requests if r[1].api_key == 0]
    assert requests >= 2
    sizes = [len(td.partition_data) for _, r in batches for td in r.topic_data]
    assert all(s == 1 for s in sizes)
    assert len(cluster.records("t")) == 16

    lingering = FakeCluster({"t": 1})

    async def linger() -> float:
        async with AsyncProducer(settings(linger_ms=100), transport=lingering) as p:
            await p.start()
            await asyncio.sleep(0.05)  # metadata known
            t0 = time.monotonic()
            await asyncio.gather(
                *[await p.send(ProducerRecord("t", b"x", partition=0)) for _ in range(3)]
            )
            return time.monotonic() - t0

    waited = run(linger)
    assert 0.09 <= waited < 1.0
    produce = [r for _, r in lingering.requests if r.api_key == 0]
    assert len(produce) == 1  # three records, one batch, one request


def test_back_pressure_waits_then_times_out_after_max_block_ms() -> None:
    cluster = FakeCluster({"t": 2})
    cluster.hold = asyncio.Event()

    async def main() -> None:
        p = AsyncProducer(
            settings(buffer_memory=2000, batch_size=1000, max_block_ms=100, linger_ms=0),
            transport=cluster,
        )
        await p.start()
        first = await p.send(ProducerRecord("t", b"a", partition=0))
        second = await p.send(ProducerRecord("t", b"b", partition=1))
        await asyncio.sleep(0.05)
        assert cluster.concurrent >= 1  # both batches in flight, memory all used
        # The non-waiting call fails at once while the buffer is full.
        with pytest.raises(BufferExhaustedError, match="send_nowait does not wait"):
            p.send_nowait(ProducerRecord("t", b"c", partition=0))
        # send waits for room, then raises from the await after max.block.ms.
        t0 = time.monotonic()
        blocked = asyncio.ensure_future(p.send(ProducerRecord("t", b"c", partition=0)))
        await asyncio.sleep(0.02)
        assert not blocked.done()
        with pytest.raises(BufferExhaustedError, match="100 ms"):
            await blocked
        assert 0.09 <= time.monotonic() - t0 < 1.0
        # Memory freed in time: a waiting record goes through.
        waiting = asyncio.ensure_future(p.send(ProducerRecord("t", b"d", partition=0)))
        await asyncio.sleep(0.02)
        assert not waiting.done()
        cluster.hold.set()
        assert (await (await waiting)).offset == 1
        await asyncio.gather(first, second)
        await p.close()

    run(main)


def test_metadata_timeout_for_a_missing_topic() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> None:
        async with AsyncProducer(settings(max_block_ms=80), transport=cluster) as p:
            with pytest.raises(ProducerMetadataTimeoutError, match="nope not present in metadata"):
                await p.send(ProducerRecord("nope", b"x"))
            # Without waiting: at once, and the metadata is asked for.
            with pytest.raises(ProducerMetadataTimeoutError, match="t not present in metadata yet"):
                p.send_nowait(ProducerRecord("t", b"x"))
            assert (await p.partitions_for("t"))[0].partition == 0
            assert (await p.send_nowait(ProducerRecord("t", b"x"))).offset == 0

    run(main)


def test_retries_with_backoff_then_success() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].extend([NotLeaderOrFollowerError.code] * 3)

    async def main() -> RecordMetadata:
        async with AsyncProducer(
            settings(retry_backoff_ms=20, retry_backoff_max_ms=1000), transport=cluster
        ) as p:
            t0 = time.monotonic()
            meta = await (await p.send(ProducerRecord("t", b"x")))
            elapsed = time.monotonic() - t0
            # Three retries: ~20 + ~40 + ~80 ms (jitter +-20%).
            assert 0.09 < elapsed < 2.0
            return meta

    meta = run(main)
    assert meta.offset == 0
    produce = [r for _, r in cluster.requests if r.api_key == 0]
    assert len(produce) == 4
    assert cluster.metadata_calls >= 2  # NOT_LEADER_OR_FOLLOWER refreshed metadata


def test_non_retriable_error_fails_with_typed_error_and_record_errors() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].append(TopicAuthorizationFailedError.code)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            with pytest.raises(TopicAuthorizationFailedError):
                await (await p.send(ProducerRecord("t", b"x")))
            assert (await (await p.send(ProducerRecord("t", b"y")))).offset == 0

    run(main)


def test_connection_errors_are_retried() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.fail_connections = 2

    async def main() -> int:
        async with AsyncProducer(settings(), transport=cluster) as p:
            return (await (await p.send(ProducerRecord("t", b"x")))).offset

    assert run(main) == 0


def test_delivery_timeout_expires_every_record_of_the_batch() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].extend([NotLeaderOrFollowerError.code] * 1000)

    async def main() -> None:
        async with AsyncProducer(
            settings(delivery_timeout_ms=150, request_timeout_ms=100, linger_ms=0),
            transport=cluster,
        ) as p:
            started = time.monotonic()
            futures = [await p.send(ProducerRecord("t", b"x%d" % i, partition=0)) for i in range(5)]
            results = await asyncio.gather(*futures, return_exceptions=True)
            waited = time.monotonic() - started
        assert len(results) == 5 and waited > 0.145  # 150 ms, counted in whole milliseconds
        # One batch, one outcome for its five records, and no retry past delivery.timeout.ms:
        # the sender's expiry fails it with DeliveryTimeoutError, or, when a retriable error
        # ends an attempt after the deadline (the broker's NOT_LEADER_OR_FOLLOWER, or this
        # request.timeout.ms on a busy machine), that error does (Java's Sender.canRetry).
        # Which one comes first is a matter of timing.
        assert len({type(r) for r in results}) == 1
        failure = results[0]
        assert isinstance(failure, DeliveryTimeoutError) or (
            isinstance(failure, KafkaError) and failure.retriable
        ), repr(failure)

    run(main)


def test_unanswered_request_times_out_and_its_batch_is_retried() -> None:
    # request.timeout.ms bounds each produce request: the transport holds the first one past
    # it, so the sender fails that request with a timeout and sends the batch again.
    cluster = FakeCluster({"t": 1})
    cluster.hold = asyncio.Event()

    def produce_requests() -> int:
        return sum(r.api_key == 0 for _, r in cluster.requests)

    async def main() -> tuple[RecordMetadata, float, int]:
        quick = settings(linger_ms=0, request_timeout_ms=200, delivery_timeout_ms=5000)
        async with AsyncProducer(quick, transport=cluster) as p:
            started = time.monotonic()
            future = await p.send(ProducerRecord("t", b"x", partition=0))
            await asyncio.sleep(0.1)
            assert not future.done()  # held, within request.timeout.ms
            # The held request is given up at its deadline, and the batch goes out again.
            while produce_requests() < 2:
                await asyncio.sleep(0.005)
            retried_after = time.monotonic() - started
            cluster.hold.set()
            return await future, retried_after, produce_requests()

    meta, retried_after, sent = run(main)
    assert meta.offset == 0
    assert cluster.records("t") == [b"x"]  # delivered once
    assert 0.2 <= retried_after < 2.0
    assert sent == 2


def test_message_too_large_splits_the_batch() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].append(10)  # MESSAGE_TOO_LARGE once

    async def main() -> list[RecordMetadata]:
        async with AsyncProducer(
            settings(batch_size=100_000, linger_ms=50), transport=cluster
        ) as p:
            await p.start()
            await asyncio.sleep(0.03)
            p.engine.accumulator.batch_size = 1000  # the split makes batch.size pieces
            futures = [
                await p.send(ProducerRecord("t", b"v" * 200, key=b"%d" % i)) for i in range(20)
            ]
            return list(await asyncio.gather(*futures))

    metas = run(main)
    assert [m.offset for m in metas] == list(range(20))
    produce = [r for _, r in cluster.requests if r.api_key == 0]
    assert len(produce) > 2
    assert [r.key for r in cluster.log[("t", 0)]] == [b"%d" % i for i in range(20)]


def test_acks_zero_resolves_when_written_with_no_offset() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> RecordMetadata:
        async with AsyncProducer(
            settings(acks=0, enable_idempotence=False), transport=cluster
        ) as p:
            return await (await p.send(ProducerRecord("t", b"x", timestamp=42)))

    meta = run(main)
    assert meta.offset == -1 and meta.timestamp == 42
    assert cluster.records("t") == [b"x"]


def test_log_append_time_replaces_create_time() -> None:
    cluster = FakeCluster({"t": 1}, log_append_time=True)

    async def main() -> RecordMetadata:
        async with AsyncProducer(settings(), transport=cluster) as p:
            return await (await p.send(ProducerRecord("t", b"x", timestamp=42)))

    assert run(main).timestamp == 123


def test_produce_versions_names_and_topic_ids() -> None:
    for version in (3, 9, 12, 13):
        cluster = FakeCluster({"t": 1}, produce_version=version)

        async def main(c: FakeCluster = cluster) -> int:
            async with AsyncProducer(settings(acks=1, enable_idempotence=False), transport=c) as p:
                return (await (await p.send(ProducerRecord("t", b"x")))).offset

        assert run(main) == 0
        assert [v for key, v in cluster.versions if key == 0] == [version]


def test_max_in_flight_requests_per_connection() -> None:
    cluster = FakeCluster({"t": 8}, latency=0.02)

    async def main() -> None:
        async with AsyncProducer(
            settings(max_in_flight_requests_per_connection=2, batch_size=200, linger_ms=0),
            transport=cluster,
        ) as p:
            futures = [
                await p.send(ProducerRecord("t", b"x" * 150, partition=i % 8)) for i in range(64)
            ]
            await asyncio.gather(*futures)

    run(main)
    assert cluster.max_concurrent == 2


def test_idempotent_producer_gets_an_id_and_sequences_on_the_wire() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].extend([NotLeaderOrFollowerError.code])

    async def main() -> list[RecordMetadata]:
        async with AsyncProducer(settings(batch_size=120, linger_ms=0), transport=cluster) as p:
            futures = [
                await p.send(ProducerRecord("t", b"v%03d" % i + b"x" * 50)) for i in range(30)
            ]
            return list(await asyncio.gather(*futures))

    metas = run(main)
    assert [m.offset for m in metas] == list(range(30))
    assert cluster.records("t") == [b"v%03d" % i + b"x" * 50 for i in range(30)]
    assert cluster.requests[0][1].api_key == 22  # InitProducerId first
    assert cluster.expected_seq[(1000, ("t", 0))] == 30


def test_init_producer_id_retried_after_api_versions_connection_failure() -> None:
    """The first api_version() (which connects) fails: InitProducerId is retried, not
    abandoned with the producer stuck INITIALIZING and nothing sent until delivery timeout."""

    class Unreachable(FakeCluster):
        failures = 2

        async def api_version(self, api_key: int) -> int | None:
            if api_key == 22 and self.failures:
                self.failures -= 1
                raise ConnectionError("no broker is reachable")
            return await super().api_version(api_key)

    cluster = Unreachable({"t": 1})

    async def main() -> RecordMetadata:
        async with AsyncProducer(settings(delivery_timeout_ms=60_000), transport=cluster) as p:
            return await (await p.send(ProducerRecord("t", b"x")))

    assert run(main).offset == 0
    assert cluster.failures == 0 and cluster.records("t") == [b"x"]


def test_duplicate_sequence_is_success_without_offset() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.errors[("t", 0)].append(46)  # DUPLICATE_SEQUENCE_NUMBER

    async def main() -> RecordMetadata:
        async with AsyncProducer(settings(), transport=cluster) as p:
            return await (await p.send(ProducerRecord("t", b"x", timestamp=7)))

    meta = run(main)
    assert meta.offset == -1 and meta.timestamp == 7


def test_record_too_large_fails_at_once() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> None:
        async with AsyncProducer(settings(max_request_size=1000), transport=cluster) as p:
            # Refused before it is queued: raised by the await of send itself.
            with pytest.raises(RecordTooLargeError, match=r"max\.request\.size"):
                await p.send(ProducerRecord("t", b"x" * 2000))
            with pytest.raises(RecordTooLargeError, match=r"max\.request\.size"):
                p.send_nowait(ProducerRecord("t", b"x" * 2000))

    run(main)


def test_close_with_pending_records_fails_them_and_never_hangs() -> None:
    cluster = FakeCluster({"t": 1})
    cluster.hold = asyncio.Event()  # the broker never answers

    async def main() -> None:
        p = AsyncProducer(settings(), transport=cluster)
        futures = [await p.send(ProducerRecord("t", b"x")) for _ in range(3)]
        t0 = time.monotonic()
        await p.close(timeout=0.2)
        assert time.monotonic() - t0 < 1.0
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert all(isinstance(r, ProducerClosedError) for r in results)
        with pytest.raises(ProducerClosedError):
            await p.send(ProducerRecord("t", b"y"))
        with pytest.raises(ProducerClosedError):
            p.send_nowait(ProducerRecord("t", b"y"))

    run(main)


def test_close_sends_what_is_queued() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> None:
        p = AsyncProducer(settings(linger_ms=10_000, delivery_timeout_ms=60_000), transport=cluster)
        futures = [await p.send(ProducerRecord("t", b"%d" % i)) for i in range(10)]
        await p.close()
        assert [f.result().offset for f in futures] == list(range(10))

    run(main)


def test_flush_sends_despite_linger() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> None:
        async with AsyncProducer(settings(linger_ms=60_000), transport=cluster) as p:
            future = await p.send(ProducerRecord("t", b"x"))
            await p.flush()
            assert future.done() and future.result().offset == 0

    run(main)


def test_serializers_and_future_protocol() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> None:
        async with AsyncProducer(
            settings(),
            transport=cluster,
            key_serializer=StringSerializer(),
            value_serializer=JsonSerializer(),
        ) as p:
            future = await p.send(ProducerRecord("t", {"a": [1, 2]}, key="ké"))
            assert asyncio.isfuture(future)
            seen: list[Any] = []
            future.add_done_callback(seen.append)
            meta = await asyncio.wait_for(future, T)
            await asyncio.sleep(0)
            assert seen == [future] and meta.serialized_key_size == 3
            # A cancelled wait does not withdraw the record.
            other = await p.send(ProducerRecord("t", None, key="k2"))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(other, 0)
            assert other.cancelled()
            await p.flush()

    run(main)
    assert cluster.records("t") == [b'{"a":[1,2]}', None]


def test_per_record_errors_from_the_broker() -> None:
    from kafkaproto.messages.produce import ProduceResponseBatchIndexAndErrorMessage
    from kafkaproto.producer._internals.accumulator import RecordAccumulator
    from kafkaproto.producer._internals.batch import ProducerBatch
    from kafkaproto.producer._internals.sender import Sender, SenderSettings

    acc = RecordAccumulator()
    sender = Sender(SenderSettings(), acc, FakeCluster({"t": 1}))
    r = acc.append("t", 0, 0, None, b"a", None, 0)
    acc.append("t", 0, 0, None, b"b", None, 0)
    assert r is not None
    batch: ProducerBatch = r.batch

    error = ProduceResponseBatchIndexAndErrorMessage(
        batch_index=1, batch_index_error_message="bad timestamp"
    )
    sender.complete_batch(batch, 87, -1, -1, record_errors=[error])
    with pytest.raises(InvalidRecordError, match="bad timestamp"):
        batch.metadata(1, 0, -1, 1)
    with pytest.raises(Exception, match="one more more invalid records"):
        batch.metadata(0, 0, -1, 1)


def test_a_batch_expiring_as_it_is_drained_stays_out_of_its_request() -> None:
    # Drained in the turn it reaches delivery.timeout.ms, a batch is failed in that turn and
    # its records let go; the request goes with the other partition's batch, delivered.
    from kafkaproto.producer._internals.accumulator import RecordAccumulator
    from kafkaproto.producer._internals.sender import Sender, SenderSettings

    cluster = FakeCluster({"t": 2})
    acc = RecordAccumulator(linger_ms=0, delivery_timeout_ms=1000)
    sender = Sender(SenderSettings(), acc, cluster, clock=lambda: 1.0)  # now: 1,000 ms

    async def main() -> None:
        sender.cluster = await cluster.metadata_for(["t"])
        old = acc.append("t", 0, 0, None, b"old", None, now_ms=0)
        new = acc.append("t", 1, 0, None, b"new", None, now_ms=900)
        assert old is not None and new is not None
        sender._run_once()
        for _ in range(10):  # the produce task runs
            await asyncio.sleep(0)
        assert isinstance(old.batch.error, DeliveryTimeoutError)
        assert new.batch.done and new.batch.error is None
        [(_, request)] = cluster.requests
        assert [p.index for t in request.topic_data for p in t.partition_data] == [1]
        assert cluster.records("t", 0) == [] and cluster.records("t", 1) == [b"new"]

    run(main)


def test_the_metadata_loop_ends_when_cancelled_as_its_answer_arrives() -> None:
    # On Python 3.11, asyncio.wait_for drops a cancellation that arrives in the turn its
    # awaitable completes, and returns the result. The sender's metadata loop then outlived
    # its producer, waiting for a wake-up that never came ("Task was destroyed but it is
    # pending!" when collected; seen in a soak that closed 150 producers).
    from kafkaproto.producer._internals.accumulator import RecordAccumulator
    from kafkaproto.producer._internals.sender import Sender, SenderSettings

    class Gated(FakeCluster):
        answer: asyncio.Future[None] | None = None

        async def metadata_for(self, topics: Any) -> Any:
            self.answer = asyncio.get_running_loop().create_future()
            await self.answer
            return await super().metadata_for(topics)

    async def main() -> None:
        cluster = Gated({"t": 1})
        sender = Sender(SenderSettings(), RecordAccumulator(), cluster)
        sender.request_metadata("t")
        task = asyncio.create_task(sender._metadata_loop())
        while cluster.answer is None:
            await asyncio.sleep(0)
        cluster.answer.set_result(None)
        task.cancel()  # in the same turn as the answer
        done, _ = await asyncio.wait([task], timeout=2)
        assert done and task.cancelled()

    asyncio.run(main())


def test_first_batch_refused_while_the_next_is_written_still_arrives() -> None:
    # The KAFKA-15591 window on a new partition: the leader refuses the first request
    # (NOT_LEADER_OR_FOLLOWER), then writes the second one at sequence 1 because it has no
    # state for the producer; the first one must still be delivered, once, not spin on
    # OUT_OF_ORDER_SEQUENCE_NUMBER until delivery.timeout.ms.
    cluster = FakeCluster({"t": 1})
    cluster.any_first_sequence = True
    cluster.errors[("t", 0)].append(NotLeaderOrFollowerError.code)
    cluster.hold = asyncio.Event()

    async def main() -> list[RecordMetadata]:
        # Without a way out the first record would expire after delivery.timeout.ms.
        quick = settings(linger_ms=0, delivery_timeout_ms=3000, request_timeout_ms=1000)
        async with AsyncProducer(quick, transport=cluster) as p:
            first = await p.send(ProducerRecord("t", b"first", partition=0))
            await asyncio.sleep(0.05)
            second = await p.send(ProducerRecord("t", b"second", partition=0))
            await asyncio.sleep(0.05)
            assert cluster.concurrent == 2  # both requests are in flight
            cluster.hold.set()
            return list(await asyncio.gather(first, second))

    metas = run(main)
    assert cluster.records("t") == [b"second", b"first"]  # overtaken, but not lost
    assert [m.offset for m in metas] == [1, 0]


def test_cancelled_task_leaves_async_with_at_once_failing_what_is_unsent() -> None:
    # Close on a normal exit waits for delivery (Java's close()); a cancelled task must not:
    # the broker here never answers, so a graceful close would wait delivery.timeout.ms.
    cluster = FakeCluster({"t": 1})
    cluster.hold = asyncio.Event()
    futures: list[Any] = []

    async def body() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            futures.append(await p.send(ProducerRecord("t", b"x", partition=0)))
            futures.append(await p.send(ProducerRecord("t", b"y", partition=0)))
            await futures[0]  # cancelling the task cancels this future (asyncio's rule)

    async def main() -> float:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(body(), 0.3)
        return time.monotonic() - started

    assert run(main) < 2.0
    with pytest.raises(ProducerClosedError):
        futures[1].result()
