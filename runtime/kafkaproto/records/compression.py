"""Kafka's record compression codecs, written the way the Java client writes them and read with a
hard bound on output size.

Codec ids are the low three bits of a batch's attributes (none 0, gzip 1, snappy 2, lz4 3,
zstd 4). Framing follows the Java client: gzip is a plain gzip stream; snappy is written in
snappy-java's "xerial" block framing and read framed or raw; lz4 is Kafka's own LZ4 frame
writer (64 KiB independent blocks, no checksums, and the magic-v0 descriptor checksum quirk,
KAFKA-3160); zstd is a standard zstd frame. Libraries were chosen by ``bench/compression.py``
(see BENCHMARKS.md): stdlib zlib, cramjam for snappy, lz4 for LZ4 blocks, zstandard for zstd.

Rule: decompression never allocates more than ``max_size`` plus one codec block, never hangs,
and every failure is a ``DecompressionError``; no codec library's exception escapes.
"""

from __future__ import annotations

import struct
import threading
import zlib
from enum import IntEnum
from typing import Final

import cramjam
import lz4.block
import zstandard
from kafkaproto.records.errors import DecompressionError

Buffer = bytes | bytearray | memoryview

# Generous but finite: larger than any default fetch.max.bytes / message.max.bytes (50 MiB).
DEFAULT_MAX_DECOMPRESSED_SIZE: Final = 64 << 20


class CompressionType(IntEnum):
    """The codec id in bits 0-2 of a batch's attributes."""

    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


# Java client defaults and accepted ranges (CompressionType.java, KIP-390): gzip -1 means
# "zlib's default" (6); lz4 levels 1..17 with 9 the default; zstd -131072..22 with 3 the default.
DEFAULT_LEVELS: Final[dict[CompressionType, int | None]] = {
    CompressionType.NONE: None,
    CompressionType.GZIP: -1,
    CompressionType.SNAPPY: None,
    CompressionType.LZ4: 9,
    CompressionType.ZSTD: 3,
}
_LEVEL_RANGES: Final = {
    CompressionType.GZIP: (1, 9),
    CompressionType.LZ4: (1, 17),
    CompressionType.ZSTD: (-131072, 22),
}


def check_level(codec: CompressionType, level: int | None) -> int | None:
    """The effective level for ``codec``: ``None`` picks the Java default; out of range raises
    ``ValueError``; codecs without levels (none, snappy) accept only ``None``."""
    if level is None:
        return DEFAULT_LEVELS[codec]
    if codec not in _LEVEL_RANGES:
        raise ValueError(f"{codec.name.lower()} takes no compression level")
    low, high = _LEVEL_RANGES[codec]
    if low <= level <= high or (codec is CompressionType.GZIP and level == -1):
        return level
    raise ValueError(f"{codec.name.lower()} level {level} outside {low}..{high}")


def compress(
    codec: CompressionType, data: Buffer, level: int | None = None, *, magic: int = 2
) -> bytes:
    """Compress a records section as the Java producer would for message format ``magic``."""
    codec = CompressionType(codec)
    level = check_level(codec, level)
    if codec is CompressionType.NONE:
        return bytes(data)
    if codec is CompressionType.GZIP:
        assert level is not None
        c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return c.compress(data) + c.flush()
    if codec is CompressionType.SNAPPY:
        return xerial_snappy_compress(data)
    if codec is CompressionType.LZ4:
        assert level is not None
        return kafka_lz4_compress(data, level, magic=magic)
    assert level is not None
    return _zstd_compressor(level).compress(data)


def decompress(
    codec: CompressionType,
    data: Buffer,
    *,
    max_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    magic: int = 2,
) -> bytes:
    """Decompress a records section; more than ``max_size`` bytes of output, garbage or a
    truncated stream raise ``DecompressionError``."""
    try:
        codec = CompressionType(codec)
    except ValueError:
        raise DecompressionError(f"unknown compression codec id {codec}") from None
    if codec is CompressionType.NONE:
        if len(data) > max_size:
            raise DecompressionError(f"records larger than the {max_size}-byte limit")
        return bytes(data)
    if codec is CompressionType.GZIP:
        return _gunzip(data, max_size)
    if codec is CompressionType.SNAPPY:
        return snappy_decompress(data, max_size)
    if codec is CompressionType.LZ4:
        return kafka_lz4_decompress(data, max_size, magic=magic)
    return _zstd_decompress(data, max_size)


