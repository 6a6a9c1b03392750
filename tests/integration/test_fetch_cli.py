"""`python -m kafkaproto fetch` against the real broker: records produced with a raw Produce come
back as text lines and as JSON, and the command stops at the end of the partition or at --max."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from kafkaproto.__main__ import main
from kafkaproto.cluster import ClusterClient
from kafkaproto.messages.create_topics import CreateTopicsRequest, CreateTopicsRequestCreatableTopic
from kafkaproto.messages.produce import (
    ProduceRequest,
    ProduceRequestPartitionProduceData,
    ProduceRequestTopicProduceData,
)
from kafkaproto.records.batch_builder import BatchBuilder

pytestmark = pytest.mark.broker

RECORDS = [
    (b"k1", b"first value", 1_700_000_000_000, [("h", b"1")]),
    (None, "zweiter Wert — ü".encode(), 1_700_000_000_001, []),
    (b"k3", b"third", 1_700_000_000_002, [("a", b"x"), ("b", None)]),
]


async def produce(bootstrap: str, topic: str) -> None:
    async with ClusterClient(bootstrap) as client:
        conn = await client.any_connection()
        response = await conn.request(
            CreateTopicsRequest(
                topics=[
                    CreateTopicsRequestCreatableTopic(
                        name=topic, num_partitions=1, replication_factor=1
                    )
                ],
                timeout_ms=15000,
            )
        )
        assert response.topics[0].error_code == 0
        builder = BatchBuilder()
        for key, value, ts, headers in RECORDS:
            builder.append(key, value, timestamp=ts, headers=headers)
        batch = builder.build()
        leader = await client.leader_for(topic, 0, timeout=20)
        conn = await client.connection(leader.node_id)
        for _ in range(50):
            await client.refresh_metadata([topic])
            topic_id = client.topic_id(topic)
            reply = await conn.request(
                ProduceRequest(
                    acks=-1,
                    timeout_ms=10000,
                    topic_data=[
                        ProduceRequestTopicProduceData(
                            name=topic,  # name and id: each version writes the one it has
                            topic_id=topic_id or uuid.UUID(int=0),
                            partition_data=[
                                ProduceRequestPartitionProduceData(index=0, records=batch)
                            ],
                        )
                    ],
                )
            )
            code = reply.responses[0].partition_responses[0].error_code
            if code == 0:
                return
            await asyncio.sleep(0.2)  # a new partition briefly has no leader
        raise AssertionError(f"produce kept failing with error {code}")


def test_fetch_prints_values_then_json(broker: str, capsys: pytest.CaptureFixture[str]) -> None:
    topic = f"fetch-cli-{uuid.uuid4().hex[:8]}"
    asyncio.run(produce(broker, topic))
    assert main(["fetch", "--bootstrap", broker, "--topic", topic]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [v.decode() for _, v, _, _ in RECORDS]

    assert main(["fetch", "--bootstrap", broker, "--topic", topic, "--format", "json"]) == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["offset"] for d in docs] == [0, 1, 2]
    for doc, (key, value, ts, headers) in zip(docs, RECORDS, strict=True):
        assert doc["key"] == (key.decode() if key is not None else None)
        assert doc["value"] == value.decode()
        assert doc["timestamp"] == ts
        assert doc["headers"] == [[k, v.decode() if v is not None else None] for k, v in headers]

    args = ["fetch", "--bootstrap", broker, "--topic", topic, "--offset", "1", "--max", "1"]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [RECORDS[1][1].decode()]


def test_fetch_unknown_topic_is_a_clear_error(
    broker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["fetch", "--bootstrap", broker, "--topic", "no-such-topic-x", "--timeout", "5"]
    assert main(args) == 1
    assert "fetch:" in capsys.readouterr().err
