import os
import struct

import crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafkaproto.errors import EncodeError
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.compression import CompressionType, decompress
from kafkaproto.records.errors import CorruptRecordError
from kafkaproto.records.reader import iter_records, read_batches
from kafkaproto.records.record_batch import (
    RECORD_BATCH_OVERHEAD,
    Record,
    RecordBatch,
    TimestampType,
    decode_batch,
)
from spec_encoding import batch_v2, crc32c_bitwise, record_v2

EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 40
TS = 1_700_000_000_000

RECORDS = [
    # (key, value, timestamp, headers)
    (b"k0", b"hello", TS, []),
    (None, b"v" * 300, TS + 5, [("trace", b"abc"), ("empty", None)]),
    (b"", None, TS - 2, []),  # earlier timestamp: negative delta; null value (tombstone)
]


def expected_batch(attributes: int = 0, **overrides: int) -> bytes:
    records = b"".join(record_v2(i, ts - TS, k, v, h) for i, (k, v, ts, h) in enumerate(RECORDS))
    fields = dict(
        base_offset=0,
        leader_epoch=-1,
        attributes=attributes,
        last_offset_delta=2,
        base_timestamp=TS,
        max_timestamp=TS + 5,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        count=3,
        records=records,
    )
    fields.update(overrides)
    return batch_v2(**fields)  # type: ignore[arg-type]


def build(**kwargs: object) -> bytes:
    b = BatchBuilder(**kwargs)  # type: ignore[arg-type]
    for i, (k, v, ts, h) in enumerate(RECORDS):
        assert b.append(k, v, ts, h) == i
    return b.build()


def test_builder_output_is_byte_exact_with_the_documented_layout() -> None:
    assert build() == expected_batch()


def test_producer_state_and_flags_land_in_their_fields() -> None:
    got = build(
        producer_id=4242,
        producer_epoch=7,
        base_sequence=100,
        is_transactional=True,
        partition_leader_epoch=3,
        base_offset=0,
    )
    assert got == expected_batch(
        attributes=0x10, producer_id=4242, producer_epoch=7, base_sequence=100, leader_epoch=3
    )


def test_crc_is_crc32c_over_attributes_to_end() -> None:
    data = build()
    (crc,) = struct.unpack_from(">I", data, 17)
    assert crc == crc32c_bitwise(data[21:]) == crc32c.crc32c(data[21:])


def test_decoding_the_spec_fixture() -> None:
    data = expected_batch()
    batch = decode_batch(data)
    assert (batch.base_offset, batch.records_count, batch.last_offset_delta) == (0, 3, 2)
    assert (batch.base_timestamp, batch.max_timestamp) == (TS, TS + 5)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (-1, -1, -1)
    assert batch.partition_leader_epoch == -1 and batch.magic == 2
    assert batch.compression is CompressionType.NONE
    assert batch.timestamp_type is TimestampType.CREATE_TIME
    assert not (batch.is_transactional or batch.is_control or batch.has_delete_horizon)
    assert batch.size_in_bytes == len(data) and batch.next_offset == 3
    assert batch.records == [
        Record(i, ts, k, v, tuple(h)) for i, (k, v, ts, h) in enumerate(RECORDS)
    ]


@pytest.mark.parametrize("codec", list(CompressionType))
def test_compressed_batches_hold_the_same_records_compressed(codec: CompressionType) -> None:
    data = build(compression=codec)
    assert data[:8] == b"\x00" * 8
    (attributes,) = struct.unpack_from(">h", data, 21)
    assert attributes == codec
    plain = expected_batch()
    assert decompress(codec, data[RECORD_BATCH_OVERHEAD:]) == plain[RECORD_BATCH_OVERHEAD:]
    assert decode_batch(data).records == decode_batch(plain).records


def test_log_append_time_gives_every_record_the_batch_max_timestamp() -> None:
    data = expected_batch(attributes=0x08, max_timestamp=TS + 999)
    batch = decode_batch(data)
    assert batch.timestamp_type is TimestampType.LOG_APPEND_TIME
    assert {r.timestamp for r in batch.records} == {TS + 999}


def test_control_and_delete_horizon_bits() -> None:
    batch = decode_batch(expected_batch(attributes=0x20 | 0x40 | 0x10))
    assert batch.is_control and batch.is_transactional and batch.has_delete_horizon
    assert batch.delete_horizon_ms == TS
    assert list(iter_records(expected_batch(attributes=0x20))) == []


