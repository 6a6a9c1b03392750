"""CompletedFetch: records handed out in order from the fetch offset on, read_committed applied
to aborted transactions and markers, errors raised at the batch that has them."""

from __future__ import annotations

import pytest
from batches import batch, marker
from kafkaproto.consumer._internals.completed_fetch import CompletedFetch
from kafkaproto.consumer.errors import RecordDeserializationError, RecordTooLargeForFetchError
from kafkaproto.consumer.record import StringDeserializer, TopicPartition
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.errors import CorruptRecordError
from kafkaproto.records.record_batch import TimestampType

TP = TopicPartition("t", 0)


def offsets(fetch: CompletedFetch, n: int = 1000) -> list[int]:
    return [r.offset for r in fetch.fetch_records(n)]


def test_records_in_order_with_every_field() -> None:
    data = batch(0, 3, epoch=4) + batch(3, 2, epoch=5, compression=CompressionType.ZSTD)
    fetch = CompletedFetch(TP, 0, data)
    first = fetch.fetch_records(2)
    assert [r.offset for r in first] == [0, 1]
    r = first[0]
    assert (r.topic, r.partition, r.key, r.value, r.leader_epoch) == ("t", 0, b"k0", b"v0", 4)
    # The member itself, not the int it equals (compiled and pure alike).
    assert r.timestamp_type is TimestampType.CREATE_TIME
    assert fetch.next_fetch_offset == 2 and fetch.last_epoch == 4
    rest = fetch.fetch_records(10)
    assert [x.offset for x in rest] == [2, 3, 4] and rest[-1].leader_epoch == 5
    assert fetch.next_fetch_offset == 5 and fetch.consumed  # asked for more than there was
    assert fetch.fetch_records(10) == []


def test_compressed_batch_starting_before_the_fetch_offset_is_trimmed() -> None:
    fetch = CompletedFetch(TP, 7, batch(5, 5, compression=CompressionType.LZ4))
    assert offsets(fetch) == [7, 8, 9]


def test_read_committed_drops_aborted_and_hides_markers() -> None:
    data = (
        batch(0, 2, producer_id=7, transactional=True, prefix=b"aborted")
        + batch(2, 2)  # plain records between
        + marker(4, 7, commit=False)
        + batch(5, 2, producer_id=8, transactional=True, prefix=b"committed")
        + marker(7, 8, commit=True)
        + batch(8, 1, producer_id=7, transactional=True, prefix=b"later")
        + marker(9, 7, commit=True)
    )
    committed = CompletedFetch(TP, 0, data, aborted=[(7, 0)], read_committed=True)
    got = committed.fetch_records(100)
    assert [r.value for r in got] == [b"v2", b"v3", b"committed5", b"committed6", b"later8"]
    committed.fetch_records(100)
    assert committed.next_fetch_offset == 10
    everything = CompletedFetch(TP, 0, data, aborted=[(7, 0)], read_committed=False)
    assert offsets(everything) == [0, 1, 2, 3, 5, 6, 8]  # data records only, markers hidden


def test_corrupt_batch_raises_after_the_records_before_it() -> None:
    good, bad = batch(0, 2), bytearray(batch(2, 2))
    bad[17] ^= 0xFF  # the CRC field itself: the records stay decodable
    fetch = CompletedFetch(TP, 0, good + bytes(bad))
    assert offsets(fetch) == [0, 1]
    with pytest.raises(CorruptRecordError):
        fetch.fetch_records(10)
    assert fetch.next_fetch_offset == 2  # never past the bad batch
    unchecked = CompletedFetch(TP, 0, good + bytes(bad), check_crcs=False)
    assert offsets(unchecked) == [0, 1, 2, 3]


def test_only_a_partial_batch_is_record_too_large() -> None:
    data = batch(0, 5)
    fetch = CompletedFetch(TP, 0, data[: len(data) // 2])
    with pytest.raises(RecordTooLargeForFetchError) as info:
        fetch.fetch_records(10)
    assert info.value.offset == 0 and info.value.partition == TP
    # A partial batch after complete ones is normal (the broker cut at its size limit).
    fetch = CompletedFetch(TP, 0, data + data[:20])
    assert len(fetch.fetch_records(10)) == 5


def test_deserializer_failure_stops_at_the_record() -> None:
    data = batch(0, 2) + batch(2, 1, prefix=b"\xff\xfe")
    fetch = CompletedFetch(TP, 0, data, value_deserializer=StringDeserializer())
    got = fetch.fetch_records(10)
    assert [r.value for r in got] == ["v0", "v1"]
    with pytest.raises(RecordDeserializationError) as info:
        fetch.fetch_records(10)
    assert info.value.offset == 2 and fetch.next_fetch_offset == 2
