"""The consumer's requests at every version kafkaproto speaks: each builds, encodes and decodes
to what was asked (topic names up to the id versions, ids from them), and the readers take the
matching responses back to plain values."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from kafkaproto.consumer import requests
from kafkaproto.consumer.fetch_session import FetchSessionHandler, PartitionData
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.messages import APIS, response_class

A, B = TopicPartition("orders", 0), TopicPartition("orders", 1)
ID = UUID("12345678-1234-5678-1234-567812345678")


def versions(api_key: int) -> range:
    info = APIS[api_key]
    return range(info.min_version, info.latest_stable + 1)


def roundtrip(message: Any) -> Any:
    return type(message).decode(message.encode())


@pytest.mark.parametrize("version", versions(requests.FETCH))
def test_fetch_request_every_version(version: int) -> None:
    handler = FetchSessionHandler(1)
    data = handler.build(
        {A: PartitionData(ID, 42, -1, 1024, 7, None), B: PartitionData(ID, 5, -1, 1024, 7, None)}
    )
    cls = requests.versioned(requests.FETCH, version)
    request = roundtrip(
        requests.fetch_request(
            cls,
            data,
            max_wait_ms=500,
            min_bytes=1,
            max_bytes=1 << 20,
            isolation_level=1,
            rack_id="r1",
        )
    )
    (topic,) = request.topics
    if version >= requests.TOPIC_ID_VERSIONS[requests.FETCH]:
        assert topic.topic_id == ID
    else:
        assert topic.topic == "orders"
    assert [(p.partition, p.fetch_offset) for p in topic.partitions] == [(0, 42), (1, 5)]
    assert request.max_bytes == 1 << 20 and request.isolation_level == 1


@pytest.mark.parametrize("version", versions(requests.LIST_OFFSETS))
def test_list_offsets_every_version(version: int) -> None:
    cls = requests.versioned(requests.LIST_OFFSETS, version)
    request = roundtrip(
        requests.list_offsets_request(cls, {A: (3, -2)}, isolation_level=1, timeout_ms=100)
    )
    assert request.topics[0].name == "orders"
    assert request.topics[0].partitions[0].timestamp == -2
    reply_cls = response_class(requests.LIST_OFFSETS, version)
    fields = {f.attr: f for f in reply_cls._fields_}
    topic_cls, part_cls = fields["topics"].cls, None
    part_cls = {f.attr: f for f in topic_cls._fields_}["partitions"].cls
    part = requests._build(
        part_cls,
        partition_index=0,
        error_code=0,
        offset=17,
        timestamp=-1,
        leader_epoch=3,
        old_style_offsets=[17],
    )
    reply = requests._build(
        reply_cls, topics=[requests._build(topic_cls, name="orders", partitions=[part])]
    )
    (code, offset, _, epoch) = requests.read_list_offsets_response(roundtrip(reply))[A]
    assert (code, offset) == (0, 17)
    assert epoch == (3 if version >= 4 else None)


@pytest.mark.parametrize("version", versions(requests.OFFSET_COMMIT))
def test_offset_commit_every_version(version: int) -> None:
    cls = requests.versioned(requests.OFFSET_COMMIT, version)
    offsets = {A: OffsetAndMetadata(10, "m", 2)}
    request = roundtrip(requests.offset_commit_request(cls, "g", offsets, {"orders": ID}))
    assert request.group_id == "g"
    part = request.topics[0].partitions[0]
    assert (part.partition_index, part.committed_offset) == (0, 10)
    if version >= requests.TOPIC_ID_VERSIONS[requests.OFFSET_COMMIT]:
        assert request.topics[0].topic_id == ID
    else:
        assert request.topics[0].name == "orders"


@pytest.mark.parametrize("version", versions(requests.OFFSET_FETCH))
def test_offset_fetch_every_version(version: int) -> None:
    cls = requests.versioned(requests.OFFSET_FETCH, version)
    request = roundtrip(
        requests.offset_fetch_request(cls, "g", [A, B], {"orders": ID}, require_stable=True)
    )
    topics = request.groups[0].topics if version >= 8 else request.topics
    assert list(topics[0].partition_indexes) == [0, 1]


@pytest.mark.parametrize("version", versions(requests.OFFSET_FOR_LEADER_EPOCH))
def test_offset_for_leader_epoch_every_version(version: int) -> None:
    cls = requests.versioned(requests.OFFSET_FOR_LEADER_EPOCH, version)
    request = roundtrip(requests.offset_for_leader_epoch_request(cls, {A: (5, 4)}))
    part = request.topics[0].partitions[0]
    assert (part.partition, part.current_leader_epoch, part.leader_epoch) == (0, 5, 4)


@pytest.mark.parametrize("version", versions(requests.FIND_COORDINATOR))
def test_find_coordinator_every_version(version: int) -> None:
    cls = requests.versioned(requests.FIND_COORDINATOR, version)
    request = roundtrip(requests.find_coordinator_request(cls, "g"))
    keys = list(request.coordinator_keys) if version >= 4 else [request.key]
    assert keys == ["g"]
