"""The producer's batch builder: append records one by one into a v2 RecordBatch, then build it.

``append`` is the producer's per-record hot path, so it writes each record straight into one
``bytearray`` that already holds room for the 61-byte batch header, takes small varints from
precomputed tables, and keeps no per-record objects. The ``bytearray`` is a buffer with room
ahead of where its records end (``_end``): ``bytes_into.put`` copies each record into that
room, which doubles when it runs out, so a batch's bytes are copied about once more while it
fills. (Growing it by ``+=`` per record re-allocated it every few records, by an eighth each
time, copying the whole batch so far.) ``build`` compresses the records section
(if asked), fills in the header and its CRC-32C, and returns the batch's bytes.

Size limit (``batch.size`` semantics, as in the Java producer): a record that would take the
batch past ``batch_size`` is refused (``append`` returns -1) unless the batch is empty: the first
record always fits. The limit is applied to the *uncompressed* size (header + records), so a
compressed batch comes out smaller than ``batch_size`` (except incompressible data, where codec
framing may add a few bytes); the Java producer instead guesses the compression ratio and may
overshoot. This module must never read clocks or config on the append path beyond what the
caller passes (the clock is read only when ``timestamp`` is None).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence
from typing import Final

import crc32c
from kafkaproto.errors import EncodeError
from kafkaproto.records import bytes_into
from kafkaproto.records.compression import CompressionType, check_level, compress
from kafkaproto.records.record_batch import (
    CONTROL_FLAG_MASK,
    CRC_OFFSET,
    HEADER,
    LOG_OVERHEAD,
    NO_PARTITION_LEADER_EPOCH,
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    NO_SEQUENCE,
    RECORD_BATCH_OVERHEAD,
    TIMESTAMP_TYPE_MASK,
    TRANSACTIONAL_FLAG_MASK,
    Header,
    TimestampType,
)
from kafkaproto.records.varint import MINUS_ONE, SMALL, SMALL_LIMIT, encode_varlong, varint_size

DEFAULT_BATCH_SIZE: Final = 16384  # the Java producer's batch.size default
#: The room a new builder starts with (header included), unless ``batch_size`` is smaller.
INITIAL_CAPACITY: Final = 1024
_CRC: Final = struct.Struct(">I")
_NO_HEADERS: Final = b"\x00"
# A Final alias: the compiled build reads it from a C static, not the module's dictionary.
_put: Final = bytes_into.put


#: What a key or a value may be: any of these is written as its bytes. (The compiled build checks
#: annotated argument types at the call, so this says exactly what the interpreted code takes.)
BytesLike = bytes | bytearray | memoryview


def encode_headers(headers: Sequence[Header]) -> bytes:
    """A record's headers section: count, then per header key (UTF-8) and value (-1 = null)."""
    parts = [encode_varlong(len(headers))]
    for key, value in headers:
        k = key.encode("utf-8")
        parts.append(encode_varlong(len(k)))
        parts.append(k)
        if value is None:
            parts.append(MINUS_ONE)
        else:
            parts.append(encode_varlong(len(value)))
            parts.append(bytes(value))
    return b"".join(parts)


