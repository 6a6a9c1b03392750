"""``sticky`` and ``cooperative-sticky``: Java's ``AbstractStickyAssignor`` with its
``StickyAssignor`` (EAGER, previous assignment in the user data) and
``CooperativeStickyAssignor`` (KIP-429: COOPERATIVE and EAGER, owned partitions and generation
in the subscription, partitions changing owner withheld for a second rebalance).

The algorithm is Java's, step for step: when every member subscribes to the same topics the
constrained builder keeps each member's owned partitions up to its quota and deals the rest
round robin (rack-aware first, KIP-881); otherwise the general builder keeps what it can and
moves partitions one at a time until no move improves the balance, avoiding moves back and
forth. Where Java's outcome depends on the iteration order of a ``java.util.HashMap`` or
``HashSet`` (which member is visited first when quotas are tight, which partition of a moved
pair is taken), that order is reproduced (:func:`java_hash_order`, :class:`_JavaHashSet`), so
a Python leader and a Java leader hand out the same assignment for the same subscriptions.

Pure functions of their inputs: no I/O; this module must never import the engine.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from kafkaproto.consumer._internals.assignors import (
    AbstractPartitionAssignor,
    PartitionInfo,
    RebalanceProtocol,
    use_rack_aware_assignment,
)
from kafkaproto.consumer._internals.group_requests import Assignment, Subscription
from kafkaproto.consumer.errors import PartitionAssignmentError
from kafkaproto.consumer.record import TopicPartition

__all__ = [
    "DEFAULT_GENERATION",
    "AbstractStickyAssignor",
    "CooperativeStickyAssignor",
    "MemberData",
    "StickyAssignor",
    "java_hash_order",
    "java_string_hash",
]

log = logging.getLogger(__name__)

DEFAULT_GENERATION: Final = -1
K = TypeVar("K", bound=Hashable)
_I32 = struct.Struct(">i")
_I16 = struct.Struct(">h")


# --- java.util.HashMap iteration order ------------------------------------------------------------


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: 31-polynomial over the UTF-16 code units, as a Java int."""
    data = text.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return _int32(h)


def _java_hash(key: object) -> int:
    if isinstance(key, TopicPartition):
        # TopicPartition.hashCode: 31 * (31 * 1 + partition) + topic.hashCode()
        return _int32(31 * (31 + key.partition) + java_string_hash(key.topic))
    if isinstance(key, str):
        return java_string_hash(key)
    raise TypeError(f"no Java hash for {type(key).__name__}")


def _bucket(key: object, capacity: int) -> int:
    h = _java_hash(key) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & (capacity - 1)  # HashMap.hash spreads the high bits


def _capacity_for(count: int) -> int:
    """The table size of a default ``HashMap`` after ``count`` insertions (16, doubling past
    a 0.75 load factor)."""
    capacity = 16
    while count > capacity * 3 // 4:
        capacity *= 2
    return capacity


def java_hash_order(keys: Sequence[K]) -> list[K]:
    """The order a default ``java.util.HashMap`` built by putting ``keys`` in this order
    iterates them: by bucket, then in insertion order within a bucket (resizes keep that
    relative order). String and TopicPartition keys."""
    capacity = _capacity_for(len(keys))
    return [k for _, _, k in sorted((_bucket(k, capacity), i, k) for i, k in enumerate(keys))]


class _JavaHashSet:
    """Just enough of a ``java.util.HashSet<TopicPartition>`` to know which element its
    iterator returns first."""

    __slots__ = ("_capacity", "_items", "_next")

    def __init__(self) -> None:
        self._items: dict[TopicPartition, int] = {}
        self._next = 0
        self._capacity = 16

    def add(self, item: TopicPartition) -> None:
        if item not in self._items:
            self._items[item] = self._next
            self._next += 1
            if len(self._items) > self._capacity * 3 // 4:
                self._capacity *= 2

    def remove(self, item: TopicPartition) -> None:
        self._items.pop(item, None)

    def __len__(self) -> int:
        return len(self._items)

    def first(self) -> TopicPartition:
        return min(self._items, key=lambda tp: (_bucket(tp, self._capacity), self._items[tp]))


# --- shared pieces --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberData:
    """What a member claims: the partitions it owned, in which generation, and its rack."""

    partitions: tuple[TopicPartition, ...]
    generation: int | None
    rack_id: str | None = None


@dataclass(frozen=True, slots=True)
class _ConsumerPair:
    src: str
    dst: str


