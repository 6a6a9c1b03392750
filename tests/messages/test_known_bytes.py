"""Generated codecs against bytes written out by hand from Kafka's documented layouts (the
protocol guide's BNF: INT16/INT32 big-endian, COMPACT_STRING =
UNSIGNED_VARINT (length + 1) + UTF-8, ARRAY = INT32 count, COMPACT_ARRAY = UNSIGNED_VARINT
(count + 1), TAG_BUFFER = UNSIGNED_VARINT count of tagged fields, UUID = 16 bytes)."""

from __future__ import annotations

import struct
import uuid

import pytest
from kafkaproto.errors import DecodeError
from kafkaproto.message import RawTaggedField
from kafkaproto.messages.api_versions import (
    ApiVersionsRequest,
    ApiVersionsResponse,
    ApiVersionsResponseApiVersion,
)
from kafkaproto.messages.metadata import (
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from kafkaproto.messages.produce import (
    ProduceRequest,
    ProduceRequestPartitionProduceData,
    ProduceRequestTopicProduceData,
)


def i8(v: int) -> bytes:
    return struct.pack(">b", v)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def uvarint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def compact_string(s: str) -> bytes:
    data = s.encode()
    return uvarint(len(data) + 1) + data


NO_TAGS = b"\x00"


def test_api_versions_v0_request_is_empty_and_response_is_classic() -> None:
    assert ApiVersionsRequest().encode(0) == b""
    resp = ApiVersionsResponse(
        error_code=0,
        api_keys=[
            ApiVersionsResponseApiVersion(api_key=0, min_version=3, max_version=13),
            ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=4),
        ],
    )
    expected = i16(0) + i32(2) + i16(0) + i16(3) + i16(13) + i16(18) + i16(0) + i16(4)
    assert resp.encode(0) == expected
    assert ApiVersionsResponse.decode(expected, 0) == resp


def test_api_versions_v3_compact_strings_and_tag_buffers() -> None:
    req = ApiVersionsRequest(client_software_name="kafkaproto", client_software_version="0.1")
    expected = compact_string("kafkaproto") + compact_string("0.1") + NO_TAGS
    assert req.encode(3) == expected
    assert ApiVersionsRequest.decode(expected, 3) == req

    resp = ApiVersionsResponse(
        error_code=0,
        api_keys=[ApiVersionsResponseApiVersion(api_key=3, min_version=0, max_version=13)],
        throttle_time_ms=7,
        finalized_features_epoch=5,  # tagged field 1, written because it is not the default -1
    )
    tagged = uvarint(1) + uvarint(1) + uvarint(8) + struct.pack(">q", 5)
    expected = i16(0) + uvarint(2) + i16(3) + i16(0) + i16(13) + NO_TAGS + i32(7) + tagged
    assert resp.encode(3) == expected
    assert ApiVersionsResponse.decode(expected, 3) == resp


def test_unknown_tagged_fields_survive_decode_and_encode_byte_for_byte() -> None:
    # Tag 9 is unknown to ApiVersionsRequest v3; it must come back exactly as it went in.
    raw = compact_string("a") + compact_string("b") + uvarint(1) + uvarint(9) + uvarint(2) + b"hi"
    msg = ApiVersionsRequest.decode(raw, 3)
    assert msg.unknown_tagged_fields == (RawTaggedField(9, b"hi"),)
    assert msg.encode(3) == raw


