"""Legacy message sets, magic 0 and 1 (before KIP-98), read only: old data still exists on
brokers, and a Fetch can return it.

An entry is: offset int64, message size int32, then the message: crc uint32 (zlib's CRC-32 of
everything after it), magic int8, attributes int8 (codec bits 0-2; v1: bit 3 timestamp type,
KIP-32), timestamp int64 (v1 only), key (int32 length, -1 = null), value (same). A compressed
message is a *wrapper* whose value is an inner message set, compressed. In v1 the inner offsets
are relative (0, 1, ...) and the wrapper's offset is the absolute offset of the last inner
message (KIP-31); in v0 inner offsets are absolute.

Rule: this module never writes legacy data, and every inconsistency (CRC, sizes, nested
compression, wrapper/inner magic mismatch) is a ``CorruptRecordError``.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

from kafkaproto.records.compression import (
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    CompressionType,
    decompress,
)
from kafkaproto.records.errors import CorruptRecordError, DecompressionError
from kafkaproto.records.record_batch import NO_TIMESTAMP, Record, TimestampType

_ENTRY: Final = struct.Struct(">qiIbb")  # offset, size, crc, magic, attributes
_INT32: Final = struct.Struct(">i")
_INT64: Final = struct.Struct(">q")
LOG_OVERHEAD: Final = 12
# crc + magic + attributes + key length + value length (+ timestamp in v1)
RECORD_OVERHEAD_V0: Final = 14
RECORD_OVERHEAD_V1: Final = 22


class LegacyBatch:
    """One shallow message-set entry: a plain message (one record) or a compressed wrapper
    (its inner messages as records, offsets made absolute)."""

    __slots__ = ("attributes", "crc", "magic", "offset", "records", "timestamp")

    def __init__(
        self,
        *,
        offset: int,
        magic: int,
        crc: int,
        attributes: int,
        timestamp: int,
        records: list[Record],
    ) -> None:
        self.offset = offset
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.timestamp = timestamp
        self.records = records

    @property
    def compression(self) -> CompressionType:
        return CompressionType(self.attributes & 0x07)

    @property
    def timestamp_type(self) -> TimestampType | None:
        """None for magic 0, which has no timestamps."""
        if self.magic == 0:
            return None
        return TimestampType((self.attributes >> 3) & 1)

    @property
    def base_offset(self) -> int:
        return self.records[0].offset if self.records else self.offset

    @property
    def last_offset(self) -> int:
        return self.offset

    @property
    def next_offset(self) -> int:
        return self.offset + 1

    @property
    def is_control(self) -> bool:
        return False

    @property
    def is_transactional(self) -> bool:
        return False

    def __repr__(self) -> str:
        return (
            f"LegacyBatch(magic={self.magic}, offset={self.offset}, "
            f"records={len(self.records)}, compression={self.compression.name})"
        )


def decode_legacy_entry(
    data: bytes | bytearray | memoryview,
    pos: int = 0,
    *,
    partition: object = None,
    max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
) -> LegacyBatch:
    """Decode the complete legacy entry at ``pos`` (the caller has checked its size fits)."""
    view = memoryview(data)
    offset, _size, crc, _magic, _attrs = _ENTRY.unpack_from(view, pos)
    magic, attributes, timestamp, key, value = _parse_message(
        view, pos, partition, expect_magic=None
    )
    codec = attributes & 0x07
    if not codec:
        record = Record(offset, timestamp, key, value, ())
        return LegacyBatch(
            offset=offset,
            magic=magic,
            crc=crc,
            attributes=attributes,
            timestamp=timestamp,
            records=[record],
        )
    if codec >= CompressionType.ZSTD:
        # zstd needs magic 2 (KIP-110): a legacy wrapper cannot carry it.
        raise CorruptRecordError(
            f"compression codec {codec} in a magic {magic} message",
            partition=partition,
            batch_offset=offset,
            offset=pos + 17,
        )
    if value is None:
        raise CorruptRecordError(
            "compressed wrapper with a null value",
            partition=partition,
            batch_offset=offset,
            offset=pos,
        )
    try:
        inner = decompress(
            CompressionType(codec), value, max_size=max_decompressed_size, magic=magic
        )
    except DecompressionError as e:
        raise CorruptRecordError(
            e.reason, partition=partition, batch_offset=offset, offset=pos
        ) from None
    records = _inner_records(inner, magic, attributes, timestamp, offset, partition)
    return LegacyBatch(
        offset=offset,
        magic=magic,
        crc=crc,
        attributes=attributes,
        timestamp=timestamp,
        records=records,
    )


def _parse_message(
    view: memoryview, pos: int, partition: object, expect_magic: int | None
) -> tuple[int, int, int, bytes | None, bytes | None]:
    """Check and split the message of the entry at ``pos``: (magic, attributes, timestamp,
    key, value). Raises on CRC mismatch and on any field running past the message."""
    offset, size, crc, magic, attributes = _ENTRY.unpack_from(view, pos)
    end = pos + LOG_OVERHEAD + size

    def corrupt(reason: str, at: int) -> CorruptRecordError:
        return CorruptRecordError(reason, partition=partition, batch_offset=offset, offset=at)

    if magic not in (0, 1):
        raise corrupt(f"magic {magic} is not a legacy message", pos + 16)
    if expect_magic is not None and magic != expect_magic:
        raise corrupt(
            f"inner message magic {magic} inside a magic {expect_magic} wrapper", pos + 16
        )
    overhead = RECORD_OVERHEAD_V1 if magic else RECORD_OVERHEAD_V0
    if size < overhead or end > len(view):
        raise corrupt(f"message size {size} impossible for magic {magic}", pos + 8)
    actual = zlib.crc32(view[pos + 16 : end])
    if actual != crc:
        raise corrupt(f"CRC-32 {actual:#010x} does not match {crc:#010x}", pos + 12)
    p = pos + 18
    if magic:
        (timestamp,) = _INT64.unpack_from(view, p)
        p += 8
    else:
        timestamp = NO_TIMESTAMP
    fields: list[bytes | None] = []
    for name in ("key", "value"):
        if p + 4 > end:
            raise corrupt(f"{name} length runs past the message", p)
        (n,) = _INT32.unpack_from(view, p)
        p += 4
        if n == -1:
            fields.append(None)
        elif n < 0 or p + n > end:
            raise corrupt(f"{name} length {n} runs past the message", p - 4)
        else:
            fields.append(bytes(view[p : p + n]))
            p += n
    if p != end:
        raise corrupt(f"{end - p} bytes after the value", p)
    return magic, attributes, timestamp, fields[0], fields[1]


def _inner_records(
    inner: bytes,
    wrapper_magic: int,
    wrapper_attributes: int,
    wrapper_timestamp: int,
    wrapper_offset: int,
    partition: object,
) -> list[Record]:
    view = memoryview(inner)
    pos = 0
    found: list[tuple[int, int, bytes | None, bytes | None]] = []
    log_append = wrapper_magic == 1 and wrapper_attributes & 0x08
    while pos < len(view):
        if pos + LOG_OVERHEAD > len(view):
            raise CorruptRecordError(
                "truncated entry inside a compressed wrapper",
                partition=partition,
                batch_offset=wrapper_offset,
            )
        offset, size = struct.unpack_from(">qi", view, pos)
        if size < RECORD_OVERHEAD_V0 or pos + LOG_OVERHEAD + size > len(view):
            raise CorruptRecordError(
                f"inner message size {size} runs past the wrapper",
                partition=partition,
                batch_offset=wrapper_offset,
            )
        try:
            _m, attrs, ts, key, value = _parse_message(view, pos, partition, wrapper_magic)
        except CorruptRecordError as e:
            # Positions inside decompressed data are not input offsets.
            raise CorruptRecordError(
                f"inside compressed wrapper: {e.reason}",
                partition=partition,
                batch_offset=wrapper_offset,
            ) from None
        if attrs & 0x07:
            raise CorruptRecordError(
                "inner messages must not be compressed",
                partition=partition,
                batch_offset=wrapper_offset,
            )
        found.append((offset, wrapper_timestamp if log_append else ts, key, value))
        pos += LOG_OVERHEAD + size
    if not found:
        raise CorruptRecordError(
            "compressed wrapper holds no messages",
            partition=partition,
            batch_offset=wrapper_offset,
        )
    if wrapper_magic == 0:
        return [Record(o, ts, k, v, ()) for o, ts, k, v in found]
    # KIP-31: inner offsets are relative; the wrapper carries the last one's absolute offset.
    # A wrapper offset of 0 comes from some librdkafka producers: Java then takes base 0 too.
    last_relative = found[-1][0]
    if wrapper_offset == 0:
        base = 0
    elif wrapper_offset < last_relative:
        raise CorruptRecordError(
            f"wrapper offset {wrapper_offset} below last inner offset {last_relative}",
            partition=partition,
            batch_offset=wrapper_offset,
        )
    else:
        base = wrapper_offset - last_relative
    return [Record(base + o, ts, k, v, ()) for o, ts, k, v in found]
