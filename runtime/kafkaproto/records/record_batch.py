"""RecordBatch v2 (message format "magic 2", KIP-98): its layout, and decoding one batch.

Layout (big-endian; Kafka docs "Record Batch", DefaultRecordBatch): baseOffset int64,
batchLength int32 (bytes after this field), partitionLeaderEpoch int32, magic int8 = 2,
crc uint32 (CRC-32C of everything from attributes to the end), attributes int16, lastOffsetDelta
int32, baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
baseSequence int32, records count int32, then the records (compressed as one unit when the codec
bits are set). A record is: length varint, attributes int8, timestampDelta varlong, offsetDelta
varint, key (varint length, -1 = null), value (same), headers count varint, then per header a
key (varint length + UTF-8) and a value (varint length, -1 = null).

Rule: decoding never trusts a length or count from the wire: a CRC mismatch, a record that does
not end where its length says, a count that does not match the records present, or bytes left
over are ``CorruptRecordError``s naming the partition and offset; nothing else escapes.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Any, Final, final

import crc32c
from kafkaproto import tuple_new
from kafkaproto.records.compression import (
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    CompressionType,
    decompress,
)
from kafkaproto.records.errors import CorruptRecordError, DecompressionError
from kafkaproto.records.varint import read_varint, read_varlong

# baseOffset, batchLength, partitionLeaderEpoch, magic, crc, attributes, lastOffsetDelta,
# baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence, records count.
HEADER: Final = struct.Struct(">qiibIhiqqqhii")
RECORD_BATCH_OVERHEAD: Final = HEADER.size  # 61
LOG_OVERHEAD: Final = 12  # baseOffset + batchLength: what precedes the length-counted part
MAGIC_OFFSET: Final = 16
CRC_OFFSET: Final = 17
ATTRIBUTES_OFFSET: Final = 21  # the CRC covers from here to the end of the batch

COMPRESSION_CODEC_MASK: Final = 0x07
TIMESTAMP_TYPE_MASK: Final = 0x08  # KIP-32: 0 CreateTime, 1 LogAppendTime
TRANSACTIONAL_FLAG_MASK: Final = 0x10  # KIP-98
CONTROL_FLAG_MASK: Final = 0x20  # KIP-98: the batch holds one control record (txn marker)
DELETE_HORIZON_FLAG_MASK: Final = 0x40  # KIP-534: baseTimestamp holds the delete horizon

NO_PRODUCER_ID: Final = -1
NO_PRODUCER_EPOCH: Final = -1
NO_SEQUENCE: Final = -1
NO_PARTITION_LEADER_EPOCH: Final = -1
NO_TIMESTAMP: Final = -1

_new: Final = tuple_new.make  # the consumer's records (``into``): tuple subclass instances

Header = tuple[str, bytes | None]


class TimestampType(IntEnum):
    """What a batch's timestamps mean (KIP-32), bit 3 of its attributes."""

    CREATE_TIME = 0
    LOG_APPEND_TIME = 1


@final
class Record:
    """One record of a decoded batch: absolute offset and timestamp, key, value, headers. Two
    records are equal when every field is.

    A final plain class, not a tuple subclass: compiled (``kafkaproto.compiled``), decoding
    makes each one with a direct native constructor, about a quarter of what ``tuple.__new__``
    on a subclass costs (BENCHMARKS.md, records parse)."""

    __slots__ = ("headers", "key", "offset", "timestamp", "value")

    def __init__(
        self,
        offset: int,
        timestamp: int,
        key: bytes | None,
        value: bytes | None,
        headers: tuple[Header, ...],
    ) -> None:
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (
            self.offset == other.offset
            and self.timestamp == other.timestamp
            and self.key == other.key
            and self.value == other.value
            and self.headers == other.headers
        )

    def __repr__(self) -> str:
        return (
            f"Record(offset={self.offset!r}, timestamp={self.timestamp!r}, key={self.key!r}, "
            f"value={self.value!r}, headers={self.headers!r})"
        )


