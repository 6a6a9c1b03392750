"""The reference codec: encodes and decodes any generated class at any of its versions by walking
its field table (:meth:`kafkaproto.message.Struct.layout`).

It is slow and simple on purpose. The generated, specialised codecs are the fast path; this one
(1) explains their failures — it re-runs the failed operation while tracking the field path and
byte offset, so every error names what was wrong and where — and (2) is the second
implementation the tests compare the generated code against.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple
from uuid import UUID

from kafkaproto import wire
from kafkaproto.errors import DecodeError, EncodeError, KafkaProtoError
from kafkaproto.message import FieldAt, Message, RawTaggedField, Struct

__all__ = [
    "Span",
    "decode",
    "encode",
    "encode_with_spans",
    "explain_decode_failure",
    "explain_encode_failure",
    "field_at",
]

_FIXED: dict[str, struct.Struct] = {
    "bool": wire.BOOL,
    "int8": wire.INT8,
    "int16": wire.INT16,
    "uint16": wire.UINT16,
    "int32": wire.INT32,
    "uint32": wire.UINT32,
    "int64": wire.INT64,
    "float64": wire.FLOAT64,
}


class Span(NamedTuple):
    """Where one field's bytes lie in an encoding: ``buf[start:end]`` is the value at ``path``."""

    start: int
    end: int
    path: str


class _Fail(Exception):
    def __init__(self, reason: str, path: str, offset: int) -> None:
        super().__init__(reason)
        self.reason, self.path, self.offset = reason, path, offset


# --- decoding --------------------------------------------------------------------------------


def decode(cls: type[Struct], buf: memoryview, pos: int, version: int) -> tuple[Any, int]:
    """Decode an instance of ``cls`` at ``version`` from ``pos``; raises DecodeError naming field
    and offset."""
    try:
        return _decode_struct(cls, buf, pos, "", version)
    except _Fail as f:
        raise DecodeError(
            f.reason, what=_what(cls, version), field=f.path, offset=f.offset
        ) from None


def _what(cls: type[Struct], version: int) -> str:
    return f"{cls.__name__} v{version}"


def _decode_struct(
    cls: type[Struct], buf: memoryview, pos: int, path: str, version: int
) -> tuple[Any, int]:
    kwargs: dict[str, Any] = {}
    lay = cls.layout(version)
    for f in lay.present:
        if f.tag >= 0:
            continue
        fpath = f"{path}.{f.attr}" if path else f.attr
        kwargs[f.attr], pos = _decode_value(f, f.kind, buf, pos, fpath, version)
    if lay.flexible:
        pos = _decode_tags(cls, buf, pos, path, kwargs, version)
    return cls(**kwargs), pos


def _decode_tags(
    cls: type[Struct],
    buf: memoryview,
    pos: int,
    path: str,
    kwargs: dict[str, Any],
    version: int,
) -> int:
    lay = cls.layout(version)
    by_tag = {f.tag: f for f in lay.present if f.tag >= 0}
    reserved = lay.reserved_tags
    count, pos = _guard(wire.read_uvarint, buf, pos, path or "<tagged fields>")
    unknown: list[RawTaggedField] = []
    for _ in range(count):
        start = pos
        tag, vstart, vend = _guard(wire.read_raw_tag, buf, pos, path or "<tagged fields>")
        f = by_tag.get(tag)
        if f is None:
            if tag in reserved:
                raise _Fail(f"tag {tag} is not valid at this version", path, start)
            unknown.append(RawTaggedField(tag, bytes(buf[vstart:vend])))
        else:
            fpath = f"{path}.{f.attr}" if path else f.attr
            value, end = _decode_value(f, f.kind, buf[:vend], vstart, fpath, version)
            if end != vend:
                raise _Fail(
                    f"tagged field {tag} declares {vend - vstart} bytes but its value used "
                    f"{end - vstart}",
                    fpath,
                    vstart,
                )
            kwargs[f.attr] = value
        pos = vend
    kwargs["unknown_tagged_fields"] = tuple(unknown)
    return pos


def _guard(fn: Any, buf: memoryview, pos: int, path: str, *args: Any) -> Any:
    try:
        return fn(buf, pos, *args)
    except KafkaProtoError as exc:
        offset = getattr(exc, "offset", pos)
        raise _Fail(
            getattr(exc, "reason", str(exc)), path, offset if offset >= 0 else pos
        ) from None
    except (struct.error, IndexError):
        raise _Fail(f"truncated: the input ends at byte {len(buf)}", path, pos) from None


def _decode_value(
    f: FieldAt, kind: str, buf: memoryview, pos: int, path: str, version: int
) -> tuple[Any, int]:
    result: tuple[Any, int] = _decode_value_any(f, kind, buf, pos, path, version)
    return result


