"""Independent, deliberately naive encoders written from the protocol docs, for building
expected bytes in tests. They share no code with kafkaproto.records (that is their point)."""

from __future__ import annotations

import struct


def zigzag_varint(value: int) -> bytes:
    """Kafka varint/varlong: zigzag, then 7-bit groups, least significant first."""
    u = (value << 1) if value >= 0 else ((-value) << 1) - 1
    out = bytearray()
    while True:
        byte = u & 0x7F
        u >>= 7
        if u:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def crc32c_bitwise(data: bytes) -> int:
    """CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, bit by bit."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def record_v2(
    offset_delta: int,
    timestamp_delta: int,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes | None]],
) -> bytes:
    body = b"\x00" + zigzag_varint(timestamp_delta) + zigzag_varint(offset_delta)
    for field in (key, value):
        body += zigzag_varint(-1) if field is None else zigzag_varint(len(field)) + field
    body += zigzag_varint(len(headers))
    for hk, hv in headers:
        k = hk.encode()
        body += zigzag_varint(len(k)) + k
        body += zigzag_varint(-1) if hv is None else zigzag_varint(len(hv)) + hv
    return zigzag_varint(len(body)) + body


def batch_v2(
    *,
    base_offset: int,
    leader_epoch: int,
    attributes: int,
    last_offset_delta: int,
    base_timestamp: int,
    max_timestamp: int,
    producer_id: int,
    producer_epoch: int,
    base_sequence: int,
    count: int,
    records: bytes,
) -> bytes:
    """A v2 batch laid out field by field, CRC-32C over attributes..end."""
    after_crc = (
        struct.pack(">h", attributes)
        + struct.pack(">i", last_offset_delta)
        + struct.pack(">q", base_timestamp)
        + struct.pack(">q", max_timestamp)
        + struct.pack(">q", producer_id)
        + struct.pack(">h", producer_epoch)
        + struct.pack(">i", base_sequence)
        + struct.pack(">i", count)
        + records
    )
    crc = crc32c_bitwise(after_crc)
    length = 4 + 1 + 4 + len(after_crc)  # leader epoch + magic + crc + rest
    return (
        struct.pack(">q", base_offset)
        + struct.pack(">i", length)
        + struct.pack(">i", leader_epoch)
        + b"\x02"
        + struct.pack(">I", crc)
        + after_crc
    )


def legacy_message(
    offset: int,
    magic: int,
    attributes: int,
    timestamp: int,
    key: bytes | None,
    value: bytes | None,
) -> bytes:
    """A magic 0/1 message-set entry; CRC is zlib's CRC-32 of magic..end."""
    import zlib

    body = bytes([magic, attributes])
    if magic == 1:
        body += struct.pack(">q", timestamp)
    for field in (key, value):
        body += struct.pack(">i", -1) if field is None else struct.pack(">i", len(field)) + field
    message = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", offset, len(message)) + message