class RecordBatch:
    """A decoded v2 batch: every header field, plus its records decompressed and decoded."""

    __slots__ = (
        "attributes",
        "base_offset",
        "base_sequence",
        "base_timestamp",
        "batch_length",
        "crc",
        "last_offset_delta",
        "max_timestamp",
        "partition_leader_epoch",
        "producer_epoch",
        "producer_id",
        "records",
        "records_count",
    )
    magic: Final = 2

    def __init__(
        self,
        *,
        base_offset: int,
        batch_length: int,
        partition_leader_epoch: int,
        crc: int,
        attributes: int,
        last_offset_delta: int,
        base_timestamp: int,
        max_timestamp: int,
        producer_id: int,
        producer_epoch: int,
        base_sequence: int,
        records_count: int,
        records: list[Any],  # Records, or the consumer's shape (decode_batch's into)
    ) -> None:
        self.base_offset = base_offset
        self.batch_length = batch_length
        self.partition_leader_epoch = partition_leader_epoch
        self.crc = crc
        self.attributes = attributes
        self.last_offset_delta = last_offset_delta
        self.base_timestamp = base_timestamp
        self.max_timestamp = max_timestamp
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.records_count = records_count
        self.records = records

    @property
    def compression(self) -> CompressionType:
        return CompressionType(self.attributes & COMPRESSION_CODEC_MASK)

    @property
    def timestamp_type(self) -> TimestampType:
        return TimestampType((self.attributes & TIMESTAMP_TYPE_MASK) >> 3)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_FLAG_MASK)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_FLAG_MASK)

    @property
    def has_delete_horizon(self) -> bool:
        return bool(self.attributes & DELETE_HORIZON_FLAG_MASK)

    @property
    def delete_horizon_ms(self) -> int | None:
        """KIP-534: set by the log cleaner; the base timestamp field then carries it."""
        return self.base_timestamp if self.has_delete_horizon else None

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def size_in_bytes(self) -> int:
        return LOG_OVERHEAD + self.batch_length

    def __repr__(self) -> str:
        return (
            f"RecordBatch(base_offset={self.base_offset}, records={self.records_count}, "
            f"compression={self.compression.name}, attributes={self.attributes:#x})"
        )


def decode_batch(
    data: bytes | bytearray | memoryview,
    pos: int = 0,
    *,
    partition: object = None,
    max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    check_crc: bool = True,
    into: tuple[type[tuple[Any, ...]], str, int] | None = None,
) -> RecordBatch:
    """Decode the complete v2 batch that starts at ``pos`` (the caller has checked that
    ``batchLength`` bytes are present; see ``kafkaproto.records.reader`` for splitting a blob).
    ``check_crc=False`` skips the CRC-32C (the consumer's ``check.crcs=false``).

    ``into=(cls, topic, partition)`` makes each record a ``cls`` (a tuple subclass) of
    ``(topic, partition, offset, timestamp, timestamp_type, key, value, headers, leader_epoch)``
    instead of a :class:`Record`: the consumer's record shape, so a consumed record is one
    object, made once (``leader_epoch`` None when the batch has none)."""
    view = memoryview(data)
    (
        base_offset,
        batch_length,
        leader_epoch,
        magic,
        crc,
        attributes,
        last_offset_delta,
        base_timestamp,
        max_timestamp,
        producer_id,
        producer_epoch,
        base_sequence,
        count,
    ) = HEADER.unpack_from(view, pos)
    end = pos + LOG_OVERHEAD + batch_length

    def corrupt(reason: str, at: int) -> CorruptRecordError:
        return CorruptRecordError(reason, partition=partition, batch_offset=base_offset, offset=at)

    if magic != 2:
        raise corrupt(f"magic {magic} is not a v2 batch", pos + MAGIC_OFFSET)
    if batch_length < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD or end > len(view):
        raise corrupt(f"impossible batch length {batch_length}", pos + 8)
    if check_crc and (actual := crc32c.crc32c(view[pos + ATTRIBUTES_OFFSET : end])) != crc:
        raise corrupt(f"CRC-32C {actual:#010x} does not match header {crc:#010x}", pos + CRC_OFFSET)
    if count < 0:
        raise corrupt(f"negative record count {count}", pos + RECORD_BATCH_OVERHEAD - 4)
    codec = attributes & COMPRESSION_CODEC_MASK
    body_at = pos + RECORD_BATCH_OVERHEAD
    if codec:
        if codec > CompressionType.ZSTD:
            raise corrupt(f"unknown compression codec {codec}", pos + ATTRIBUTES_OFFSET)
        try:
            body = decompress(
                CompressionType(codec), view[body_at:end], max_size=max_decompressed_size
            )
        except DecompressionError as e:
            raise corrupt(e.reason, body_at) from None
        body_at_for_errors = -1  # positions inside decompressed data are not input offsets
    else:
        body = bytes(view[body_at:end])
        body_at_for_errors = body_at
    log_append_time = max_timestamp if attributes & TIMESTAMP_TYPE_MASK else None
    try:
        records = _decode_records(
            body,
            count,
            base_offset,
            base_timestamp,
            log_append_time,
            into,
            TimestampType((attributes & TIMESTAMP_TYPE_MASK) >> 3),
            None if leader_epoch == NO_PARTITION_LEADER_EPOCH else leader_epoch,
        )
    except CorruptRecordError as e:
        at = e.offset + body_at_for_errors if body_at_for_errors >= 0 and e.offset >= 0 else -1
        raise corrupt(e.reason, at) from None
    return RecordBatch(
        base_offset=base_offset,
        batch_length=batch_length,
        partition_leader_epoch=leader_epoch,
        crc=crc,
        attributes=attributes,
        last_offset_delta=last_offset_delta,
        base_timestamp=base_timestamp,
        max_timestamp=max_timestamp,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=base_sequence,
        records_count=count,
        records=records,
    )


