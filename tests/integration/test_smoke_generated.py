"""Smoke tests of the generated classes against the real broker, over a plain blocking socket.

Only generated classes frame and read the traffic: request header (v1 or v2, as
``request_header_version`` says) + body out; response header (v0 or v1) + body in, the
correlation id checked. ApiVersions at every version the broker offers, Metadata at every
version, CreateTopics, a Produce of a hand-built uncompressed v2 RecordBatch (Produce v13 names
the topic by id) and a Fetch reading it back. Marked `broker`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafkaproto.messages import APIS
from kafkaproto.messages import api_versions as av
from kafkaproto.messages import fetch as fe
from kafkaproto.messages import metadata as md
from kafkaproto.messages import produce as pr
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.reader import read_batches
from raw_client import Connection, broker_ranges, create_topic, delete_topic, usable

pytestmark = pytest.mark.broker


@pytest.fixture
def conn(broker: str) -> Iterator[Connection]:
    c = Connection(broker, client_id="kafkaproto-smoke")
    try:
        yield c
    finally:
        c.close()


def test_api_versions_at_every_version(conn: Connection) -> None:
    ranges = broker_ranges(conn)
    low, high = ranges[18]
    assert low == 0 and high >= 3
    # The client software fields exist from v3 on and are ignorable below (left out there).
    request = av.ApiVersionsRequest(
        client_software_name="kafkaproto", client_software_version="0.1.0"
    )
    for version in range(0, high + 1):
        reply = conn.call(request, version)
        assert isinstance(reply, av.ApiVersionsResponse)
        assert reply.error_code == 0
        assert {k.api_key: (k.min_version, k.max_version) for k in reply.api_keys} == ranges
        if version >= 1:
            assert reply.throttle_time_ms == 0
    # Every API the broker offers is one we know, within the versions we have. Produce is the
    # exception at the low end: Kafka advertises min version 0 for old clients' sake
    # (ApiKeys.PRODUCE_API_VERSIONS_RESPONSE_MIN_VERSION) though v0-2 are gone from the specs.
    for key, (lo, hi) in ranges.items():
        assert key in APIS, key
        info = APIS[key]
        assert lo <= hi <= info.max_version, info.name
        if key == 0:
            assert lo <= info.min_version
        else:
            assert info.min_version <= lo, info.name


def test_metadata_at_every_version(conn: Connection) -> None:
    ranges = broker_ranges(conn)
    name = f"kafkaproto-smoke-md-{uuid.uuid4().hex[:12]}"
    topic_id = create_topic(conn, ranges, name)
    low, high = ranges[3]
    try:
        for version in range(low, min(high, APIS[3].latest_stable) + 1):
            request = md.MetadataRequest(
                topics=(md.MetadataRequestTopic(name=name),),
                # Exists from v4 on; below, only its default (true) can be written.
                allow_auto_topic_creation=version < 4,
            )
            reply = conn.call(request, version)
            assert isinstance(reply, md.MetadataResponse)
            assert [b.port for b in reply.brokers] == [int(conn.sock.getpeername()[1])]
            (topic,) = reply.topics
            assert (topic.name, topic.error_code) == (name, 0)
            assert [p.partition_index for p in topic.partitions] == [0]
            if version >= 10:
                assert topic.topic_id == topic_id
    finally:
        delete_topic(conn, ranges, name)


RECORDS = [
    (b"k1", b"hello"),
    (None, "unicode \u00e9\u65e5\U0001f600".encode()),
    (b"k3", None),
    (b"", b"x" * 3000),
]


def test_produce_then_fetch_round_trips_the_records(conn: Connection) -> None:
    ranges = broker_ranges(conn)
    assert usable(ranges, 0) == 13 and usable(ranges, 1) >= 13
    name = f"kafkaproto-smoke-{uuid.uuid4().hex[:12]}"
    topic_id = create_topic(conn, ranges, name)
    try:
        builder = BatchBuilder()
        for key, value in RECORDS:
            assert builder.append(key, value, timestamp=1_700_000_000_000) >= 0
        batch = builder.build()

        produce = pr.ProduceRequest(
            acks=-1,
            timeout_ms=10_000,
            topic_data=(
                pr.ProduceRequestTopicProduceData(
                    topic_id=topic_id,
                    partition_data=(pr.ProduceRequestPartitionProduceData(index=0, records=batch),),
                ),
            ),
        )
        reply = conn.call(produce, 13)
        (topic,) = reply.responses
        assert topic.topic_id == topic_id
        (part,) = topic.partition_responses
        assert (part.index, part.error_code, part.base_offset) == (0, 0, 0), part

        fetch_version = usable(ranges, 1)
        part = fe.FetchRequestFetchPartition(
            partition=0, fetch_offset=0, partition_max_bytes=1 << 20
        )
        request = fe.FetchRequest(
            max_wait_ms=500,
            min_bytes=1,
            max_bytes=1 << 20,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=(fe.FetchRequestFetchTopic(topic_id=topic_id, partitions=(part,)),),
        )
        fetched = conn.call(request, fetch_version)
        assert fetched.error_code == 0
        (ftopic,) = fetched.responses
        assert ftopic.topic_id == topic_id
        (fpart,) = ftopic.partitions
        assert fpart.error_code == 0 and fpart.high_watermark == len(RECORDS)
        assert fpart.records is not None
        read = read_batches(fpart.records, partition=(name, 0))
        assert not read.has_partial
        records = [r for b in read.batches for r in b.records]
        assert [(r.offset, r.key, r.value) for r in records] == [
            (i, k, v) for i, (k, v) in enumerate(RECORDS)
        ]
        assert all(r.timestamp == 1_700_000_000_000 for r in records)
    finally:
        delete_topic(conn, ranges, name)
