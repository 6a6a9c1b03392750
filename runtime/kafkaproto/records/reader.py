"""Split a records blob (a Fetch response partition's ``records``, a log segment's bytes) into
batches of any magic, and tell whether it ends with a partial batch.

A Fetch may end in the middle of a batch (the broker sends whole batches only up to its size
limits, then a prefix of the next one): like Kafka's clients, the reader stops cleanly there and
reports where and how big that batch claims to be, so the caller can fetch again (or raise its
fetch size). Every complete batch must be valid: a bad CRC or an inconsistent batch anywhere
else is a ``CorruptRecordError`` naming the partition (if given) and the byte offset.

Rule: this module never decodes a batch itself; it only frames and dispatches on the magic byte,
which sits at byte 16 in every format (after offset, size, and leader epoch or CRC).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any, Final

from kafkaproto.records.compression import DEFAULT_MAX_DECOMPRESSED_SIZE
from kafkaproto.records.errors import CorruptRecordError
from kafkaproto.records.legacy import RECORD_OVERHEAD_V0, LegacyBatch, decode_legacy_entry
from kafkaproto.records.record_batch import (
    LOG_OVERHEAD,
    MAGIC_OFFSET,
    RECORD_BATCH_OVERHEAD,
    Record,
    RecordBatch,
    decode_batch,
)

_OFFSET_AND_SIZE: Final = struct.Struct(">qi")


class RecordsRead:
    """What ``read_batches`` found: the complete batches in order, and the trailing partial
    batch if any (``partial_at`` its byte position, ``partial_size`` the total size its header
    claims, -1 when even the 12-byte offset+size prefix is incomplete)."""

    __slots__ = ("batches", "partial_at", "partial_size")

    def __init__(
        self, batches: list[RecordBatch | LegacyBatch], partial_at: int, partial_size: int
    ) -> None:
        self.batches = batches
        self.partial_at = partial_at
        self.partial_size = partial_size

    @property
    def has_partial(self) -> bool:
        return self.partial_at >= 0

    def __repr__(self) -> str:
        return (
            f"RecordsRead(batches={len(self.batches)}, partial_at={self.partial_at}, "
            f"partial_size={self.partial_size})"
        )


class BatchReader:
    """The batches of ``data``, decoded one at a time as they are iterated (so a consumer hands
    out the records before a corrupt batch before it raises for that batch). After the
    iteration ``partial_at``/``partial_size`` tell about a trailing partial batch as in
    :class:`RecordsRead`. ``check_crc=False`` skips the v2 CRC-32C (the consumer's
    ``check.crcs``); legacy messages are always checked. ``into``: v2 records in the
    consumer's shape (see ``decode_batch``); legacy entries keep :class:`Record`."""

    __slots__ = (
        "_check_crc",
        "_into",
        "_max_decompressed_size",
        "_partition",
        "_view",
        "partial_at",
        "partial_size",
    )

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        *,
        partition: object = None,
        max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
        check_crc: bool = True,
        into: tuple[type[tuple[Any, ...]], str, int] | None = None,
    ) -> None:
        self._view = memoryview(data)
        self._into = into
        self._partition = partition
        self._max_decompressed_size = max_decompressed_size
        self._check_crc = check_crc
        self.partial_at = -1
        self.partial_size = -1

    def __iter__(self) -> Iterator[RecordBatch | LegacyBatch]:
        view = self._view
        partition = self._partition
        n = len(view)
        pos = 0
        while pos < n:
            if n - pos < LOG_OVERHEAD:
                self.partial_at = pos
                return
            base_offset, size = _OFFSET_AND_SIZE.unpack_from(view, pos)
            if size < RECORD_OVERHEAD_V0:
                raise CorruptRecordError(
                    f"batch size {size} below the smallest message",
                    partition=partition,
                    batch_offset=base_offset,
                    offset=pos + 8,
                )
            if pos + LOG_OVERHEAD + size > n:
                self.partial_at, self.partial_size = pos, LOG_OVERHEAD + size
                return
            magic = view[pos + MAGIC_OFFSET]
            if magic == 2:
                if size < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD:
                    raise CorruptRecordError(
                        f"batch size {size} below the v2 header size",
                        partition=partition,
                        batch_offset=base_offset,
                        offset=pos + 8,
                    )
                yield decode_batch(
                    view,
                    pos,
                    partition=partition,
                    max_decompressed_size=self._max_decompressed_size,
                    check_crc=self._check_crc,
                    into=self._into,
                )
            elif magic in (0, 1):
                yield decode_legacy_entry(
                    view,
                    pos,
                    partition=partition,
                    max_decompressed_size=self._max_decompressed_size,
                )
            else:
                raise CorruptRecordError(
                    f"unknown magic {magic}",
                    partition=partition,
                    batch_offset=base_offset,
                    offset=pos + MAGIC_OFFSET,
                )
            pos += LOG_OVERHEAD + size


def read_batches(
    data: bytes | bytearray | memoryview,
    *,
    partition: object = None,
    max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
) -> RecordsRead:
    """Decode every complete batch in ``data``; ``partition`` (any printable, e.g.
    ``("topic", 3)``) is named in errors. ``max_decompressed_size`` bounds each batch."""
    reader = BatchReader(data, partition=partition, max_decompressed_size=max_decompressed_size)
    batches = list(reader)
    return RecordsRead(batches, reader.partial_at, reader.partial_size)


def iter_records(
    data: bytes | bytearray | memoryview,
    *,
    partition: object = None,
    max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
) -> Iterator[Record]:
    """The data records of every complete batch, skipping control batches (KIP-98 markers)."""
    read = read_batches(data, partition=partition, max_decompressed_size=max_decompressed_size)
    for batch in read.batches:
        if not batch.is_control:
            yield from batch.records
