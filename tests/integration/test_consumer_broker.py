"""The consumer against the real broker, in both faces: positions, seeks, pauses, offsets
lookups and commits; Java-producer transactions under read_committed and read_uncommitted;
committed offsets shared with Java's kafka-consumer-groups both ways; and every bad input named
by a typed error (or a documented retry that ends)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from kafkaproto.consumer.async_consumer import AsyncConsumer
from kafkaproto.consumer.errors import (
    ConcurrentAccessError,
    ConsumerTimeoutError,
    NoOffsetForPartitionError,
    PositionOutOfRangeError,
    UnassignedPartitionError,
    WakeupError,
)
from kafkaproto.consumer.record import (
    OffsetAndMetadata,
    StringDeserializer,
    TopicPartition,
)
from kafkaproto.consumer.sync_consumer import Consumer
from kafkaproto.error_codes import InvalidGroupIdError, UnknownTopicOrPartitionError
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.sync_producer import Producer
from topics import create_topic

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def produce(broker: str, topic: str, count: int, partition: int = 0, start: int = 0) -> None:
    with Producer(bootstrap_servers=broker, linger_ms=5) as producer:
        for i in range(start, start + count):
            producer.send(
                ProducerRecord(
                    topic,
                    b"v%d" % i,
                    key=b"k%d" % i,
                    partition=partition,
                    timestamp=1_700_000_000_000 + i * 1000,
                    headers=[("h", b"%d" % i)],
                )
            )
        producer.flush()


def run_tool(cmd: Sequence[str], timeout: float = 120) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{cmd[-1]!r} did not finish in {timeout} s: {e.stderr!r}")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd[-6:])} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


# --- the API in both faces -----------------------------------------------------------------------


def test_sync_consumer_positions_seeks_pauses_and_lookups(broker: str) -> None:
    topic = fresh("consumer-api")
    asyncio.run(create_topic(broker, topic, 2))
    produce(broker, topic, 100, partition=0)
    produce(broker, topic, 10, partition=1)
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    with Consumer(
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        max_poll_records=30,
        value_deserializer=StringDeserializer(),
    ) as c:
        c.assign([a, b])
        assert c.assignment() == {a, b}
        assert c.beginning_offsets([a, b]) == {a: 0, b: 0}
        assert c.end_offsets([a, b]) == {a: 100, b: 10}
        assert c.position(a) == 0
        got: dict[TopicPartition, list[int]] = {a: [], b: []}
        while len(got[a]) + len(got[b]) < 110:
            records = c.poll(5)
            assert records, "no records within 5 s"
            assert len(records) <= 30
            for tp in records.partitions():
                got[tp] += [r.offset for r in records.records(tp)]
                assert records.next_offsets[tp].offset == got[tp][-1] + 1
        assert got == {a: list(range(100)), b: list(range(10))}
        first = next(iter(c.poll(0) or [None]))
        assert first is None
        # Every field of a record.
        c.seek(a, 42)
        r = c.poll(5).records(a)[0]
        assert (r.offset, r.key, r.value, r.headers) == (42, b"k42", "v42", (("h", b"42"),))
        assert r.timestamp == 1_700_000_042_000 and r.leader_epoch is not None
        # Pause keeps a partition out of poll; resume brings it back.
        c.seek_to_beginning([b])
        c.pause([b])
        assert c.paused() == {b}
        polled = c.poll(1)
        assert b not in polled.partitions()
        c.resume([b])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and b not in (polled := c.poll(1)).partitions():
            pass
        assert polled.records(b)[0].offset == 0
        c.seek_to_end([a])
        assert c.position(a) == 100
        found = c.offsets_for_times({a: 1_700_000_050_500, b: 1_800_000_000_000})
        assert found[a] is not None and found[a].offset == 51 and found[b] is None
        assert c.current_lag(a) == 0
    # auto.offset.reset=by_duration (KIP-1106): the first record newer than now - duration; the
    # records here are from 2023, so an hour finds none (the log end) and ten years all.
    for duration, start in (("PT1H", 100), ("P3650D", 0)):
        with Consumer(bootstrap_servers=broker, auto_offset_reset=f"by_duration:{duration}") as c:
            c.assign([a])
            assert c.position(a) == start


def test_async_consumer_iterates_commits_and_reads_committed(broker: str) -> None:
    topic = fresh("consumer-async")
    asyncio.run(create_topic(broker, topic, 1))
    produce(broker, topic, 50)
    tp = TopicPartition(topic, 0)
    group = fresh("group")
    called: list[tuple[dict[TopicPartition, OffsetAndMetadata], BaseException | None]] = []

    async def main() -> None:
        async with AsyncConsumer(
            bootstrap_servers=broker,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        ) as c:
            c.assign([tp])
            seen = []
            async for record in c:
                seen.append(record.offset)
                if record.offset == 19:
                    break
            assert seen == list(range(20))
            await c.commit_sync({tp: OffsetAndMetadata(20, "twenty")})
            assert await c.committed([tp]) == {tp: OffsetAndMetadata(20, "twenty", None)}
            done = c.commit_async({tp: 25}, callback=lambda o, e: called.append((dict(o), e)))
            await asyncio.wait_for(done, 30)
        # A new consumer of the group starts at the committed offset.
        async with AsyncConsumer(bootstrap_servers=broker, group_id=group) as c:
            c.assign([tp])
            assert await c.position(tp) == 25
            records = await c.poll(5)
            assert records.records(tp)[0].offset == 25

    asyncio.run(main())
    assert called == [({tp: OffsetAndMetadata(25)}, None)]


# --- transactions written by Kafka's Java producer -----------------------------------------------


@pytest.fixture(scope="module")
def transactions(broker: str) -> tuple[str, list[str], list[str]]:
    """A topic holding Java-producer transactions; (topic, read_committed values, all values)."""
    if shutil.which("java") is None:
        pytest.skip("no `java` on PATH: the Java transactional producer cannot run")
    # TransactionalWriter is one of the oracle's programs (tests/oracle/java), built by
    # `make oracle`, which records the class path it was compiled against.
    build = subprocess.run(["make", "-s", "-C", str(ROOT), "oracle"], capture_output=True)
    assert build.returncode == 0, build.stderr.decode()
    classpath = (ROOT / "build/oracle/classpath").read_text().strip()
    topic = fresh("consumer-txn")
    asyncio.run(create_topic(broker, topic, 1))
    transactions, per = 30, 20
    out = run_tool(
        [
            "java",
            "-cp",
            classpath,
            "TransactionalWriter",
            broker,
            topic,
            str(transactions),
            str(per),
        ]
    )
    committed = out.split()
    everything = []
    for t in range(transactions):
        kind = "a" if t % 3 == 1 else "c"
        everything += [f"{kind}{t}-{i}" for i in range(per)] + [f"p{t}"]
    assert len(committed) == (transactions - 10) * per + transactions
    return topic, committed, everything


def _drain_sync(broker: str, topic: str, isolation: str, want: int) -> list[str]:
    with Consumer(
        bootstrap_servers=broker,
        isolation_level=isolation,
        auto_offset_reset="earliest",
        value_deserializer=StringDeserializer(),
    ) as c:
        c.assign([TopicPartition(topic, 0)])
        values: list[str] = []
        deadline = time.monotonic() + 60
        while len(values) < want and time.monotonic() < deadline:
            values += [r.value for r in c.poll(1)]
        values += [r.value for r in c.poll(0.5)]  # nothing more may come
        return values


async def _drain_async(broker: str, topic: str, isolation: str, want: int) -> list[str]:
    async with AsyncConsumer(
        bootstrap_servers=broker,
        isolation_level=isolation,
        auto_offset_reset="earliest",
        value_deserializer=StringDeserializer(),
    ) as c:
        c.assign([TopicPartition(topic, 0)])
        values: list[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while len(values) < want and loop.time() < deadline:
            values += [r.value for r in await c.poll(1)]
        values += [r.value for r in await c.poll(0.5)]
        return values


def test_read_committed_shows_exactly_the_committed_records(
    broker: str, transactions: tuple[str, list[str], list[str]]
) -> None:
    topic, committed, _ = transactions
    assert _drain_sync(broker, topic, "read_committed", len(committed)) == committed
    got = asyncio.run(_drain_async(broker, topic, "read_committed", len(committed)))
    assert got == committed


def test_read_uncommitted_shows_every_data_record(
    broker: str, transactions: tuple[str, list[str], list[str]]
) -> None:
    topic, _, everything = transactions
    assert _drain_sync(broker, topic, "read_uncommitted", len(everything)) == everything
    got = asyncio.run(_drain_async(broker, topic, "read_uncommitted", len(everything)))
    assert got == everything


# --- committed offsets and Java's kafka-consumer-groups ------------------------------------------


def test_offsets_are_shared_with_kafka_consumer_groups(broker: str, java_tools: list[str]) -> None:
    topic = fresh("consumer-groups")
    asyncio.run(create_topic(broker, topic, 2))
    produce(broker, topic, 30, partition=0)
    produce(broker, topic, 30, partition=1)
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    ours, theirs = fresh("ours"), fresh("theirs")
    tool = [*java_tools, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"]
    with Consumer(bootstrap_servers=broker, group_id=ours, enable_auto_commit=False) as c:
        c.assign([a, b])
        c.commit_sync({a: 7, b: OffsetAndMetadata(19, "meta")})
    described = run_tool([*tool, "--bootstrap-server", broker, "--describe", "--group", ours])
    rows = {
        (cols[1], cols[2]): cols[3:6]
        for line in described.splitlines()
        if (cols := line.split()) and len(cols) > 5 and cols[1] == topic
    }
    # CURRENT-OFFSET, LOG-END-OFFSET, LAG as Java's tool reads them from __consumer_offsets.
    assert rows == {(topic, "0"): ["7", "30", "23"], (topic, "1"): ["19", "30", "11"]}
    run_tool(
        [
            *tool,
            "--bootstrap-server",
            broker,
            "--reset-offsets",
            "--group",
            theirs,
            "--topic",
            f"{topic}:0,1",
            "--to-offset",
            "12",
            "--execute",
        ]
    )
    with Consumer(bootstrap_servers=broker, group_id=theirs) as c:
        assert {tp: om.offset if om else None for tp, om in c.committed([a, b]).items()} == {
            a: 12,
            b: 12,
        }
        c.assign([a, b])
        assert c.position(a) == 12
        assert [r.offset for r in c.poll(5).records(a)][:1] == [12]


# --- bad input and failures ----------------------------------------------------------------------


def test_bad_input_gets_typed_errors(broker: str) -> None:
    topic = fresh("consumer-bad")
    asyncio.run(create_topic(broker, topic, 1))
    produce(broker, topic, 5)
    tp = TopicPartition(topic, 0)
    with Consumer(bootstrap_servers=broker, auto_offset_reset="none") as c:
        with pytest.raises(Exception, match="not subscribed"):
            c.poll(0)
        c.assign([tp])
        with pytest.raises(NoOffsetForPartitionError) as no_offset:
            c.poll(5)
        assert no_offset.value.partitions == {tp}
        c.seek(tp, 1000)
        with pytest.raises(PositionOutOfRangeError) as out_of_range:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                c.poll(1)
        assert out_of_range.value.offsets == {tp: 1000}
        with pytest.raises(ValueError, match="negative"):
            c.seek(tp, -1)
        with pytest.raises(UnassignedPartitionError):
            c.position(TopicPartition(topic, 7))
        with pytest.raises(UnassignedPartitionError):
            c.seek(TopicPartition("elsewhere", 0), 0)
        with pytest.raises(InvalidGroupIdError):
            c.commit_sync()
        with pytest.raises(ValueError, match="negative"):
            c.offsets_for_times({tp: -5})
    with pytest.raises(Exception, match="closed"):
        c.poll(0)
    # A topic that does not exist (and is not created on demand).
    with Consumer(
        bootstrap_servers=broker, allow_auto_create_topics=False, auto_offset_reset="earliest"
    ) as c:
        c.assign([TopicPartition(fresh("no-such-topic"), 0)])
        with pytest.raises(UnknownTopicOrPartitionError):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                c.poll(1)
        c.assign([TopicPartition(topic, 3)])  # a partition the topic lacks
        with pytest.raises(UnknownTopicOrPartitionError, match="partitions"):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                c.poll(1)


def test_a_record_larger_than_every_fetch_size_still_comes_back(broker: str) -> None:
    topic = fresh("consumer-big")
    asyncio.run(create_topic(broker, topic, 1, configs={"max.message.bytes": str(3 << 20)}))
    big = bytes(range(256)) * (2 << 12)  # 2 MiB
    with Producer(bootstrap_servers=broker, max_request_size=3 << 20) as p:
        p.send(ProducerRecord(topic, b"small", partition=0))
        p.send(ProducerRecord(topic, big, partition=0))
        p.send(ProducerRecord(topic, b"after", partition=0))
        p.flush()
    with Consumer(
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=1024,
        fetch_max_bytes=1024,
    ) as c:
        c.assign([TopicPartition(topic, 0)])
        values: list[Any] = []
        deadline = time.monotonic() + 30
        while len(values) < 3 and time.monotonic() < deadline:
            values += [r.value for r in c.poll(1)]
    assert values == [b"small", big, b"after"]


def test_wakeup_from_another_thread_and_one_thread_at_a_time(broker: str) -> None:
    topic = fresh("consumer-wakeup")
    asyncio.run(create_topic(broker, topic, 1))
    with Consumer(bootstrap_servers=broker, auto_offset_reset="latest") as c:
        c.assign([TopicPartition(topic, 0)])
        c.poll(0.5)
        timer = threading.Timer(0.5, c.wakeup)
        started = time.monotonic()
        timer.start()
        with pytest.raises(WakeupError):
            c.poll(30)
        assert time.monotonic() - started < 10
        # Another thread polls for 3 s; a call from this one meanwhile is refused.
        polling = threading.Thread(target=c.poll, args=(3,))
        polling.start()
        time.sleep(0.5)
        with pytest.raises(ConcurrentAccessError):
            c.poll(0)
        polling.join(10)
        c.poll(0)  # free again


def test_no_broker_times_out_with_typed_errors() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Consumer(
        bootstrap_servers=f"127.0.0.1:{port}", default_api_timeout_ms=1500, request_timeout_ms=1000
    ) as c:
        c.assign([TopicPartition("t", 0)])
        started = time.monotonic()
        assert not c.poll(1.0)  # Java's poll: empty once the timeout passes
        with pytest.raises(ConsumerTimeoutError):
            c.position(TopicPartition("t", 0))
        with pytest.raises(ConsumerTimeoutError):
            c.end_offsets([TopicPartition("t", 0)])
        assert time.monotonic() - started < 10


async def _delete_topic(broker: str, topic: str) -> None:
    from kafkaproto.cluster import ClusterClient
    from kafkaproto.messages import ApiKey
    from kafkaproto.messages.delete_topics import (
        DeleteTopicsRequest,
        DeleteTopicsRequestDeleteTopicState,
    )

    async with ClusterClient(broker) as client:
        conn = await client.any_connection()
        version = conn.version_for(ApiKey.DELETE_TOPICS)
        if version >= 6:  # topics by name or id
            request = DeleteTopicsRequest(
                topics=[DeleteTopicsRequestDeleteTopicState(name=topic)], timeout_ms=15000
            )
        else:
            request = DeleteTopicsRequest(topic_names=[topic], timeout_ms=15000)
        response = await conn.request(request, version=version)
        assert response.responses[0].error_code == 0, response


def test_a_deleted_topic_is_an_error_not_a_hang(broker: str) -> None:
    topic = fresh("consumer-deleted")
    asyncio.run(create_topic(broker, topic, 1))
    produce(broker, topic, 10)
    tp = TopicPartition(topic, 0)
    with Consumer(
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        allow_auto_create_topics=False,
        metadata_max_age_ms=1000,
    ) as c:
        c.assign([tp])
        got = 0
        while got < 10:
            got += len(c.poll(5))
        asyncio.run(_delete_topic(broker, topic))
        started = time.monotonic()
        with pytest.raises(UnknownTopicOrPartitionError):
            while time.monotonic() - started < 30:
                c.poll(1)
        assert time.monotonic() - started < 30


def test_a_corrupt_batch_on_the_broker_is_raised_not_skipped(
    broker: str, kafka_broker: Any
) -> None:
    """A batch whose bytes were damaged on the broker's disk after it was written: the
    records before it are delivered, then CorruptRecordError at it, and again on the next poll
    (the position stays there) until the application seeks past it."""
    from kafkaproto.records.errors import CorruptRecordError

    topic = fresh("consumer-corrupt")
    asyncio.run(create_topic(broker, topic, 1))
    # Three batches of 5 records, each acknowledged alone: the linger keeps each five together
    # until flush sends them (with linger.ms=0 the first record could leave on its own).
    with Producer(bootstrap_servers=broker, linger_ms=60_000) as p:
        for batch_no in range(3):
            for i in range(5):
                p.send(ProducerRecord(topic, b"b%d-%d" % (batch_no, i), partition=0))
            p.flush()
    segment = kafka_broker.node_dir(1) / "data" / f"{topic}-0" / "00000000000000000000.log"
    data = bytearray(segment.read_bytes())
    assert int.from_bytes(data[57:61], "big") == 5  # the first batch's record count
    second = 12 + int.from_bytes(data[8:12], "big")  # where the second batch starts
    data[second + 17] ^= 0xFF  # its CRC
    with segment.open("r+b") as f:
        f.seek(second + 17)
        f.write(bytes([data[second + 17]]))
    tp = TopicPartition(topic, 0)
    with Consumer(bootstrap_servers=broker, auto_offset_reset="earliest") as c:
        c.assign([tp])
        values: list[Any] = []
        with pytest.raises(CorruptRecordError):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                values += [r.value for r in c.poll(1)]
        assert values == [b"b0-%d" % i for i in range(5)]
        assert c.position(tp) == 5
        with pytest.raises(CorruptRecordError):
            c.poll(5)
        c.seek(tp, 10)
        rest = c.poll(5)
        assert [r.value for r in rest] == [b"b2-%d" % i for i in range(5)]
    with Consumer(
        bootstrap_servers=broker, auto_offset_reset="earliest", check_crcs=False
    ) as unchecked:
        unchecked.assign([tp])
        everything: list[Any] = []
        deadline = time.monotonic() + 20
        while len(everything) < 15 and time.monotonic() < deadline:
            everything += [r.value for r in unchecked.poll(1)]
        assert len(everything) == 15  # check.crcs=false: the damaged CRC goes unnoticed


def test_consumer_over_sasl_ssl_reads_and_commits(kafka_broker: Any) -> None:
    """The consumer takes the shared security settings: SCRAM-SHA-512 over TLS, fetching and
    committing to the group coordinator."""
    import secure_testbed as tb

    ports, files = kafka_broker.secure_ports, kafka_broker.security_files
    bootstrap = f"{tb.HOST}:{ports.sasl_ssl}"
    settings: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{tb.USER}" password="{tb.PASSWORD}";',
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(files.ca),
    }
    topic = fresh("consumer-sasl")
    with Producer({**settings, "linger.ms": 1}) as p:
        for i in range(20):
            p.send(ProducerRecord(topic, b"s%d" % i, partition=0))
    tp = TopicPartition(topic, 0)
    with Consumer(
        {**settings, "group.id": fresh("sasl-group"), "auto.offset.reset": "earliest"}
    ) as c:
        c.assign([tp])
        values: list[Any] = []
        deadline = time.monotonic() + 30
        while len(values) < 20 and time.monotonic() < deadline:
            values += [r.value for r in c.poll(1)]
        assert values == [b"s%d" % i for i in range(20)]
        c.commit_sync()
        assert c.committed([tp])[tp] == OffsetAndMetadata(20, "", 0)


def test_auto_commit_on_reassign_and_close(broker: str) -> None:
    """enable.auto.commit (the default with a group.id): assign() commits the positions of the
    partitions it replaces, close() the rest, as Java's consumer does."""
    topic = fresh("consumer-autocommit")
    asyncio.run(create_topic(broker, topic, 2))
    produce(broker, topic, 10, partition=0)
    produce(broker, topic, 10, partition=1)
    a, b = TopicPartition(topic, 0), TopicPartition(topic, 1)
    group = fresh("auto")
    with Consumer(bootstrap_servers=broker, group_id=group, auto_offset_reset="earliest") as c:
        c.assign([a])
        while c.position(a) < 10:
            c.poll(1)
        c.assign([b])  # commits a's position with the next call
        got = 0
        while got < 10:
            got += len(c.poll(1))
    with Consumer(bootstrap_servers=broker, group_id=group) as c:
        committed = c.committed([a, b])
    assert {tp: om.offset if om else None for tp, om in committed.items()} == {a: 10, b: 10}
