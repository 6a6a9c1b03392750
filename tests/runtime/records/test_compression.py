import gzip
import os
import struct

import cramjam
import lz4.frame
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st
from kafkaproto.records.compression import (
    LZ4_MAGIC,
    XERIAL_BLOCK_SIZE,
    CompressionType,
    check_level,
    compress,
    decompress,
    kafka_lz4_compress,
    kafka_lz4_decompress,
    snappy_decompress,
    xxh32,
)
from kafkaproto.records.errors import DecompressionError

EXAMPLES = 3000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 40
CODECS = list(CompressionType)
# Records-like input: repetitive text with some noise, several codec blocks long.
SAMPLE = b"".join(
    b'{"id":%d,"event":"click","session":"%016x"}' % (i, (i * 2654435761) & (2**64 - 1))
    for i in range(5000)
)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("data", [b"", b"x", SAMPLE, os.urandom(200_000)])
def test_round_trip(codec: CompressionType, data: bytes) -> None:
    assert decompress(codec, compress(codec, data)) == data


@settings(max_examples=EXAMPLES, deadline=None)
@given(codec=st.sampled_from(CODECS), data=st.binary(max_size=5000))
def test_round_trip_property(codec: CompressionType, data: bytes) -> None:
    assert decompress(codec, compress(codec, data)) == data


@pytest.mark.parametrize("level", [1, 9, 12, 17])
def test_lz4_levels_round_trip(level: int) -> None:
    assert kafka_lz4_decompress(kafka_lz4_compress(SAMPLE, level)) == SAMPLE


def test_levels_follow_java_defaults_and_ranges() -> None:
    assert check_level(CompressionType.GZIP, None) == -1
    assert check_level(CompressionType.LZ4, None) == 9
    assert check_level(CompressionType.ZSTD, None) == 3
    assert check_level(CompressionType.SNAPPY, None) is None
    assert check_level(CompressionType.GZIP, -1) == -1
    for codec, bad in [
        (CompressionType.GZIP, 0),
        (CompressionType.GZIP, 10),
        (CompressionType.LZ4, 18),
        (CompressionType.ZSTD, 23),
        (CompressionType.SNAPPY, 1),
    ]:
        with pytest.raises(ValueError):
            check_level(codec, bad)


# ---- independent readers accept our output --------------------------------------------------


def test_gzip_output_is_plain_gzip() -> None:
    assert gzip.decompress(compress(CompressionType.GZIP, SAMPLE)) == SAMPLE


def test_zstd_output_is_a_standard_frame() -> None:
    assert zstandard.ZstdDecompressor().decompress(compress(CompressionType.ZSTD, SAMPLE)) == SAMPLE


def test_snappy_output_is_xerial_framed_in_32k_blocks() -> None:
    out = compress(CompressionType.SNAPPY, SAMPLE)
    # snappy-java's stream header: magic, version 1, compatible version 1 (int32 big-endian).
    assert out[:16] == b"\x82SNAPPY\x00" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x01"
    pos, pieces = 16, []
    while pos < len(out):
        (n,) = struct.unpack_from(">i", out, pos)
        pieces.append(bytes(cramjam.snappy.decompress_raw(out[pos + 4 : pos + 4 + n])))
        pos += 4 + n
    assert pos == len(out)
    assert [len(p) for p in pieces[:-1]] == [XERIAL_BLOCK_SIZE] * (len(pieces) - 1)
    assert b"".join(pieces) == SAMPLE


def test_raw_snappy_is_read_too() -> None:
    raw = bytes(cramjam.snappy.compress_raw(SAMPLE))
    assert snappy_decompress(raw) == SAMPLE


def test_lz4_frame_header_is_kafkas() -> None:
    out = compress(CompressionType.LZ4, SAMPLE)
    # FLG 0x60: version 01, independent blocks, no checksums, no content size; BD 0x40: 64 KiB.
    assert out[:6] == LZ4_MAGIC + b"\x60\x40"
    # The descriptor checksum must be what the reference LZ4 library writes for the same flags.
    ref = lz4.frame.compress(
        b"",
        block_size=lz4.frame.BLOCKSIZE_MAX64KB,
        block_linked=False,
        content_checksum=False,
        store_size=False,
    )
    assert ref[:6] == out[:6]
    assert out[6] == ref[6]
    assert out[-4:] == b"\x00\x00\x00\x00"  # end mark, no content checksum


def test_lz4_output_is_read_by_reference_library() -> None:
    for data in (b"", SAMPLE, os.urandom(100_000)):  # random data: stored (uncompressed) blocks
        assert lz4.frame.decompress(compress(CompressionType.LZ4, data)) == data


def test_lz4_magic_v0_descriptor_checksum_quirk() -> None:
    # KAFKA-3160: for message format v0 the descriptor checksum covered the magic number too.
    v0 = kafka_lz4_compress(SAMPLE, magic=0)
    v2 = kafka_lz4_compress(SAMPLE, magic=2)
    assert v0[6] == (xxh32(LZ4_MAGIC + b"\x60\x40") >> 8) & 0xFF
    assert v0[:6] + v0[7:] == v2[:6] + v2[7:]
    assert kafka_lz4_decompress(v0, magic=0) == SAMPLE
    with pytest.raises(DecompressionError):
        kafka_lz4_decompress(v0, magic=1)


