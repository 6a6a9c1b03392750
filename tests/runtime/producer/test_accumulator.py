"""RecordAccumulator and BufferPool, sans-I/O: times are passed in, no event loop."""

from __future__ import annotations

import pytest
from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.error_codes import NotLeaderOrFollowerError
from kafkaproto.partitioner import UNKNOWN_PARTITION
from kafkaproto.producer._internals.accumulator import RecordAccumulator, estimate_record_size
from kafkaproto.producer.errors import DeliveryTimeoutError
from kafkaproto.producer.metadata import ClusterSnapshot, PartitionInfo, TopicInfo
from kafkaproto.records.reader import iter_records
from kafkaproto.records.record_batch import RECORD_BATCH_OVERHEAD

CLUSTER = ClusterSnapshot.of(
    [
        TopicInfo("t", (PartitionInfo(0, leader=1), PartitionInfo(1, leader=2))),
        TopicInfo("u", (PartitionInfo(0, leader=1),)),
    ]
)


def acc(**kw: object) -> RecordAccumulator:
    settings: dict[str, object] = {"batch_size": 200, "linger_ms": 10, "buffer_memory": 10_000}
    settings.update(kw)
    return RecordAccumulator(**settings)  # type: ignore[arg-type]


def test_records_share_a_batch_until_batch_size() -> None:
    a = acc()
    results = [a.append("t", 0, 1000, b"k", b"v" * 20, None, 0) for _ in range(12)]
    assert all(r is not None for r in results)
    batches = {id(r.batch) for r in results if r}
    assert len(batches) == 3  # 28 bytes a record: 4 fit in 200 with the 61-byte header
    first = results[0]
    assert first is not None and first.new_batch and first.offset == 0
    assert [r.offset for r in results if r and r.batch is first.batch] == [0, 1, 2, 3]
    assert all(b.size_in_bytes <= 200 for b in a.queued_batches()[:-1])


def test_linger_readiness_and_full_batches() -> None:
    a = acc()
    a.append("t", 0, 1000, None, b"x", None, now_ms=0)
    check = a.ready(CLUSTER, now_ms=3)
    assert check.ready_nodes == set() and check.next_ready_check_delay_ms == 7
    assert a.ready(CLUSTER, now_ms=10).ready_nodes == {1}
    # A full batch is ready at once.
    b = acc()
    for _ in range(10):
        b.append("t", 1, 1000, None, b"x" * 40, None, now_ms=0)
    assert b.ready(CLUSTER, now_ms=0).ready_nodes == {2}


def test_flush_close_and_memory_waiters_make_batches_ready() -> None:
    for poke in ("flush", "close", "memory"):
        a = acc()
        a.append("t", 0, 1000, None, b"x", None, now_ms=0)
        assert a.ready(CLUSTER, 0).ready_nodes == set()
        if poke == "flush":
            a.flushes_in_progress += 1
        elif poke == "close":
            a.close()
        else:
            a.memory_waiters = 1
        assert a.ready(CLUSTER, 0).ready_nodes == {1}, poke


def test_unknown_leader_topics_are_reported() -> None:
    a = acc()
    a.append("t", 5, 1000, None, b"x", None, 0)
    check = a.ready(CLUSTER, 100)
    assert check.unknown_leader_topics == {"t"} and not check.ready_nodes


def test_buffer_memory_refuses_new_batches_and_release_frees() -> None:
    a = acc(buffer_memory=450)  # two 200-byte batches
    assert a.append("t", 0, 0, None, b"x", None, 0) is not None
    assert a.append("t", 1, 0, None, b"x", None, 0) is not None
    assert a.append("u", 0, 0, None, b"x", None, 0) is None  # a third batch does not fit
    assert a.append("t", 0, 0, None, b"y", None, 0) is not None  # appending to open batches does
    drained = a.drain(CLUSTER, [1], 10_000, 100)[1]
    for b in drained:
        b.complete(0, -1)
        a.deallocate(b)
    assert a.append("u", 0, 0, None, b"x", None, 0) is not None


def test_drain_one_batch_per_partition_round_robin_within_request_size() -> None:
    a = acc(batch_size=100)
    for _ in range(3):
        for topic in ("t", "u"):
            a.append(topic, 0, 0, None, b"x" * 50, None, 0)
    first = a.drain(CLUSTER, [1], 10_000, 0)[1]
    assert sorted(b.tp for b in first) == [("t", 0), ("u", 0)]
    # A request-size limit of one batch: successive drains alternate between partitions.
    order = [a.drain(CLUSTER, [1], 100, 0)[1][0].tp for _ in range(4)]
    assert order.count(("t", 0)) == 2 and order.count(("u", 0)) == 2
    assert order[0] != order[1]


def test_muted_partitions_are_not_drained() -> None:
    a = acc()
    a.append("t", 0, 0, None, b"x", None, 0)
    a.mute(("t", 0))
    assert a.drain(CLUSTER, [1], 10_000, 100) == {}
    a.unmute(("t", 0))
    assert len(a.drain(CLUSTER, [1], 10_000, 100)[1]) == 1


def test_expiry_counts_from_batch_creation() -> None:
    a = acc(delivery_timeout_ms=1000)
    r = a.append("t", 0, 0, None, b"x", None, now_ms=0)
    assert r is not None
    assert a.expired_batches(999) == []
    assert a.next_expiry_ms == 1000
    expired = a.expired_batches(1000)
    assert expired == [r.batch]
    expired[0].complete_exceptionally(DeliveryTimeoutError("expired"))
    with pytest.raises(DeliveryTimeoutError):
        r.batch.metadata(0, 0, -1, 1)