def _decode_value_any(
    f: FieldAt, kind: str, buf: memoryview, pos: int, path: str, version: int
) -> Any:
    fixed = _FIXED.get(kind)
    if fixed is not None:
        if pos + fixed.size > len(buf):
            raise _Fail(f"truncated: {kind} needs {fixed.size} bytes", path, pos)
        value = fixed.unpack_from(buf, pos)[0]
        if kind == "bool":
            value = buf[pos] != 0
        return value, pos + fixed.size
    if kind == "uuid":
        return _guard(wire.read_uuid, buf, pos, path)
    if kind in ("string", "bytes", "records"):
        return _guard(wire.value_reader(kind, f.compact, f.nullable), buf, pos, path)
    if kind == "struct":
        assert f.cls is not None
        if f.nullable:
            if pos >= len(buf):
                raise _Fail("truncated: nullable struct marker missing", path, pos)
            marker = wire.INT8.unpack_from(buf, pos)[0]
            pos += 1
            if marker < 0:
                return None, pos
        return _decode_struct(f.cls, buf, pos, path, version)
    if kind == "array":
        return _decode_array(f, buf, pos, path, version)
    raise _Fail(f"unknown kind {kind}", path, pos)


def _decode_array(
    f: FieldAt, buf: memoryview, pos: int, path: str, version: int
) -> tuple[Any, int]:
    start = pos
    if f.compact:
        n, pos = _guard(wire.read_compact_length, buf, pos, path)
    else:
        n, pos = _guard(wire.read_length32, buf, pos, path)
    if n < 0:
        if not f.nullable:
            raise _Fail("null where the version does not allow null", path, start)
        return None, pos
    if n > len(buf) - pos:
        raise _Fail(
            f"array of {n} items cannot fit in the {len(buf) - pos} bytes left", path, start
        )
    assert f.elem is not None
    items = []
    elem = f._replace(kind=f.elem, nullable=False)
    for i in range(n):
        value, pos = _decode_value(elem, f.elem, buf, pos, f"{path}[{i}]", version)
        items.append(value)
    return tuple(items), pos


# --- encoding --------------------------------------------------------------------------------


def encode(obj: Struct, version: int) -> bytes:
    """Encode ``obj`` at ``version``; raises EncodeError naming the field that cannot be written."""
    return encode_with_spans(obj, version, None)


def encode_with_spans(obj: Struct, version: int, spans: list[Span] | None) -> bytes:
    """Encode ``obj`` and, when ``spans`` is a list, append a :class:`Span` for every field
    written (structs and arrays as well as their items and leaves, tagged fields including
    their tag and size prefix), so a byte offset can be mapped back to a field path."""
    out = bytearray()
    what = _what(type(obj), version)
    try:
        _encode_struct(obj, out, "", spans, version, what)
    except _Fail as f:
        raise EncodeError(f.reason, what=what, field=f.path) from None
    return bytes(out)


def field_at(spans: list[Span], offset: int) -> str:
    """The path of the innermost field whose bytes contain ``offset`` ("" if none does; the
    tagged-field section of a struct is ``<path>.<tagged fields>``)."""
    best: Span | None = None
    for span in spans:
        if span.start <= offset < span.end and (
            best is None or span.end - span.start <= best.end - best.start
        ):
            best = span
    return best.path if best is not None else ""


def _encode_struct(
    obj: Any, out: bytearray, path: str, spans: list[Span] | None, version: int, what: str
) -> None:
    cls = type(obj)
    if not isinstance(obj, Struct):
        raise _Fail(f"expected a struct, got {cls.__name__}", path, -1)
    try:
        obj.check_absent(version, what)
    except EncodeError as exc:
        raise _Fail(exc.reason, f"{path}.{exc.field}" if path else exc.field, -1) from None
    lay = obj.layout(version)
    # (tag, payload, field path, the payload's own spans relative to its start)
    tagged: list[tuple[int, bytes | bytearray, str, list[Span]]] = []
    for f in lay.present:
        fpath = f"{path}.{f.attr}" if path else f.attr
        value = getattr(obj, f.attr)
        if f.tag >= 0:
            if value == f.default and not (isinstance(value, float) and value != value):
                continue
            payload = bytearray()
            inner: list[Span] = []
            _encode_value(
                f,
                f.kind,
                value,
                payload,
                fpath,
                inner if spans is not None else None,
                version,
                what,
            )
            tagged.append((f.tag, bytes(payload), fpath, inner))
        else:
            start = len(out)
            _encode_value(f, f.kind, value, out, fpath, spans, version, what)
            if spans is not None:
                spans.append(Span(start, len(out), fpath))
    if lay.flexible:
        for raw in obj._unknown():
            if not isinstance(raw, RawTaggedField):
                raise _Fail("unknown_tagged_fields holds a non-RawTaggedField", path, -1)
            upath = f"{path}.unknown_tagged_fields[tag {raw.tag}]"
            tagged.append((raw.tag, raw.data, upath.lstrip("."), []))
        tagged.sort(key=lambda t: t[0])
        section = len(out)
        wire.write_uvarint(out, len(tagged))
        for tag, data, tpath, inner in tagged:
            start = len(out)
            wire.write_raw_tag(out, tag, data)
            if spans is not None:
                spans.append(Span(start, len(out), tpath))
                base = len(out) - len(data)
                spans.extend(Span(s.start + base, s.end + base, s.path) for s in inner)
        if spans is not None:
            spans.append(Span(section, len(out), f"{path}.<tagged fields>".lstrip(".")))