class BatchBuilder:
    """Accumulates records for one partition into one v2 batch.

    >>> b = BatchBuilder(batch_size=16384, compression=CompressionType.LZ4)
    >>> b.append(b"key", b"value", timestamp=1_700_000_000_000)
    0
    >>> batch = b.build()
    """

    __slots__ = (
        "_buf",
        "_count",
        "_end",
        "_first_ts",
        "_level",
        "_limit",
        "_max_ts",
        "base_offset",
        "base_sequence",
        "compression",
        "is_control",
        "is_transactional",
        "partition_leader_epoch",
        "producer_epoch",
        "producer_id",
        "timestamp_type",
    )

    def __init__(
        self,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        compression: CompressionType = CompressionType.NONE,
        compression_level: int | None = None,
        producer_id: int = NO_PRODUCER_ID,
        producer_epoch: int = NO_PRODUCER_EPOCH,
        base_sequence: int = NO_SEQUENCE,
        is_transactional: bool = False,
        is_control: bool = False,
        timestamp_type: TimestampType = TimestampType.CREATE_TIME,
        base_offset: int = 0,
        partition_leader_epoch: int = NO_PARTITION_LEADER_EPOCH,
    ) -> None:
        if type(compression) is not CompressionType:
            compression = CompressionType(compression)  # a codec id given as an int
        self.compression = compression
        self._level = check_level(compression, compression_level)
        self._limit = batch_size
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.is_transactional = is_transactional
        self.is_control = is_control
        self.timestamp_type = timestamp_type
        self.base_offset = base_offset
        self.partition_leader_epoch = partition_leader_epoch
        # Room for the header up front: build() fills it in place, no copy of the records.
        self._buf = bytearray(max(min(batch_size, INITIAL_CAPACITY), RECORD_BATCH_OVERHEAD))
        self._end = RECORD_BATCH_OVERHEAD
        self._count = 0
        self._first_ts = 0
        self._max_ts = 0

    def append(
        self,
        key: BytesLike | None,
        value: BytesLike | None,
        timestamp: int | None = None,
        headers: Sequence[Header] | None = None,
    ) -> int:
        """Add one record; return its offset delta, or -1 (nothing added) if it does not fit.

        ``timestamp`` is milliseconds since the epoch (default: now). Keys and values are
        bytes-like or None (null)."""
        n = self._count
        if timestamp is None:
            timestamp = time.time_ns() // 1_000_000
        delta = timestamp - self._first_ts if n else 0
        try:
            if key is None:
                kb = MINUS_ONE
                key = b""
            else:
                kl = len(key)
                kb = SMALL[kl] if kl < SMALL_LIMIT else encode_varlong(kl)
            if value is None:
                vb = MINUS_ONE
                value = b""
            else:
                vl = len(value)
                vb = SMALL[vl] if vl < SMALL_LIMIT else encode_varlong(vl)
            # b"".join written out: the compiled build makes it a direct call (a module-level
            # alias would be a dictionary look-up and a generic call per record).
            rec = b"".join(
                (
                    b"\x00",  # record attributes: always 0
                    SMALL[delta] if 0 <= delta < SMALL_LIMIT else encode_varlong(delta),
                    SMALL[n] if n < SMALL_LIMIT else encode_varlong(n),
                    kb,
                    key,
                    vb,
                    value,
                    encode_headers(headers) if headers else _NO_HEADERS,
                )
            )
        except EncodeError:
            raise
        except (TypeError, AttributeError, ValueError) as e:
            raise EncodeError(f"bad record: {e}", what="RecordBatch v2 record") from None
        rl = len(rec)
        lb = SMALL[rl] if rl < SMALL_LIMIT else encode_varlong(rl)
        end = self._end
        new_end = end + len(lb) + rl
        if n and new_end > self._limit:
            return -1
        _put(self._buf, end, lb, rec)
        self._end = new_end
        if n:
            if timestamp > self._max_ts:
                self._max_ts = timestamp
        else:
            self._first_ts = self._max_ts = timestamp
        self._count = n + 1
        return n

    def append_value(self, value: bytes, timestamp: int, limit: int) -> int:
        """The producer's fast path: add a record with a null key and no headers while the
        batch stays strictly below ``limit`` bytes; return its offset delta, or -1 (nothing
        added). ``value`` must be ``bytes``, ``timestamp`` milliseconds since the epoch."""
        n = self._count
        delta = timestamp - self._first_ts if n else 0
        td = SMALL[delta] if 0 <= delta < SMALL_LIMIT else encode_varlong(delta)
        od = SMALL[n] if n < SMALL_LIMIT else encode_varlong(n)
        vl = len(value)
        vb = SMALL[vl] if vl < SMALL_LIMIT else encode_varlong(vl)
        # attributes 0, the null key's length -1 and an empty headers count: one byte each.
        rl = 3 + len(td) + len(od) + len(vb) + vl
        lb = SMALL[rl] if rl < SMALL_LIMIT else encode_varlong(rl)
        end = self._end
        new_end = end + len(lb) + rl
        if new_end >= limit:
            return -1
        _put(self._buf, end, lb, b"\x00", td, od, b"\x01", vb, value, b"\x00")
        self._end = new_end
        if n:
            if timestamp > self._max_ts:
                self._max_ts = timestamp
        else:
            self._first_ts = self._max_ts = timestamp
        self._count = n + 1
        return n

    def record_size(
        self,
        key_size: int,
        value_size: int,
        headers: Sequence[Header] | None = None,
        timestamp: int | None = None,
    ) -> int:
        """Bytes the next record would add (length prefix included), without building it.
        Sizes are -1 for null. Exact when ``timestamp`` is given; with None (= "now" at append
        time) the timestamp delta is taken as a full 10-byte varlong, so the answer is an upper
        bound."""
        n = self._count
        if timestamp is None:
            ts_size = 10
        else:
            ts_size = varint_size(timestamp - self._first_ts if n else 0)
        body = (
            1
            + ts_size
            + varint_size(n)
            + varint_size(key_size)
            + max(key_size, 0)
            + varint_size(value_size)
            + max(value_size, 0)
            + (len(encode_headers(headers)) if headers else 1)
        )
        return varint_size(body) + body

    def has_room_for(
        self,
        key_size: int,
        value_size: int,
        headers: Sequence[Header] | None = None,
        timestamp: int | None = None,
    ) -> bool:
        """Whether ``append`` of a record of these sizes would succeed (conservative when
        ``timestamp`` is None, see ``record_size``)."""
        if not self._count:
            return True
        return self._end + self.record_size(key_size, value_size, headers, timestamp) <= (
            self._limit
        )

    @property
    def record_count(self) -> int:
        return self._count

    @property
    def size_in_bytes(self) -> int:
        """Uncompressed size of the batch so far, header included (what the limit applies to)."""
        return self._end

    def discard(self) -> None:
        """Drop the records' bytes for good (the producer, once their batch is acknowledged or
        failed: its memory goes back at once, whoever still holds the batch). The record count
        stays; ``build`` and the appends refuse to run afterwards."""
        self._buf = bytearray()
        self._end = 0  # a live builder always holds the header's room
        self._limit = -1

    def set_producer_state(
        self, producer_id: int, producer_epoch: int, base_sequence: int, is_transactional: bool
    ) -> None:
        """Idempotence/transactions (KIP-98): the producer learns the sequence at drain time."""
        self.producer_id = producer_id
        self.producer_epoch = producer_epoch
        self.base_sequence = base_sequence
        self.is_transactional = is_transactional

    def build(self) -> bytes:
        """The finished batch. An empty builder gives b"" (no batch), like Java's builder."""
        n = self._count
        if not n:
            return b""
        end = self._end
        if not end:
            raise ValueError("the batch's records were discarded")
        attributes = (
            self.compression
            | (TIMESTAMP_TYPE_MASK if self.timestamp_type else 0)
            | (TRANSACTIONAL_FLAG_MASK if self.is_transactional else 0)
            | (CONTROL_FLAG_MASK if self.is_control else 0)
        )
        if self.compression:
            with memoryview(self._buf) as view:
                payload = compress(self.compression, view[RECORD_BATCH_OVERHEAD:end], self._level)
            out = bytearray(RECORD_BATCH_OVERHEAD)
            out += payload
        else:
            out = self._buf
            del out[end:]  # the room left; a shrink in place
        HEADER.pack_into(
            out,
            0,
            self.base_offset,
            len(out) - LOG_OVERHEAD,
            self.partition_leader_epoch,
            2,
            0,  # CRC, computed below over attributes..end
            attributes,
            n - 1,
            self._first_ts,
            self._max_ts,
            self.producer_id,
            self.producer_epoch,
            self.base_sequence,
            n,
        )
        with memoryview(out) as view:
            _CRC.pack_into(out, CRC_OFFSET, crc32c.crc32c(view[CRC_OFFSET + 4 :]))
        return bytes(out)
