"""The classic protocol's client-side partition assignors, as Kafka 4.4's Java client has them:
``range`` (Java's ``RangeAssignor``, rack-aware per KIP-881), ``roundrobin``
(``RoundRobinAssignor``), and, in :mod:`~kafkaproto.consumer._internals.sticky_assignor`,
``sticky`` and
``cooperative-sticky`` (KIP-54, KIP-429, rack-aware). The group leader runs the assignor the
coordinator chose — whichever client the leader is, Java's or ours — so each computes what
Java's computes for the same subscriptions: same sorting, same tie-breaking.

An assignor is named in ``partition.assignment.strategy`` by its Java class name
(``org.apache.kafka.clients.consumer.RangeAssignor``) or its protocol name (``range``);
:func:`assignors_for` builds them. The rebalance protocol a consumer follows is the most
advanced one every configured assignor supports (Java's ``ConsumerCoordinator``): with the
default ``[range, cooperative-sticky]`` that is EAGER.

Pure functions of their inputs: no I/O, no clock, no randomness; this module must never import
the engine or the coordinator.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from kafkaproto.config import ConfigError
from kafkaproto.consumer._internals.group_requests import Assignment, Subscription
from kafkaproto.consumer.record import TopicPartition

__all__ = [
    "JAVA_CLASS_NAMES",
    "AbstractPartitionAssignor",
    "ConsumerPartitionAssignor",
    "MemberInfo",
    "PartitionInfo",
    "RangeAssignor",
    "RebalanceProtocol",
    "RoundRobinAssignor",
    "assignors_for",
    "rebalance_protocol",
    "use_rack_aware_assignment",
]


class RebalanceProtocol(enum.IntEnum):
    """Java's ``ConsumerPartitionAssignor.RebalanceProtocol``: the id says how advanced it is."""

    EAGER = 0  # every member gives up everything before rejoining
    COOPERATIVE = 1  # KIP-429: only partitions that move are given up, in a second rebalance


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """What an assignor knows of a partition: its replicas' racks (None: no rack)."""

    topic: str
    partition: int
    replica_racks: tuple[str | None, ...] = ()

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def racks(self) -> set[str]:
        return {r for r in self.replica_racks if r is not None}


class ConsumerPartitionAssignor(Protocol):
    """Java's ``ConsumerPartitionAssignor`` (the methods the coordinator calls)."""

    name: str
    supported_protocols: tuple[RebalanceProtocol, ...]

    def subscription_user_data(self, topics: frozenset[str]) -> bytes | None: ...

    def on_assignment(self, assignment: Assignment, generation_id: int) -> None: ...

    def assign(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, Assignment]: ...


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """Java's ``AbstractPartitionAssignor.MemberInfo``: members with a group instance id come
    first (by instance id), then the others by member id — so static members keep their
    place across restarts (KIP-345)."""

    member_id: str
    group_instance_id: str | None = None
    rack_id: str | None = None

    def sort_key(self) -> tuple[int, str]:
        if self.group_instance_id is not None:
            return (0, self.group_instance_id)
        return (1, self.member_id)


def use_rack_aware_assignment(
    consumer_racks: set[str],
    partition_racks: set[str],
    racks_per_partition: Mapping[TopicPartition, set[str]],
) -> bool:
    """Java's ``useRackAwareAssignment``: consumers and replicas have racks in common, and not
    every partition has replicas on every rack (then any consumer is as good as another)."""
    if not consumer_racks or consumer_racks.isdisjoint(partition_racks):
        return False
    return not all(racks == partition_racks for racks in racks_per_partition.values())


def topic_partition_key(tp: TopicPartition) -> tuple[str, int]:
    """Java's ``TopicPartitionComparator``: by topic, then partition."""
    return (tp.topic, tp.partition)


class AbstractPartitionAssignor:
    """Java's ``AbstractPartitionAssignor``: turns the group's subscriptions and the cluster's
    partitions into one ``Assignment`` per member; subclasses map members to partitions."""

    name: ClassVar[str]
    supported_protocols: ClassVar[tuple[RebalanceProtocol, ...]] = (RebalanceProtocol.EAGER,)

    def subscription_user_data(self, topics: frozenset[str]) -> bytes | None:
        return None

    def on_assignment(self, assignment: Assignment, generation_id: int) -> None:
        return None

    def assign(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, Assignment]:
        """Every member's assignment; topics without partitions in the metadata are left out
        (Java: "Skipping assignment for topic ... since no metadata is available")."""
        subscribed = {t for s in subscriptions.values() for t in s.topics}
        known = {
            t: sorted(partitions_per_topic[t], key=lambda p: p.partition)
            for t in subscribed
            if partitions_per_topic.get(t)
        }
        raw = self.assign_partitions(known, subscriptions)
        return {member: Assignment(tuple(parts)) for member, parts in raw.items()}

    def assign_partitions(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, list[TopicPartition]]:
        raise NotImplementedError


