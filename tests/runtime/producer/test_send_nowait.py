"""Produce requests the transport takes at once (``ProducerTransport.send_nowait``): once the
metadata has come (with it the Produce version), the sender writes each request without a task,
and a timed-out, failed or unanswered request written that way ends as one sent through
``send`` does; a request that had to wait for the connection is not overtaken. Against the
in-memory FakeCluster; every await is bounded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import DeliveryTimeoutError, ProducerClosedError
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from producer_fakes import FakeCluster, SendOnly, run, settings, until


def produce_requests(cluster: FakeCluster) -> int:
    return sum(r.api_key == 0 for _, r in cluster.requests)


def test_every_request_goes_at_once() -> None:
    cluster = FakeCluster({"t": 3})

    async def main() -> list[RecordMetadata]:
        async with AsyncProducer(settings(), transport=cluster) as p:
            metas = []
            for i in range(20):  # one request at a time: each waits for the last
                metas.append(await (await p.send(ProducerRecord("t", b"v%d" % i, partition=0))))
            return metas

    metas = run(main)
    assert [m.offset for m in metas] == list(range(20))
    assert cluster.records("t") == [b"v%d" % i for i in range(20)]
    assert produce_requests(cluster) == 20
    assert cluster.nowait_sends == 20


def test_without_send_nowait_every_request_goes_through_send() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> list[RecordMetadata]:
        async with AsyncProducer(settings(), transport=SendOnly(cluster)) as p:
            return [await (await p.send(ProducerRecord("t", b"v%d" % i))) for i in range(5)]

    assert [m.offset for m in run(main)] == list(range(5))
    assert produce_requests(cluster) == 5
    assert cluster.nowait_sends == 0


def test_a_request_written_at_once_times_out_and_its_batch_is_retried() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> tuple[RecordMetadata, float]:
        quick = settings(request_timeout_ms=200, delivery_timeout_ms=5000)
        async with AsyncProducer(quick, transport=cluster) as p:
            await (await p.send(ProducerRecord("t", b"first")))
            cluster.hold = asyncio.Event()
            started = time.monotonic()
            future = await p.send(ProducerRecord("t", b"x"))
            await asyncio.sleep(0.1)
            assert not future.done()  # held, within request.timeout.ms
            await until(lambda: produce_requests(cluster) >= 3)  # given up, then sent again
            retried_after = time.monotonic() - started
            cluster.hold.set()
            return await future, retried_after

    meta, retried_after = run(main)
    assert meta.offset == 1
    assert cluster.records("t") == [b"first", b"x"]  # delivered once
    assert 0.2 <= retried_after < 2.0
    assert cluster.nowait_sends == 3  # the first, the held request and its retry


def test_a_request_written_at_once_that_fails_its_connection_is_retried() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> RecordMetadata:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await (await p.send(ProducerRecord("t", b"first")))
            cluster.fail_connections = 1
            return await (await p.send(ProducerRecord("t", b"x")))

    assert run(main).offset == 1
    assert cluster.records("t") == [b"first", b"x"]
    assert produce_requests(cluster) == 3
    assert cluster.nowait_sends == 3


def test_an_unanswered_request_written_at_once_fails_at_the_delivery_timeout() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> BaseException | None:
        quick = settings(request_timeout_ms=100, delivery_timeout_ms=300)
        async with AsyncProducer(quick, transport=cluster) as p:
            await (await p.send(ProducerRecord("t", b"first")))
            cluster.hold = asyncio.Event()  # the broker never answers again
            future = await p.send(ProducerRecord("t", b"x"))
            try:
                await future
            except DeliveryTimeoutError as exc:
                return exc
            finally:
                cluster.hold.set()
            return None

    error = run(main)
    assert isinstance(error, DeliveryTimeoutError), error
    assert cluster.nowait_sends >= 1


def test_closing_with_a_request_written_at_once_in_flight_fails_its_records() -> None:
    cluster = FakeCluster({"t": 1})

    async def main() -> tuple[BaseException | None, bool]:
        p = AsyncProducer(settings(), transport=cluster)
        await p.start()
        await (await p.send(ProducerRecord("t", b"first")))
        cluster.hold = asyncio.Event()
        future = await p.send(ProducerRecord("t", b"x"))
        await until(lambda: cluster.concurrent == 1)  # written at once and held by the broker
        await p.close(timeout=0.1)
        error = future.exception() if future.done() else None
        # The broker answers after the close: the answer changes nothing.
        cluster.hold.set()
        await asyncio.sleep(0.05)
        return error, p.engine.sender.has_inflight()

    error, inflight = run(main)
    assert isinstance(error, ProducerClosedError), error
    assert not inflight
    assert cluster.nowait_sends == 2


def test_a_request_waiting_for_a_slot_is_not_overtaken_by_a_later_one() -> None:
    # The connection had no free slot for "a" (send_nowait said None), so its task waits for
    # one. "b", drained later, must not be written before it: same partition, idempotent.
    cluster = FakeCluster({"t": 1})

    async def main() -> tuple[RecordMetadata, RecordMetadata, int, int]:
        async with AsyncProducer(settings(linger_ms=0), transport=cluster) as p:
            await (await p.send(ProducerRecord("t", b"first")))
            cluster.take_slots()
            a = await p.send(ProducerRecord("t", b"a"))
            await until(lambda: cluster.slot_waits == 1)
            b = await p.send(ProducerRecord("t", b"b"))
            await asyncio.sleep(0.05)  # b would be written meanwhile if it could overtake a
            written_before_a = produce_requests(cluster)
            cluster.open_slots()
            meta_a, meta_b = await a, await b
            await asyncio.sleep(0.01)  # the tasks' ends are noted
            at_once = cluster.nowait_sends
            await (await p.send(ProducerRecord("t", b"c")))  # at once again
            return meta_a, meta_b, written_before_a, cluster.nowait_sends - at_once

    meta_a, meta_b, written_before_a, at_once_after = run(main)
    assert written_before_a == 1  # only "first": b waited behind a
    assert (meta_a.offset, meta_b.offset) == (1, 2)
    assert cluster.records("t") == [b"first", b"a", b"b", b"c"]
    assert at_once_after == 1


def test_requests_go_at_once_again_when_the_waiting_ones_are_written() -> None:
    # "a" found no free slot and "b" queued behind it; once both are written, "c" is written at
    # once even though neither has been answered: a pipeline that never empties does not keep
    # a node on tasks.
    cluster = FakeCluster({"t": 1})

    async def main() -> tuple[list[RecordMetadata], int, int]:
        async with AsyncProducer(settings(linger_ms=0), transport=cluster) as p:
            await (await p.send(ProducerRecord("t", b"first")))
            cluster.hold = asyncio.Event()  # no answers from here on until set
            cluster.take_slots()
            a = await p.send(ProducerRecord("t", b"a"))
            await until(lambda: cluster.slot_waits == 1)
            b = await p.send(ProducerRecord("t", b"b"))
            await until(lambda: cluster.slot_waits == 2)
            cluster.open_slots()
            await until(lambda: produce_requests(cluster) == 3)  # first, a and b
            at_once = cluster.nowait_sends
            c = await p.send(ProducerRecord("t", b"c"))
            await until(lambda: produce_requests(cluster) == 4)
            c_at_once = cluster.nowait_sends - at_once
            unanswered = cluster.concurrent
            cluster.hold.set()
            return [await a, await b, await c], c_at_once, unanswered

    metas, c_at_once, unanswered = run(main)
    assert unanswered == 3  # a, b and c were all in flight when c was written
    assert c_at_once == 1
    assert cluster.writes == 2
    assert [m.offset for m in metas] == [1, 2, 3]
    assert cluster.records("t") == [b"first", b"a", b"b", b"c"]


def test_a_node_gets_every_request_it_has_room_for_in_one_turn() -> None:
    # Six full batches of one partition (one record each) wait while nothing is answered: the
    # sender writes as many requests as max.in.flight allows (5) in one turn of the loop, not
    # one a turn, and the sixth once an answer frees a slot.
    cluster = FakeCluster({"t": 1})
    turns_of_writes: list[int] = []
    turn = 0
    real_nowait = cluster.send_nowait

    def counting_nowait(node_id: int, request: Any, version: int) -> Any:
        turns_of_writes.append(turn)
        return real_nowait(node_id, request, version)

    cluster.send_nowait = counting_nowait  # type: ignore[method-assign]

    async def main() -> tuple[list[RecordMetadata], int]:
        nonlocal turn
        loop = asyncio.get_running_loop()

        def tick() -> None:
            nonlocal turn
            turn += 1
            loop.call_soon(tick)

        quiet = settings(linger_ms=60_000, batch_size=1024)
        async with AsyncProducer(quiet, transport=cluster) as p:
            first = await p.send(ProducerRecord("t", b"first"))
            await p.flush()  # (linger.ms would hold it)
            await first
            cluster.hold = asyncio.Event()
            loop.call_soon(tick)
            futures = [await p.send(ProducerRecord("t", b"%d" % i * 600)) for i in range(7)]
            await until(lambda: produce_requests(cluster) == 6)  # first, then five in flight
            await asyncio.sleep(0.05)
            held_back = produce_requests(cluster)
            cluster.hold.set()
            return [await f for f in futures[:6]], held_back

    metas, held_back = run(main)
    assert held_back == 6  # the sixth full batch waited for a free slot
    assert len(set(turns_of_writes[1:6])) == 1, turns_of_writes
    assert [m.offset for m in metas] == [1, 2, 3, 4, 5, 6]
