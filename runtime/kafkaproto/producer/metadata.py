"""The cluster metadata the producer engine reads: topics, partitions, leaders, topic ids.

``ClusterSnapshot`` is an immutable view handed over by whoever fetches metadata (the cluster
client, or a test's fake transport); the accumulator and sender only read it. Lookups the hot
paths need (leader of a partition, partitions led by a node) are precomputed once per snapshot.
This module must never fetch anything or import the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from uuid import UUID

from kafkaproto.error_codes import KafkaError
from kafkaproto.partitioner import TopicAvailability

__all__ = ["NO_LEADER", "ZERO_UUID", "ClusterSnapshot", "PartitionInfo", "TopicInfo"]

NO_LEADER = -1
ZERO_UUID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """One partition: its leader's node id (``NO_LEADER`` when there is none), leader epoch and
    the leader's rack."""

    partition: int
    leader: int = NO_LEADER
    leader_epoch: int = -1
    leader_rack: str | None = None


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """One topic: id (zero when unknown), partitions, and the error the metadata response gave
    for it (e.g. ``UnknownTopicOrPartitionError`` while auto-creation is pending)."""

    name: str
    partitions: tuple[PartitionInfo, ...] = ()
    topic_id: UUID = ZERO_UUID
    error: KafkaError | None = None


@dataclass(frozen=True)
class ClusterSnapshot:
    """Topics by name; ``availability``/``leader_for``/``partitions_for_node`` are precomputed."""

    topics: Mapping[str, TopicInfo]
    _leaders: dict[tuple[str, int], int] = field(init=False, repr=False, compare=False)
    _by_node: dict[int, tuple[tuple[str, int], ...]] = field(init=False, repr=False, compare=False)
    _available: dict[str, TopicAvailability] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        leaders: dict[tuple[str, int], int] = {}
        by_node: dict[int, list[tuple[str, int]]] = {}
        available: dict[str, TopicAvailability] = {}
        for name in sorted(self.topics):
            topic = self.topics[name]
            if not topic.partitions:
                continue
            led = [p for p in topic.partitions if p.leader != NO_LEADER]
            available[name] = TopicAvailability(
                len(topic.partitions),
                tuple(p.partition for p in led),
                tuple(p.leader_rack for p in led),
            )
            for p in topic.partitions:
                if p.leader != NO_LEADER:
                    leaders[(name, p.partition)] = p.leader
                    by_node.setdefault(p.leader, []).append((name, p.partition))
        object.__setattr__(self, "topics", MappingProxyType(dict(self.topics)))
        object.__setattr__(self, "_leaders", leaders)
        object.__setattr__(self, "_by_node", {k: tuple(v) for k, v in by_node.items()})
        object.__setattr__(self, "_available", available)

    @classmethod
    def of(cls, topics: Iterable[TopicInfo]) -> ClusterSnapshot:
        return cls({t.name: t for t in topics})

    def leader_for(self, topic: str, partition: int) -> int | None:
        return self._leaders.get((topic, partition))

    def partitions_for_node(self, node_id: int) -> tuple[tuple[str, int], ...]:
        return self._by_node.get(node_id, ())

    def availability(self, topic: str) -> TopicAvailability | None:
        """What the sticky partitioner needs, or None when the topic has no partitions yet."""
        return self._available.get(topic)

    def num_partitions(self, topic: str) -> int:
        t = self.topics.get(topic)
        return len(t.partitions) if t is not None else 0

    def topic_id(self, topic: str) -> UUID:
        t = self.topics.get(topic)
        return t.topic_id if t is not None else ZERO_UUID

    def leader_epoch(self, topic: str, partition: int) -> int:
        t = self.topics.get(topic)
        if t is not None:
            for p in t.partitions:
                if p.partition == partition:
                    return p.leader_epoch
        return -1
