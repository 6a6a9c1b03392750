"""Base classes and field tables of the generated message classes.

Every generated class is a frozen, slotted :class:`Struct` whose ``_fields_`` table describes its
fields *at its version*: attribute, JSON key, wire kind, nullable, compact (flexible) encoding,
tag, default. The generated module holds the fast, specialised encode/decode functions; the table
drives everything that need not be fast — equality, repr, JSON in Kafka's ``JsonConverter`` shape,
and the reference codec (:mod:`kafkaproto.reference_codec`) that explains a failure with a field
path and offset.

This module never reads a spec and never touches a socket.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple, Self, TypeVar
from uuid import UUID

from kafkaproto.errors import DecodeError, EncodeError, KafkaProtoError
from kafkaproto.wire import RawTaggedField, SplicingBuffer

try:
    from collections import _tuplegetter  # type: ignore[attr-defined]
except ImportError:  # other Pythons: the same, a little slower

    def _tuplegetter(index: int, doc: str | None) -> Any:
        return property(itemgetter(index), doc=doc)


__all__ = [
    "ApiMessage",
    "DataMessage",
    "Field",
    "FrozenInstanceError",
    "HeaderMessage",
    "Message",
    "RawTaggedField",
    "Struct",
]

_T = TypeVar("_T", bound="Struct")


class FrozenInstanceError(AttributeError):
    """Raised on assignment to a field: generated messages are immutable; use ``replace()``."""


class Field(NamedTuple):
    """One field of a generated class, at that class's version."""

    attr: str  # Python attribute and keyword argument
    json: str  # key in Kafka's JSON form
    # bool int8 int16 uint16 int32 uint32 int64 float64 uuid string bytes records struct array
    kind: str
    nullable: bool
    compact: bool  # flexible (compact) encoding of lengths at this version
    tag: int  # the tag if the field is tagged at this version, else -1
    default: Any
    elem: str | None = None  # element kind of an array
    cls: type[Struct] | None = None  # the struct class of a struct or struct-array field


class Struct(tuple[Any, ...]):
    """Base of every generated class: an immutable tuple of its field values in field order
    (unknown tagged fields last), with a named, read-only attribute per field. Instances compare
    equal only to instances of the same class. A tuple is what CPython builds fastest, which is
    what decoding thousands of structs per response needs."""

    __slots__ = ()

    _fields_: ClassVar[tuple[Field, ...]] = ()
    _flexible_: ClassVar[bool] = False
    _reserved_tags_: ClassVar[frozenset[int]] = frozenset()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"{type(self).__name__} is immutable; use replace()")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return tuple.__hash__(self)

    def __repr__(self) -> str:
        parts = []
        for f in self._fields_:
            value = getattr(self, f.attr)
            if isinstance(value, memoryview):
                value = bytes(value)
            parts.append(f"{f.attr}={value!r}")
        unknown = getattr(self, "unknown_tagged_fields", ())
        if unknown:
            parts.append(f"unknown_tagged_fields={unknown!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._as_kwargs()))

    def _as_kwargs(self) -> dict[str, Any]:
        kwargs = {f.attr: getattr(self, f.attr) for f in self._fields_}
        if self._flexible_:
            kwargs["unknown_tagged_fields"] = getattr(self, "unknown_tagged_fields", ())
        return kwargs

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (the class is immutable)."""
        kwargs = self._as_kwargs()
        for key in changes:
            if key not in kwargs:
                raise TypeError(f"{type(self).__name__} has no field {key!r}")
        kwargs.update(changes)
        return type(self)(**kwargs)

    def to_json(self) -> dict[str, Any]:
        """This value in the JSON shape Kafka's generated ``JsonConverter`` classes read and write
        (tagged fields at their default left out, UUIDs as base64url, bytes as base64). Records
        are written as base64 of their bytes, which Kafka's reader accepts."""
        out: dict[str, Any] = {}
        for f in self._fields_:
            value = getattr(self, f.attr)
            if f.tag >= 0 and _same(value, f.default):
                continue
            out[f.json] = _to_json(f.kind, f.elem, value)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Build from Kafka's JSON form; a missing mandatory field or a value of the wrong type
        raises :class:`~kafkaproto.errors.DecodeError` naming the field."""
        return _from_json(cls, data, "")


def _rebuild(cls: type[_T], kwargs: dict[str, Any]) -> _T:
    return cls(**kwargs)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(b):
        return False  # Java's `value != default` is true for NaN defaults
    return bool(a == b)


class Message(Struct):
    """A top-level message: something with its own encoding on the wire."""

    __slots__ = ()

    # Set by the generated class: its specialised codec functions.
    _encode_: ClassVar[Any]
    _decode_: ClassVar[Any]
    _what_: ClassVar[str] = ""

    def encode(self) -> bytes:
        """The message's bytes at its version."""
        out = SplicingBuffer()  # large byte fields are joined in once, not copied twice
        self.encode_into(out)
        return out.getvalue()

    def encode_into(self, out: bytearray) -> None:
        """Append the message's bytes to ``out``."""
        start = len(out)
        try:
            type(self)._encode_(self, out)
        except KafkaProtoError:
            raise
        except Exception as exc:  # a value the fast path could not write: explain it
            del out[start:]
            from kafkaproto.reference_codec import explain_encode_failure

            raise explain_encode_failure(self, exc) from exc

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> Self:
        """Decode exactly one message from ``data``; trailing bytes are an error."""
        buf = data if isinstance(data, memoryview) else memoryview(data)
        obj, pos = cls.decode_from(buf, 0)
        if pos != len(buf):
            raise DecodeError(
                f"{len(buf) - pos} trailing bytes after the message", what=cls._what_, offset=pos
            )
        return obj

    @classmethod
    def decode_from(cls, buf: memoryview, pos: int) -> tuple[Self, int]:
        """Decode one message starting at ``pos``; returns it and the position after it."""
        try:
            result: tuple[Self, int] = cls._decode_(buf, pos, cls)
            return result
        except Exception as exc:
            from kafkaproto.reference_codec import explain_decode_failure

            raise explain_decode_failure(cls, buf, pos, exc) from None


class ApiMessage(Message):
    """A request or response body of one API version."""

    __slots__ = ()
    api_key: ClassVar[int]
    version: ClassVar[int]
    unstable: ClassVar[bool] = False


class HeaderMessage(Message):
    """A request or response header of one header version."""

    __slots__ = ()
    version: ClassVar[int]


class DataMessage(Message):
    """A versioned data structure Kafka stores or embeds (not an API message)."""

    __slots__ = ()
    schema_version: ClassVar[int]


def finish_class(
    cls: type[Struct],
    fields: tuple[Field, ...],
    flexible: bool,
    reserved_tags: tuple[int, ...] = (),
) -> None:
    """Attach the field table to a generated class (called once, at import). ``reserved_tags``
    are tags other versions give to known fields: Kafka refuses them at this version."""
    cls._fields_ = fields
    cls._flexible_ = flexible
    cls._reserved_tags_ = frozenset(reserved_tags)


def field_at(index: int) -> Any:
    """The read-only attribute of a generated class that returns its ``index``-th value
    (CPython's C accessor for named tuples where available)."""
    return _tuplegetter(index, None)


def as_tuple(value: Iterable[Any] | None) -> tuple[Any, ...] | None:
    if value is None or type(value) is tuple:
        return value
    if isinstance(value, (str, bytes, bytearray, memoryview, Mapping)):
        raise TypeError(f"expected a sequence of items, not {type(value).__name__}")
    return tuple(value)


# --- JSON ------------------------------------------------------------------------------------


def uuid_to_json(value: UUID) -> str:
    return base64.urlsafe_b64encode(value.bytes).rstrip(b"=").decode("ascii")


def uuid_from_json(text: str) -> UUID:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 16:
        raise ValueError(f"a UUID is 16 bytes, {text!r} has {len(raw)}")
    return UUID(bytes=raw)


def _to_json(kind: str, elem: str | None, value: Any) -> Any:
    if value is None:
        return None
    if kind == "struct":
        return value.to_json()
    if kind == "array":
        assert elem is not None
        return [_to_json(elem, None, v) for v in value]
    if kind == "uuid":
        return uuid_to_json(value)
    if kind in ("bytes", "records"):
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "float64":
        if math.isnan(value) or math.isinf(value):
            return str(value).replace("inf", "Infinity").replace("nan", "NaN")
        # An int is a valid float64 value here, but Kafka's JSON reader takes only a floating-point
        # token: json must write 1.0, never 1 (MessageUtil.jsonNodeToDouble).
        return float(value)
    return value


_INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}


