"""Zigzag varints as record batches v2 use them (the protobuf encoding Kafka borrowed, KIP-98).

Kafka's ``varint`` (int32) and ``varlong`` (int64) share one wire form: zigzag-map the signed
value to unsigned, then 7 bits per byte, least significant group first, high bit = "more". The
encoders here are on the producer's per-record path, so small values come from precomputed
tables instead of arithmetic. This module must never allocate per call on the fast path beyond
the returned ``bytes`` and must never accept an encoding longer than the type allows.
"""

from __future__ import annotations

from typing import Final

from kafkaproto.errors import EncodeError
from kafkaproto.records.errors import CorruptRecordError

INT32_MIN: Final = -(1 << 31)
INT32_MAX: Final = (1 << 31) - 1
INT64_MIN: Final = -(1 << 63)
INT64_MAX: Final = (1 << 63) - 1

# Longest legal encodings: 32 bits need 5 groups of 7, 64 bits need 10.
MAX_VARINT_BYTES: Final = 5
MAX_VARLONG_BYTES: Final = 10


def _encode_unsigned(u: int) -> bytes:
    out = bytearray()
    while u >= 0x80:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def encode_varlong(value: int) -> bytes:
    """The zigzag varint bytes of a signed 64-bit ``value`` (also right for any int32)."""
    if 0 <= value < SMALL_LIMIT:
        return SMALL[value]
    if not INT64_MIN <= value <= INT64_MAX:
        raise EncodeError(f"{value} does not fit a varlong (int64)")
    return _encode_unsigned(((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF)


encode_varint = encode_varlong
"""Same wire form; callers that need int32 range checks do them where the field is known."""


def varint_size(value: int) -> int:
    """How many bytes ``encode_varlong(value)`` takes, without building them."""
    u = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    return (u.bit_length() + 6) // 7 or 1


# Non-negative values below SMALL_LIMIT cover every length and offset delta of a typical batch
# (zigzag(v) = 2v, so 8191 still fits two bytes); one tuple index instead of a loop.
SMALL_LIMIT: Final = 1 << 13
SMALL: Final[tuple[bytes, ...]] = tuple(_encode_unsigned(v << 1) for v in range(SMALL_LIMIT))
# -1 is the wire's null length for keys and values; its zigzag form is the single byte 0x01.
MINUS_ONE: Final = b"\x01"


def read_varint(data: bytes | bytearray | memoryview, pos: int, limit: int) -> tuple[int, int]:
    """Read one zigzag varint (int32) at ``pos``, not past ``limit``; return (value, next pos)."""
    return _read(data, pos, limit, MAX_VARINT_BYTES)


def read_varlong(data: bytes | bytearray | memoryview, pos: int, limit: int) -> tuple[int, int]:
    """Read one zigzag varlong (int64) at ``pos``, not past ``limit``; return (value, next pos)."""
    return _read(data, pos, limit, MAX_VARLONG_BYTES)


def _read(
    data: bytes | bytearray | memoryview, pos: int, limit: int, max_bytes: int
) -> tuple[int, int]:
    u = 0
    shift = 0
    start = pos
    while True:
        if pos >= limit:
            raise CorruptRecordError("varint runs past the end of its record", offset=start)
        b = data[pos]
        pos += 1
        u |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if pos - start >= max_bytes:
            raise CorruptRecordError(f"varint longer than {max_bytes} bytes", offset=start)
    if u >> (32 if max_bytes == MAX_VARINT_BYTES else 64):
        raise CorruptRecordError("varint does not fit its type", offset=start)
    return (u >> 1) ^ -(u & 1), pos