def _encode_value(
    f: FieldAt,
    kind: str,
    value: Any,
    out: bytearray,
    path: str,
    spans: list[Span] | None,
    version: int,
    what: str,
) -> None:
    if value is None:
        if not f.nullable:
            raise _Fail("null where the version does not allow null", path, -1)
        if kind == "struct":
            out += b"\xff"
        elif kind == "string" and not f.compact:
            out += b"\xff\xff"
        elif f.compact:
            out.append(0)
        else:
            out += b"\xff\xff\xff\xff"
        return
    fixed = _FIXED.get(kind)
    if fixed is not None:
        if kind == "bool":
            if not isinstance(value, bool):
                raise _Fail(f"expected a bool, got {type(value).__name__}", path, -1)
        elif kind == "float64":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise _Fail(f"expected a float, got {type(value).__name__}", path, -1)
        elif not isinstance(value, int) or isinstance(value, bool):
            raise _Fail(f"expected an int, got {type(value).__name__}", path, -1)
        try:
            out += fixed.pack(value)
        except struct.error:
            raise _Fail(f"{value} is out of range for {kind}", path, -1) from None
        return
    if kind == "uuid":
        if not isinstance(value, UUID):
            raise _Fail(f"expected a uuid.UUID, got {type(value).__name__}", path, -1)
        out += value.bytes
    elif kind == "string":
        if not isinstance(value, str):
            raise _Fail(f"expected a str, got {type(value).__name__}", path, -1)
        data = value.encode("utf-8")
        if len(data) > 0x7FFF:
            raise _Fail(f"string of {len(data)} bytes is longer than 32767", path, -1)
        if f.compact:
            wire.write_compact_length(out, len(data))
        else:
            out += wire.INT16.pack(len(data))
        out += data
    elif kind in ("bytes", "records"):
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise _Fail(f"expected bytes, got {type(value).__name__}", path, -1)
        if f.compact:
            wire.write_compact_length(out, len(value))
        else:
            out += wire.INT32.pack(len(value))
        out += value
    elif kind == "struct":
        if f.cls is not None and type(value) is not f.cls:
            raise _Fail(f"expected {f.cls.__name__}, got {type(value).__name__}", path, -1)
        if f.nullable:
            out += b"\x01"
        _encode_struct(value, out, path, spans, version, what)
    elif kind == "array":
        if type(value) is not tuple:
            raise _Fail(f"expected a tuple, got {type(value).__name__}", path, -1)
        if f.compact:
            wire.write_compact_length(out, len(value))
        else:
            out += wire.INT32.pack(len(value))
        assert f.elem is not None
        elem = f._replace(kind=f.elem, nullable=False)
        for i, item in enumerate(value):
            start = len(out)
            _encode_value(elem, f.elem, item, out, f"{path}[{i}]", spans, version, what)
            if spans is not None:
                spans.append(Span(start, len(out), f"{path}[{i}]"))
    else:
        raise _Fail(f"unknown kind {kind}", path, -1)


# --- explaining the fast path's failures ----------------------------------------------------


def explain_decode_failure(
    cls: type[Message], version: int, buf: memoryview, pos: int, exc: Exception
) -> DecodeError:
    """The DecodeError for bytes the generated decoder refused: re-decode slowly to find the
    field and offset. If the reference codec accepts the bytes, the two disagree — say so."""
    try:
        decode(cls, buf, pos, version)
    except DecodeError as err:
        return err
    return DecodeError(
        f"the generated decoder failed ({type(exc).__name__}: {exc}) where the reference "
        "decoder did not; please report this",
        what=_what(cls, version),
        offset=pos,
    )


def explain_encode_failure(obj: Message, version: int, exc: Exception) -> EncodeError:
    try:
        encode(obj, version)
    except EncodeError as err:
        return err
    return EncodeError(
        f"the generated encoder failed ({type(exc).__name__}: {exc}) where the reference "
        "encoder did not; please report this",
        what=_what(type(obj), version),
    )
