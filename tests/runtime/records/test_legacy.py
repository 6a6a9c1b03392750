import gzip
import struct

import cramjam
import lz4.frame
import pytest
from kafkaproto.records.compression import kafka_lz4_compress
from kafkaproto.records.errors import CorruptRecordError
from kafkaproto.records.legacy import LegacyBatch
from kafkaproto.records.reader import read_batches
from kafkaproto.records.record_batch import NO_TIMESTAMP, Record, TimestampType
from spec_encoding import legacy_message

TS = 1_600_000_000_000


def test_plain_v0_and_v1_messages() -> None:
    blob = legacy_message(10, 0, 0, 0, b"k", b"v0") + legacy_message(11, 1, 0, TS, None, b"v1")
    read = read_batches(blob)
    a, b = read.batches
    assert isinstance(a, LegacyBatch) and isinstance(b, LegacyBatch)
    assert a.records == [Record(10, NO_TIMESTAMP, b"k", b"v0", ())]
    assert b.records == [Record(11, TS, None, b"v1", ())]
    assert (a.timestamp_type, b.timestamp_type) == (None, TimestampType.CREATE_TIME)


def inner_set(magic: int, offsets: list[int]) -> bytes:
    return b"".join(
        legacy_message(o, magic, 0, TS + i, b"k%d" % i, b"value-%d" % i)
        for i, o in enumerate(offsets)
    )


@pytest.mark.parametrize(
    ("codec", "squash"),
    [
        (1, gzip.compress),
        (2, lambda d: bytes(cramjam.snappy.compress_raw(d))),
        (3, lambda d: lz4.frame.compress(d, block_linked=False)),
    ],
)
def test_v1_wrapper_offsets_are_relative_kip31(codec: int, squash: object) -> None:
    inner = inner_set(1, [0, 1, 2])
    wrapper = legacy_message(102, 1, codec, TS + 9, None, squash(inner))  # type: ignore[operator]
    [batch] = read_batches(wrapper).batches
    assert [r.offset for r in batch.records] == [100, 101, 102]
    assert [r.timestamp for r in batch.records] == [TS, TS + 1, TS + 2]  # CreateTime: own
    assert [r.value for r in batch.records] == [b"value-0", b"value-1", b"value-2"]


def test_v1_log_append_time_wrapper_stamps_inner_records() -> None:
    wrapper = legacy_message(
        2, 1, 0x01 | 0x08, TS + 9, None, gzip.compress(inner_set(1, [0, 1, 2]))
    )
    [batch] = read_batches(wrapper).batches
    assert [r.timestamp for r in batch.records] == [TS + 9] * 3


def test_v1_wrapper_offset_zero_means_base_zero() -> None:
    wrapper = legacy_message(0, 1, 1, TS, None, gzip.compress(inner_set(1, [0, 1])))
    [batch] = read_batches(wrapper).batches
    assert [r.offset for r in batch.records] == [0, 1]


def test_v0_wrapper_offsets_are_absolute_and_lz4_uses_the_v0_checksum_quirk() -> None:
    inner = inner_set(0, [50, 51])
    wrapper = legacy_message(51, 0, 3, 0, None, kafka_lz4_compress(inner, magic=0))
    [batch] = read_batches(wrapper).batches
    assert [r.offset for r in batch.records] == [50, 51]
    assert {r.timestamp for r in batch.records} == {NO_TIMESTAMP}


@pytest.mark.parametrize(
    ("wrapper", "match"),
    [
        (legacy_message(5, 1, 1, TS, None, gzip.compress(inner_set(0, [0]))), "magic"),
        (legacy_message(1, 1, 1, TS, None, gzip.compress(b"")), "no messages"),
        (legacy_message(1, 1, 1, TS, None, None), "null value"),
        (legacy_message(1, 1, 1, TS, None, b"not gzip"), "gzip"),
        (legacy_message(1, 1, 4, TS, None, b"x"), "codec 4"),
        (legacy_message(1, 1, 1, TS, None, gzip.compress(inner_set(1, [0, 1, 5]))), "below"),
        (
            legacy_message(
                1,
                1,
                1,
                TS,
                None,
                gzip.compress(legacy_message(0, 1, 1, TS, None, gzip.compress(inner_set(1, [0])))),
            ),
            "must not be compressed",
        ),
    ],
)
def test_bad_wrappers_are_corrupt(wrapper: bytes, match: str) -> None:
    with pytest.raises(CorruptRecordError, match=match):
        read_batches(wrapper, partition=("t", 0))


def test_legacy_crc_is_zlib_crc32_and_checked() -> None:
    msg = bytearray(legacy_message(0, 1, 0, TS, b"k", b"v"))
    msg[-1] ^= 0xFF
    with pytest.raises(CorruptRecordError, match="CRC-32"):
        read_batches(bytes(msg), partition=1)


def test_mixed_magics_in_one_blob_with_partial_tail() -> None:
    from kafkaproto.records.batch_builder import BatchBuilder

    b = BatchBuilder(base_offset=2)
    b.append(b"k", b"v2", TS)
    v2 = b.build()
    blob = legacy_message(0, 0, 0, 0, None, b"a") + legacy_message(1, 1, 0, TS, None, b"b") + v2
    read = read_batches(blob + v2[:20])
    assert [r.value for bt in read.batches for r in bt.records] == [b"a", b"b", b"v2"]
    assert [bt.magic for bt in read.batches] == [0, 1, 2]
    assert read.partial_at == len(blob) and read.partial_size == len(v2)


def test_field_lengths_running_past_the_message_are_corrupt() -> None:
    msg = bytearray(legacy_message(0, 0, 0, 0, b"key", b"value"))
    struct.pack_into(">i", msg, 18, 100)  # key length beyond the message
    # Recompute the CRC so the length check itself is what fails.
    import zlib

    struct.pack_into(">I", msg, 12, zlib.crc32(bytes(msg[16:])))
    with pytest.raises(CorruptRecordError, match="key length"):
        read_batches(bytes(msg))
