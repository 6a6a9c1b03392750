"""The typed errors of the records layer: corrupt batches and refused decompression.

Every failure to read record data surfaces as one of these (both are ``DecodeError``s), so a
consumer can catch one type and still learn the partition and offset of the bad batch. This
module must never import a codec or do I/O: everything in the records layer depends on it.
"""

from __future__ import annotations

from kafkaproto.errors import DecodeError


class CorruptRecordError(DecodeError):
    """Record data that is not a valid batch: bad CRC, impossible length, a record that runs past
    its batch, an unknown magic or codec.

    ``partition`` is the topic-partition the caller named (``None`` if it named none),
    ``batch_offset`` the base offset the batch header claims (``-1`` when the header itself could
    not be read); ``offset`` (from ``DecodeError``) is the byte position in the input.
    """

    def __init__(
        self,
        reason: str,
        *,
        partition: object = None,
        batch_offset: int = -1,
        offset: int = -1,
        field: str = "",
    ) -> None:
        self.partition = partition
        self.batch_offset = batch_offset
        where = []
        if partition is not None:
            where.append(f"partition {partition}")
        if batch_offset >= 0:
            where.append(f"batch at offset {batch_offset}")
        what = ", ".join(where) or "record batch"
        super().__init__(reason, what=what, field=field, offset=offset)


class DecompressionError(CorruptRecordError):
    """Compressed data that is garbage, truncated, or whose output would exceed the configured
    limit (a decompression bomb). Never leaks the codec library's own exception type."""
