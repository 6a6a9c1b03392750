"""Bytes copied into a ``bytearray`` at an offset: ``put(buf, at, *parts)``, which the batch
builder calls once per record to write it into its batch.

The builder keeps room ahead of its records (``buf`` is longer than what it holds) and tracks
where they end itself, so a record is copied once, into place. Python has no way to write into
a ``bytearray`` without making objects first: ``buf += data`` re-allocates the buffer every few
records (its room grows by an eighth at a time), ``buf[at:end] = data`` copies ``data`` into a
temporary ``bytearray`` first, and both need the parts joined beforehand.

This file is the reference and what runs interpreted. The compiled build has ``bytes_into.c``
beside it (:data:`kafkaproto.compiled.C_MODULES`) with the same ``put``, which copies each part
straight into the buffer.
"""

from __future__ import annotations

__all__ = ["put"]


def put(buf: bytearray, at: int, *parts: bytes | bytearray | memoryview) -> None:
    """Copy ``parts`` (bytes, bytearray or memoryview), in order, into ``buf`` from offset
    ``at`` (the caller knows where they end: it returns nothing, an offset would be one more
    object per record). When they run past the end of ``buf`` it grows, to twice its size or to
    the end of the parts if that is more; what lies past them is room (zeros here, anything in
    the compiled build), not data. ``ValueError`` when ``at`` is outside ``buf``, ``TypeError``
    when a part is not bytes-like, ``BufferError`` when ``buf`` must grow while a memoryview of
    it is open."""
    size = len(buf)
    if not 0 <= at <= size:
        raise ValueError(f"offset {at} is outside the buffer ({size} bytes)")
    data = b"".join(parts)
    end = at + len(data)
    if end > size:
        buf += bytes(max(2 * size, end) - size)
    buf[at:end] = data
