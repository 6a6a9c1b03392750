"""Choosing the partition of a produced record, as Kafka 4.4.0's Java producer does.

* Keyed records: ``to_positive(murmur2(key)) % num_partitions``
  (``BuiltInPartitioner.partitionForKey`` over ``Utils.murmur2``/``Utils.toPositive``), so a key
  lands on the same partition from Python as from Java.
* Records without a key (or with ``partitioner.ignore.keys``): KIP-794's "uniform sticky"
  partitioner (``BuiltInPartitioner``): stay on one partition until about ``batch.size`` bytes were
  appended to it, then switch; the next partition is drawn at random, weighted towards partitions
  with shorter queues when adaptive partitioning has load statistics, and (KIP-1123, new in 4.x)
  restricted to partitions led from the producer's rack when ``partitioner.rack.aware`` is on.

This module is sans-I/O and single-threaded: the caller (the accumulator) tells it what was appended
and what the queues look like; it never reads metadata, clocks or sockets itself, and it must never
depend on the rest of the producer. Java's compare-and-set dance around ``StickyPartitionInfo``
exists for concurrent ``send()`` threads and has no counterpart here.
"""

from __future__ import annotations

import random
import struct
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "UNKNOWN_PARTITION",
    "BuiltInPartitioner",
    "LoadStats",
    "PartitionQueue",
    "TopicAvailability",
    "collect_load_stats",
    "murmur2",
    "partition_for_key",
    "partition_for_record",
    "to_positive",
]

#: ``RecordMetadata.UNKNOWN_PARTITION``: "let the built-in sticky partitioner decide".
UNKNOWN_PARTITION = -1

_MASK32 = 0xFFFFFFFF
_M = 0x5BD1E995  # murmur2's mixing constant (Utils.murmur2: m)
_SEED = 0x9747B28C  # Utils.murmur2: seed
# One precompiled little-endian reader per word count: Java reads the 4-byte blocks little-endian
# (4.4 through a LITTLE_ENDIAN byteArrayViewVarHandle; 4.1 by shifting bytes, same result).
_WORDS = tuple(struct.Struct(f"<{n}I").unpack_from for n in range(65))


def murmur2(data: bytes | bytearray | memoryview) -> int:
    """Kafka's 32-bit murmur2 of ``data`` as a signed int, equal to Java's ``Utils.murmur2``.

    Java's int arithmetic wraps at 32 bits; here values are kept unsigned by masking and turned
    into the signed result at the end.
    """
    length = len(data)
    h = _SEED ^ length
    words = length >> 2
    if words:
        unpack = _WORDS[words] if words <= 64 else struct.Struct(f"<{words}I").unpack_from
        for k in unpack(data):
            k = k * _M & _MASK32
            # h = h*m ^ (k ^ k>>>24)*m, masked once: the low 32 bits of a xor depend only on the
            # low 32 bits of its operands.
            h = (h * _M ^ (k ^ k >> 24) * _M) & _MASK32
    tail = length & 3
    if tail:
        i = length - tail
        if tail == 3:
            h ^= data[i + 2] << 16 | data[i + 1] << 8 | data[i]
        elif tail == 2:
            h ^= data[i + 1] << 8 | data[i]
        else:
            h ^= data[i]
        h = h * _M & _MASK32
    h ^= h >> 13
    h = h * _M & _MASK32
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def to_positive(number: int) -> int:
    """``Utils.toPositive``: clear the sign bit of a 32-bit int (not ``abs``: -1 gives 2**31-1)."""
    return number & 0x7FFFFFFF


# Producers often send many records per key (user ids, order ids). Measured on CPython 3.11 here:
# murmur2 of a 22-byte key 2-4 us, partition_for_key on a cache hit 0.13-0.3 us (the spread is
# machine load), a miss adds ~10%. Keys longer than
# _CACHED_KEY_MAX bypass the cache so it never pins large values in memory.
_CACHED_KEY_MAX = 128