# --- range ----------------------------------------------------------------------------------------


class _TopicAssignmentState:
    """Java's ``RangeAssignor.TopicAssignmentState``: one topic's partitions being dealt out."""

    def __init__(
        self,
        topic: str,
        infos: Sequence[PartitionInfo],
        members: list[MemberInfo],
        consumer_racks: Mapping[str, str],
    ) -> None:
        self.topic = topic
        members = sorted(members, key=MemberInfo.sort_key)
        self.consumers: dict[str, str | None] = {
            m.member_id: consumer_racks.get(m.member_id) for m in members
        }
        self.unassigned: dict[TopicPartition, None] = dict.fromkeys(p.tp for p in infos)
        self.num_assigned = dict.fromkeys(self.consumers, 0)
        count = len(self.consumers)
        self.per_consumer = len(infos) // count if count else 0
        self.with_extra = len(infos) % count if count else 0
        all_consumer_racks = {r for m in members if (r := consumer_racks.get(m.member_id))}
        all_partition_racks: set[str] = set()
        self.partition_racks: dict[TopicPartition, set[str]] = {}
        if all_consumer_racks:
            for p in infos:
                racks = p.racks()
                self.partition_racks[p.tp] = racks
                all_partition_racks |= racks
        self.needs_rack_aware = use_rack_aware_assignment(
            all_consumer_racks, all_partition_racks, self.partition_racks
        )

    def racks_match(self, consumer: str, tp: TopicPartition) -> bool:
        rack = self.consumers.get(consumer)
        replicas = self.partition_racks.get(tp)
        return rack is None or (replicas is not None and rack in replicas)

    def max_assignable(self, consumer: str) -> int:
        most = self.per_consumer + (1 if self.with_extra > 0 else 0)
        return max(0, most - self.num_assigned[consumer])

    def on_assigned(self, consumer: str, partitions: Sequence[TopicPartition]) -> None:
        self.num_assigned[consumer] += len(partitions)
        if self.num_assigned[consumer] > self.per_consumer:
            self.with_extra -= 1
        for tp in partitions:
            self.unassigned.pop(tp, None)


class RangeAssignor(AbstractPartitionAssignor):
    """Java's ``RangeAssignor``: per topic, the partitions in order are split into contiguous
    ranges over the members in order (static members by instance id first); the first
    ``partitions % members`` members get one more. With racks (KIP-881), partitions are first
    matched to members on a replica's rack where that keeps the same balance, and topics with
    the same partition count and subscribers stay co-partitioned."""

    name = "range"

    def assign_partitions(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, list[TopicPartition]]:
        per_topic: dict[str, list[MemberInfo]] = {}
        for member, sub in subscriptions.items():
            info = MemberInfo(member, sub.group_instance_id, sub.rack_id)
            for topic in sub.topics:
                per_topic.setdefault(topic, []).append(info)
        racks = {m: s.rack_id for m, s in subscriptions.items() if s.rack_id}
        states = [
            _TopicAssignmentState(topic, infos, per_topic.get(topic, []), racks)
            for topic, infos in partitions_per_topic.items()
            if infos
        ]
        assignment: dict[str, list[TopicPartition]] = {m: [] for m in subscriptions}
        rack_aware = any(t.needs_rack_aware for t in states)
        if rack_aware:
            self._assign_with_rack_matching(states, assignment)
        for state in states:
            self._assign_ranges(state, lambda c, tp: True, assignment)
        if rack_aware:
            for parts in assignment.values():
                parts.sort(key=topic_partition_key)
        return assignment

    @staticmethod
    def _assign(
        consumer: str,
        partitions: Sequence[TopicPartition],
        state: _TopicAssignmentState,
        assignment: dict[str, list[TopicPartition]],
    ) -> None:
        assignment[consumer].extend(partitions)
        state.on_assigned(consumer, partitions)

    def _assign_ranges(
        self,
        state: _TopicAssignmentState,
        may_assign: Callable[[str, TopicPartition], bool],
        assignment: dict[str, list[TopicPartition]],
    ) -> None:
        for consumer in state.consumers:
            if not state.unassigned:
                break
            limit = state.max_assignable(consumer)
            chosen: list[TopicPartition] = []
            if limit > 0:
                for tp in state.unassigned:
                    if may_assign(consumer, tp):
                        chosen.append(tp)
                        if len(chosen) == limit:
                            break
            if chosen:
                self._assign(consumer, chosen, state, assignment)

    def _assign_with_rack_matching(
        self, states: list[_TopicAssignmentState], assignment: dict[str, list[TopicPartition]]
    ) -> None:
        by_consumers: dict[tuple[tuple[str, str | None], ...], list[_TopicAssignmentState]] = {}
        for state in states:
            by_consumers.setdefault(tuple(state.consumers.items()), []).append(state)
        for key, group in by_consumers.items():
            by_count: dict[int, list[_TopicAssignmentState]] = {}
            for state in group:
                by_count.setdefault(len(state.partition_racks), []).append(state)
            for count, co_partitioned in by_count.items():
                if len(co_partitioned) > 1:
                    self._assign_co_partitioned(
                        [c for c, _ in key], count, co_partitioned, assignment
                    )
                else:
                    only = co_partitioned[0]
                    if only.needs_rack_aware:
                        self._assign_ranges(only, only.racks_match, assignment)

    def _assign_co_partitioned(
        self,
        consumers: list[str],
        num_partitions: int,
        states: list[_TopicAssignmentState],
        assignment: dict[str, list[TopicPartition]],
    ) -> None:
        remaining = list(consumers)
        for p in range(num_partitions):
            match = next(
                (
                    c
                    for c in remaining
                    if all(
                        t.racks_match(c, TopicPartition(t.topic, p)) and t.max_assignable(c) > 0
                        for t in states
                    )
                ),
                None,
            )
            if match is None:
                continue
            for t in states:
                self._assign(match, [TopicPartition(t.topic, p)], t, assignment)
            if not any(t.max_assignable(match) > 0 for t in states):
                remaining.remove(match)
                if not remaining:
                    break


