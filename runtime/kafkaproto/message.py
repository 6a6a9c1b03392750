"""Base classes, field tables and codec tables of the generated message classes.

One generated class serves a message (or a struct of one) at every version, as Kafka's ``XxxData``
classes do: it holds every field of every version, and the version is an argument of
``encode``/``decode``/``to_json``/``from_json``. Each class has a ``_fields_`` table, one
:class:`Field` per field with the versions it exists in, is nullable in and is tagged in. The
generated module holds the fast encoders and decoders, one per version range with the same layout,
registered here by version (:func:`encoder`, :func:`decoder`, ...); the table drives what need not
be fast: repr, ``replace``, JSON in Kafka's ``JsonConverter`` shape, and the reference codec
(:mod:`kafkaproto.reference_codec`) that explains a failure with a field path and offset.

Java's version rules hold: writing a version fills in nothing — a field that the version lacks must
hold its default unless Kafka marks it ``ignorable`` (then it is left out silently), else
:class:`~kafkaproto.errors.EncodeError` names the message, field and version; reading a version
leaves the fields it lacks at their defaults.

This module never reads a spec and never touches a socket.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import math
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar, dataclass_transform
from uuid import UUID

from kafkaproto.errors import ApiVersionError, DecodeError, EncodeError
from kafkaproto.wire import ZERO_UUID, RawTaggedField, SplicingBuffer

try:
    from collections import _tuplegetter  # type: ignore[attr-defined]
except ImportError:  # other Pythons: the same, a little slower

    def _tuplegetter(index: int, doc: str | None) -> Any:
        return property(itemgetter(index), doc=doc)


__all__ = [
    "ApiMessage",
    "ApiRequest",
    "ApiResponse",
    "DataMessage",
    "Field",
    "FieldAt",
    "FrozenInstanceError",
    "HeaderMessage",
    "Layout",
    "Message",
    "RawTaggedField",
    "Struct",
    "field",
]

_T = TypeVar("_T", bound="Struct")
_F = TypeVar("_F", bound=Callable[..., Any])
NEVER = 1 << 16  # above every version (Kafka versions are Java shorts)


class FrozenInstanceError(AttributeError):
    """Raised on assignment to a field: generated messages are immutable; use ``replace()``."""


def parse_versions(text: str) -> tuple[int, int]:
    """A version range as Kafka's specs write it (``"none"``, ``"3"``, ``"3-7"``, ``"3+"``) as an
    inclusive ``(lowest, highest)``; ``none`` is ``(NEVER, -1)``."""
    if text == "none":
        return NEVER, -1
    if text.endswith("+"):
        return int(text[:-1]), NEVER
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo)


_KIND_DEFAULTS: dict[str, Any] = {
    "bool": False,
    "int8": 0,
    "int16": 0,
    "uint16": 0,
    "int32": 0,
    "uint32": 0,
    "int64": 0,
    "float64": 0.0,
    "uuid": ZERO_UUID,
    "string": "",
    "bytes": b"",
    "records": b"",
}
_UNSET: Any = object()


class Field:
    """One field of a generated class over all of its versions: what the ``field(...)`` line
    that declares it says (keywords, defaults left out)."""

    __slots__ = (
        "attr",
        "cls",
        "default",
        "elem",
        "flexible",
        "ignorable",
        "index",
        "json",
        "kind",
        "nullable",
        "tag",
        "tagged",
        "versions",
    )

    def __init__(
        self,
        kind: str,
        *,
        default: Any,
        json: str = "",
        cls: type[Struct] | None = None,
        versions: str = "0+",
        nullable: str = "none",
        tagged: str = "none",
        tag: int = -1,
        flexible: str | None = None,
        ignorable: bool = False,
    ) -> None:
        self.attr = ""  # the Python attribute and keyword argument (set by __set_name__)
        self.index = -1  # position in the class's tuple
        self.json = json  # key in Kafka's JSON form ("": derived from the attribute)
        # bool int8 int16 uint16 int32 uint32 int64 float64 uuid string bytes records struct
        # array (elem: the kind of its items); "tags": the unknown tagged fields
        self.elem: str | None = None
        if kind.startswith("[]"):
            kind, self.elem = "array", kind[2:]
        self.kind = kind
        self.cls = cls  # the struct class of a struct or struct-array field
        self.versions = parse_versions(versions)
        self.nullable = parse_versions(nullable)
        self.tagged = parse_versions(tagged)
        self.tag = tag
        # The flexible versions of this field when they differ from its message's ("none": a
        # string that stays non-compact in flexible versions, like the request header's client id).
        self.flexible = parse_versions(flexible) if flexible is not None else None
        self.default = default
        self.ignorable = ignorable

    def __set_name__(self, owner: type, name: str) -> None:
        # The class keeps a C-level accessor of its tuple slot in the field's place; the field
        # goes to the class's table (Struct.__init_subclass__ runs right after this).
        pending: list[Field] | None = owner.__dict__.get("_pending_")
        if pending is None:
            pending = []
            type.__setattr__(owner, "_pending_", pending)
        self.attr = name
        self.json = self.json or _camel(name)
        self.index = len(pending)
        pending.append(self)
        type.__setattr__(owner, name, _tuplegetter(self.index, None))

    def __repr__(self) -> str:
        return f"Field({self.attr!r}, {self.kind!r})"

    def at(self, version: int, message_flexible: bool) -> FieldAt | None:
        """This field at ``version`` (None if the version lacks it)."""
        lo, hi = self.versions
        if not lo <= version <= hi:
            return None
        flexible = message_flexible
        if self.flexible is not None:
            flexible = self.flexible[0] <= version <= self.flexible[1]
        tagged = self.tagged[0] <= version <= self.tagged[1]
        return FieldAt(
            self,
            self.attr,
            self.json,
            self.kind,
            self.elem,
            self.cls,
            self.nullable[0] <= version <= self.nullable[1],
            flexible,
            self.tag if tagged else -1,
            self.default,
        )

    @property
    def ever_nullable(self) -> bool:
        return self.nullable[0] <= self.nullable[1]


def field(
    kind: str,
    *,
    default: Any,
    json: str = "",
    cls: type[Struct] | None = None,
    versions: str = "0+",
    nullable: str = "none",
    tagged: str = "none",
    tag: int = -1,
    flexible: str | None = None,
    ignorable: bool = False,
) -> Any:
    """Declare a field of a generated class (a ``dataclass_transform`` field specifier, so that
    type checkers see the keyword constructor): its wire kind and the versions it exists in, is
    nullable in and is tagged in; ``default`` is Kafka's. ``kind="tags"`` declares the last
    slot, the unknown tagged fields."""
    return Field(
        kind,
        default=default,
        json=json,
        cls=cls,
        versions=versions,
        nullable=nullable,
        tagged=tagged,
        tag=tag,
        flexible=flexible,
        ignorable=ignorable,
    )


def _camel(attr: str) -> str:
    head, *rest = attr.rstrip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class FieldAt(NamedTuple):
    """One field at one version: what the slow paths (JSON, the reference codec) need."""

    field: Field
    attr: str
    json: str
    kind: str
    elem: str | None
    cls: type[Struct] | None
    nullable: bool
    compact: bool  # flexible (compact) encoding of lengths at this version
    tag: int  # the tag if the field is tagged at this version, else -1
    default: Any


class Layout(NamedTuple):
    """A class at one version: its fields in wire order (tagged ones among them), the fields the
    version lacks, whether it is flexible and which tags it must refuse."""

    present: tuple[FieldAt, ...]
    absent: tuple[Field, ...]
    flexible: bool
    reserved_tags: frozenset[int]


class VersionTable(dict[int, Any]):
    """Codec functions by version. The generated module registers one function per version
    range with the same layout, under the range's first version; any later version finds the
    function of the range it falls in (looked up once, then remembered)."""

    def __missing__(self, version: int) -> Any:
        starts = [start for start in self if start <= version]
        if version < 0 or not starts:
            raise KeyError(version)
        fn = self[max(starts)]
        self[version] = fn
        return fn


def _table(cls: type, name: str) -> VersionTable:
    table = cls.__dict__.get(name)
    if table is None:
        table = VersionTable()
        setattr(cls, name, table)
    return table


def _registrar(name: str) -> Callable[..., Callable[[_F], _F]]:
    def register(cls: type[Struct], *starts: int) -> Callable[[_F], _F]:
        def add(fn: _F) -> _F:
            table = _table(cls, name)
            for start in starts:
                table[start] = fn
            return fn

        return add

    return register


#: ``@encoder(Cls, 0, ...)``: the function writes ``Cls`` from version 0 (and the other starts)
#: until the next registered start. Likewise the decoder and the array codecs (which write or
#: read all the items of an array in one loop).
encoder = _registrar("_enc_")
generated_decoder = _registrar("_gendec_")
array_encoder = _registrar("_enca_")
array_decoder = _registrar("_deca_")


def decoder(cls: type[Struct], *starts: int) -> Callable[[_F], _F]:
    """``@decoder(Cls, 0, ...)``: the generated decoder of ``Cls`` from these versions. It is
    kept in ``Cls._gendec_``; ``Cls._dec_``, what decoding calls, holds it too, except in the
    compiled build, where the class's table decoder (:mod:`kafkaproto.table_decoder`) takes
    its place at every version."""
    keep = generated_decoder(cls, *starts)

    def add(fn: _F) -> _F:
        keep(fn)
        table = _table(cls, "_dec_")
        fast = _table_decoder(cls)
        for start in starts:
            table[start] = fn if fast is None else fast
        return fn

    return add


_make_table_decoder: Callable[[type[Struct]], Any] | None = None
_table_decoders_checked = False


def _table_decoder(cls: type[Struct]) -> Any:
    """The compiled table decoder of ``cls`` (one per class), or None where the table decoder
    does not run compiled."""
    global _make_table_decoder, _table_decoders_checked
    if not _table_decoders_checked:
        # Here, not at import: the module needs this one whole. Found before it is imported, so
        # that pure Python does not load what it will not use.
        spec = importlib.util.find_spec("kafkaproto.table_decoder")
        if spec is not None and not (spec.origin or "").endswith(".py"):
            from kafkaproto.table_decoder import decoder_for

            _make_table_decoder = decoder_for
        _table_decoders_checked = True
    if _make_table_decoder is None:
        return None
    made = cls.__dict__.get("_tabledec_")
    if made is None:
        made = _make_table_decoder(cls)
        type.__setattr__(cls, "_tabledec_", made)
    return made


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
class Struct(tuple[Any, ...]):
    """Base of every generated class: an immutable tuple of its field values in field order
    (unknown tagged fields last), with a named, read-only attribute per field and a keyword-only
    constructor. Instances compare equal only to instances of the same class. A tuple is what
    CPython builds fastest, which is what decoding thousands of structs per response needs (the
    generated decoders build them directly)."""

    __slots__ = ()

    _fields_: ClassVar[tuple[Field, ...]] = ()
    # The first flexible version of the message the class belongs to (NEVER: none is).
    _flexible_from_: ClassVar[int] = NEVER
    _defaults_: ClassVar[tuple[Any, ...]] = ()
    _index_: ClassVar[dict[str, int]] = {}
    _sequences_: ClassVar[tuple[int, ...]] = ()  # slots that hold tuples (arrays, unknown tags)
    _enc_: ClassVar[VersionTable]
    _dec_: ClassVar[VersionTable]
    _gendec_: ClassVar[VersionTable]
    _enca_: ClassVar[VersionTable]
    _deca_: ClassVar[VersionTable]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        pending: list[Field] | None = cls.__dict__.get("_pending_")
        if pending is None:
            return
        type.__delattr__(cls, "_pending_")
        type.__setattr__(cls, "_fields_", tuple(f for f in pending if f.kind != "tags"))
        type.__setattr__(cls, "_defaults_", tuple(f.default for f in pending))
        type.__setattr__(cls, "_index_", {f.attr: f.index for f in pending})
        arrays = tuple(f.index for f in pending if f.kind in ("array", "tags"))
        type.__setattr__(cls, "_sequences_", arrays)

    def __new__(cls, **kwargs: Any) -> Self:
        if not kwargs:
            return tuple.__new__(cls, cls._defaults_)
        values = list(cls._defaults_)
        index = cls._index_
        for key, value in kwargs.items():
            i = index.get(key)
            if i is None:
                raise TypeError(f"{cls.__name__} has no field {key!r}")
            values[i] = value
        for i in cls._sequences_:
            value = values[i]
            if value is not None and type(value) is not tuple:
                values[i] = as_tuple(value)
        return tuple.__new__(cls, values)

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
        unknown = self._unknown()
        if unknown:
            parts.append(f"unknown_tagged_fields={unknown!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._as_kwargs()))

    @classmethod
    def _has_unknown(cls) -> bool:
        """Whether the class keeps unknown tagged fields (its message has flexible versions)."""
        return cls._flexible_from_ != NEVER

    def _unknown(self) -> tuple[RawTaggedField, ...]:
        return self[-1] if self._has_unknown() else ()

    def _as_kwargs(self) -> dict[str, Any]:
        kwargs = {f.attr: getattr(self, f.attr) for f in self._fields_}
        if self._has_unknown():
            kwargs["unknown_tagged_fields"] = self[-1]
        return kwargs

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (the class is immutable)."""
        kwargs = self._as_kwargs()
        for key in changes:
            if key not in kwargs:
                raise TypeError(f"{type(self).__name__} has no field {key!r}")
        kwargs.update(changes)
        return type(self)(**kwargs)

    @classmethod
    def layout(cls, version: int) -> Layout:
        """The class at ``version``: which fields it has and how they are written (computed once
        per version, for the slow paths; the generated codecs have it compiled in)."""
        cache = cls.__dict__.get("_layouts_")
        if cache is None:
            cache = {}
            type.__setattr__(cls, "_layouts_", cache)
        found: Layout | None = cache.get(version)
        if found is None:
            flexible = version >= cls._flexible_from_
            present = []
            absent = []
            reserved = set()
            for f in cls._fields_:
                at = f.at(version, flexible)
                if at is None:
                    absent.append(f)
                else:
                    present.append(at)
                if f.tag >= 0 and (at is None or at.tag < 0):
                    reserved.add(f.tag)
            found = Layout(tuple(present), tuple(absent), flexible, frozenset(reserved))
            cache[version] = found
        return found

    def check_absent(self, version: int, what: str) -> None:
        """Java's rule on write: a field the version lacks must hold its default unless it is
        ignorable; tagged fields need a flexible version."""
        lay = self.layout(version)
        for f in lay.absent:
            if not f.ignorable and not _same(getattr(self, f.attr), f.default):
                raise EncodeError(
                    f"holds a non-default value ({_short_repr(getattr(self, f.attr))}), but the "
                    f"field exists in versions {_span(f.versions)} only and is not ignorable",
                    what=what,
                    field=f.attr,
                )
        if not lay.flexible and self._unknown():
            raise EncodeError(
                "tagged fields were set, but this version has no tagged fields",
                what=what,
                field="unknown_tagged_fields",
            )

    def to_json(self, version: int) -> dict[str, Any]:
        """This value at ``version`` in the JSON shape Kafka's generated ``JsonConverter``
        classes read and write: the version's fields only (tagged fields at their default left
        out; UUIDs as base64url, bytes as base64). Records are written as base64 of their bytes,
        which Kafka's reader accepts. A field the version lacks that holds a non-default value
        raises :class:`~kafkaproto.errors.EncodeError`, as on the wire."""
        return _to_json_struct(self, version, _what(type(self), version), "")

    @classmethod
    def from_json(cls, data: Mapping[str, Any], version: int) -> Self:
        """Build from Kafka's JSON form of ``version``. As Kafka's reader does, a field the
        version has and does not tag must be there; any other field present is read, whatever
        the version; missing ones keep their defaults. A value of the wrong type raises
        :class:`~kafkaproto.errors.DecodeError` naming the field."""
        return _from_json(cls, data, version, _what(cls, version), "")


