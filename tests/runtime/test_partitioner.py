"""Unit tests of kafkaproto.partitioner. Expected values come from Kafka itself: the murmur2
vectors are Kafka's UtilsTest.testMurmur2 cases; the sticky/adaptive behaviour follows
BuiltInPartitioner and RecordAccumulator.partitionReady as read from the 4.4 bytecode (the
[0, 3, 1] -> CFT [4, 5, 8] example is the one in BuiltInPartitioner's own comments). The
cross-check against Java over random keys is tests/oracle/test_partitioner_oracle.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from kafkaproto.partitioner import (
    UNKNOWN_PARTITION,
    BuiltInPartitioner,
    LoadStats,
    PartitionQueue,
    TopicAvailability,
    collect_load_stats,
    murmur2,
    partition_for_key,
    partition_for_record,
    to_positive,
)

UTILS_TEST_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def scripted(*values: int) -> Callable[[], int]:
    it: Iterator[int] = iter(values)
    return lambda: next(it)


@pytest.mark.parametrize(("key", "expected"), UTILS_TEST_VECTORS.items())
def test_murmur2_matches_kafka_utils_test(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected
    assert murmur2(bytearray(key)) == expected
    assert murmur2(memoryview(key)) == expected


def test_to_positive_clears_the_sign_bit_only() -> None:
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-(2**31)) == 0
    assert to_positive(-973932308) == -973932308 & 0x7FFFFFFF
    assert to_positive(479470107) == 479470107


def test_partition_for_key_is_positive_hash_modulo_count() -> None:
    for key, hashed in UTILS_TEST_VECTORS.items():
        for n in (1, 3, 10, 1000):
            assert partition_for_key(key, n) == (hashed & 0x7FFFFFFF) % n
            # The cached path, the uncached bytearray path and a repeat all agree.
            assert partition_for_key(bytearray(key), n) == partition_for_key(key, n)
    long_key = b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8" * 5  # bypasses the cache
    assert partition_for_key(long_key, 7) == to_positive(murmur2(long_key)) % 7


def test_partition_for_record_precedence() -> None:
    assert partition_for_record(b"abc", 5, 10) == 5  # an explicit partition wins
    assert partition_for_record(b"abc", None, 10) == 479470107 % 10
    assert partition_for_record(b"abc", None, 10, ignore_keys=True) == UNKNOWN_PARTITION
    assert partition_for_record(None, None, 10) == UNKNOWN_PARTITION


def test_sticky_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        BuiltInPartitioner("t", 0)


def test_sticks_until_batch_size_then_switches_uniformly() -> None:
    topic = TopicAvailability(num_partitions=4, available=(0, 1, 3))
    part = BuiltInPartitioner("t", 100, random_int=scripted(4, 2, 6))
    assert part.current_partition(topic) == 1  # available[4 % 3]
    assert not part.record_appended(60, topic)
    assert part.current_partition(topic) == 1
    assert part.record_appended(40, topic)  # 100 >= batch size: switch
    assert part.current_partition(topic) == 3 and part.produced_bytes == 0  # available[2 % 3]
    assert part.record_appended(250, topic)  # one large record switches at once
    assert part.current_partition(topic) == 0  # available[6 % 3]


def test_switch_is_deferred_while_batch_not_full_until_twice_batch_size() -> None:
    topic = TopicAvailability(num_partitions=3, available=(0, 1, 2))
    part = BuiltInPartitioner("t", 100, random_int=scripted(0, 1, 2))
    assert part.current_partition(topic) == 0
    assert not part.record_appended(150, topic, enable_switch=False)
    assert part.current_partition(topic) == 0
    assert part.maybe_switch(topic)  # batches became full: the deferred switch happens
    assert part.current_partition(topic) == 1
    assert not part.record_appended(199, topic, enable_switch=False)
    assert part.record_appended(1, topic, enable_switch=False)  # 200 = 2 x batch size
    assert part.current_partition(topic) == 2
    assert not part.maybe_switch(topic)  # nothing produced yet


def test_no_available_partition_picks_among_all() -> None:
    part = BuiltInPartitioner("t", 10, random_int=scripted(17))
    assert part.current_partition(TopicAvailability(num_partitions=5, available=())) == 2


def test_rack_aware_prefers_partitions_led_from_own_rack_and_falls_back() -> None:
    topic = TopicAvailability(5, (0, 1, 2, 3), ("a", "b", None, "b"))
    part = BuiltInPartitioner("t", 10, rack_aware=True, rack="b", random_int=scripted(0, 1))
    assert part.current_partition(topic) == 1
    assert part.record_appended(10, topic)
    assert part.current_partition(topic) == 3
    other = BuiltInPartitioner("t", 10, rack_aware=True, rack="z", random_int=scripted(2))
    assert other.current_partition(topic) == 2  # no leader in rack z: all available


def test_load_stats_invert_queue_sizes_into_a_cumulative_table() -> None:
    # BuiltInPartitioner's own example: queue sizes 0 3 1 -> weights 4 1 3 -> CFT 4 5 8.
    draws = [0, 3, 4, 5, 7, 8 + 4]
    part = BuiltInPartitioner("t", 1, random_int=scripted(*draws))
    part.update_load_stats([0, 3, 1], [10, 11, 12], [None, None, None], 3)
    assert part.load_stats == LoadStats((4, 5, 8), (10, 11, 12))
    topic = TopicAvailability(13, (10, 11, 12))
    chosen = [part.current_partition(topic)]
    for _ in draws[1:]:
        part.record_appended(1, topic)
        chosen.append(part.current_partition(topic))
    assert chosen == [10, 10, 11, 12, 12, 11]


def test_load_stats_not_used_when_pointless() -> None:
    part = BuiltInPartitioner("t", 1)
    part.update_load_stats([2, 2, 2], [0, 1, 2], [None] * 3, 3)
    assert part.load_stats is None  # all equal, none excluded
    part.update_load_stats([5], [0], [None], 1)
    assert part.load_stats is None  # a single partition
    part.update_load_stats([5, 1], [0, 1], [None] * 2, 0)
    assert part.load_stats is None  # everything excluded
    part.update_load_stats([2, 2, 2], [0, 1, 2], [None] * 3, 2)
    assert part.load_stats == LoadStats((1, 2), (0, 1))  # equal, but one was excluded
    part.update_load_stats(None, [], [], 0)
    assert part.load_stats is None


def test_rack_aware_load_stats_use_their_own_table() -> None:
    part = BuiltInPartitioner("t", 1, rack_aware=True, rack="r1", random_int=scripted(5))
    part.update_load_stats([4, 0, 2, 1], [0, 1, 2, 3], ["r1", "r2", "r1", None], 4)
    assert part.load_stats == LoadStats((1, 6, 9, 13), (0, 1, 2, 3))
    # In rack r1: sizes 4 and 2, max 4 -> weights 1 and 3.
    assert part.load_stats_in_rack == LoadStats((1, 4), (0, 2))
    assert part.current_partition(TopicAvailability(4, (0, 1, 2, 3), ("r1", "r2", "r1", None))) == 2

    lonely = BuiltInPartitioner("t", 1, rack_aware=True, rack="r9", random_int=scripted(5))
    lonely.update_load_stats([4, 0, 2, 1], [0, 1, 2, 3], ["r1", "r2", "r1", None], 4)
    assert lonely.load_stats_in_rack == LoadStats((), ())
    # Empty in-rack table: the overall table decides (5 % 13 = 5 -> first entry > 5 is 6).
    assert lonely.current_partition(TopicAvailability(4, (0, 1, 2, 3))) == 1


def test_collect_load_stats_waits_for_a_queue_per_partition() -> None:
    queues = [PartitionQueue(0, True, None, 3), PartitionQueue(1, True, None, 1)]

    def collect(num_partitions: int, adaptive: bool) -> object:
        return collect_load_stats(
            queues, num_partitions=num_partitions, adaptive=adaptive, availability_timeout_ms=0
        )

    assert collect(3, True) == (None, [], [], 0)  # partition 2 has no queue yet
    assert collect(2, False) == (None, [], [], 0)
    assert collect(2, True) == ([3, 1], [0, 1], [None, None], 2)


def test_collect_load_stats_skips_leaderless_and_excludes_slow_leaders() -> None:
    queues = [
        PartitionQueue(0, True, "a", 2),
        PartitionQueue(1, False, None, 5),  # no leader: not counted at all
        PartitionQueue(2, True, "b", 4, unavailable_ms=501),  # excluded: slot reused
        PartitionQueue(3, True, "c", 1, unavailable_ms=500),  # not over the timeout
    ]
    sizes, ids, racks, length = collect_load_stats(
        queues, num_partitions=4, adaptive=True, availability_timeout_ms=500
    )
    assert (sizes[:length], ids[:length], racks[:length]) == ([2, 1], [0, 3], ["a", "c"])
    # Without the timeout nobody is excluded.
    sizes, ids, _, length = collect_load_stats(
        queues, num_partitions=4, adaptive=True, availability_timeout_ms=0
    )
    assert (sizes[:length], ids[:length]) == ([2, 4, 1], [0, 2, 3])


def test_collect_load_stats_keeps_javas_stale_slot_after_an_exclusion() -> None:
    # partitionReady `continue`s on an empty queue before writing its size, so a slot freed by an
    # excluded partition keeps that partition's size.
    queues = [
        PartitionQueue(0, True, None, 7, unavailable_ms=10_000),
        PartitionQueue(1, True, None, 0),
    ]
    sizes, ids, _, length = collect_load_stats(
        queues, num_partitions=2, adaptive=True, availability_timeout_ms=100
    )
    assert (sizes[:length], ids[:length]) == ([7], [1])