def test_xxh32_published_vectors() -> None:
    # xxHash's reference values for seed 0.
    assert xxh32(b"") == 0x02CC5D05
    assert xxh32(b"abc") == 0x32D153FF


@pytest.mark.parametrize("checksums", [(True, False), (False, True), (True, True)])
def test_reads_reference_frames_with_checksums_and_size(checksums: tuple[bool, bool]) -> None:
    block_sum, content_sum = checksums
    frame = lz4.frame.compress(
        SAMPLE,
        block_size=lz4.frame.BLOCKSIZE_MAX64KB,
        block_linked=False,
        block_checksum=block_sum,
        content_checksum=content_sum,
        store_size=True,
    )
    assert kafka_lz4_decompress(frame) == SAMPLE  # block checksums exercise xxh32 on 64 KiB


def test_lz4_block_checksum_mismatch_is_detected() -> None:
    frame = bytearray(
        lz4.frame.compress(
            SAMPLE,
            block_size=lz4.frame.BLOCKSIZE_MAX64KB,
            block_linked=False,
            block_checksum=True,
            store_size=False,
        )
    )
    (size,) = struct.unpack_from("<I", frame, 7)
    frame[7 + 4 + (size & 0x7FFFFFFF)] ^= 0xFF  # first byte of the first block's checksum
    with pytest.raises(DecompressionError, match="checksum"):
        kafka_lz4_decompress(bytes(frame))


def test_lz4_linked_blocks_are_refused_like_java() -> None:
    frame = lz4.frame.compress(SAMPLE, block_linked=True)
    with pytest.raises(DecompressionError):
        kafka_lz4_decompress(frame)


# ---- bounds: bombs, truncation, garbage -----------------------------------------------------

ZEROS = bytes(8 << 20)
LIMIT = 1 << 20


def _bombs() -> list[tuple[CompressionType, bytes]]:
    return [
        (CompressionType.GZIP, gzip.compress(ZEROS)),
        (CompressionType.SNAPPY, compress(CompressionType.SNAPPY, ZEROS)),
        (CompressionType.SNAPPY, bytes(cramjam.snappy.compress_raw(ZEROS))),
        (CompressionType.LZ4, compress(CompressionType.LZ4, ZEROS)),
        (CompressionType.ZSTD, zstandard.ZstdCompressor().compress(ZEROS)),
        (
            CompressionType.ZSTD,
            zstandard.ZstdCompressor(write_content_size=False).compress(ZEROS),
        ),
        (CompressionType.NONE, ZEROS),
    ]


@pytest.mark.parametrize(("codec", "bomb"), _bombs())
def test_output_over_the_limit_is_refused(codec: CompressionType, bomb: bytes) -> None:
    assert len(bomb) < LIMIT or codec is CompressionType.NONE
    with pytest.raises(DecompressionError, match="limit"):
        decompress(codec, bomb, max_size=LIMIT)
    # ... while the same data under a big enough limit is fine
    assert decompress(codec, bomb, max_size=len(ZEROS)) == ZEROS


def test_gzip_concatenated_members_are_read_like_java() -> None:
    data = gzip.compress(b"abc") + gzip.compress(b"def")
    assert decompress(CompressionType.GZIP, data) == b"abcdef"


@pytest.mark.parametrize("codec", [c for c in CODECS if c is not CompressionType.NONE])
def test_every_truncation_is_an_error_or_a_prefix_never_another_exception(
    codec: CompressionType,
) -> None:
    whole = compress(codec, SAMPLE[:3000])
    for cut in range(len(whole)):
        try:
            out = decompress(codec, whole[:cut])
        except DecompressionError:
            continue
        # A cut exactly between snappy blocks reads as a shorter stream; nothing else may pass.
        assert codec is CompressionType.SNAPPY and SAMPLE.startswith(out)


@settings(max_examples=EXAMPLES, deadline=None)
@given(codec=st.sampled_from(CODECS[1:]), data=st.binary(max_size=2000))
def test_garbage_only_raises_decompression_error(codec: CompressionType, data: bytes) -> None:
    try:
        decompress(codec, data, max_size=LIMIT)
    except DecompressionError:
        pass


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    codec=st.sampled_from(CODECS[1:]),
    pos=st.integers(0, 10**6),
    byte=st.integers(0, 255),
)
def test_mutated_streams_only_raise_decompression_error(
    codec: CompressionType, pos: int, byte: int
) -> None:
    data = bytearray(compress(codec, SAMPLE[:20_000]))
    data[pos % len(data)] = byte
    try:
        out = decompress(codec, bytes(data), max_size=LIMIT)
    except DecompressionError:
        return
    assert len(out) <= LIMIT


# prefix-with-magic garbage reaches the framing parsers, not just the magic checks
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.binary(max_size=300))
def test_framed_garbage(data: bytes) -> None:
    for codec, prefix in [
        (CompressionType.SNAPPY, b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01"),
        (CompressionType.LZ4, LZ4_MAGIC + b"\x60\x40\x82"),
        (CompressionType.ZSTD, b"\x28\xb5\x2f\xfd"),
        (CompressionType.GZIP, b"\x1f\x8b\x08\x00"),
    ]:
        try:
            decompress(codec, prefix + data, max_size=LIMIT)
        except DecompressionError:
            pass
