"""Fuzzing the readers: random, truncated and mutated record data may only ever raise the
project's typed errors. Modest example counts by default; HYPOTHESIS_PROFILE=fuzz (make fuzz)
runs many more."""

import gzip
import os
import struct
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.errors import CorruptRecordError
from kafkaproto.records.reader import read_batches
from spec_encoding import crc32c_bitwise, legacy_message

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
fuzz_settings = settings(
    max_examples=20_000 if FUZZ else 150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LIMIT = 1 << 20  # decompression bound for these tests


def _v2(codec: CompressionType, base: int) -> bytes:
    b = BatchBuilder(compression=codec, base_offset=base)
    for i in range(6):
        b.append(
            b"k%d" % i if i % 2 else None,
            b"value-%d" % i * (i + 1),
            1000 + i,
            [("h", b"x")] if i == 3 else None,
        )
    return b.build()


SEEDS = [_v2(c, 10 * i) for i, c in enumerate(CompressionType)] + [
    legacy_message(0, 0, 0, 0, b"k", b"v"),
    legacy_message(
        5,
        1,
        1,
        7,
        None,
        gzip.compress(
            legacy_message(0, 1, 0, 7, None, b"a") + legacy_message(1, 1, 0, 8, b"b", b"c")
        ),
    ),
]


def read_only_typed_errors(data: bytes) -> None:
    try:
        read = read_batches(data, partition=("fuzz", 0), max_decompressed_size=LIMIT)
    except CorruptRecordError as e:
        assert e.partition == ("fuzz", 0)
        return
    for batch in read.batches:
        for record in batch.records:
            assert record.value is None or len(record.value) <= LIMIT


def fix_checksums(data: bytearray) -> bytes:
    """Make a mutated single batch pass its CRC again, so the mutation reaches the parser."""
    if len(data) >= 21 and data[16] == 2:
        struct.pack_into(">I", data, 17, crc32c_bitwise(bytes(data[21:])))
    elif len(data) >= 17 and data[16] in (0, 1):
        struct.pack_into(">I", data, 12, zlib.crc32(bytes(data[16:])))
    return bytes(data)


@fuzz_settings
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    read_only_typed_errors(data)


@fuzz_settings
@given(st.sampled_from(SEEDS), st.binary(min_size=17, max_size=200))
def test_random_bytes_behind_a_plausible_prefix(seed: bytes, tail: bytes) -> None:
    read_only_typed_errors(seed[:17] + tail)


@fuzz_settings
@given(st.sampled_from(SEEDS), st.data())
def test_truncated_seeds_read_cleanly(seed: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(seed)))
    read = read_batches(seed[:cut] + b"", max_decompressed_size=LIMIT)
    assert len(read.batches) == (1 if cut == len(seed) else 0)


@fuzz_settings
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
    st.booleans(),
)
def test_mutated_seeds(seed: bytes, edits: list[tuple[int, int]], fix: bool) -> None:
    data = bytearray(seed)
    for pos, byte in edits:
        data[pos % len(data)] = byte
    read_only_typed_errors(fix_checksums(data) if fix else bytes(data))


@fuzz_settings
@given(st.sampled_from(SEEDS), st.integers(0, 10**6), st.integers(1, 8))
def test_deleted_or_inserted_bytes(seed: bytes, pos: int, n: int) -> None:
    p = pos % len(seed)
    for variant in (seed[:p] + seed[p + n :], seed[:p] + bytes(n) + seed[p:]):
        fixed = bytearray(variant)
        if len(fixed) >= 12:
            struct.pack_into(">i", fixed, 8, len(fixed) - 12)  # keep the framing consistent
        read_only_typed_errors(fix_checksums(fixed))