def _bomb(max_size: int, codec: str) -> DecompressionError:
    return DecompressionError(f"{codec} output exceeds the {max_size}-byte decompression limit")


# ---- gzip -------------------------------------------------------------------------------------


def _gunzip(data: Buffer, max_size: int) -> bytes:
    # Java's GZIPInputStream reads concatenated members and ignores bytes after the last member
    # that do not start another one; mirror both so we accept whatever Java accepts.
    out = bytearray()
    rest = bytes(data)
    first = True
    while first or rest[:2] == b"\x1f\x8b":
        first = False
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(rest, max_size - len(out) + 1)
        except zlib.error as e:
            raise DecompressionError(f"gzip: {e}") from None
        out += chunk
        if len(out) > max_size:
            raise _bomb(max_size, "gzip")
        if not d.eof:
            raise DecompressionError("gzip: stream is truncated")
        rest = d.unused_data
    return bytes(out)


# ---- snappy -----------------------------------------------------------------------------------

XERIAL_MAGIC: Final = b"\x82SNAPPY\x00"
# snappy-java's SnappyOutputStream header: magic, then version 1 and minimum compatible version 1.
XERIAL_HEADER: Final = XERIAL_MAGIC + struct.pack(">ii", 1, 1)
# snappy-java's default block size (SnappyOutputStream.DEFAULT_BLOCK_SIZE).
XERIAL_BLOCK_SIZE: Final = 32 * 1024
_INT32_BE: Final = struct.Struct(">i")


def xerial_snappy_compress(data: Buffer) -> bytes:
    """Snappy in snappy-java's block framing, as Kafka's Java producer writes it."""
    view = memoryview(data)
    out = bytearray(XERIAL_HEADER)
    for start in range(0, len(view), XERIAL_BLOCK_SIZE):
        block = bytes(cramjam.snappy.compress_raw(view[start : start + XERIAL_BLOCK_SIZE]))
        out += _INT32_BE.pack(len(block))
        out += block
    return bytes(out)


def _snappy_raw_length(block: Buffer) -> int:
    # A raw snappy block starts with its uncompressed length as an unsigned varint (<= 32 bits);
    # reading it ourselves lets us refuse a bomb before the library allocates.
    u = 0
    for i in range(min(5, len(block))):
        b = block[i]
        u |= (b & 0x7F) << (7 * i)
        if b < 0x80:
            return u
    raise DecompressionError("snappy: bad uncompressed-length header")


def _snappy_block(block: Buffer) -> bytes:
    try:
        return bytes(cramjam.snappy.decompress_raw(block))
    except Exception as e:  # cramjam raises its own DecompressionError (and others on garbage)
        raise DecompressionError(f"snappy: {e}") from None


def snappy_decompress(data: Buffer, max_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE) -> bytes:
    """Xerial-framed snappy (the Java client's output) or one raw snappy block (some older
    non-Java clients), detected by the xerial magic."""
    if bytes(data[:8]) != XERIAL_MAGIC or len(data) < 16:
        if _snappy_raw_length(data) > max_size:
            raise _bomb(max_size, "snappy")
        return _snappy_block(data)
    view = memoryview(data)
    pos = 16  # magic, version, compatible version: any versions are read the same way
    out = bytearray()
    while pos < len(view):
        if pos + 4 > len(view):
            raise DecompressionError("snappy: truncated block length", offset=pos)
        (n,) = _INT32_BE.unpack_from(view, pos)
        pos += 4
        if n < 0 or pos + n > len(view):
            raise DecompressionError(f"snappy: block of {n} bytes runs past the data", offset=pos)
        block = view[pos : pos + n]
        if len(out) + _snappy_raw_length(block) > max_size:
            raise _bomb(max_size, "snappy")
        out += _snappy_block(block)
        pos += n
    return bytes(out)


# ---- lz4 --------------------------------------------------------------------------------------

LZ4_MAGIC: Final = b"\x04\x22\x4d\x18"  # 0x184D2204 little-endian (LZ4 frame format)
# FLG: version 01, block independence set, no block/content checksum, no content size.
LZ4_FLG: Final = 0x60
# BD: block maximum size id 4 = 64 KiB, the size Kafka's writer uses.
LZ4_BD: Final = 0x40
LZ4_BLOCK_SIZE: Final = 64 * 1024
_LZ4_UNCOMPRESSED_BIT: Final = 0x80000000
_UINT32_LE: Final = struct.Struct("<I")