def _decode_records(
    buf: bytes,
    count: int,
    base_offset: int,
    base_ts: int,
    log_append_ts: int | None,
    into: tuple[type[tuple[Any, ...]], str, int] | None,
    ts_type: TimestampType,
    epoch: int | None,
) -> list[Any]:
    """The records section, ``count`` records filling ``buf`` exactly, as ``Record``s (``into``
    None) or as tuples of the consumer's shape (see ``decode_batch``).
    Varints of one and two bytes (every length below 8 KiB) are decoded inline: this loop runs
    once per record."""
    out: list[Any] = []
    if into is not None:
        cls, topic, partition = into
    new = _new
    n = len(buf)
    pos = 0
    start = 0
    try:
        for _ in range(count):
            start = pos
            # record length (varint)
            b = buf[pos]
            if b < 0x80:
                length = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                u = (b & 0x7F) | (buf[pos + 1] << 7)
                length = (u >> 1) ^ -(u & 1)
                pos += 2
            else:
                length, pos = read_varint(buf, pos, n)
            rec_end = pos + length
            if length <= 0 or rec_end > n:
                raise CorruptRecordError(
                    f"record length {length} runs past the batch", offset=start
                )
            pos += 1  # record attributes: unused by every current format
            # timestamp delta (varlong)
            b = buf[pos]
            if b < 0x80:
                ts_delta = (b >> 1) ^ -(b & 1)
                pos += 1
            else:
                ts_delta, pos = read_varlong(buf, pos, rec_end)
            # offset delta (varint)
            b = buf[pos]
            if b < 0x80:
                off_delta = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                u = (b & 0x7F) | (buf[pos + 1] << 7)
                off_delta = (u >> 1) ^ -(u & 1)
                pos += 2
            else:
                off_delta, pos = read_varint(buf, pos, rec_end)
            # key
            b = buf[pos]
            if b < 0x80:
                klen = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                u = (b & 0x7F) | (buf[pos + 1] << 7)
                klen = (u >> 1) ^ -(u & 1)
                pos += 2
            else:
                klen, pos = read_varint(buf, pos, rec_end)
            if klen >= 0:
                key: bytes | None = buf[pos : pos + klen]
                pos += klen
            elif klen == -1:
                key = None
            else:
                raise CorruptRecordError(f"key length {klen}", offset=start)
            # value
            b = buf[pos]
            if b < 0x80:
                vlen = (b >> 1) ^ -(b & 1)
                pos += 1
            elif buf[pos + 1] < 0x80:
                u = (b & 0x7F) | (buf[pos + 1] << 7)
                vlen = (u >> 1) ^ -(u & 1)
                pos += 2
            else:
                vlen, pos = read_varint(buf, pos, rec_end)
            if vlen >= 0:
                value: bytes | None = buf[pos : pos + vlen]
                pos += vlen
            elif vlen == -1:
                value = None
            else:
                raise CorruptRecordError(f"value length {vlen}", offset=start)
            # headers
            if buf[pos] == 0:
                headers: tuple[Header, ...] = ()
                pos += 1
            else:
                headers, pos = _decode_headers(buf, pos, rec_end)
            if pos != rec_end:
                # Slicing never raises, so an overlong key/value shows up here.
                raise CorruptRecordError(
                    f"record fields do not end where its length ({length}) says", offset=start
                )
            # out.append, not a bound-method local: the compiled build turns it into a direct
            # list append (a local would be a generic call); interpreted, the two cost the same.
            if into is None:
                out.append(
                    Record(
                        base_offset + off_delta,
                        base_ts + ts_delta if log_append_ts is None else log_append_ts,
                        key,
                        value,
                        headers,
                    )
                )
            else:
                out.append(
                    new(
                        cls,
                        (
                            topic,
                            partition,
                            base_offset + off_delta,
                            base_ts + ts_delta if log_append_ts is None else log_append_ts,
                            ts_type,
                            key,
                            value,
                            headers,
                            epoch,
                        ),
                    )
                )
    except IndexError:
        raise CorruptRecordError("record runs past the end of the batch", offset=start) from None
    if pos != n:
        raise CorruptRecordError(
            f"{n - pos} bytes after the {count} records the header counts", offset=pos
        )
    return out


def _decode_headers(buf: bytes, pos: int, end: int) -> tuple[tuple[Header, ...], int]:
    count, pos = read_varint(buf, pos, end)
    if count < 0 or count > end - pos:
        raise CorruptRecordError(f"header count {count}", offset=pos)
    headers: list[Header] = []
    for _ in range(count):
        klen, pos = read_varint(buf, pos, end)
        if klen < 0 or pos + klen > end:
            raise CorruptRecordError(f"header key length {klen}", offset=pos)
        try:
            key = buf[pos : pos + klen].decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptRecordError("header key is not UTF-8", offset=pos) from None
        pos += klen
        vlen, pos = read_varint(buf, pos, end)
        if vlen < -1 or pos + vlen > end:
            raise CorruptRecordError(f"header value length {vlen}", offset=pos)
        if vlen == -1:
            headers.append((key, None))
        else:
            headers.append((key, buf[pos : pos + vlen]))
            pos += vlen
    return tuple(headers), pos