def test_reenqueue_backs_off_then_goes_first() -> None:
    backoff = ExponentialBackoff(100, 2, 1000, jitter=0.0)
    a = acc(retry_backoff=backoff)
    a.append("t", 0, 0, None, b"a", None, 0)
    [sent] = a.drain(CLUSTER, [1], 10_000, 10)[1]
    a.append("t", 0, 0, None, b"b", None, 20)
    a.reenqueue(sent, now_ms=50)
    assert sent.attempts == 1 and sent.retry_delay_ms == 100
    assert a.queued_batches()[0] is sent
    check = a.ready(CLUSTER, 100)
    assert 1 not in check.ready_nodes and check.next_ready_check_delay_ms == 50
    assert a.drain(CLUSTER, [1], 10_000, 149) == {}
    assert a.drain(CLUSTER, [1], 10_000, 150)[1] == [sent]
    a.reenqueue(sent, 200)
    assert sent.retry_delay_ms == 200  # exponential: 100 * 2**1


def test_backoff_jitter_and_cap_follow_java() -> None:
    lo = ExponentialBackoff(100, 2, 1000, 0.2, uniform=lambda a, b: a)
    hi = ExponentialBackoff(100, 2, 1000, 0.2, uniform=lambda a, b: b)
    assert [lo.backoff(n) for n in range(6)] == [80, 160, 320, 640, 800, 800]
    assert [hi.backoff(n) for n in range(5)] == [120, 240, 480, 960, 1000]
    assert ExponentialBackoff(500, 2, 100).backoff(3) == 100  # initial above max: static


def test_split_reappends_records_and_redirects_handles() -> None:
    a = acc(batch_size=10_000)
    results = [a.append("t", 0, 1000 + i, b"k%d" % i, b"v" * 100, None, 0) for i in range(20)]
    [big] = a.drain(CLUSTER, [1], 100_000, 0)[1]
    a.batch_size = 500
    pieces = a.split_and_reenqueue(big)
    assert len(pieces) > 1 and all(p.created_ms == big.created_ms for p in pieces)
    assert sum(p.record_count for p in pieces) == 20
    assert big.moved_to is not None
    new_batch, index = big.moved_to[7]
    [rec] = [r for i, r in enumerate(iter_records(new_batch.records())) if i == index]
    assert rec.key == b"k7" and rec.timestamp == 1007
    assert a.queued_batches()[: len(pieces)] == pieces
    assert results[0] is not None


def test_a_refused_batch_within_batch_size_is_split_in_halves() -> None:
    # The broker's limit (a topic's max.message.bytes) is below batch.size: a split at
    # batch.size would give the same batch back, so each split halves it.
    a = acc(batch_size=10_000, buffer_memory=100_000)
    for i in range(20):
        a.append("t", 0, 1000 + i, b"k%02d" % i, b"v" * 100, None, 0)
    [big] = a.drain(CLUSTER, [1], 100_000, 0)[1]
    size = big.size_in_bytes
    assert size < a.batch_size
    pieces = a.split_and_reenqueue(big)
    # Records of one size: two pieces of ten.
    assert [p.record_count for p in pieces] == [10, 10]
    assert all(p.size_in_bytes <= (size + RECORD_BATCH_OVERHEAD + 1) // 2 for p in pieces)
    keys = [r.key for p in pieces for r in iter_records(p.records())]
    assert keys == [b"k%02d" % i for i in range(20)]
    # Refused again, a piece is halved again, on down to one record a batch.
    [first] = a.drain(CLUSTER, [1], 100_000, 0)[1]
    assert first is pieces[0]
    assert [p.record_count for p in a.split_and_reenqueue(first)] == [5, 5]


def test_sticky_partitioner_for_keyless_records() -> None:
    a = acc(batch_size=100)
    avail = CLUSTER.availability("t")
    parts = set()
    for _ in range(40):
        r = a.append("t", UNKNOWN_PARTITION, 0, None, b"x" * 30, None, 0, availability=avail)
        assert r is not None
        parts.add(r.partition)
    assert parts <= {0, 1}
    assert len(a.queued_batches()) >= 40 * 30 // 100


def test_record_size_estimate_is_an_upper_bound() -> None:
    from kafkaproto.records.batch_builder import BatchBuilder

    b = BatchBuilder(batch_size=1 << 20)
    b.append(b"key", b"v" * 1000, 1_700_000_000_000, [("h", b"1")])
    assert estimate_record_size(b"key", b"v" * 1000, [("h", b"1")]) >= len(b.build())


def test_abort_fails_everything_and_frees_memory() -> None:
    a = acc()
    r = a.append("t", 0, 0, None, b"x", None, 0)
    assert r is not None and a.pool.used == 200
    a.abort_batches(NotLeaderOrFollowerError())
    assert r.batch.done and a.pool.used == 0 and not a.has_incomplete()


@pytest.mark.parametrize("key_len", [None, 0, 63, 64, 8191, 8192, 100_000])
@pytest.mark.parametrize("value_len", [None, 0, 100, 8100, 20_000])
def test_estimate_record_size_table_matches_the_varint_formula(
    key_len: int | None, value_len: int | None
) -> None:
    # The small-length table must give exactly Java's upper bound, across varint size steps.
    from kafkaproto.records.record_batch import RECORD_BATCH_OVERHEAD
    from kafkaproto.records.varint import varint_size

    key = None if key_len is None else b"k" * key_len
    value = None if value_len is None else b"v" * value_len
    k = -1 if key is None else len(key)
    v = -1 if value is None else len(value)
    body = 16 + varint_size(k) + max(k, 0) + varint_size(v) + max(v, 0) + 1
    assert (
        estimate_record_size(key, value, None) == RECORD_BATCH_OVERHEAD + varint_size(body) + body
    )