def _rebuild(cls: type[_T], kwargs: dict[str, Any]) -> _T:
    return cls(**kwargs)


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    if isinstance(a, memoryview):
        a = bytes(a)
    return bool(a == b)


def _short_repr(value: Any) -> str:
    text = repr(bytes(value) if isinstance(value, memoryview) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _span(versions: tuple[int, int]) -> str:
    lo, hi = versions
    if hi == NEVER:
        return f"{lo}+"
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _what(cls: type[Struct], version: int) -> str:
    return f"{cls.__name__} v{version}"


def absent_field_error(obj: Struct, version: int, what: str = "") -> EncodeError:
    """The error a generated encoder raises when its quick check finds a field the version lacks
    (or unknown tagged fields at a non-flexible version) not at its default."""
    try:
        obj.check_absent(version, what or _what(type(obj), version))
    except EncodeError as exc:
        return exc
    return EncodeError("a field this version lacks is not at its default", what=what)


class Message(Struct):
    """A top-level message: something with its own encoding on the wire, at versions
    ``min_version`` to ``max_version``."""

    __slots__ = ()

    min_version: ClassVar[int]
    max_version: ClassVar[int]

    @classmethod
    def check_version(cls, version: int) -> None:
        if not cls.min_version <= version <= cls.max_version:
            raise ApiVersionError(
                f"{cls.__name__} has versions {cls.min_version}-{cls.max_version}, not {version!r}"
            )

    def encode(self, version: int) -> bytes:
        """The message's bytes at ``version``."""
        out = SplicingBuffer()  # large byte fields are joined in once, not copied twice
        out.spliced = []
        cls = type(self)
        if not cls.min_version <= version <= cls.max_version:
            cls.check_version(version)
        try:
            cls._enc_[version](self, out, version)
        except Exception as exc:  # as in encode_into
            from kafkaproto.reference_codec import explain_encode_failure

            raise explain_encode_failure(self, version, exc) from exc
        return out.getvalue()

    def encode_into(self, out: bytearray, version: int) -> None:
        """Append the message's bytes at ``version`` to ``out``."""
        cls = type(self)
        if not cls.min_version <= version <= cls.max_version:
            cls.check_version(version)
        start = len(out)
        try:
            cls._enc_[version](self, out, version)
        except Exception as exc:
            # A value the fast path could not write (or a field the version lacks, found by its
            # quick check): the reference codec names it with its path from the message.
            del out[start:]
            from kafkaproto.reference_codec import explain_encode_failure

            raise explain_encode_failure(self, version, exc) from exc

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview, version: int) -> Self:
        """Decode exactly one message of ``version`` from ``data``; trailing bytes are an error."""
        buf = data if isinstance(data, memoryview) else memoryview(data)
        if not cls.min_version <= version <= cls.max_version:
            cls.check_version(version)
        try:
            obj, pos = cls._dec_[version](buf, 0, version)
        except Exception as exc:
            from kafkaproto.reference_codec import explain_decode_failure

            raise explain_decode_failure(cls, version, buf, 0, exc) from None
        if pos != len(buf):
            raise DecodeError(
                f"{len(buf) - pos} trailing bytes after the message",
                what=_what(cls, version),
                offset=pos,
            )
        return obj  # type: ignore[no-any-return]

    @classmethod
    def decode_from(cls, buf: memoryview, pos: int, version: int) -> tuple[Self, int]:
        """Decode one message of ``version`` starting at ``pos``; returns it and the position
        after it."""
        if not cls.min_version <= version <= cls.max_version:
            cls.check_version(version)
        try:
            result: tuple[Self, int] = cls._dec_[version](buf, pos, version)
            return result
        except Exception as exc:
            from kafkaproto.reference_codec import explain_decode_failure

            raise explain_decode_failure(cls, version, buf, pos, exc) from None