# --- round robin ----------------------------------------------------------------------------------


class RoundRobinAssignor(AbstractPartitionAssignor):
    """Java's ``RoundRobinAssignor``: every partition of every subscribed topic, sorted by topic
    then partition, dealt to the members in order (static members by instance id first),
    skipping members not subscribed to the partition's topic."""

    name = "roundrobin"

    def assign_partitions(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, list[TopicPartition]]:
        assignment: dict[str, list[TopicPartition]] = {m: [] for m in subscriptions}
        members = sorted(
            (MemberInfo(m, s.group_instance_id) for m, s in subscriptions.items()),
            key=MemberInfo.sort_key,
        )
        if not members:
            return assignment
        topics = sorted({t for s in subscriptions.values() for t in s.topics})
        index = 0
        for topic in topics:
            count = len(partitions_per_topic.get(topic, ()))
            for partition in range(count):
                # Java's CircularIterator: peek until a subscriber, then take it.
                while topic not in subscriptions[members[index].member_id].topics:
                    index = (index + 1) % len(members)
                assignment[members[index].member_id].append(TopicPartition(topic, partition))
                index = (index + 1) % len(members)
        return assignment


# --- configuration --------------------------------------------------------------------------------

#: Java's assignor classes by class name; their protocol names are accepted too.
JAVA_CLASS_NAMES = {
    "org.apache.kafka.clients.consumer.RangeAssignor": "range",
    "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin",
    "org.apache.kafka.clients.consumer.StickyAssignor": "sticky",
    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor": "cooperative-sticky",
}


def _factories() -> dict[str, Callable[[], AbstractPartitionAssignor]]:
    from kafkaproto.consumer._internals.sticky_assignor import (
        CooperativeStickyAssignor,
        StickyAssignor,
    )

    return {
        "range": RangeAssignor,
        "roundrobin": RoundRobinAssignor,
        "sticky": StickyAssignor,
        "cooperative-sticky": CooperativeStickyAssignor,
    }


def assignors_for(strategy: Iterable[str]) -> list[AbstractPartitionAssignor]:
    """One assignor per entry of ``partition.assignment.strategy``, in order (Java's
    ``ConsumerPartitionAssignor.getAssignorInstances``); ``ConfigError`` for one kafkaproto does
    not have, or the same one twice."""
    factories = _factories()
    out: list[AbstractPartitionAssignor] = []
    seen: set[str] = set()
    for entry in strategy:
        name = JAVA_CLASS_NAMES.get(entry, entry)
        factory = factories.get(name)
        if factory is None:
            raise ConfigError(
                "partition.assignment.strategy",
                entry,
                f"unknown assignor {entry!r}: kafkaproto has "
                + ", ".join(f"{n} ({c})" for c, n in JAVA_CLASS_NAMES.items()),
            )
        if name in seen:
            raise ConfigError(
                "partition.assignment.strategy", entry, f"assignor {name!r} is listed twice"
            )
        seen.add(name)
        out.append(factory())
    return out


def rebalance_protocol(assignors: Sequence[AbstractPartitionAssignor]) -> RebalanceProtocol | None:
    """The most advanced protocol every assignor supports (Java's ``ConsumerCoordinator``);
    ``ConfigError`` when they have none in common, None for no assignors."""
    if not assignors:
        return None
    common = set(assignors[0].supported_protocols)
    for a in assignors[1:]:
        common &= set(a.supported_protocols)
    if not common:
        raise ConfigError(
            "partition.assignment.strategy",
            [a.name for a in assignors],
            f"Specified assignors {sorted(a.name for a in assignors)} do not have commonly "
            "supported rebalance protocol",
        )
    return max(common)