headers_st = st.lists(st.tuples(st.text(max_size=5), st.none() | st.binary(max_size=5)), max_size=3)
record_st = st.tuples(
    st.none() | st.binary(max_size=20),
    st.none() | st.binary(max_size=10_000),  # lengths past 8 KiB take the slow varint path
    st.integers(-(2**40), 2**40),
    headers_st,
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    records=st.lists(record_st, min_size=1, max_size=12),
    codec=st.sampled_from(list(CompressionType)),
    base_ts=st.integers(0, 2**41),
)
def test_round_trip_property(
    records: list[tuple[bytes | None, bytes | None, int, list[tuple[str, bytes | None]]]],
    codec: CompressionType,
    base_ts: int,
) -> None:
    b = BatchBuilder(compression=codec, batch_size=1 << 30)
    for i, (k, v, ts, h) in enumerate(records):
        assert b.append(k, v, base_ts + ts, h) == i
    data = b.build()
    expected = [Record(i, base_ts + ts, k, v, tuple(h)) for i, (k, v, ts, h) in enumerate(records)]
    read = read_batches(data)
    assert not read.has_partial
    [batch] = read.batches
    assert isinstance(batch, RecordBatch)
    assert batch.records == expected
    assert batch.max_timestamp == max(base_ts + r[2] for r in records)
    assert batch.base_timestamp == base_ts + records[0][2]


def test_batch_size_limit_first_record_always_fits() -> None:
    b = BatchBuilder(batch_size=100)
    assert b.append(None, b"x" * 500, TS) == 0  # larger than the limit, but first
    assert b.append(None, b"y", TS) == -1
    assert b.record_count == 1
    assert [r.value for r in decode_batch(b.build()).records] == [b"x" * 500]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    sizes=st.lists(st.tuples(st.integers(-1, 300), st.integers(-1, 300)), min_size=1),
    limit=st.integers(61, 3000),
    ts_given=st.booleans(),
)
def test_room_check_is_exact_with_timestamp_and_conservative_without(
    sizes: list[tuple[int, int]], limit: int, ts_given: bool
) -> None:
    b = BatchBuilder(batch_size=limit)
    for i, (ks, vs) in enumerate(sizes):
        key = None if ks < 0 else b"k" * ks
        value = None if vs < 0 else b"v" * vs
        ts = TS + i if ts_given else None
        predicted = b.has_room_for(ks, vs, None, ts)
        before = b.size_in_bytes
        got = b.append(key, value, ts)
        if got >= 0:
            assert b.size_in_bytes - before <= b.record_size(ks, vs, None, ts)
            if ts_given:
                assert b.size_in_bytes - before == b.record_size(ks, vs, None, ts)
        if ts_given:
            assert predicted == (got >= 0)
        else:
            assert not predicted or got >= 0  # "fits" is never wrong
        assert b.size_in_bytes <= limit or b.record_count == 1
        if got < 0:
            break


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    records=st.lists(
        st.tuples(st.integers(0, 20000), st.integers(-(2**40), 2**40)), min_size=1, max_size=40
    ),
    limit=st.integers(62, 60000),
)
def test_append_value_writes_what_append_writes_and_stops_below_its_limit(
    records: list[tuple[int, int]], limit: int
) -> None:
    # The producer's fast path against the general one: byte-identical batches, and a record
    # is refused exactly when the batch would reach ``limit`` bytes.
    fast, general = BatchBuilder(batch_size=1 << 30), BatchBuilder(batch_size=1 << 30)
    for i, (size, delta) in enumerate(records):
        value = bytes([i % 256]) * size
        before = general.size_in_bytes
        assert general.append(None, value, TS + delta) == i
        reached = general.size_in_bytes >= limit
        got = fast.append_value(value, TS + delta, limit)
        if reached:
            assert got == -1 and fast.size_in_bytes == before
            break
        assert got == i
        assert fast.size_in_bytes == general.size_in_bytes
    if fast.record_count:
        general = BatchBuilder(batch_size=1 << 30)
        for i, (size, delta) in enumerate(records[: fast.record_count]):
            general.append(None, bytes([i % 256]) * size, TS + delta)
        assert fast.build() == general.build()


def test_empty_builder_builds_nothing() -> None:
    assert BatchBuilder().build() == b""


def test_bad_record_types_are_encode_errors() -> None:
    b = BatchBuilder()
    with pytest.raises(EncodeError):
        b.append("text", b"v", TS)  # type: ignore[arg-type]
    with pytest.raises(EncodeError):
        b.append(None, b"v", TS, [(1, b"x")])  # type: ignore[list-item]
    assert b.record_count == 0


