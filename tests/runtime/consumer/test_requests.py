"""The consumer's requests at every version kafkaproto speaks: each builds, encodes and decodes
to what was asked (topic names up to the id versions, ids from them), and the readers take the
matching responses back to plain values."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

import pytest
from kafkaproto.consumer._internals import requests
from kafkaproto.consumer._internals.fetch_session import FetchSessionHandler, PartitionData
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.message import Message
from kafkaproto.messages import APIS
from kafkaproto.messages.fetch import (
    FetchResponse,
    FetchResponseFetchableTopicResponse,
    FetchResponseLeaderIdAndEpoch,
    FetchResponsePartitionData,
)
from kafkaproto.messages.find_coordinator import (
    FindCoordinatorResponse,
    FindCoordinatorResponseCoordinator,
)
from kafkaproto.messages.list_offsets import (
    ListOffsetsResponse,
    ListOffsetsResponseListOffsetsPartitionResponse,
    ListOffsetsResponseListOffsetsTopicResponse,
)
from kafkaproto.messages.offset_commit import (
    OffsetCommitResponse,
    OffsetCommitResponsePartition,
    OffsetCommitResponseTopic,
)
from kafkaproto.messages.offset_fetch import (
    OffsetFetchResponse,
    OffsetFetchResponseGroup,
    OffsetFetchResponsePartition,
    OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
)

A, B = TopicPartition("orders", 0), TopicPartition("orders", 1)
ID = UUID("12345678-1234-5678-1234-567812345678")
M = TypeVar("M", bound=Message)


def versions(api_key: int) -> range:
    info = APIS[api_key]
    return range(info.min_version, info.latest_stable + 1)


def roundtrip(message: M, version: int) -> M:
    return type(message).decode(message.encode(version), version)


@pytest.mark.parametrize("version", versions(requests.FETCH))
def test_fetch_request_every_version(version: int) -> None:
    handler = FetchSessionHandler(1)
    data = handler.build(
        {A: PartitionData(ID, 42, -1, 1024, 7, None), B: PartitionData(ID, 5, -1, 1024, 7, None)}
    )
    request = roundtrip(
        requests.fetch_request(
            version,
            data,
            max_wait_ms=500,
            min_bytes=1,
            max_bytes=1 << 20,
            isolation_level=1,
            rack_id="r1",
        ),
        version,
    )
    (topic,) = request.topics
    if version >= requests.TOPIC_ID_VERSIONS[requests.FETCH]:
        assert topic.topic_id == ID
    else:
        assert topic.topic == "orders"
    assert [(p.partition, p.fetch_offset) for p in topic.partitions] == [(0, 42), (1, 5)]
    assert request.max_bytes == 1 << 20 and request.isolation_level == 1


@pytest.mark.parametrize("version", versions(requests.FETCH))
def test_fetch_response_every_version(version: int) -> None:
    by_id = version >= requests.TOPIC_ID_VERSIONS[requests.FETCH]
    part = FetchResponsePartitionData(
        partition_index=1,
        high_watermark=9,
        current_leader=FetchResponseLeaderIdAndEpoch(leader_id=2, leader_epoch=5)
        if version >= 12
        else FetchResponseLeaderIdAndEpoch(),
        records=b"",
    )
    topic = FetchResponseFetchableTopicResponse(
        topic="" if by_id else "orders", topic_id=ID if by_id else UUID(int=0), partitions=[part]
    )
    reply = roundtrip(FetchResponse(responses=[topic]), version)
    _, _, [(tp, got)] = requests.read_fetch_response(reply, version, {ID: "orders"})
    assert tp == B and got.high_watermark == 9
    assert got.current_leader == ((2, 5) if version >= 12 else None)


@pytest.mark.parametrize("version", versions(requests.LIST_OFFSETS))
def test_list_offsets_every_version(version: int) -> None:
    request = roundtrip(
        requests.list_offsets_request(version, {A: (3, -2)}, isolation_level=1, timeout_ms=100),
        version,
    )
    assert request.topics[0].name == "orders"
    assert request.topics[0].partitions[0].timestamp == -2
    part = ListOffsetsResponseListOffsetsPartitionResponse(
        partition_index=0,
        error_code=0,
        offset=17,
        timestamp=-1,
        leader_epoch=3 if version >= 4 else -1,
    )
    reply = ListOffsetsResponse(
        topics=[ListOffsetsResponseListOffsetsTopicResponse(name="orders", partitions=[part])]
    )
    (code, offset, _, epoch) = requests.read_list_offsets_response(roundtrip(reply, version))[A]
    assert (code, offset) == (0, 17)
    assert epoch == (3 if version >= 4 else None)


@pytest.mark.parametrize("version", versions(requests.OFFSET_COMMIT))
def test_offset_commit_every_version(version: int) -> None:
    offsets = {A: OffsetAndMetadata(10, "m", 2)}
    request = roundtrip(
        requests.offset_commit_request(version, "g", offsets, {"orders": ID}), version
    )
    assert request.group_id == "g"
    part = request.topics[0].partitions[0]
    assert (part.partition_index, part.committed_offset) == (0, 10)
    by_id = version >= requests.TOPIC_ID_VERSIONS[requests.OFFSET_COMMIT]
    if by_id:
        assert request.topics[0].topic_id == ID
    else:
        assert request.topics[0].name == "orders"
    reply = OffsetCommitResponse(
        topics=[
            OffsetCommitResponseTopic(
                name="" if by_id else "orders",
                topic_id=ID if by_id else UUID(int=0),
                partitions=[OffsetCommitResponsePartition(partition_index=0, error_code=27)],
            )
        ]
    )
    reply = roundtrip(reply, version)
    assert requests.read_offset_commit_response(reply, version, {ID: "orders"}) == {A: 27}


@pytest.mark.parametrize("version", versions(requests.OFFSET_FETCH))
def test_offset_fetch_every_version(version: int) -> None:
    request = roundtrip(
        requests.offset_fetch_request(version, "g", [A, B], {"orders": ID}, require_stable=True),
        version,
    )
    topics = request.groups[0].topics if version >= 8 else request.topics
    assert topics is not None
    assert list(topics[0].partition_indexes) == [0, 1]
    if version >= 8:
        by_id = version >= requests.TOPIC_ID_VERSIONS[requests.OFFSET_FETCH]
        part = OffsetFetchResponsePartitions(
            partition_index=0, committed_offset=5, committed_leader_epoch=1, metadata="m"
        )
        reply = OffsetFetchResponse(
            groups=[
                OffsetFetchResponseGroup(
                    group_id="g",
                    topics=[
                        OffsetFetchResponseTopics(
                            name="" if by_id else "orders",
                            topic_id=ID if by_id else UUID(int=0),
                            partitions=[part],
                        )
                    ],
                )
            ]
        )
    else:
        old = OffsetFetchResponsePartition(
            partition_index=0,
            committed_offset=5,
            committed_leader_epoch=1 if version >= 5 else -1,
            metadata="m",
        )
        reply = OffsetFetchResponse(
            topics=[OffsetFetchResponseTopic(name="orders", partitions=[old])]
        )
    error, offsets = requests.read_offset_fetch_response(
        roundtrip(reply, version), version, {ID: "orders"}
    )
    assert error == 0
    assert offsets == {A: (5, 1 if version >= 5 else None, "m", 0)}


@pytest.mark.parametrize("version", versions(requests.OFFSET_FOR_LEADER_EPOCH))
def test_offset_for_leader_epoch_every_version(version: int) -> None:
    request = roundtrip(requests.offset_for_leader_epoch_request({A: (5, 4)}), version)
    part = request.topics[0].partitions[0]
    assert (part.partition, part.current_leader_epoch, part.leader_epoch) == (0, 5, 4)


@pytest.mark.parametrize("version", versions(requests.FIND_COORDINATOR))
def test_find_coordinator_every_version(version: int) -> None:
    request = roundtrip(requests.find_coordinator_request(version, "g"), version)
    keys = list(request.coordinator_keys) if version >= 4 else [request.key]
    assert keys == ["g"]
    if version >= 4:
        c = FindCoordinatorResponseCoordinator(key="g", node_id=3, host="h", port=9)
        reply = FindCoordinatorResponse(coordinators=[c])
    else:
        reply = FindCoordinatorResponse(node_id=3, host="h", port=9)
    got = requests.read_find_coordinator_response(roundtrip(reply, version), version)
    assert got == (0, 3, "h", 9, "")  # Java's default error message