def _from_json(cls: type[_T], data: Any, path: str) -> _T:
    what = cls.__name__
    if not isinstance(data, Mapping):
        raise DecodeError(
            f"expected a JSON object, got {type(data).__name__}", what=what, field=path
        )
    kwargs: dict[str, Any] = {}
    for f in cls._fields_:
        fpath = f"{path}.{f.attr}" if path else f.attr
        if f.json not in data:
            if f.tag < 0:
                raise DecodeError(f"mandatory field {f.json!r} is missing", what=what, field=fpath)
            continue
        try:
            kwargs[f.attr] = _value_from_json(f, f.kind, f.elem, data[f.json], fpath)
        except DecodeError:
            raise
        except (TypeError, ValueError, binascii.Error) as exc:
            raise DecodeError(str(exc), what=what, field=fpath) from None
    return cls(**kwargs)


def _value_from_json(f: Field, kind: str, elem: str | None, value: Any, path: str) -> Any:
    if value is None:
        if not f.nullable:
            raise ValueError("null is not allowed here")
        return None
    if kind == "struct":
        assert f.cls is not None
        return _from_json(f.cls, value, path)
    if kind == "array":
        if not isinstance(value, list):
            raise ValueError(f"expected a JSON array, got {type(value).__name__}")
        assert elem is not None
        return tuple(
            _value_from_json(f, elem, None, v, f"{path}[{i}]") for i, v in enumerate(value)
        )
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected a boolean, got {value!r}")
        return value
    if kind in _INT_RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.lstrip("-").isdigit():
                value = int(value)
            else:
                raise ValueError(f"expected an integer, got {value!r}")
        lo, hi = _INT_RANGES[kind]
        if not lo <= value <= hi:
            raise ValueError(f"{value} is out of range for {kind}")
        return value
    if kind == "float64":
        if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
            return float(value.replace("Infinity", "inf"))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)
    if kind == "uuid":
        if not isinstance(value, str):
            raise ValueError(f"expected a UUID string, got {value!r}")
        return uuid_from_json(value)
    if kind == "string":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        return value
    if kind in ("bytes", "records"):
        if not isinstance(value, str):
            raise ValueError(f"expected base64 text, got {value!r}")
        return base64.b64decode(value, validate=True)
    raise ValueError(f"unknown kind {kind}")


def require_bytes(value: Any, what: str) -> None:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise EncodeError(f"expected bytes, got {type(value).__name__}", field=what)