class ApiMessage(Message):
    """A request or response body of one API, all its versions."""

    __slots__ = ()
    api_key: ClassVar[int]
    #: The newest version Kafka calls stable (the newest may be still in development: brokers
    #: accept it only when unstable API versions are enabled).
    latest_stable_version: ClassVar[int]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "max_version" in cls.__dict__ and "latest_stable_version" not in cls.__dict__:
            cls.latest_stable_version = cls.max_version


class ApiResponse(ApiMessage):
    """A response body."""

    __slots__ = ()


R_co = TypeVar("R_co", bound=ApiResponse, covariant=True)


class ApiRequest(ApiMessage, Generic[R_co]):
    """A request body; ``R_co`` is its response class (``response_class`` at run time)."""

    __slots__ = ()
    response_class: ClassVar[type[ApiResponse]]


class HeaderMessage(Message):
    """A request or response header, all its versions."""

    __slots__ = ()


class DataMessage(Message):
    """A versioned data structure Kafka stores or embeds (not an API message)."""

    __slots__ = ()


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


def _to_json_struct(obj: Struct, version: int, what: str, path: str) -> dict[str, Any]:
    try:
        obj.check_absent(version, what)
    except EncodeError as exc:
        raise EncodeError(exc.reason, what=what, field=_join(path, exc.field)) from None
    out: dict[str, Any] = {}
    for f in obj.layout(version).present:
        value = getattr(obj, f.attr)
        if f.tag >= 0 and _same(value, f.default) and not _is_nan(f.default):
            continue
        out[f.json] = _to_json(f.kind, f.elem, value, version, what, _join(path, f.attr))
    return out


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _join(path: str, attr: str) -> str:
    return f"{path}.{attr}" if path else attr