@lru_cache(maxsize=8192)
def _positive_murmur2_cached(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF


def partition_for_key(key: bytes | bytearray | memoryview, num_partitions: int) -> int:
    """``BuiltInPartitioner.partitionForKey``: the partition of a serialized key."""
    if type(key) is bytes and len(key) <= _CACHED_KEY_MAX:
        return _positive_murmur2_cached(key) % num_partitions
    return (murmur2(key) & 0x7FFFFFFF) % num_partitions


def partition_for_record(
    key: bytes | None,
    partition: int | None,
    num_partitions: int,
    *,
    ignore_keys: bool = False,
) -> int:
    """``KafkaProducer.partition`` without a custom partitioner: the record's own partition if it
    has one, else the key's hash partition unless ``partitioner.ignore.keys`` is set, else
    ``UNKNOWN_PARTITION`` (the accumulator then asks the sticky ``BuiltInPartitioner``)."""
    if partition is not None:
        return partition
    if key is not None and not ignore_keys:
        return partition_for_key(key, num_partitions)
    return UNKNOWN_PARTITION


def _java_random_positive_int() -> int:
    # BuiltInPartitioner.randomPartition: toPositive(ThreadLocalRandom.nextInt()), i.e. 31 bits.
    return random.getrandbits(31)


@dataclass(frozen=True, slots=True)
class TopicAvailability:
    """What the sticky partitioner needs to know about a topic from metadata.

    ``available`` lists the partitions that have a leader, in metadata order
    (``Cluster.availablePartitionsForTopic``); ``leader_racks`` gives each one's leader rack
    (``None`` when the broker has no rack) and is only read when rack-aware partitioning is on.
    """

    num_partitions: int
    available: tuple[int, ...]
    leader_racks: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadStats:
    """``BuiltInPartitioner.PartitionLoadStats``: a cumulative frequency table over partitions."""

    cumulative_frequency: tuple[int, ...]
    partition_ids: tuple[int, ...]


def _invert_and_fold(queue_sizes: Sequence[int], max_size_plus1: int) -> tuple[int, ...]:
    # A shorter queue gets a larger share: weight = (max + 1 - size), then a running sum, so a
    # uniform random number in [0, last) selects partition i with probability weight_i / last.
    table = []
    running = 0
    for size in queue_sizes:
        running += max_size_plus1 - size
        table.append(running)
    return tuple(table)


class BuiltInPartitioner:
    """The per-topic sticky partitioner of KIP-794 (Java ``BuiltInPartitioner``, 4.4 semantics).

    The accumulator calls ``current_partition`` to learn where a keyless record goes,
    ``record_appended`` after appending it (with ``enable_switch`` false while the partition's last
    batch is not full yet, see below), ``maybe_switch`` before an append once all of the current
    partition's batches are full, and ``update_load_stats`` from its ready check.
    """

    __slots__ = (
        "_current",
        "_load_stats",
        "_load_stats_in_rack",
        "_produced_bytes",
        "_random",
        "rack",
        "rack_aware",
        "sticky_batch_size",
        "topic",
    )

    def __init__(
        self,
        topic: str,
        sticky_batch_size: int,
        *,
        rack_aware: bool = False,
        rack: str = "",
        random_int: Callable[[], int] = _java_random_positive_int,
    ) -> None:
        # KafkaProducer passes max(1, batch.size); the constructor itself rejects < 1.
        if sticky_batch_size < 1:
            raise ValueError(f"sticky_batch_size must be >= 1 but got {sticky_batch_size}")
        self.topic = topic
        self.sticky_batch_size = sticky_batch_size
        self.rack_aware = rack_aware
        self.rack = rack
        self._random = random_int
        self._current = UNKNOWN_PARTITION
        self._produced_bytes = 0
        self._load_stats: LoadStats | None = None
        self._load_stats_in_rack: LoadStats | None = None

    @property
    def load_stats(self) -> LoadStats | None:
        """The adaptive statistics in use, or None when choosing uniformly."""
        return self._load_stats

    @property
    def load_stats_in_rack(self) -> LoadStats | None:
        """The statistics restricted to partitions led from ``rack`` (rack-aware only)."""
        return self._load_stats_in_rack

    @property
    def produced_bytes(self) -> int:
        """Bytes appended to the current sticky partition so far."""
        return self._produced_bytes

    def current_partition(self, topic: TopicAvailability) -> int:
        """``peekCurrentPartitionInfo``: the sticky partition, choosing one on first use."""
        if self._current == UNKNOWN_PARTITION:
            self._current = self._next_partition(topic)
        return self._current

    def record_appended(
        self, appended_bytes: int, topic: TopicAvailability, *, enable_switch: bool = True
    ) -> bool:
        """``updatePartitionInfo``: count bytes appended to the sticky partition and switch once
        ``sticky_batch_size`` bytes went there. Returns True when the partition changed.

        The accumulator passes ``enable_switch=False`` while the partition's last batch is not full,
        so a switch does not leave a small batch behind (high ``linger.ms``); the switch then
        happens anyway at twice ``sticky_batch_size``.
        """
        self._produced_bytes += appended_bytes
        produced = self._produced_bytes
        if (produced >= self.sticky_batch_size and enable_switch) or (
            produced >= self.sticky_batch_size * 2
        ):
            self._current = self._next_partition(topic)
            self._produced_bytes = 0
            return True
        return False

    def count_appended(self, appended_bytes: int) -> None:
        """Count bytes appended to the sticky partition that the caller knows stay below
        ``sticky_batch_size`` in total, so no switch is due: ``record_appended`` without the
        decision, for appends settled in bulk (the accumulator's fast lane)."""
        self._produced_bytes += appended_bytes

    def maybe_switch(self, topic: TopicAvailability) -> bool:
        """The accumulator's ``partitionChanged`` step: once all batches of the current partition
        are full, complete a switch that ``record_appended`` deferred. Returns True if switched."""
        if self._current == UNKNOWN_PARTITION:
            return False
        return self.record_appended(0, topic, enable_switch=True)

    def _next_partition(self, topic: TopicAvailability) -> int:
        rnd = self._random()
        stats = self._load_stats
        if stats is None:
            candidates: Sequence[int] = topic.available
            if candidates:
                if self.rack_aware:
                    in_rack = [
                        p
                        for p, leader_rack in zip(topic.available, topic.leader_racks, strict=True)
                        if leader_rack is not None and leader_rack == self.rack
                    ]
                    # No partition led from our rack: fall back to all available ones.
                    if in_rack:
                        candidates = in_rack
                return candidates[rnd % len(candidates)]
            # No partition has a leader: pick among all of them.
            return rnd % topic.num_partitions
        in_rack_stats = self._load_stats_in_rack
        if self.rack_aware and in_rack_stats is not None and in_rack_stats.partition_ids:
            stats = in_rack_stats
        table = stats.cumulative_frequency
        # The first entry strictly greater than the draw (Java: |binarySearch + 1|).
        return stats.partition_ids[bisect_right(table, rnd % table[-1])]

    def update_load_stats(
        self,
        queue_sizes: Sequence[int] | None,
        partition_ids: Sequence[int],
        leader_racks: Sequence[str | None],
        length: int,
    ) -> None:
        """``updatePartitionLoadStats``: rebuild adaptive statistics from queue sizes.

        ``queue_sizes``/``partition_ids``/``leader_racks`` are as long as the partitions that have
        a leader; only the first ``length`` count (the rest were excluded by
        ``partitioner.availability.timeout.ms``). ``None`` queue sizes switch adaptive off.
        """
        if queue_sizes is None:
            self._clear_stats()
            return
        # Fewer than two partitions: nothing to balance, unless some were excluded.
        if length < 1 or len(queue_sizes) < 2:
            self._clear_stats()
            return
        sizes = queue_sizes[:length]
        first = sizes[0]
        max_size = max(sizes)
        all_equal = all(size == first for size in sizes)
        if all_equal and length == len(queue_sizes):
            self._clear_stats()
            return
        in_rack: LoadStats | None = None
        if self.rack_aware:
            # KIP-1123: the same table over the partitions led from our rack, with its own maximum
            # (Java starts that maximum at -1, so an empty rack selection gives an empty table).
            rack = self.rack
            # A leader without a rack (None) never equals our rack string, as in Java.
            picked = [i for i in range(length) if leader_racks[i] == rack]
            rack_sizes = [sizes[i] for i in picked]
            rack_max = max(rack_sizes, default=-1)
            in_rack = LoadStats(
                _invert_and_fold(rack_sizes, rack_max + 1),
                tuple(partition_ids[i] for i in picked),
            )
        self._load_stats = LoadStats(
            _invert_and_fold(sizes, max_size + 1), tuple(partition_ids[:length])
        )
        self._load_stats_in_rack = in_rack

    def _clear_stats(self) -> None:
        self._load_stats = None
        self._load_stats_in_rack = None


@dataclass(frozen=True, slots=True)
class PartitionQueue:
    """One partition's batch queue as the accumulator's ready check sees it.

    ``unavailable_ms`` is how long the leader has had data it could not drain (Java
    ``NodeLatencyStats.readyTimeMs - drainTimeMs``), or None when there are no stats for it.
    """

    partition: int
    has_leader: bool
    leader_rack: str | None
    queue_size: int
    unavailable_ms: int | None = None


def collect_load_stats(
    queues: Iterable[PartitionQueue],
    *,
    num_partitions: int,
    adaptive: bool,
    availability_timeout_ms: int,
) -> tuple[list[int] | None, list[int], list[str | None], int]:
    """Build ``update_load_stats`` arguments the way ``RecordAccumulator.partitionReady`` does.

    ``queues`` are the partitions that have a batch queue (in the accumulator's map order), empty
    ones included. Adaptive statistics are only built once every partition of the topic has a
    queue (``adaptive`` is ``partitioner.adaptive.partitioning.enable`` and no custom partitioner).
    A partition whose leader could not drain for longer than ``availability_timeout_ms`` (when
    > 0) is left out by reusing its slot, as Java does.
    """
    queue_list = list(queues)
    if not (adaptive and len(queue_list) >= num_partitions):
        return None, [], [], 0
    size = len(queue_list)
    sizes = [0] * size
    ids = [0] * size
    racks: list[str | None] = [None] * size
    index = -1
    for queue in queue_list:
        if not queue.has_leader:
            continue
        index += 1
        ids[index] = queue.partition
        racks[index] = queue.leader_rack
        if queue.queue_size == 0:
            # Java skips empty queues before recording a size, so the slot keeps what it held
            # (0, or the size of a partition excluded just before it).
            continue
        sizes[index] = queue.queue_size
        if (
            availability_timeout_ms > 0
            and queue.unavailable_ms is not None
            and queue.unavailable_ms > availability_timeout_ms
        ):
            index -= 1
    return sizes, ids, racks, index + 1
