"""The producer against the real broker: what AsyncProducer and Producer send is read back
exactly once, in order per partition, at the offsets their futures reported."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import Future
from typing import Any

import pytest
from kafkaproto.cluster import ClusterClient
from kafkaproto.fetcher import EARLIEST, fetch_partition
from kafkaproto.producer._internals.cluster_transport import ClusterTransport
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import RecordTooLargeError
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.sync_producer import Producer
from kafkaproto.records.record_batch import Record

pytestmark = pytest.mark.broker


async def read_all(bootstrap: str, topic: str, partitions: int = 1) -> dict[int, list[Record]]:
    async with ClusterClient(bootstrap) as client:
        out: dict[int, list[Record]] = {}
        for p in range(partitions):
            out[p] = [r async for r in fetch_partition(client, topic, p, EARLIEST)]
        return out


@pytest.mark.parametrize("settings", [{}, {"acks": "1", "compression.type": "lz4"}])
def test_async_producer_records_come_back_in_order(broker: str, settings: dict[str, str]) -> None:
    topic = f"producer-async-{uuid.uuid4().hex[:8]}"
    count = 5000

    async def produce() -> list[RecordMetadata]:
        async with AsyncProducer(bootstrap_servers=broker, **settings) as producer:
            futures = [
                await producer.send(
                    ProducerRecord(
                        topic,
                        f"value-{i}".encode(),
                        key=f"key-{i % 7}".encode(),
                        headers=[("n", str(i).encode())],
                    )
                )
                for i in range(count)
            ]
            await producer.flush()
            return [await f for f in futures]

    metas = asyncio.run(produce())
    assert [m.offset for m in metas] == list(range(count))  # one partition: auto-created
    records = asyncio.run(read_all(broker, topic))[0]
    assert [r.value for r in records] == [f"value-{i}".encode() for i in range(count)]
    assert [r.offset for r in records] == [m.offset for m in metas]
    assert [r.timestamp for r in records] == [m.timestamp for m in metas]
    assert records[3].key == b"key-3" and records[3].headers == (("n", b"3"),)


def test_produce_requests_after_the_first_are_written_at_once(
    broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sender hands Produce requests to ClusterTransport.send_nowait once the first one has
    # learned the version: count what it took, and check every record arrived.
    taken: list[int] = []
    real = ClusterTransport.send_nowait

    def counting(self: ClusterTransport, node_id: int, request: Any, version: int) -> Any:
        future = real(self, node_id, request, version)
        if future is not None:
            taken.append(version)
        return future

    monkeypatch.setattr(ClusterTransport, "send_nowait", counting)
    topic = f"producer-nowait-{uuid.uuid4().hex[:8]}"
    count = 20_000

    async def produce() -> list[RecordMetadata]:
        async with AsyncProducer(bootstrap_servers=broker, batch_size=4096) as producer:
            futures = [await producer.send(ProducerRecord(topic, b"%d" % i)) for i in range(count)]
            return [await f for f in futures]

    metas = asyncio.run(produce())
    assert sorted(m.offset for m in metas) == list(range(count))
    assert len(taken) > 10 and set(taken) == {13}  # v13: topic ids
    values = [r.value for r in asyncio.run(read_all(broker, topic))[0]]
    assert sorted(values, key=int) == [b"%d" % i for i in range(count)]


def test_requests_go_at_once_again_after_waiting_for_a_slot(
    broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every 20th send_nowait says "no free slot": that request and any drained behind it are
    # written by ClusterTransport.write, then the sender goes back to send_nowait while they
    # are still in flight. Nothing is written out of order: the log is in send order.
    calls = {"nowait": 0, "refused": 0, "taken": 0, "write": 0}
    real_nowait = ClusterTransport.send_nowait
    real_write = ClusterTransport.write

    def refusing(self: ClusterTransport, node_id: int, request: Any, version: int) -> Any:
        calls["nowait"] += 1
        if calls["nowait"] % 20 == 0:
            calls["refused"] += 1
            return None
        future = real_nowait(self, node_id, request, version)
        calls["taken"] += future is not None
        return future

    async def counting_write(
        self: ClusterTransport, node_id: int, request: Any, version: int
    ) -> Any:
        calls["write"] += 1
        return await real_write(self, node_id, request, version)

    monkeypatch.setattr(ClusterTransport, "send_nowait", refusing)
    monkeypatch.setattr(ClusterTransport, "write", counting_write)
    topic = f"producer-write-{uuid.uuid4().hex[:8]}"
    count = 20_000

    async def produce() -> list[RecordMetadata]:
        async with AsyncProducer(bootstrap_servers=broker, batch_size=1024) as producer:
            futures = [
                await producer.send(ProducerRecord(topic, b"%d" % i, partition=0))
                for i in range(count)
            ]
            return [await f for f in futures]

    metas = asyncio.run(produce())
    assert [m.offset for m in metas] == list(range(count))
    assert calls["refused"] >= 5
    assert calls["write"] >= calls["refused"]
    # After each refusal the sender came back to send_nowait: most requests went at once.
    assert calls["taken"] > 10 * calls["write"]
    values = [r.value for r in asyncio.run(read_all(broker, topic))[0]]
    assert values == [b"%d" % i for i in range(count)]


def test_sync_producer_with_callbacks_from_another_thread(broker: str) -> None:
    topic = f"producer-sync-{uuid.uuid4().hex[:8]}"
    done: list[tuple[RecordMetadata | None, BaseException | None]] = []
    lock = threading.Lock()

    def callback(meta: RecordMetadata | None, exc: BaseException | None) -> None:
        with lock:
            done.append((meta, exc))

    with Producer(bootstrap_servers=broker, linger_ms=20) as producer:
        futures: list[Future[RecordMetadata]] = [
            producer.send(ProducerRecord(topic, f"s{i}".encode()), callback=callback)
            for i in range(2000)
        ]
        producer.flush(30)
        metas = [f.result(timeout=30) for f in futures]
    assert len(done) == 2000 and all(exc is None for _, exc in done)
    assert [m.offset for m in metas] == list(range(2000))
    records = asyncio.run(read_all(broker, topic))[0]
    assert [r.value for r in records] == [f"s{i}".encode() for i in range(2000)]


def test_a_record_over_max_request_size_fails_at_once(broker: str) -> None:
    topic = f"producer-big-{uuid.uuid4().hex[:8]}"

    async def produce() -> None:
        async with AsyncProducer(bootstrap_servers=broker, max_request_size=10_000) as producer:
            with pytest.raises(RecordTooLargeError):
                await asyncio.wait_for(producer.send(ProducerRecord(topic, b"x" * 20_000)), 10)

    asyncio.run(produce())