def _to_json(kind: str, elem: str | None, value: Any, version: int, what: str, path: str) -> Any:
    if value is None:
        return None
    if kind == "struct":
        return _to_json_struct(value, version, what, path)
    if kind == "array":
        assert elem is not None
        return [_to_json(elem, None, v, version, what, f"{path}[{i}]") for i, v in enumerate(value)]
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


def _from_json(cls: type[_T], data: Any, version: int, what: str, path: str) -> _T:
    if not isinstance(data, Mapping):
        raise DecodeError(
            f"expected a JSON object, got {type(data).__name__}", what=what, field=path
        )
    lay = cls.layout(version)
    mandatory = {f.attr for f in lay.present if f.tag < 0}
    kwargs: dict[str, Any] = {}
    for f in cls._fields_:
        fpath = _join(path, f.attr)
        if f.json not in data:
            if f.attr in mandatory:
                raise DecodeError(f"mandatory field {f.json!r} is missing", what=what, field=fpath)
            continue
        try:
            kwargs[f.attr] = _value_from_json(f, f.kind, data[f.json], version, what, fpath)
        except DecodeError:
            raise
        except (TypeError, ValueError, binascii.Error) as exc:
            raise DecodeError(str(exc), what=what, field=fpath) from None
    return cls(**kwargs)


def _value_from_json(f: Field, kind: str, value: Any, version: int, what: str, path: str) -> Any:
    if value is None:
        if not f.ever_nullable:
            raise ValueError("null is not allowed here")
        return None
    if kind == "struct":
        assert f.cls is not None
        return _from_json(f.cls, value, version, what, path)
    if kind == "array":
        if not isinstance(value, list):
            raise ValueError(f"expected a JSON array, got {type(value).__name__}")
        assert f.elem is not None
        elem = f.elem
        return tuple(
            _item_from_json(f, elem, v, version, what, f"{path}[{i}]") for i, v in enumerate(value)
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


def _item_from_json(f: Field, elem: str, value: Any, version: int, what: str, path: str) -> Any:
    try:
        if value is None:
            raise ValueError("null is not allowed here")
        return _value_from_json(f, elem, value, version, what, path)
    except DecodeError:
        raise
    except (TypeError, ValueError, binascii.Error) as exc:
        raise DecodeError(str(exc), what=what, field=path) from None
