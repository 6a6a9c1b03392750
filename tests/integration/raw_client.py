"""A minimal blocking Kafka client made only of generated classes, for tests against a real broker.

One socket to 127.0.0.1, one request in flight at a time: request header (v1 or v2, as
``request_header_version`` says) + body out; response header (v0 or v1) + body in, the
correlation id checked. Plus the few admin and data calls the integration tests share: topic
create/delete by name, Produce of one ready-made batch, Fetch of a partition's records.

It is test code: every socket read is bounded by ``TIMEOUT`` and every broker answer is asserted,
so a misbehaving broker fails the test instead of hanging it. It never retries.
"""

from __future__ import annotations

import socket
import struct
import time
import uuid
from typing import TypeVar

from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import APIS, ApiKey, request_header_version, response_header_version
from kafkaproto.messages import api_versions as av
from kafkaproto.messages import create_topics as ct
from kafkaproto.messages import delete_topics as dt
from kafkaproto.messages import fetch as fe
from kafkaproto.messages import metadata as md
from kafkaproto.messages import produce as pr
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.messages.response_header import ResponseHeader

TIMEOUT = 15.0
_SIZE = struct.Struct(">i")
R = TypeVar("R", bound=ApiResponse)


class Connection:
    """One blocking socket to 127.0.0.1; one request in flight at a time."""

    def __init__(self, bootstrap: str, client_id: str = "kafkaproto-test") -> None:
        host, port = bootstrap.split(",")[0].rsplit(":", 1)
        assert host == "127.0.0.1"
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.client_id = client_id
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, request: ApiRequest[R], version: int) -> R:
        key = request.api_key
        self.correlation_id += 1
        header = RequestHeader(
            request_api_key=key,
            request_api_version=version,
            correlation_id=self.correlation_id,
            client_id=self.client_id,
        )
        frame = bytearray(4)
        header.encode_into(frame, request_header_version(key, version))
        request.encode_into(frame, version)
        frame[:4] = _SIZE.pack(len(frame) - 4)
        self.sock.sendall(frame)
        (size,) = _SIZE.unpack(self._read(4))
        assert 0 < size < 64 << 20
        data = memoryview(self._read(size))
        reply_header, pos = ResponseHeader.decode_from(
            data, 0, response_header_version(key, version)
        )
        assert reply_header.correlation_id == self.correlation_id
        reply = type(request).response_class.decode(data[pos:], version)
        return reply  # type: ignore[return-value]  # R is the request's response class

    def _read(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"broker closed the connection after {len(buf)}/{n} bytes")
            buf += chunk
        return bytes(buf)


def broker_ranges(conn: Connection) -> dict[int, tuple[int, int]]:
    reply = conn.call(av.ApiVersionsRequest(), 0)
    assert reply.error_code == 0
    return {k.api_key: (k.min_version, k.max_version) for k in reply.api_keys}


def usable(ranges: dict[int, tuple[int, int]], api_key: int) -> int:
    """The newest version both the broker and our stable classes have."""
    version = min(ranges[api_key][1], APIS[api_key].latest_stable)
    assert version >= ranges[api_key][0]
    return version


def create_topic(conn: Connection, ranges: dict[int, tuple[int, int]], name: str) -> uuid.UUID:
    """Create a one-partition topic and wait until it has a leader; return its topic id."""
    version = usable(ranges, ApiKey.CREATE_TOPICS)
    topic = ct.CreateTopicsRequestCreatableTopic(name=name, num_partitions=1, replication_factor=1)
    reply = conn.call(ct.CreateTopicsRequest(topics=(topic,), timeout_ms=10_000), version)
    assert len(reply.topics) == 1
    result = reply.topics[0]
    assert (result.name, result.error_code) == (name, 0), result
    if version >= 7:
        assert result.topic_id != uuid.UUID(int=0)
    return wait_for_leader(conn, ranges, name)


def wait_for_leader(conn: Connection, ranges: dict[int, tuple[int, int]], name: str) -> uuid.UUID:
    version = usable(ranges, ApiKey.METADATA)
    deadline = time.monotonic() + TIMEOUT
    while True:
        reply = conn.call(
            md.MetadataRequest(
                topics=(md.MetadataRequestTopic(name=name),), allow_auto_topic_creation=False
            ),
            version,
        )
        (topic,) = reply.topics
        if topic.error_code == 0 and topic.partitions and topic.partitions[0].leader_id >= 0:
            assert topic.name == name and topic.topic_id != uuid.UUID(int=0)
            return topic.topic_id
        assert time.monotonic() < deadline, f"no leader for {name}: {topic}"
        time.sleep(0.2)


def delete_topic(conn: Connection, ranges: dict[int, tuple[int, int]], name: str) -> None:
    version = min(usable(ranges, ApiKey.DELETE_TOPICS), 5)  # v5 names topics by name
    reply = conn.call(dt.DeleteTopicsRequest(topic_names=(name,), timeout_ms=10_000), version)
    assert [(r.name, r.error_code) for r in reply.responses] == [(name, 0)]


def produce_batch(conn: Connection, topic_id: uuid.UUID, batch: bytes) -> int:
    """Produce v13 (topic by id) of one ready-made batch to partition 0 with acks=all; return
    the base offset the broker gave it. A just-created partition may answer with a retriable
    leadership error for a moment (NOT_LEADER_OR_FOLLOWER and friends): retried for up to 10 s."""
    retriable = {
        3,
        5,
        6,
        100,
    }  # unknown topic/partition, leader not available, not leader, unknown id
    deadline = time.monotonic() + 10
    while True:
        reply = conn.call(
            pr.ProduceRequest(
                acks=-1,
                timeout_ms=10_000,
                topic_data=(
                    pr.ProduceRequestTopicProduceData(
                        topic_id=topic_id,
                        partition_data=(
                            pr.ProduceRequestPartitionProduceData(index=0, records=batch),
                        ),
                    ),
                ),
            ),
            13,
        )
        (topic,) = reply.responses
        assert topic.topic_id == topic_id
        (part,) = topic.partition_responses
        if part.error_code in retriable and time.monotonic() < deadline:
            time.sleep(0.1)
            continue
        assert (part.index, part.error_code) == (0, 0), part
        return part.base_offset


def fetch_records(
    conn: Connection,
    ranges: dict[int, tuple[int, int]],
    topic_id: uuid.UUID,
    offset: int = 0,
    max_bytes: int = 8 << 20,
) -> tuple[int, memoryview]:
    """One Fetch (newest common version, topic by id) of partition 0 from ``offset``; returns
    the high watermark and the records bytes as the broker sent them."""
    version = usable(ranges, ApiKey.FETCH)
    assert version >= 13  # topics by id
    partition = fe.FetchRequestFetchPartition(
        partition=0, fetch_offset=offset, partition_max_bytes=max_bytes
    )
    reply = conn.call(
        fe.FetchRequest(
            max_wait_ms=500,
            min_bytes=1,
            max_bytes=max_bytes,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=(fe.FetchRequestFetchTopic(topic_id=topic_id, partitions=(partition,)),),
        ),
        version,
    )
    assert reply.error_code == 0
    (topic,) = reply.responses
    assert topic.topic_id == topic_id
    (part,) = topic.partitions
    assert part.error_code == 0, part
    return part.high_watermark, memoryview(part.records if part.records is not None else b"")