def test_metadata_response_v12() -> None:
    topic_id = uuid.UUID("0123456789abcdef0123456789abcdef")
    msg = MetadataResponse(
        throttle_time_ms=0,
        brokers=[MetadataResponseBroker(node_id=1, host="h", port=9092, rack=None)],
        cluster_id="c",
        controller_id=1,
        topics=[
            MetadataResponseTopic(
                error_code=0,
                name="t",
                topic_id=topic_id,
                is_internal=False,
                partitions=[
                    MetadataResponsePartition(
                        error_code=0,
                        partition_index=0,
                        leader_id=1,
                        leader_epoch=2,
                        replica_nodes=[1],
                        isr_nodes=[1],
                        offline_replicas=[],
                    )
                ],
                topic_authorized_operations=-2147483648,
            )
        ],
    )
    broker = i32(1) + compact_string("h") + i32(9092) + b"\x00" + NO_TAGS  # rack: compact null
    partition = (
        i16(0)
        + i32(0)
        + i32(1)
        + i32(2)
        + uvarint(2)
        + i32(1)  # replica nodes
        + uvarint(2)
        + i32(1)  # isr nodes
        + uvarint(1)  # offline replicas: empty
        + NO_TAGS
    )
    topic = (
        i16(0)
        + compact_string("t")
        + topic_id.bytes
        + i8(0)
        + uvarint(2)
        + partition
        + i32(-2147483648)
        + NO_TAGS
    )
    expected = (
        i32(0) + uvarint(2) + broker + compact_string("c") + i32(1) + uvarint(2) + topic + NO_TAGS
    )
    assert msg.encode(12) == expected
    assert MetadataResponse.decode(expected, 12) == msg


def test_produce_v9_flexible_with_topic_names() -> None:
    records = b"\x01\x02\x03"
    msg = ProduceRequest(
        transactional_id=None,
        acks=-1,
        timeout_ms=30000,
        topic_data=[
            ProduceRequestTopicProduceData(
                name="events",
                partition_data=[ProduceRequestPartitionProduceData(index=2, records=records)],
            )
        ],
    )
    expected = (
        b"\x00"  # transactional id: compact null
        + i16(-1)
        + i32(30000)
        + uvarint(2)
        + compact_string("events")
        + uvarint(2)
        + i32(2)
        + uvarint(len(records) + 1)
        + records
        + NO_TAGS
        + NO_TAGS
        + NO_TAGS
    )
    assert msg.encode(9) == expected
    decoded = ProduceRequest.decode(expected, 9)
    assert decoded == msg
    assert bytes(decoded.topic_data[0].partition_data[0].records or b"") == records


def test_produce_v13_uses_topic_ids() -> None:
    topic_id = uuid.UUID(int=42)
    msg = ProduceRequest(
        transactional_id="tx",
        acks=1,
        timeout_ms=1000,
        topic_data=[
            ProduceRequestTopicProduceData(
                topic_id=topic_id,
                partition_data=[ProduceRequestPartitionProduceData(index=0, records=None)],
            )
        ],
    )
    expected = (
        compact_string("tx")
        + i16(1)
        + i32(1000)
        + uvarint(2)
        + topic_id.bytes
        + uvarint(2)
        + i32(0)
        + b"\x00"
        + NO_TAGS  # records: compact null
        + NO_TAGS
        + NO_TAGS
    )
    assert msg.encode(13) == expected
    assert ProduceRequest.decode(expected, 13) == msg
    # v13 has no topic name: the field keeps its default on the way back.
    assert ProduceRequest.decode(expected, 13).topic_data[0].name == ""


def test_a_tag_the_version_does_not_have_yet_is_refused_as_java_does() -> None:
    # BrokerHeartbeatRequest v0 is flexible but has no tagged field; tag 0 (OfflineLogDirs) is
    # tagged from v1. Kafka's Java class throws "Tag 0 is not valid for version 0" rather than
    # keeping it as an unknown field; a tag the class never has is kept.
    from kafkaproto.messages.broker_heartbeat import BrokerHeartbeatRequest

    body = i32(1) + i64(2) + i64(3) + b"\x00\x00"
    with_tag0 = body + uvarint(1) + uvarint(0) + uvarint(1) + b"\x01"
    with_tag9 = body + uvarint(1) + uvarint(9) + uvarint(1) + b"\x01"
    with pytest.raises(DecodeError, match="tag 0 is not valid"):
        BrokerHeartbeatRequest.decode(with_tag0, 0)
    kept = BrokerHeartbeatRequest.decode(with_tag9, 0).unknown_tagged_fields
    assert kept == (RawTaggedField(9, b"\x01"),)
