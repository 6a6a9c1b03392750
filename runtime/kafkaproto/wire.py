"""Wire primitives of the Kafka protocol, for the generated message codecs.

Readers take ``(buf, pos)`` — ``buf`` a memoryview or bytes — and return ``(value, new_pos)``;
writers append to one growing ``bytearray``. Every length is checked against the bytes that remain
*before* anything is allocated, so hostile input can cost no more memory than its own size.

Readers raise :class:`WireError` (a :class:`~kafkaproto.errors.DecodeError`) carrying the byte
offset; the generated ``decode`` adds the message, version and field path. This module knows the
encodings only — never a message, a version or a socket.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from typing import Any, Final, NamedTuple
from uuid import UUID, SafeUUID

from kafkaproto.errors import DecodeError, EncodeError
from mypy_extensions import mypyc_attr

__all__ = [
    "ZERO_UUID",
    "RawTaggedField",
    "WireError",
    "read_uvarint",
    "uvarint_size",
    "write_uvarint",
]


class RawTaggedField(NamedTuple):
    """A tagged field this version does not know, kept byte for byte for the round trip."""

    tag: int
    data: bytes


Buffer = bytes | bytearray | memoryview

ZERO_UUID = UUID(int=0)

INT8 = struct.Struct(">b")
INT16 = struct.Struct(">h")
INT32 = struct.Struct(">i")
INT64 = struct.Struct(">q")
UINT16 = struct.Struct(">H")
UINT32 = struct.Struct(">I")
FLOAT64 = struct.Struct(">d")
BOOL = struct.Struct(">?")

_i16 = INT16.unpack_from
_i32 = INT32.unpack_from
_p16 = INT16.pack
_p32 = INT32.pack


class WireError(DecodeError):
    """Bytes that break an encoding rule (truncated, negative or absurd length, bad UTF-8, bad
    varint); ``offset`` is where the bad value starts."""


def truncated(pos: int, need: int, have: int) -> WireError:
    return WireError(f"truncated: needs {need} bytes, {max(have, 0)} left", offset=pos)


# --- varints ---------------------------------------------------------------------------------


def read_uvarint(buf: Buffer, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 varint of at most 5 bytes (Kafka's ``readUnsignedVarint``)."""
    try:
        b = buf[pos]
        if b < 0x80:
            return b, pos + 1
        value = b & 0x7F
        shift = 7
        start = pos
        pos += 1
        while True:
            b = buf[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value, pos
            shift += 7
            if shift > 28:
                raise WireError("varint is longer than 5 bytes", offset=start)
    except IndexError:
        raise truncated(pos, 1, 0) from None


def write_uvarint(out: bytearray, value: int) -> None:
    if value < 0x80:
        out.append(value)
        return
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def uvarint_size(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


# --- lengths ---------------------------------------------------------------------------------


def _remaining_check(buf: Buffer, pos: int, n: int, what: str) -> int:
    end = pos + n
    if end > len(buf):
        raise WireError(f"{what} length {n} exceeds the {len(buf) - pos} bytes left", offset=pos)
    return end


def read_length32(buf: Buffer, pos: int) -> tuple[int, int]:
    return _i32(buf, pos)[0], pos + 4


def read_compact_length(buf: Buffer, pos: int) -> tuple[int, int]:
    """A compact length: the unsigned varint N+1, so 0 is null (-1 here)."""
    b = buf[pos]
    if b < 0x80:
        return b - 1, pos + 1
    n, pos = read_uvarint(buf, pos)
    return n - 1, pos


# --- strings ---------------------------------------------------------------------------------


def _utf8(buf: Buffer, pos: int, end: int) -> str:
    try:
        return str(buf[pos:end], "utf-8")
    except UnicodeDecodeError as exc:
        raise WireError(f"invalid UTF-8: {exc.reason}", offset=pos + exc.start) from None


def read_string(buf: Buffer, pos: int) -> tuple[str, int]:
    n = _i16(buf, pos)[0]
    pos += 2
    if n < 0:
        raise WireError("null where the version does not allow null", offset=pos - 2)
    end = pos + n
    if end > len(buf):
        raise _short(buf, pos, n, "string")
    return _utf8(buf, pos, end), end


def read_nullable_string(buf: Buffer, pos: int) -> tuple[str | None, int]:
    n = _i16(buf, pos)[0]
    pos += 2
    if n < 0:
        if n != -1:
            raise WireError(f"invalid string length {n}", offset=pos - 2)
        return None, pos
    end = pos + n
    if end > len(buf):
        raise _short(buf, pos, n, "string")
    return _utf8(buf, pos, end), end


def read_compact_string(buf: Buffer, pos: int) -> tuple[str, int]:
    start = pos
    n = buf[pos] - 1  # lengths below 127 are one byte: the common case, read inline
    if 0 <= n < 0x7F:
        pos += 1
    else:
        n, pos = read_compact_length(buf, pos)
        if n < 0:
            raise WireError("null where the version does not allow null", offset=start)
        if n > 0x7FFF:
            raise WireError(f"string length {n} is over the protocol's 32767", offset=start)
    end = pos + n
    if end > len(buf):
        raise _short(buf, pos, n, "string")
    try:
        return str(buf[pos:end], "utf-8"), end
    except UnicodeDecodeError as exc:
        raise WireError(f"invalid UTF-8: {exc.reason}", offset=pos + exc.start) from None


def read_compact_nullable_string(buf: Buffer, pos: int) -> tuple[str | None, int]:
    start = pos
    n = buf[pos] - 1
    if 0 <= n < 0x7F:
        pos += 1
    else:
        n, pos = read_compact_length(buf, pos)
        if n < 0:
            return None, pos
        if n > 0x7FFF:
            raise WireError(f"string length {n} is over the protocol's 32767", offset=start)
    end = pos + n
    if end > len(buf):
        raise _short(buf, pos, n, "string")
    try:
        return str(buf[pos:end], "utf-8"), end
    except UnicodeDecodeError as exc:
        raise WireError(f"invalid UTF-8: {exc.reason}", offset=pos + exc.start) from None


def _short(buf: Buffer, pos: int, n: int, what: str) -> WireError:
    return WireError(f"{what} length {n} exceeds the {len(buf) - pos} bytes left", offset=pos)


def write_string(out: bytearray, value: str) -> None:
    data = value.encode("utf-8")
    if len(data) > 0x7FFF:
        raise EncodeError(f"string of {len(data)} bytes is longer than 32767")
    out += _p16(len(data))
    out += data


def write_nullable_string(out: bytearray, value: str | None) -> None:
    if value is None:
        out += b"\xff\xff"
    else:
        write_string(out, value)


# The compact writers are the hot ones (every flexible version): one call each, no helpers.
def write_compact_string(out: bytearray, value: str) -> None:
    data = value.encode("utf-8")
    n = len(data) + 1
    if n < 0x80:
        out.append(n)
    elif n > 0x8000:
        raise EncodeError(f"string of {n - 1} bytes is longer than 32767")
    else:
        write_uvarint(out, n)
    out += data


def write_compact_nullable_string(out: bytearray, value: str | None) -> None:
    if value is None:
        out.append(0)
        return
    data = value.encode("utf-8")
    n = len(data) + 1
    if n < 0x80:
        out.append(n)
    elif n > 0x8000:
        raise EncodeError(f"string of {n - 1} bytes is longer than 32767")
    else:
        write_uvarint(out, n)
    out += data


# --- bytes and records -----------------------------------------------------------------------


def read_bytes(buf: Buffer, pos: int) -> tuple[bytes, int]:
    n = _i32(buf, pos)[0]
    pos += 4
    if n < 0:
        raise WireError("null where the version does not allow null", offset=pos - 4)
    end = _remaining_check(buf, pos, n, "bytes")
    return bytes(buf[pos:end]), end


def read_nullable_bytes(buf: Buffer, pos: int) -> tuple[bytes | None, int]:
    n = _i32(buf, pos)[0]
    pos += 4
    if n < 0:
        return None, pos
    end = _remaining_check(buf, pos, n, "bytes")
    return bytes(buf[pos:end]), end


def read_compact_bytes(buf: Buffer, pos: int) -> tuple[bytes, int]:
    start = pos
    n, pos = read_compact_length(buf, pos)
    if n < 0:
        raise WireError("null where the version does not allow null", offset=start)
    end = _remaining_check(buf, pos, n, "bytes")
    return bytes(buf[pos:end]), end


def read_compact_nullable_bytes(buf: Buffer, pos: int) -> tuple[bytes | None, int]:
    n, pos = read_compact_length(buf, pos)
    if n < 0:
        return None, pos
    end = _remaining_check(buf, pos, n, "bytes")
    return bytes(buf[pos:end]), end


def read_records(buf: Buffer, pos: int) -> tuple[memoryview | None, int]:
    """A records field, kept as a zero-copy view of the input (the runtime parses batches)."""
    n = _i32(buf, pos)[0]
    pos += 4
    if n < 0:
        return None, pos
    end = _remaining_check(buf, pos, n, "records")
    return memoryview(buf)[pos:end], end


def read_compact_records(buf: Buffer, pos: int) -> tuple[memoryview | None, int]:
    n, pos = read_compact_length(buf, pos)
    if n < 0:
        return None, pos
    end = _remaining_check(buf, pos, n, "records")
    return memoryview(buf)[pos:end], end


def read_records_required(buf: Buffer, pos: int) -> tuple[memoryview, int]:
    value, end = read_records(buf, pos)
    if value is None:
        raise WireError("null where the version does not allow null", offset=pos)
    return value, end


def read_compact_records_required(buf: Buffer, pos: int) -> tuple[memoryview, int]:
    value, end = read_compact_records(buf, pos)
    if value is None:
        raise WireError("null where the version does not allow null", offset=pos)
    return value, end


ValueReader = Callable[[Buffer, int], tuple[Any, int]]


def value_reader(kind: str, compact: bool, nullable: bool) -> ValueReader:
    """The reader of one ``string``, ``bytes`` or ``records`` value in the encoding a version
    gives it (compact or not, null allowed or not), for the reference codec, which walks
    field tables. (The compiled table decoder reads these itself, for speed, to the same
    rules.)"""
    if kind == "string":
        if compact:
            return read_compact_nullable_string if nullable else read_compact_string
        return read_nullable_string if nullable else read_string
    if kind == "bytes":
        if compact:
            return read_compact_nullable_bytes if nullable else read_compact_bytes
        return read_nullable_bytes if nullable else read_bytes
    if kind == "records":
        if compact:
            return read_compact_records if nullable else read_compact_records_required
        return read_records if nullable else read_records_required
    raise ValueError(f"no reader for a {kind} value")


#: Byte fields (records above all) at least this long are spliced into a ``SplicingBuffer``'s
#: output rather than copied into the buffer: one copy of a large blob instead of two.
SPLICE_MIN = 4096


# A bytearray subclass stays an ordinary Python class in the compiled build (mypyc compiles
# no subclass of bytearray); its one method is not on the per-field path.
@mypyc_attr(native_class=False)
class SplicingBuffer(bytearray):
    """The buffer ``Message.encode`` writes into. Byte fields of ``SPLICE_MIN`` bytes or more
    are not appended: their position is noted (in ``spliced``, which the maker sets to an
    empty list) and ``getvalue`` joins them in, so a 100 KB records blob is copied once (into
    the result) instead of into the buffer and then out of it. Only ``getvalue`` gives the
    whole encoding; the buffer itself lacks the spliced fields."""

    __slots__ = ("spliced",)
    spliced: list[tuple[int, Buffer]]

    def getvalue(self) -> bytes:
        spliced = self.spliced
        if not spliced:
            return bytes(self)
        parts: list[Buffer] = []
        done = 0
        for at, value in spliced:
            parts.append(self[done:at])
            parts.append(value)
            done = at
        parts.append(self[done:])
        return b"".join(parts)


def _write_blob(out: bytearray, value: Buffer) -> None:
    if len(value) >= SPLICE_MIN and type(out) is SplicingBuffer:
        out.spliced.append((len(out), value))
    else:
        out += value


def write_bytes(out: bytearray, value: Buffer) -> None:
    out += _p32(len(value))
    _write_blob(out, value)


def write_nullable_bytes(out: bytearray, value: Buffer | None) -> None:
    if value is None:
        out += b"\xff\xff\xff\xff"
    else:
        out += _p32(len(value))
        _write_blob(out, value)


def write_compact_bytes(out: bytearray, value: Buffer) -> None:
    n = len(value) + 1
    if n < 0x80:
        out.append(n)
        out += value
        return
    write_uvarint(out, n)
    if n > SPLICE_MIN and type(out) is SplicingBuffer:
        out.spliced.append((len(out), value))
    else:
        out += value


def write_compact_nullable_bytes(out: bytearray, value: Buffer | None) -> None:
    if value is None:
        out.append(0)
    else:
        write_compact_bytes(out, value)


# --- uuid ------------------------------------------------------------------------------------


def read_uuid(buf: Buffer, pos: int) -> tuple[UUID, int]:
    end = pos + 16
    if end > len(buf):
        raise truncated(pos, 16, len(buf) - pos)
    value = int.from_bytes(buf[pos:end], "big")
    if not value:
        return ZERO_UUID, end
    # What UUID(int=value) makes, without its argument checks (~5x faster): the value is 128
    # bits by construction. UUIDs are immutable, hence object.__setattr__, as UUID does.
    uuid = _new_object(UUID)
    _set_attribute(uuid, "int", value)
    _set_attribute(uuid, "is_safe", _SAFE_UNKNOWN)
    return uuid, end


# Looked up once: an enum member's lookup runs Python code, and the compiled module would look
# up object's methods on every call.
_SAFE_UNKNOWN: Final = SafeUUID.unknown
_new_object: Final = object.__new__
_set_attribute: Final = object.__setattr__


def write_uuid(out: bytearray, value: UUID) -> None:
    out += value.bytes


# --- arrays ----------------------------------------------------------------------------------


def read_array_length(buf: Buffer, pos: int, min_item: int) -> tuple[int, int]:
    """A non-null int32 array length, checked so that ``n * min_item`` bytes remain."""
    n = _i32(buf, pos)[0]
    if n < 0:
        raise WireError("null where the version does not allow null", offset=pos)
    if n * min_item > len(buf) - pos - 4:
        raise WireError(
            f"array of {n} items cannot fit in the {len(buf) - pos - 4} bytes left", offset=pos
        )
    return n, pos + 4


def read_nullable_array_length(buf: Buffer, pos: int, min_item: int) -> tuple[int, int]:
    """An int32 array length; -1 is null."""
    n = _i32(buf, pos)[0]
    if n < 0:
        return -1, pos + 4
    if n * min_item > len(buf) - pos - 4:
        raise WireError(
            f"array of {n} items cannot fit in the {len(buf) - pos - 4} bytes left", offset=pos
        )
    return n, pos + 4


def read_compact_array_length(buf: Buffer, pos: int, min_item: int) -> tuple[int, int]:
    start = pos
    n = buf[pos] - 1
    if 0 <= n < 0x7F:
        pos += 1
    else:
        n, pos = read_compact_length(buf, pos)
        if n < 0:
            raise WireError("null where the version does not allow null", offset=start)
    if n * min_item > len(buf) - pos:
        raise WireError(
            f"array of {n} items cannot fit in the {len(buf) - pos} bytes left", offset=start
        )
    return n, pos


def read_compact_nullable_array_length(buf: Buffer, pos: int, min_item: int) -> tuple[int, int]:
    start = pos
    n = buf[pos] - 1
    if 0 <= n < 0x7F:
        pos += 1
    else:
        n, pos = read_compact_length(buf, pos)
        if n < 0:
            return -1, pos
    if n * min_item > len(buf) - pos:
        raise WireError(
            f"array of {n} items cannot fit in the {len(buf) - pos} bytes left", offset=start
        )
    return n, pos


def write_array_length(out: bytearray, n: int) -> None:
    out += _p32(n)


def write_compact_length(out: bytearray, n: int) -> None:
    n += 1
    if n < 0x80:
        out.append(n)
    else:
        write_uvarint(out, n)


_ARRAY_FORMATS: dict[str, str] = {
    "int8": "b",
    "int16": "h",
    "int32": "i",
    "int64": "q",
    "uint16": "H",
    "uint32": "I",
    "float64": "d",
    "bool": "?",
}


FixedArrayReader = Callable[[Buffer, int], tuple[Any, int]]
_CACHED_COUNTS = 128  # arrays shorter than this unpack through a precompiled Struct


def _fixed_array_reader(code: str, size: int, compact: bool, nullable: bool) -> FixedArrayReader:
    """A reader of one array of fixed-width items: length and items in one call, the common
    short lengths through precompiled Structs (decided once, here, not per array)."""
    # Made on first use of each length: most lengths never occur, and import stays cheap.
    structs: list[struct.Struct | None] = [None] * _CACHED_COUNTS

    def read(buf: Buffer, pos: int) -> tuple[Any, int]:
        start = pos
        if compact:
            n = buf[pos] - 1
            if 0 <= n < 0x7F:
                pos += 1
            else:
                n, pos = read_compact_length(buf, pos)
        else:
            n = _i32(buf, pos)[0]
            pos += 4
        if n < _CACHED_COUNTS and n >= 0:
            s = structs[n]
            if s is None:
                s = structs[n] = struct.Struct(f">{n}{code}")
            return s.unpack_from(buf, pos), pos + n * size  # too short: struct.error
        if n < 0:
            if nullable:
                return None, pos
            raise WireError("null where the version does not allow null", offset=start)
        if n * size > len(buf) - pos:
            raise WireError(
                f"array of {n} items cannot fit in the {len(buf) - pos} bytes left", offset=start
            )
        return struct.unpack_from(f">{n}{code}", buf, pos), pos + n * size

    return read


# One reader per (encoding, nullability, item type) that generated code names directly.
read_int8_array = _fixed_array_reader("b", 1, False, False)
read_int16_array = _fixed_array_reader("h", 2, False, False)
read_uint16_array = _fixed_array_reader("H", 2, False, False)
read_int32_array = _fixed_array_reader("i", 4, False, False)
read_uint32_array = _fixed_array_reader("I", 4, False, False)
read_int64_array = _fixed_array_reader("q", 8, False, False)
read_float64_array = _fixed_array_reader("d", 8, False, False)
read_bool_array = _fixed_array_reader("?", 1, False, False)
read_nullable_int8_array = _fixed_array_reader("b", 1, False, True)
read_nullable_int16_array = _fixed_array_reader("h", 2, False, True)
read_nullable_uint16_array = _fixed_array_reader("H", 2, False, True)
read_nullable_int32_array = _fixed_array_reader("i", 4, False, True)
read_nullable_uint32_array = _fixed_array_reader("I", 4, False, True)
read_nullable_int64_array = _fixed_array_reader("q", 8, False, True)
read_nullable_float64_array = _fixed_array_reader("d", 8, False, True)
read_nullable_bool_array = _fixed_array_reader("?", 1, False, True)
read_compact_int8_array = _fixed_array_reader("b", 1, True, False)
read_compact_int16_array = _fixed_array_reader("h", 2, True, False)
read_compact_uint16_array = _fixed_array_reader("H", 2, True, False)
read_compact_int32_array = _fixed_array_reader("i", 4, True, False)
read_compact_uint32_array = _fixed_array_reader("I", 4, True, False)
read_compact_int64_array = _fixed_array_reader("q", 8, True, False)
read_compact_float64_array = _fixed_array_reader("d", 8, True, False)
read_compact_bool_array = _fixed_array_reader("?", 1, True, False)
read_compact_nullable_int8_array = _fixed_array_reader("b", 1, True, True)
read_compact_nullable_int16_array = _fixed_array_reader("h", 2, True, True)
read_compact_nullable_uint16_array = _fixed_array_reader("H", 2, True, True)
read_compact_nullable_int32_array = _fixed_array_reader("i", 4, True, True)
read_compact_nullable_uint32_array = _fixed_array_reader("I", 4, True, True)
read_compact_nullable_int64_array = _fixed_array_reader("q", 8, True, True)
read_compact_nullable_float64_array = _fixed_array_reader("d", 8, True, True)
read_compact_nullable_bool_array = _fixed_array_reader("?", 1, True, True)


ArrayWriter = Callable[[bytearray, Sequence[Any]], None]
NullableArrayWriter = Callable[[bytearray, Sequence[Any] | None], None]


def _fixed_array_writer(code: str, compact: bool, nullable: bool) -> NullableArrayWriter:
    """A writer of one array of fixed-width items: length and items in one call, the common
    short lengths through precompiled Structs (the length included), decided once, here."""
    # Compact lengths below 127 are one byte (length + 1), then the items; a Struct per length,
    # made on first use.
    length_code = "B" if compact else "i"
    structs: list[struct.Struct | None] = [None] * (_CACHED_COUNTS - 1)
    bias = 1 if compact else 0

    def write(out: bytearray, values: Sequence[Any] | None) -> None:
        if values is None:
            if not nullable:
                raise TypeError("null where the version does not allow null")
            out += b"\x00" if compact else b"\xff\xff\xff\xff"
            return
        n = len(values)
        if n < len(structs):
            s = structs[n]
            if s is None:
                s = structs[n] = struct.Struct(f">{length_code}{n}{code}")
            out += s.pack(n + bias, *values)
        else:
            if compact:
                write_uvarint(out, n + 1)
            else:
                out += _p32(n)
            out += struct.pack(f">{n}{code}", *values)

    return write


# One writer per (encoding, nullability, item type) that generated code names directly.
write_int8_array: ArrayWriter = _fixed_array_writer("b", False, False)
write_int16_array: ArrayWriter = _fixed_array_writer("h", False, False)
write_uint16_array: ArrayWriter = _fixed_array_writer("H", False, False)
write_int32_array: ArrayWriter = _fixed_array_writer("i", False, False)
write_uint32_array: ArrayWriter = _fixed_array_writer("I", False, False)
write_int64_array: ArrayWriter = _fixed_array_writer("q", False, False)
write_float64_array: ArrayWriter = _fixed_array_writer("d", False, False)
write_bool_array: ArrayWriter = _fixed_array_writer("?", False, False)
write_nullable_int8_array: NullableArrayWriter = _fixed_array_writer("b", False, True)
write_nullable_int16_array: NullableArrayWriter = _fixed_array_writer("h", False, True)
write_nullable_uint16_array: NullableArrayWriter = _fixed_array_writer("H", False, True)
write_nullable_int32_array: NullableArrayWriter = _fixed_array_writer("i", False, True)
write_nullable_uint32_array: NullableArrayWriter = _fixed_array_writer("I", False, True)
write_nullable_int64_array: NullableArrayWriter = _fixed_array_writer("q", False, True)
write_nullable_float64_array: NullableArrayWriter = _fixed_array_writer("d", False, True)
write_nullable_bool_array: NullableArrayWriter = _fixed_array_writer("?", False, True)
write_compact_int8_array: ArrayWriter = _fixed_array_writer("b", True, False)
write_compact_int16_array: ArrayWriter = _fixed_array_writer("h", True, False)
write_compact_uint16_array: ArrayWriter = _fixed_array_writer("H", True, False)
write_compact_int32_array: ArrayWriter = _fixed_array_writer("i", True, False)
write_compact_uint32_array: ArrayWriter = _fixed_array_writer("I", True, False)
write_compact_int64_array: ArrayWriter = _fixed_array_writer("q", True, False)
write_compact_float64_array: ArrayWriter = _fixed_array_writer("d", True, False)
write_compact_bool_array: ArrayWriter = _fixed_array_writer("?", True, False)
write_compact_nullable_int8_array: NullableArrayWriter = _fixed_array_writer("b", True, True)
write_compact_nullable_int16_array: NullableArrayWriter = _fixed_array_writer("h", True, True)
write_compact_nullable_uint16_array: NullableArrayWriter = _fixed_array_writer("H", True, True)
write_compact_nullable_int32_array: NullableArrayWriter = _fixed_array_writer("i", True, True)
write_compact_nullable_uint32_array: NullableArrayWriter = _fixed_array_writer("I", True, True)
write_compact_nullable_int64_array: NullableArrayWriter = _fixed_array_writer("q", True, True)
write_compact_nullable_float64_array: NullableArrayWriter = _fixed_array_writer("d", True, True)
write_compact_nullable_bool_array: NullableArrayWriter = _fixed_array_writer("?", True, True)


# Arrays of strings, bytes and UUIDs: one call per array from generated code, the loop here.
# ``item`` is an item reader or writer. Null where the version does not allow it is refused by
# the non-nullable forms.
ItemReader = Callable[[Buffer, int], tuple[Any, int]]
ItemWriter = Callable[[bytearray, Any], None]


def _read_items(buf: Buffer, pos: int, n: int, item: ItemReader) -> tuple[tuple[Any, ...], int]:
    items = []
    for _ in range(n):
        value, pos = item(buf, pos)
        items.append(value)
    return tuple(items), pos


def read_array_of(buf: Buffer, pos: int, item: ItemReader) -> tuple[tuple[Any, ...], int]:
    n, pos = read_array_length(buf, pos, 1)
    return _read_items(buf, pos, n, item)


def read_nullable_array_of(
    buf: Buffer, pos: int, item: ItemReader
) -> tuple[tuple[Any, ...] | None, int]:
    n, pos = read_nullable_array_length(buf, pos, 1)
    return (None, pos) if n < 0 else _read_items(buf, pos, n, item)


def read_compact_array_of(buf: Buffer, pos: int, item: ItemReader) -> tuple[tuple[Any, ...], int]:
    n, pos = read_compact_array_length(buf, pos, 1)
    return _read_items(buf, pos, n, item)


def read_compact_nullable_array_of(
    buf: Buffer, pos: int, item: ItemReader
) -> tuple[tuple[Any, ...] | None, int]:
    n, pos = read_compact_nullable_array_length(buf, pos, 1)
    return (None, pos) if n < 0 else _read_items(buf, pos, n, item)


def _write_items(out: bytearray, values: Sequence[Any], item: ItemWriter) -> None:
    for value in values:
        item(out, value)


def write_array_of(out: bytearray, values: Sequence[Any], item: ItemWriter) -> None:
    out += _p32(len(values))
    _write_items(out, values, item)


def write_nullable_array_of(out: bytearray, values: Sequence[Any] | None, item: ItemWriter) -> None:
    if values is None:
        out += _p32(-1)
    else:
        write_array_of(out, values, item)


def write_compact_array_of(out: bytearray, values: Sequence[Any], item: ItemWriter) -> None:
    write_compact_length(out, len(values))
    _write_items(out, values, item)


def write_compact_nullable_array_of(
    out: bytearray, values: Sequence[Any] | None, item: ItemWriter
) -> None:
    if values is None:
        out.append(0)
    else:
        write_compact_array_of(out, values, item)


def write_null_array(out: bytearray, nullable: bool, compact: bool) -> None:
    """Null for an array of structs, where ``nullable`` says the version allows it."""
    if not nullable:
        raise TypeError("null where the version does not allow null")
    if compact:
        out.append(0)
    else:
        out += _p32(-1)


def empty_or_null(n: int, nullable: bool, pos: int) -> tuple[tuple[()] | None, int]:
    """An array of structs of length ``n`` <= 0 read at ``pos`` (after its length): empty, or
    null where ``nullable`` says the version allows it."""
    if n == 0:
        return (), pos
    if not nullable:
        raise WireError("null where the version does not allow null", offset=pos)
    return None, pos


_FLAT_CACHED = 256  # arrays of fewer items unpack through a Struct for their whole length
_flat_structs: dict[tuple[struct.Struct, int], struct.Struct] = {}


def flat_values(item: struct.Struct, n: int, buf: Buffer, pos: int) -> Iterator[Any]:
    """The values of ``n`` consecutive items of format ``item`` from ``pos``, one after the
    other (the caller checked that they fit). Short arrays unpack in one call through a Struct
    for the whole run, made once per item format and length."""
    if n < _FLAT_CACHED:
        whole = _flat_structs.get((item, n))
        if whole is None:
            whole = _flat_structs[item, n] = struct.Struct(">" + item.format[1:] * n)
        return iter(whole.unpack_from(buf, pos))
    return chain.from_iterable(item.iter_unpack(memoryview(buf)[pos : pos + n * item.size]))


#: Zero bytes to compare the tagged-field counts of fixed-width struct arrays against: a strided
#: view of the counts equal to a slice of this has no tagged field (arrays longer than this take
#: the general loop).
ZEROS = memoryview(bytes(4096))


# --- tagged fields ---------------------------------------------------------------------------


def read_raw_tag(buf: Buffer, pos: int) -> tuple[int, int, int]:
    """One tagged field's header: ``(tag, payload_start, payload_end)``, the end checked."""
    tag, pos = read_uvarint(buf, pos)
    start = pos
    size, pos = read_uvarint(buf, pos)
    end = pos + size
    if end > len(buf):
        raise WireError(f"tagged field {tag} of {size} bytes exceeds the input", offset=start)
    return tag, pos, end


def read_unknown_tags(
    buf: Buffer, pos: int, refused: tuple[int, ...] = ()
) -> tuple[tuple[Any, ...], int]:
    """The tagged-field section of a struct that knows no tags at this version: everything in it
    is kept raw but the ``refused`` tags (those of fields the version lacks), an error as in
    Kafka's Java classes. Returns ``(raw_fields, pos)``; an empty section (one zero byte) is the
    fast path."""
    if buf[pos] == 0:
        return (), pos + 1
    count, pos = read_uvarint(buf, pos)
    if count > len(buf) - pos:
        raise WireError(f"{count} tagged fields cannot fit in the input", offset=pos)
    found = []
    for _ in range(count):
        tag, start, end = read_raw_tag(buf, pos)
        if tag in refused:
            raise WireError(f"tag {tag} is not valid at this version", offset=start)
        found.append(RawTaggedField(tag, bytes(buf[start:end])))
        pos = end
    return tuple(found), pos


def write_tags(
    out: bytearray, known: Sequence[tuple[int, bytes | bytearray]], unknown: Sequence[Any]
) -> None:
    """A tagged-field section: the known fields that differ from their defaults and the unknown
    raw fields, merged in ascending tag order as Kafka writes them."""
    if not known and not unknown:
        out.append(0)
        return
    fields = [*known, *((raw.tag, raw.data) for raw in unknown)]
    fields.sort(key=_tag_of)
    write_uvarint(out, len(fields))
    for tag, payload in fields:
        write_uvarint(out, tag)
        write_uvarint(out, len(payload))
        out += payload


def _tag_of(item: tuple[int, Any]) -> int:
    return item[0]


def write_unknown_tags(out: bytearray, unknown: Sequence[Any]) -> None:
    if not unknown:
        out.append(0)
    else:
        write_tags(out, [], unknown)


def write_raw_tag(out: bytearray, tag: int, payload: Buffer) -> None:
    write_uvarint(out, tag)
    write_uvarint(out, len(payload))
    out += payload
