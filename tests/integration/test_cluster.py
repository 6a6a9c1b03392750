"""The three-node cluster keeps a replicated partition available while one node is down."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import kafka_wire
import pytest
from kafka_cluster import HOST, KafkaCluster
from kafka_wire import PartitionInfo

pytestmark = pytest.mark.cluster

NOT_LEADER_OR_FOLLOWER = 6


def _wait_partition(
    kafka: KafkaCluster,
    via: int,
    topic: str,
    what: str,
    accept: Callable[[PartitionInfo], bool],
    timeout: float = 60.0,
) -> PartitionInfo:
    """Poll Metadata v12 on node `via` until partition 0 of topic satisfies accept()."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            info = kafka_wire.metadata_v12(HOST, kafka.spec.node(via).port, [topic]).topics.get(
                topic
            )
        except (OSError, kafka_wire.WireError) as exc:
            info, last = None, exc
        if info is not None and info.error_code == 0 and info.partitions:
            last = info.partitions[0]
            if accept(info.partitions[0]):
                return info.partitions[0]
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last}")


def _list_offsets_on(kafka: KafkaCluster, leader: int, topic: str) -> tuple[int, int]:
    """ListOffsets (latest) on the leader, retrying while it is still taking over leadership."""
    deadline = time.monotonic() + 30
    while True:
        result = kafka_wire.list_offsets_v1(HOST, kafka.spec.node(leader).port, topic, 0)
        if result[0] != NOT_LEADER_OR_FOLLOWER or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


@pytest.mark.parametrize("hard", [False, True], ids=["sigterm", "sigkill"])
def test_partition_survives_losing_its_leader(kafka_cluster: KafkaCluster, hard: bool) -> None:
    all_nodes = {n.node_id for n in kafka_cluster.spec.nodes}
    topic = f"replicated-{uuid.uuid4().hex[:12]}"
    created = kafka_wire.create_topics_v7(HOST, kafka_cluster.spec.nodes[0].port, {topic: (1, 3)})
    assert created[topic].error_code == 0, created[topic].error_message
    assert created[topic].replication_factor == 3

    full = _wait_partition(
        kafka_cluster, 1, topic, "all three replicas in sync", lambda p: set(p.isr) == all_nodes
    )
    assert set(full.replicas) == all_nodes
    old_leader = full.leader
    others = all_nodes - {old_leader}
    survivor = min(others)

    kafka_cluster.stop_node(old_leader, hard=hard)
    try:
        moved = _wait_partition(
            kafka_cluster,
            survivor,
            topic,
            f"a new leader and a shrunk ISR after stopping node {old_leader}",
            lambda p: p.leader in others and old_leader not in p.isr,
        )
        assert moved.leader_epoch > full.leader_epoch
        assert _list_offsets_on(kafka_cluster, moved.leader, topic) == (0, 0)
    finally:
        kafka_cluster.start_node(old_leader)

    _wait_partition(
        kafka_cluster,
        survivor,
        topic,
        f"node {old_leader} back in the ISR",
        lambda p: set(p.isr) == all_nodes,
    )
