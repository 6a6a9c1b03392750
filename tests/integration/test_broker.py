"""Smoke tests: the real broker answers requests built by hand (no generated code involved)."""

from __future__ import annotations

import time
import uuid

import kafka_wire
import pytest

pytestmark = pytest.mark.broker

HOST = "127.0.0.1"
PRODUCE, FETCH, METADATA, API_VERSIONS, CREATE_TOPICS = 0, 1, 3, 18, 19


def _port(bootstrap: str) -> int:
    return int(bootstrap.split(",")[0].rsplit(":", 1)[1])


def test_api_versions_v0(broker: str) -> None:
    result = kafka_wire.api_versions_v0(HOST, _port(broker))
    assert result.error_code == 0
    for api in (PRODUCE, FETCH, METADATA, API_VERSIONS, CREATE_TOPICS):
        lo, hi = result.versions[api]
        assert 0 <= lo <= hi, (api, lo, hi)
    # ApiVersions v3 is the first flexible version; every 4.x broker serves it.
    assert result.versions[API_VERSIONS][1] >= 3


def test_api_versions_v3_matches_v0(broker: str) -> None:
    v0 = kafka_wire.api_versions_v0(HOST, _port(broker))
    v3 = kafka_wire.api_versions_v3(HOST, _port(broker))
    assert v3.error_code == 0
    assert v3.throttle_time_ms == 0
    assert v3.versions == v0.versions
    # KRaft brokers always finalize metadata.version; it arrives in tagged field 2.
    assert "metadata.version" in v3.finalized_features


def test_create_topic_then_metadata_and_offsets(broker: str) -> None:
    port = _port(broker)
    topic = f"smoke-{uuid.uuid4().hex[:12]}"
    created = kafka_wire.create_topics_v7(HOST, port, {topic: (3, 1)})
    assert created[topic].error_code == 0, created[topic].error_message
    assert created[topic].num_partitions == 3
    assert created[topic].topic_id != uuid.UUID(int=0)

    meta = kafka_wire.metadata_v12(HOST, port, [topic])
    assert set(meta.brokers) == {1}
    assert meta.brokers[1] == (HOST, port)
    info = meta.topics[topic]
    assert info.error_code == 0
    assert info.topic_id == created[topic].topic_id
    assert sorted(p.index for p in info.partitions) == [0, 1, 2]
    assert all(p.leader == 1 and p.isr == (1,) for p in info.partitions)

    # A just-created partition can answer NOT_LEADER_OR_FOLLOWER (6) for a moment.
    deadline = time.monotonic() + 30
    while True:
        error, offset = kafka_wire.list_offsets_v1(HOST, port, topic, 2)
        if error != 6 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (error, offset) == (0, 0)


def test_creating_an_existing_topic_is_an_error(broker: str) -> None:
    port = _port(broker)
    topic = f"smoke-{uuid.uuid4().hex[:12]}"
    assert kafka_wire.create_topics_v7(HOST, port, {topic: (1, 1)})[topic].error_code == 0
    again = kafka_wire.create_topics_v7(HOST, port, {topic: (1, 1)})[topic]
    assert again.error_code == 36  # TOPIC_ALREADY_EXISTS
    assert again.error_message