# ---- the reader over many batches -----------------------------------------------------------


def three_batches() -> tuple[bytes, list[int]]:
    blob, starts = b"", []
    for base, codec in [
        (0, CompressionType.NONE),
        (3, CompressionType.LZ4),
        (6, CompressionType.ZSTD),
    ]:
        starts.append(len(blob))
        blob += build(base_offset=base, compression=codec)
    return blob, starts


def test_reads_concatenated_batches() -> None:
    blob, _ = three_batches()
    read = read_batches(blob)
    assert not read.has_partial
    assert [r.offset for b in read.batches for r in b.records] == list(range(9))


def test_every_prefix_stops_cleanly_at_the_last_complete_batch() -> None:
    blob, starts = three_batches()
    sizes = [b - a for a, b in zip(starts, [*starts[1:], len(blob)], strict=True)]
    for cut in range(len(blob) + 1):
        read = read_batches(blob[:cut])
        complete = sum(1 for s, n in zip(starts, sizes, strict=True) if s + n <= cut)
        assert len(read.batches) == complete
        if cut in (*starts, len(blob)):
            assert not read.has_partial
        else:
            at = starts[complete]
            assert read.partial_at == at
            assert read.partial_size == (sizes[complete] if cut - at >= 12 else -1)


def test_bad_crc_in_the_middle_names_partition_and_offset() -> None:
    blob, starts = three_batches()
    broken = bytearray(blob)
    broken[starts[1] + 70] ^= 0x01
    with pytest.raises(CorruptRecordError) as e:
        read_batches(bytes(broken), partition=("orders", 4))
    assert e.value.partition == ("orders", 4)
    assert e.value.batch_offset == 3
    assert e.value.offset == starts[1] + 17
    assert "orders" in str(e.value) and "CRC" in str(e.value)


def fix_crc(batch: bytearray) -> bytes:
    struct.pack_into(">I", batch, 17, crc32c_bitwise(bytes(batch[21:])))
    return bytes(batch)


def test_record_count_mismatch_is_corrupt_even_with_a_valid_crc() -> None:
    data = bytearray(expected_batch())
    struct.pack_into(">i", data, 57, 4)  # claims 4 records, holds 3
    with pytest.raises(CorruptRecordError, match="past the end"):
        decode_batch(fix_crc(data))
    struct.pack_into(">i", data, 57, 2)  # claims 2, holds 3
    with pytest.raises(CorruptRecordError, match="after the 2 records"):
        decode_batch(fix_crc(data))


def test_record_length_inconsistent_with_fields_is_corrupt() -> None:
    data = bytearray(expected_batch())
    data[61] += 2  # first record's length varint (small, one byte): claim one byte more
    with pytest.raises(CorruptRecordError) as e:
        decode_batch(fix_crc(data), partition=7)
    assert e.value.offset == 61 and e.value.partition == 7


def test_size_below_header_and_unknown_magic() -> None:
    data = bytearray(expected_batch())
    bad_magic = bytes(data[:16]) + b"\x03" + bytes(data[17:])
    with pytest.raises(CorruptRecordError, match="magic"):
        read_batches(bad_magic)
    tiny = bytearray(data)
    struct.pack_into(">i", tiny, 8, 20)
    with pytest.raises(CorruptRecordError, match="header size"):
        read_batches(bytes(tiny[:32]))


def test_trailing_garbage_shorter_than_a_header_is_reported_as_partial() -> None:
    data = expected_batch()
    read = read_batches(data + b"\x00\x01")
    assert len(read.batches) == 1 and read.partial_at == len(data) and read.partial_size == -1


def test_a_record_compares_by_its_fields_and_shows_them() -> None:
    r = Record(7, TS, b"k", b"v", (("h", b"1"),))
    assert r == Record(7, TS, b"k", b"v", (("h", b"1"),))
    for other in (
        Record(8, TS, b"k", b"v", (("h", b"1"),)),
        Record(7, TS + 1, b"k", b"v", (("h", b"1"),)),
        Record(7, TS, None, b"v", (("h", b"1"),)),
        Record(7, TS, b"k", None, (("h", b"1"),)),
        Record(7, TS, b"k", b"v", ()),
    ):
        assert r != other
    assert r != (7, TS, b"k", b"v", (("h", b"1"),))  # not a tuple any more
    assert repr(r) == (
        f"Record(offset=7, timestamp={TS}, key=b'k', value=b'v', headers=(('h', b'1'),))"
    )
    with pytest.raises(TypeError):
        hash(r)  # equal by value but mutable: not hashable, as a dataclass with eq