class _PartitionMovements:
    """Java's ``PartitionMovements``: which partitions moved between which members in this
    assignment, so a later move can undo an earlier one instead of adding a second."""

    def __init__(self) -> None:
        self.by_topic: dict[str, dict[_ConsumerPair, _JavaHashSet]] = {}
        self.moves: dict[TopicPartition, _ConsumerPair] = {}

    def _remove_record(self, tp: TopicPartition) -> _ConsumerPair:
        pair = self.moves.pop(tp)
        for_topic = self.by_topic[tp.topic]
        for_topic[pair].remove(tp)
        if not len(for_topic[pair]):
            del for_topic[pair]
        if not for_topic:
            del self.by_topic[tp.topic]
        return pair

    def _add_record(self, tp: TopicPartition, pair: _ConsumerPair) -> None:
        self.moves[tp] = pair
        self.by_topic.setdefault(tp.topic, {}).setdefault(pair, _JavaHashSet()).add(tp)

    def move(self, tp: TopicPartition, old: str, new: str) -> None:
        if tp in self.moves:
            existing = self._remove_record(tp)
            if existing.src != new:  # not moving back to where it came from
                self._add_record(tp, _ConsumerPair(existing.src, new))
        else:
            self._add_record(tp, _ConsumerPair(old, new))

    def actual_partition_to_move(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        for_topic = self.by_topic.get(tp.topic)
        if for_topic is None:
            return tp
        if tp in self.moves:
            old = self.moves[tp].src
        reverse = for_topic.get(_ConsumerPair(new, old))
        if reverse is None:
            return tp
        return reverse.first()


class _RackInfo:
    """Java's ``AbstractStickyAssignor.RackInfo``."""

    def __init__(self, infos: Sequence[PartitionInfo], subscriptions: Mapping[str, Subscription]):
        consumers_by_rack: dict[str, list[str]] = {}
        for member in java_hash_order(list(subscriptions)):
            rack = subscriptions[member].rack_id
            if rack:
                consumers_by_rack.setdefault(rack, []).append(member)
        partitions_by_rack: dict[str, list[TopicPartition]] = {}
        partition_racks: dict[TopicPartition, set[str]] = {}
        if consumers_by_rack:
            for p in infos:
                racks: set[str] = set()
                partition_racks[p.tp] = racks
                for rack in dict.fromkeys(r for r in p.replica_racks if r is not None):
                    partitions_by_rack.setdefault(rack, []).append(p.tp)
                    racks.add(rack)
        self.consumer_racks: dict[str, str] = {}
        self.partition_racks: dict[TopicPartition, set[str]] = {}
        if use_rack_aware_assignment(
            set(consumers_by_rack), set(partitions_by_rack), partition_racks
        ):
            for rack, members in consumers_by_rack.items():
                for member in members:
                    self.consumer_racks[member] = rack
            self.partition_racks = partition_racks
        # Java counts over the racks of every partition whenever consumers have racks, even
        # when rack-aware assignment is off (then it only orders the partitions).
        self.consumers_per_partition = {
            tp: sum(len(consumers_by_rack.get(r, ())) for r in racks)
            for tp, racks in partition_racks.items()
        }

    def racks_mismatch(self, consumer: str, tp: TopicPartition) -> bool:
        rack = self.consumer_racks.get(consumer)
        replicas = self.partition_racks.get(tp)
        return rack is not None and (replicas is None or rack not in replicas)

    def sort_by_rack_consumers(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        if not self.consumers_per_partition:
            return partitions
        counts = self.consumers_per_partition
        return sorted(partitions, key=lambda tp: counts.get(tp, 0))  # stable, as Java's

    def next_rack_consumer(self, tp: TopicPartition, consumers: list[str], first: int) -> int:
        racks = self.partition_racks.get(tp)
        if not racks:
            return -1
        for i in range(len(consumers)):
            index = (first + i) % len(consumers)
            rack = self.consumer_racks.get(consumers[index])
            if rack is not None and rack in racks:
                return index
        return -1


class AbstractStickyAssignor(AbstractPartitionAssignor):
    """Java's ``AbstractStickyAssignor``; see the module docstring. ``max_generation`` is the
    highest generation any member reported (kept across assignments, as in Java)."""

    def __init__(self) -> None:
        self.max_generation = DEFAULT_GENERATION
        #: Partitions the constrained builder gave to a member other than their owner (None
        #: after the general builder, which does not track them).
        self.partitions_transferring_ownership: dict[TopicPartition, str] | None = {}

    def member_data(self, subscription: Subscription) -> MemberData:
        raise NotImplementedError

    def assign_partitions(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, list[TopicPartition]]:
        owned: dict[str, list[TopicPartition]] = {}
        multiple: set[TopicPartition] = set()
        infos = [p for ps in partitions_per_topic.values() for p in ps]
        rack_info = _RackInfo(infos, subscriptions)
        if self._all_subscriptions_equal(set(partitions_per_topic), subscriptions, owned, multiple):
            self.partitions_transferring_ownership = {}
            return _ConstrainedBuilder(
                self, partitions_per_topic, rack_info, owned, multiple
            ).build()
        self.partitions_transferring_ownership = None
        return _GeneralBuilder(self, partitions_per_topic, rack_info, owned, subscriptions).build()

    def _all_subscriptions_equal(
        self,
        all_topics: set[str],
        subscriptions: Mapping[str, Subscription],
        owned_by: dict[str, list[TopicPartition]],
        multiple: set[TopicPartition],
    ) -> bool:
        """Java's ``allSubscriptionsEqual``; fills ``owned_by`` with each member's still-valid
        owned partitions (the newest generation wins a partition two members claim; two claims
        in one generation invalidate it, into ``multiple``)."""
        equal = True
        subscribed: set[str] = set()
        previous_owner: dict[TopicPartition, str] = {}
        for consumer in java_hash_order(list(subscriptions)):
            subscription = subscriptions[consumer]
            if not subscribed:
                subscribed.update(subscription.topics)
            elif equal and not (
                len(subscription.topics) == len(subscribed)
                and subscribed.issuperset(subscription.topics)
            ):
                equal = False
            data = self.member_data(subscription)
            generation = DEFAULT_GENERATION if data.generation is None else data.generation
            self.max_generation = max(self.max_generation, generation)
            owned: list[TopicPartition] = []
            owned_by[consumer] = owned
            for tp in data.partitions:
                if tp.topic not in all_topics:
                    continue
                other = previous_owner.get(tp)
                if other is None:
                    owned.append(tp)
                    previous_owner[tp] = consumer
                    continue
                other_generation = subscriptions[other].generation_id
                if other_generation is None:
                    other_generation = DEFAULT_GENERATION
                if generation == other_generation:
                    log.error(
                        "Found multiple consumers %s and %s claiming the same TopicPartition %s "
                        "in the same generation %d, this will be invalidated and removed from "
                        "their previous assignment.",
                        consumer,
                        other,
                        tp,
                        generation,
                    )
                    multiple.add(tp)
                    _remove(owned_by[other], tp)
                    previous_owner[tp] = consumer
                elif generation > other_generation:
                    owned.append(tp)
                    _remove(owned_by[other], tp)
                    previous_owner[tp] = consumer
        return equal


def _remove(items: list[TopicPartition], tp: TopicPartition) -> None:
    if tp in items:
        items.remove(tp)


def _all_partitions(
    partitions_per_topic: Mapping[str, Sequence[PartitionInfo]], topics: Iterable[str]
) -> list[TopicPartition]:
    return [p.tp for t in topics for p in partitions_per_topic[t]]


# --- all members subscribe to the same topics -----------------------------------------------------


class _ConstrainedBuilder:
    """Java's ``ConstrainedAssignmentBuilder``."""

    def __init__(
        self,
        assignor: AbstractStickyAssignor,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        rack_info: _RackInfo,
        current: dict[str, list[TopicPartition]],
        multiple: set[TopicPartition],
    ) -> None:
        self.assignor = assignor
        self.partitions_per_topic = partitions_per_topic
        self.rack_info = rack_info
        self.current = current
        self.multiple = multiple
        self.total = sum(len(ps) for ps in partitions_per_topic.values())
        self.maybe_revoked: dict[TopicPartition, str] = {}
        self.under_min: list[str] = []
        self.exactly_min: list[str] = []
        members = len(current)
        self.min_quota = self.total // members
        self.max_quota = -(-self.total // members)
        self.expected_over_min = self.total % members
        self.current_over_min = 0
        self.assignment: dict[str, list[TopicPartition]] = {c: [] for c in current}
        self.assigned: list[TopicPartition] = []

    @property
    def transferring(self) -> dict[TopicPartition, str]:
        moving = self.assignor.partitions_transferring_ownership
        assert moving is not None
        return moving

    def build(self) -> dict[str, list[TopicPartition]]:
        self._assign_owned()
        unassigned = self._unassigned()
        self.under_min.sort()
        self.exactly_min.sort()
        unassigned = self.rack_info.sort_by_rack_consumers(unassigned)
        unassigned = self._assign_rack_aware_round_robin(unassigned)
        self._assign_round_robin(unassigned)
        self._verify_unfilled()
        log.info("Final assignment of partitions to consumers: %s", self.assignment)
        return self.assignment

    def _assign_owned(self) -> None:
        for consumer in java_hash_order(list(self.current)):
            kept = []
            for tp in self.current[consumer]:
                if self.rack_info.racks_mismatch(consumer, tp):
                    self.maybe_revoked[tp] = consumer
                else:
                    kept.append(tp)
            owned = sorted(kept, key=lambda tp: (tp.partition, tp.topic))
            for doubly in self.multiple:
                if doubly in owned:
                    owned.remove(doubly)
            mine = self.assignment[consumer]
            if len(owned) < self.min_quota:
                mine.extend(owned)
                self.assigned.extend(owned)
                self.under_min.append(consumer)
            elif len(owned) >= self.max_quota and self.current_over_min < self.expected_over_min:
                self.current_over_min += 1
                if self.current_over_min == self.expected_over_min:
                    self.exactly_min.clear()
                mine.extend(owned[: self.max_quota])
                self.assigned.extend(owned[: self.max_quota])
                for tp in owned[self.max_quota :]:
                    self.maybe_revoked[tp] = consumer
            else:
                mine.extend(owned[: self.min_quota])
                self.assigned.extend(owned[: self.min_quota])
                for tp in owned[self.min_quota :]:
                    self.maybe_revoked[tp] = consumer
                if self.current_over_min < self.expected_over_min:
                    self.exactly_min.append(consumer)

    def _unassigned(self) -> list[TopicPartition]:
        taken = set(self.assigned)
        return [
            tp
            for tp in _all_partitions(self.partitions_per_topic, sorted(self.partitions_per_topic))
            if tp not in taken
        ]

    def _assign_rack_aware_round_robin(
        self, unassigned: list[TopicPartition]
    ) -> list[TopicPartition]:
        rack_info = self.rack_info
        if not rack_info.consumer_racks:
            return unassigned
        left: list[TopicPartition] = []
        next_index = 0
        for tp in unassigned:
            consumer = None
            index = rack_info.next_rack_consumer(tp, self.under_min, next_index)
            if index >= 0:
                consumer = self.under_min[index]
                count = len(self.assignment[consumer]) + 1
                if count >= self.min_quota:
                    self.under_min.remove(consumer)
                    if count < self.max_quota and self.current_over_min < self.expected_over_min:
                        self.exactly_min.append(consumer)
                else:
                    index += 1
                next_index = index % len(self.under_min) if self.under_min else 0
            elif self.exactly_min:
                first = rack_info.next_rack_consumer(tp, self.exactly_min, 0)
                if first >= 0:
                    consumer = self.exactly_min[first]
                    if len(self.assignment[consumer]) + 1 == self.max_quota:
                        del self.exactly_min[first]
                        self.current_over_min += 1
                        if self.current_over_min == self.expected_over_min:
                            self.exactly_min.clear()
            if consumer is not None:
                self._assign_new(tp, consumer)
            else:
                left.append(tp)
        return left

    def _assign_round_robin(self, unassigned: list[TopicPartition]) -> None:
        # A Java Iterator over under_min, re-created when exhausted (index-based here).
        iterated = self.under_min
        position = 0
        last: int | None = None
        for tp in unassigned:
            if position < len(iterated):
                last = position
                consumer = iterated[position]
                position += 1
            elif not self.under_min and not self.exactly_min:
                raise PartitionAssignmentError(
                    "No more unfilled consumers to be assigned; unassigned partitions left: "
                    + ", ".join(map(str, unassigned[unassigned.index(tp) :]))
                )
            elif not self.under_min:
                consumer = self.exactly_min.pop(0)
                last = None
            else:
                iterated = self.under_min
                last, position = 0, 1
                consumer = iterated[0]
            count = self._assign_new(tp, consumer)
            if count == self.min_quota:
                if last is not None:
                    del iterated[last]
                    position, last = last, None
                self.exactly_min.append(consumer)
            elif count == self.max_quota:
                self.current_over_min += 1
                if (
                    self.current_over_min == self.expected_over_min
                    and unassigned.index(tp) != len(unassigned) - 1
                ):
                    log.error(
                        "Filled the last member up to maxQuota but still had partitions "
                        "remaining to assign, will continue but this indicates a bug in the "
                        "assignment."
                    )

    def _assign_new(self, tp: TopicPartition, consumer: str) -> int:
        mine = self.assignment[consumer]
        mine.append(tp)
        previous = self.maybe_revoked.get(tp)
        if (previous is not None and previous != consumer) or tp in self.multiple:
            self.transferring[tp] = consumer
        return len(mine)

    def _verify_unfilled(self) -> None:
        if not self.under_min:
            return
        if self.current_over_min != self.expected_over_min:
            raise PartitionAssignmentError(
                "We haven't reached the expected number of members with more than the minQuota "
                "partitions, but no more partitions to be assigned"
            )
        for member in self.under_min:
            if len(self.assignment[member]) != self.min_quota:
                raise PartitionAssignmentError(
                    f"Consumer: [{member}] doesn't reach minQuota partitions, and no more "
                    "partitions to be assigned"
                )


# --- members subscribe to different topics --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ConsumerGeneration:
    consumer: str
    generation: int


class _GeneralBuilder:
    """Java's ``GeneralAssignmentBuilder``."""

    def __init__(
        self,
        assignor: AbstractStickyAssignor,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        rack_info: _RackInfo,
        current: dict[str, list[TopicPartition]],
        subscriptions: Mapping[str, Subscription],
    ) -> None:
        self.assignor = assignor
        self.partitions_per_topic = partitions_per_topic
        self.rack_info = rack_info
        self.subscriptions = subscriptions
        self.total = sum(len(ps) for ps in partitions_per_topic.values())
        self.topic_consumers: dict[str, list[str]] = {t: [] for t in partitions_per_topic}
        self.consumer_topics: dict[str, list[str]] = {}
        for consumer in java_hash_order(list(subscriptions)):
            topics = [t for t in subscriptions[consumer].topics if t in partitions_per_topic]
            self.consumer_topics[consumer] = topics
            for t in topics:
                self.topic_consumers[t].append(consumer)
            current.setdefault(consumer, [])
        self.current = current
        self.partition_consumer: dict[TopicPartition, str] = {}
        for consumer in java_hash_order(list(current)):
            for tp in current[consumer]:
                self.partition_consumer[tp] = consumer
        sorted_topics = sorted(
            self.topic_consumers, key=lambda t: (len(self.topic_consumers[t]), t)
        )
        self.sorted_all_partitions = _all_partitions(partitions_per_topic, sorted_topics)
        # Java's TreeSet ordered by (assigned count, member id); sorted on demand here.
        self.sorted_members: set[str] = set()
        self.revocation_required = False
        self.movements = _PartitionMovements()

    def _members_in_order(self) -> list[str]:
        current = self.current
        return sorted(self.sorted_members, key=lambda c: (len(current[c]), c))

    def build(self) -> dict[str, list[TopicPartition]]:
        previous: dict[TopicPartition, _ConsumerGeneration] = {}
        self._prepopulate(previous)
        assigned = self._assign_owned()
        unassigned = self._unassigned(assigned)
        self.sorted_members.update(self.current)
        self._balance(previous, unassigned)
        log.info("Final assignment of partitions to consumers: %s", self.current)
        return self.current

    def _assign_owned(self) -> list[TopicPartition]:
        assigned: list[TopicPartition] = []
        for consumer in java_hash_order(list(self.current)):
            subscription = self.subscriptions.get(consumer)
            if subscription is None:
                for tp in self.current.pop(consumer):
                    self.partition_consumer.pop(tp, None)
                continue
            kept = []
            for tp in self.current[consumer]:
                if tp.topic not in self.topic_consumers:
                    self.partition_consumer.pop(tp, None)
                elif tp.topic not in subscription.topics or self.rack_info.racks_mismatch(
                    consumer, tp
                ):
                    self.revocation_required = True
                else:
                    kept.append(tp)
                    assigned.append(tp)
            self.current[consumer][:] = kept
        return assigned

    def _unassigned(self, assigned: list[TopicPartition]) -> list[TopicPartition]:
        if not assigned:
            return self.sorted_all_partitions  # the same list, as in Java
        taken = set(assigned)
        return [tp for tp in self.sorted_all_partitions if tp not in taken]

    def _update_previous(
        self,
        previous: dict[TopicPartition, _ConsumerGeneration],
        partitions: Iterable[TopicPartition],
        consumer: str,
        generation: int,
    ) -> None:
        for tp in partitions:
            known = previous.get(tp)
            if known is None or generation > known.generation:
                previous[tp] = _ConsumerGeneration(consumer, generation)

    def _prepopulate(self, previous: dict[TopicPartition, _ConsumerGeneration]) -> None:
        highest = self.assignor.max_generation
        for consumer in java_hash_order(list(self.subscriptions)):
            data = self.assignor.member_data(self.subscriptions[consumer])
            if data.generation is not None and data.generation < highest:
                self._update_previous(previous, data.partitions, consumer, data.generation)
            elif data.generation is None and highest > DEFAULT_GENERATION:
                self._update_previous(previous, data.partitions, consumer, DEFAULT_GENERATION)

    def _max_assignment_size(self, topics: list[str]) -> int:
        if len(topics) == len(self.partitions_per_topic):
            return self.total
        return sum(len(self.partitions_per_topic[t]) for t in topics)

    def _is_balanced(self) -> bool:
        members = self._members_in_order()
        current = self.current
        if len(current[members[0]]) >= len(current[members[-1]]) - 1:
            return True
        owner: dict[TopicPartition, str] = {}
        for consumer, partitions in current.items():
            for tp in partitions:
                if tp in owner:
                    log.error("%s is assigned to more than one consumer.", tp)
                owner[tp] = consumer
        for consumer in members:
            mine = current[consumer]
            count = len(mine)
            topics = self.consumer_topics[consumer]
            if count == self._max_assignment_size(topics):
                continue
            held = set(mine)
            for topic in topics:
                for i in range(len(self.partitions_per_topic[topic])):
                    tp = TopicPartition(topic, i)
                    if tp not in held:
                        other = current.get(owner.get(tp, ""))
                        if other is not None and count + 1 < len(other):
                            return False
        return True

    @staticmethod
    def _balance_score(assignment: Mapping[str, list[TopicPartition]]) -> int:
        sizes = [len(v) for v in assignment.values()]
        return sum(abs(a - b) for i, a in enumerate(sizes) for b in sizes[i + 1 :])

    def _maybe_assign_partition(self, tp: TopicPartition, rack_info: _RackInfo | None) -> bool:
        for consumer in self._members_in_order():
            if tp.topic in self.consumer_topics[consumer] and (
                rack_info is None or not rack_info.racks_mismatch(consumer, tp)
            ):
                self.current[consumer].append(tp)
                self.partition_consumer[tp] = consumer
                return True
        return False

    def _maybe_assign(
        self, unassigned: list[TopicPartition], rack_info: _RackInfo | None, remove: bool
    ) -> None:
        left = []
        for tp in unassigned:
            if not self.topic_consumers[tp.topic]:
                left.append(tp)
                continue
            if not (self._maybe_assign_partition(tp, rack_info) and remove):
                left.append(tp)
        if remove:
            unassigned[:] = left

    def _topic_can_move(self, topic: str) -> bool:
        return len(self.topic_consumers[topic]) >= 2

    def _consumer_can_move(self, consumer: str) -> bool:
        mine = self.current[consumer]
        most = self._max_assignment_size(self.consumer_topics[consumer])
        if len(mine) > most:
            log.error(
                "The consumer %s is assigned more partitions than the maximum possible.", consumer
            )
        if len(mine) < most:
            return True
        return any(self._topic_can_move(tp.topic) for tp in mine)

    def _balance(
        self, previous: dict[TopicPartition, _ConsumerGeneration], unassigned: list[TopicPartition]
    ) -> None:
        members = self._members_in_order()
        initializing = not self.current[members[-1]]
        to_assign = unassigned
        if self.rack_info.consumer_racks:
            to_assign = list(unassigned)
            self._maybe_assign(to_assign, self.rack_info, True)
        self._maybe_assign(to_assign, None, False)

        fixed_partitions = {
            TopicPartition(t, i)
            for t in self.topic_consumers
            if not self._topic_can_move(t)
            for i in range(len(self.partitions_per_topic[t]))
        }
        self.sorted_all_partitions[:] = [
            tp for tp in self.sorted_all_partitions if tp not in fixed_partitions
        ]
        unassigned[:] = [tp for tp in unassigned if tp not in fixed_partitions]

        fixed: dict[str, list[TopicPartition]] = {}
        for consumer in list(self.consumer_topics):
            if not self._consumer_can_move(consumer):
                self.sorted_members.discard(consumer)
                fixed[consumer] = self.current.pop(consumer)

        before = {c: list(ps) for c, ps in self.current.items()}
        before_owners = dict(self.partition_consumer)
        if not self.revocation_required:
            self._perform_reassignments(unassigned, previous)
        performed = self._perform_reassignments(self.sorted_all_partitions, previous)
        if (
            not initializing
            and performed
            and self._balance_score(self.current) >= self._balance_score(before)
        ):
            self.current.clear()
            self.current.update({c: list(ps) for c, ps in before.items()})
            self.partition_consumer.clear()
            self.partition_consumer.update(before_owners)
        for consumer, partitions in fixed.items():
            self.current[consumer] = partitions
            self.sorted_members.add(consumer)

    def _perform_reassignments(
        self, partitions: list[TopicPartition], previous: dict[TopicPartition, _ConsumerGeneration]
    ) -> bool:
        performed = False
        current = self.current
        racks = self.rack_info
        while True:
            modified = False
            for tp in partitions:
                if self._is_balanced():
                    break
                consumer = self.partition_consumer.get(tp)
                if consumer is None or consumer not in current:
                    log.error("Expected partition '%s' to be assigned to a consumer", tp)
                    continue
                before = previous.get(tp)
                if (
                    before is not None
                    and before.consumer in current
                    and len(current[consumer]) > len(current[before.consumer]) + 1
                ):
                    self._reassign(tp, before.consumer)
                    performed = modified = True
                    continue
                found = False
                rack = racks.consumer_racks.get(consumer)
                replica_racks = racks.partition_racks.get(tp)
                if rack is not None and replica_racks and rack in replica_racks:
                    for other in self.topic_consumers[tp.topic]:
                        other_rack = racks.consumer_racks.get(other)
                        if other_rack is None or other_rack not in replica_racks:
                            continue
                        if other in current and len(current[consumer]) > len(current[other]) + 1:
                            self._reassign(tp)
                            performed = modified = found = True
                            break
                if not found:
                    for other in self.topic_consumers[tp.topic]:
                        if other in current and len(current[consumer]) > len(current[other]) + 1:
                            self._reassign(tp)
                            performed = modified = True
                            break
            if not modified:
                return performed

    def _reassign(self, tp: TopicPartition, new: str | None = None) -> None:
        if new is None:
            new = next(c for c in self._members_in_order() if tp.topic in self.consumer_topics[c])
        old = self.partition_consumer[tp]
        actual = self.movements.actual_partition_to_move(tp, old, new)
        self._move(actual, new)

    def _move(self, tp: TopicPartition, new: str) -> None:
        old = self.partition_consumer[tp]
        self.movements.move(tp, old, new)
        self.current[old].remove(tp)
        self.current[new].append(tp)
        self.partition_consumer[tp] = new


# --- the two assignors ----------------------------------------------------------------------------


def _read_string(data: memoryview, pos: int) -> tuple[str, int]:
    (length,) = _I16.unpack_from(data, pos)
    pos += 2
    if length < 0 or pos + length > len(data):
        raise ValueError("bad string")
    return bytes(data[pos : pos + length]).decode("utf-8"), pos + length


def _read_assignment(data: memoryview, pos: int) -> tuple[list[TopicPartition], int]:
    (topics,) = _I32.unpack_from(data, pos)
    pos += 4
    if topics < 0:
        raise ValueError("bad array")
    out = []
    for _ in range(topics):
        topic, pos = _read_string(data, pos)
        (count,) = _I32.unpack_from(data, pos)
        pos += 4
        if count < 0:
            raise ValueError("bad array")
        for _ in range(count):
            (partition,) = _I32.unpack_from(data, pos)
            pos += 4
            out.append(TopicPartition(topic, partition))
    return out, pos


class StickyAssignor(AbstractStickyAssignor):
    """Java's ``StickyAssignor`` (EAGER): each member reports its previous assignment and
    generation in its subscription's user data (``STICKY_ASSIGNOR_USER_DATA_V1``)."""

    name = "sticky"
    supported_protocols = (RebalanceProtocol.EAGER,)

    def __init__(self) -> None:
        super().__init__()
        self._member_assignment: tuple[TopicPartition, ...] | None = None
        self._generation = DEFAULT_GENERATION

    def on_assignment(self, assignment: Assignment, generation_id: int) -> None:
        self._member_assignment = assignment.partitions
        self._generation = generation_id

    def subscription_user_data(self, topics: frozenset[str]) -> bytes | None:
        if self._member_assignment is None:
            return None
        return serialize_sticky_user_data(MemberData(self._member_assignment, self._generation))

    def member_data(self, subscription: Subscription) -> MemberData:
        data = subscription.user_data
        if not data:
            return MemberData((), None, subscription.rack_id)
        return deserialize_sticky_user_data(data)


def serialize_sticky_user_data(member: MemberData) -> bytes:
    """``StickyAssignor.serializeTopicPartitionAssignment``: [topic, [partition]] by topic (in
    Java's HashMap order), then the generation."""
    by_topic: dict[str, list[int]] = {}
    for tp in member.partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    out = bytearray(_I32.pack(len(by_topic)))
    for topic in java_hash_order(list(by_topic)):
        name = topic.encode("utf-8")
        out += _I16.pack(len(name)) + name + _I32.pack(len(by_topic[topic]))
        for p in by_topic[topic]:
            out += _I32.pack(p)
    if member.generation is not None:
        out += _I32.pack(member.generation)
    return bytes(out)


def deserialize_sticky_user_data(data: bytes) -> MemberData:
    """V1 (with generation), else V0; unreadable data counts as nothing owned (Java)."""
    view = memoryview(data)
    try:
        partitions, pos = _read_assignment(view, 0)
    except (ValueError, struct.error, UnicodeDecodeError):
        return MemberData((), DEFAULT_GENERATION)
    generation: int | None = None
    if pos + 4 <= len(view):
        (generation,) = _I32.unpack_from(view, pos)
    return MemberData(tuple(partitions), generation)


class CooperativeStickyAssignor(AbstractStickyAssignor):
    """Java's ``CooperativeStickyAssignor`` (KIP-429): sticky assignment where a partition
    that must change owner is left out of this rebalance, so its owner revokes it first and
    the follow-up rebalance hands it over."""

    name = "cooperative-sticky"
    supported_protocols = (RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER)

    def __init__(self) -> None:
        super().__init__()
        self._generation = DEFAULT_GENERATION

    def on_assignment(self, assignment: Assignment, generation_id: int) -> None:
        self._generation = generation_id

    def subscription_user_data(self, topics: frozenset[str]) -> bytes | None:
        return _I32.pack(self._generation)

    def member_data(self, subscription: Subscription) -> MemberData:
        if subscription.generation_id is not None:  # ConsumerProtocolSubscription v2+
            return MemberData(subscription.owned_partitions, subscription.generation_id)
        data = subscription.user_data
        generation: int | None
        if data is None:
            generation = None
        elif len(data) >= 4:
            (generation,) = _I32.unpack_from(data, 0)
        else:
            generation = DEFAULT_GENERATION
        return MemberData(subscription.owned_partitions, generation, subscription.rack_id)

    def assign_partitions(
        self,
        partitions_per_topic: Mapping[str, Sequence[PartitionInfo]],
        subscriptions: Mapping[str, Subscription],
    ) -> dict[str, list[TopicPartition]]:
        assignments = super().assign_partitions(partitions_per_topic, subscriptions)
        moving = self.partitions_transferring_ownership
        if moving is None:
            moving = _transferring_ownership(subscriptions, assignments)
        for tp, consumer in moving.items():
            _remove(assignments[consumer], tp)
        return assignments


def _transferring_ownership(
    subscriptions: Mapping[str, Subscription], assignments: Mapping[str, list[TopicPartition]]
) -> dict[TopicPartition, str]:
    """Partitions assigned to a member that did not own them while another owner gives them
    up (Java's ``computePartitionsTransferringOwnership``)."""
    added: dict[TopicPartition, str] = {}
    revoked: set[TopicPartition] = set()
    for consumer, assigned in assignments.items():
        owned = subscriptions[consumer].owned_partitions
        owned_set, assigned_set = set(owned), set(assigned)
        for tp in assigned:
            if tp not in owned_set:
                added[tp] = consumer
        for tp in owned:
            if tp not in assigned_set:
                revoked.add(tp)
    return {tp: c for tp, c in added.items() if tp in revoked}