_P1, _P2, _P3, _P4, _P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
_M32: Final = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def xxh32(data: Buffer, seed: int = 0) -> int:
    """xxHash32 (the LZ4 frame format's checksum). Pure Python: used on 2-15 byte frame
    descriptors, and on blocks only in frames that ask for block checksums (Kafka's don't)."""
    n = len(data)
    i = 0
    if n >= 16:
        v1 = (seed + _P1 + _P2) & _M32
        v2 = (seed + _P2) & _M32
        v3 = seed & _M32
        v4 = (seed - _P1) & _M32
        lanes = struct.unpack_from(f"<{(n // 16) * 4}I", data)
        for j in range(0, len(lanes), 4):
            v1 = (_rotl((v1 + lanes[j] * _P2) & _M32, 13) * _P1) & _M32
            v2 = (_rotl((v2 + lanes[j + 1] * _P2) & _M32, 13) * _P1) & _M32
            v3 = (_rotl((v3 + lanes[j + 2] * _P2) & _M32, 13) * _P1) & _M32
            v4 = (_rotl((v4 + lanes[j + 3] * _P2) & _M32, 13) * _P1) & _M32
        i = (n // 16) * 16
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M32
    else:
        h = (seed + _P5) & _M32
    h = (h + n) & _M32
    while i + 4 <= n:
        (w,) = _UINT32_LE.unpack_from(data, i)
        h = (_rotl((h + w * _P3) & _M32, 17) * _P4) & _M32
        i += 4
    while i < n:
        h = (_rotl((h + data[i] * _P5) & _M32, 11) * _P1) & _M32
        i += 1
    h ^= h >> 15
    h = (h * _P2) & _M32
    h ^= h >> 13
    h = (h * _P3) & _M32
    h ^= h >> 16
    return h


def _lz4_descriptor_checksum(descriptor: bytes, magic: int) -> int:
    # The frame spec hashes the descriptor without the magic number; Kafka's writer for message
    # format v0 hashed it *with* the magic number (KAFKA-3160), and readers of v0 skip the check.
    covered = LZ4_MAGIC + descriptor if magic == 0 else descriptor
    return (xxh32(covered) >> 8) & 0xFF


_LZ4_HEADERS: Final = {
    m: LZ4_MAGIC + bytes((LZ4_FLG, LZ4_BD, _lz4_descriptor_checksum(bytes((LZ4_FLG, LZ4_BD)), m)))
    for m in (0, 1, 2)
}
_LZ4_END_MARK: Final = b"\x00\x00\x00\x00"


def kafka_lz4_compress(data: Buffer, level: int = 9, *, magic: int = 2) -> bytes:
    """LZ4 frame as Kafka's Java writer makes it: 64 KiB independent blocks, a block stored
    uncompressed when compressing does not shrink it, then an empty end mark. Level 9 (the
    default) uses LZ4's fast compressor and other levels the HC compressor, as lz4-java does."""
    view = memoryview(data)
    out = bytearray(_LZ4_HEADERS[0 if magic == 0 else 2])
    mode = "default" if level == 9 else "high_compression"
    for start in range(0, len(view), LZ4_BLOCK_SIZE):
        chunk = view[start : start + LZ4_BLOCK_SIZE]
        block = lz4.block.compress(chunk, mode=mode, compression=level, store_size=False)
        if len(block) >= len(chunk):
            out += _UINT32_LE.pack(len(chunk) | _LZ4_UNCOMPRESSED_BIT)
            out += chunk
        else:
            out += _UINT32_LE.pack(len(block))
            out += block
    out += _LZ4_END_MARK
    return bytes(out)


def kafka_lz4_decompress(
    data: Buffer, max_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE, *, magic: int = 2
) -> bytes:
    """Read an LZ4 frame with the rules of Kafka's reader: independent blocks only, block sizes
    64 KiB-4 MiB, optional content size, block and content checksums (block checksums are
    verified), descriptor checksum verified except for message format v0."""
    view = memoryview(data)
    n = len(view)
    if n < 7 or bytes(view[:4]) != LZ4_MAGIC:
        raise DecompressionError("lz4: not an LZ4 frame (bad magic)")
    flg, bd = view[4], view[5]
    if flg >> 6 != 1 or flg & 0x03 or not flg & 0x20:
        raise DecompressionError(f"lz4: unsupported frame flags {flg:#04x}")
    block_id = (bd >> 4) & 0x07
    if bd & 0x8F or block_id < 4:
        raise DecompressionError(f"lz4: bad block descriptor {bd:#04x}")
    max_block = 1 << (2 * block_id + 8)
    has_block_checksum = bool(flg & 0x10)
    pos = 6
    if flg & 0x08:  # content size: 8 bytes little-endian; use it to refuse a bomb early
        if n < pos + 9:
            raise DecompressionError("lz4: truncated frame descriptor")
        if int.from_bytes(view[pos : pos + 8], "little") > max_size:
            raise _bomb(max_size, "lz4")
        pos += 8
    if magic != 0 and view[pos] != _lz4_descriptor_checksum(bytes(view[4:pos]), magic):
        raise DecompressionError("lz4: frame descriptor checksum mismatch", offset=pos)
    pos += 1
    out = bytearray()
    while True:
        if pos + 4 > n:
            raise DecompressionError("lz4: frame is truncated (no end mark)", offset=pos)
        (size,) = _UINT32_LE.unpack_from(view, pos)
        pos += 4
        if size == 0:
            # Like Kafka's reader, bytes after the end mark (and the content checksum, which
            # Kafka does not verify either) are ignored.
            return bytes(out)
        stored = bool(size & _LZ4_UNCOMPRESSED_BIT)
        size &= ~_LZ4_UNCOMPRESSED_BIT
        if size > max_block:
            raise DecompressionError(f"lz4: block of {size} bytes exceeds {max_block}", offset=pos)
        end = pos + size
        if end + (4 if has_block_checksum else 0) > n:
            raise DecompressionError("lz4: block runs past the data", offset=pos)
        block = view[pos:end]
        if has_block_checksum:
            (want,) = _UINT32_LE.unpack_from(view, end)
            if xxh32(block) != want:
                raise DecompressionError("lz4: block checksum mismatch", offset=pos)
            end += 4
        if stored:
            out += block
        else:
            try:
                out += lz4.block.decompress(block, uncompressed_size=max_block)
            except Exception as e:  # lz4.block.LZ4BlockError and friends
                raise DecompressionError(f"lz4: {e}", offset=pos) from None
        if len(out) > max_size:
            raise _bomb(max_size, "lz4")
        pos = end


# ---- zstd -------------------------------------------------------------------------------------

_local = threading.local()  # zstandard's (de)compressor objects are not thread-safe


def _zstd_compressor(level: int) -> zstandard.ZstdCompressor:
    cache: dict[int, zstandard.ZstdCompressor] | None = getattr(_local, "zc", None)
    if cache is None:
        cache = _local.zc = {}
    c = cache.get(level)
    if c is None:
        c = cache[level] = zstandard.ZstdCompressor(level=level)
    return c


def _zstd_decompress(data: Buffer, max_size: int) -> bytes:
    # One frame per batch, as every Kafka producer writes (a second frame is not read; the batch
    # reader's record-count check then reports the batch corrupt). The window is capped at the
    # output limit so a forged header cannot make the library allocate more than that.
    window = 1 << max(10, min(31, (max_size - 1).bit_length()))
    cache: dict[int, zstandard.ZstdDecompressor] | None = getattr(_local, "zd", None)
    if cache is None:
        cache = _local.zd = {}
    d = cache.get(window)
    if d is None:
        d = cache[window] = zstandard.ZstdDecompressor(max_window_size=window)
    try:
        size = zstandard.frame_content_size(data)
        if size > max_size:
            raise _bomb(max_size, "zstd")
        if size >= 0:  # the library allocates exactly the declared size, checked above
            return d.decompress(data)
        # Java's streaming writer never records the content size, so the output buffer must be
        # guessed: start near a typical ratio and grow 8x, never past max_size. A one-shot
        # decode (unlike zstandard's stream reader) reports a truncated frame as an error.
        cap = min(max_size, max(64 * 1024, 8 * len(data)))
        while True:
            try:
                return d.decompress(data, max_output_size=cap)
            except zstandard.ZstdError:
                if cap >= max_size:
                    raise
                cap = min(max_size, cap * 8)
    except zstandard.ZstdError as e:
        raise DecompressionError(
            f"zstd: corrupt, truncated or larger than the {max_size}-byte limit ({e})"
        ) from None
