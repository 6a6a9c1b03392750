"""Decoders that walk a generated class's field table: the compiled build's way of decoding.

The generated decoders are written for the interpreter: a run of fixed-width fields is one
``struct`` call, an array of fixed-width structs one ``zip``, because each Python-level step costs
tens of nanoseconds there. Compiled with mypyc, the same code gains nothing (its time is in those
calls). Compiled code is fast at what the interpreter is slow at — reading a byte, shifting an
int, calling a function of its own — so this module decodes with exactly that: it reads the
field table of a class at a version (:meth:`kafkaproto.message.Struct.layout`, once per class and
version) into a list of steps, and walks the steps over the input's bytes. An array of structs
of fixed-width fields alone it leaves to the generated decoder: one ``struct`` call for the whole
array and a ``zip`` beat reading each field, compiled or not.

:func:`decoder_for` gives the decoder ``kafkaproto.message`` registers for a class in place of
the generated one, and only when this module runs compiled (interpreted, walking a table is
slower than the generated code). The generated decoders stay the reference it must agree with:
the tests decode the same input both ways, valid and corrupted, and compare. Like them, it
raises on bad input and leaves the error's explanation (field path, offset) to
:func:`kafkaproto.reference_codec.explain_decode_failure`.
"""

from __future__ import annotations

import struct
from typing import Any, Final, final

from kafkaproto import tuple_new
from kafkaproto.message import FieldAt, Struct
from kafkaproto.wire import (
    FLOAT64,
    RawTaggedField,
    WireError,
    read_uuid,
    read_uvarint,
)
from mypy_extensions import i64

__all__ = ["COMPILED", "TableDecoder", "decoder_for"]

#: True when this module is the compiled extension (the only case it is used in).
COMPILED: Final = not __file__.endswith(".py")

_new: Final = tuple_new.make

# What one step reads.
_BOOL: Final = 0
_INT8: Final = 1
_INT16: Final = 2
_UINT16: Final = 3
_INT32: Final = 4
_UINT32: Final = 5
_INT64: Final = 6
_FLOAT64: Final = 7
_UUID: Final = 8
_STRING: Final = 9
_BYTES: Final = 10
_RECORDS: Final = 11
_STRUCT: Final = 12
_ARRAY: Final = 13

# Arrays of fixed-width items read through a Struct for the whole array (in one C call that
# makes the tuple itself); the common lengths' Structs are kept.
_ITEM_FORMATS: Final[dict[str, str]] = {
    "bool": "?",
    "int8": "b",
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "float64": "d",
}
_RUNS_CACHED: Final = 128

_CODES: Final[dict[str, int]] = {
    "bool": _BOOL,
    "int8": _INT8,
    "int16": _INT16,
    "uint16": _UINT16,
    "int32": _INT32,
    "uint32": _UINT32,
    "int64": _INT64,
    "float64": _FLOAT64,
    "uuid": _UUID,
    "string": _STRING,
    "bytes": _BYTES,
    "records": _RECORDS,
    "struct": _STRUCT,
    "array": _ARRAY,
}


@final
class _Step:
    """One field at one version: what to read, where its value goes, how it is encoded."""

    def __init__(self, code: i64, slot: i64, compact: bool, nullable: bool) -> None:
        self.code = code
        self.slot = slot
        self.compact = compact
        self.nullable = nullable
        # Arrays: what one item is (a step of its own, never nullable, slot unused).
        self.item: _Step | None = None
        # Structs, and arrays of them: the struct at the same version.
        self.plan: _Plan | None = None
        # Arrays of structs of fixed-width fields only: the generated array decoder, which reads
        # them faster (one unpack for the whole array); found on first use, when every plan is
        # whole. None: not such an array.
        self.flat_reader: Any = None
        self.flat_checked = False
        # Arrays of fixed-width items: their struct format character and size (size 0: not
        # such an array), and the Structs that read n items at once, made on first use.
        self.item_format = ""
        self.item_size = 0
        self.int32_items = False
        self.runs: list[struct.Struct | None] = []


@final
class _Plan:
    """A class at one version: the steps of its untagged fields in wire order, its tagged ones
    by tag, and the values of the fields the version lacks (the class's defaults)."""

    def __init__(self, cls: type[Struct], version: int) -> None:
        self.cls = cls
        self.defaults: list[Any] = list(cls._defaults_)
        self.steps: list[_Step] = []
        self.tagged: dict[int, _Step] = {}
        self.tags_slot = cls._index_.get("unknown_tagged_fields", -1)
        self.flexible = False
        self.reserved: frozenset[int] = frozenset()
        self.version = version

    def fill(self, plans: dict[tuple[type[Struct], int], _Plan]) -> None:
        lay = self.cls.layout(self.version)
        self.flexible = lay.flexible
        self.reserved = lay.reserved_tags
        for f in lay.present:
            step = _step(f, f.kind, f.field.index, f.nullable, f.compact, self.version, plans)
            if f.tag >= 0:
                self.tagged[f.tag] = step
            else:
                self.steps.append(step)


def _step(
    f: FieldAt,
    kind: str,
    slot: int,
    nullable: bool,
    compact: bool,
    version: int,
    plans: dict[tuple[type[Struct], int], _Plan],
) -> _Step:
    step = _Step(_CODES[kind], slot, compact, nullable)
    if kind == "array":
        assert f.elem is not None
        step.item = _step(f, f.elem, -1, False, compact, version, plans)
        fixed = _ITEM_FORMATS.get(f.elem)
        if fixed is not None:
            step.item_format = fixed
            step.item_size = struct.calcsize(">" + fixed)
            step.int32_items = fixed == "i"
            step.runs = [None] * _RUNS_CACHED
    elif kind == "struct":
        assert f.cls is not None
        step.plan = _plan(f.cls, version, plans)
    return step


def _plan(cls: type[Struct], version: int, plans: dict[tuple[type[Struct], int], _Plan]) -> _Plan:
    key = (cls, version)
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = _Plan(cls, version)
        plan.fill(plans)  # after caching it: a struct may contain itself
    return plan


# --- reading ---------------------------------------------------------------------------------
# ``b`` is the input as bytes (indexing it is a compiled array access); ``view`` is the input as
# given, for the zero-copy records fields. An index past the end raises IndexError. Positions
# and the bytes' shifts are native 64-bit ints (mypy_extensions.i64; plain ints when
# interpreted), which compiled code adds, shifts and masks without Python ints' overflow checks.


def _i16(b: bytes, p: i64) -> int:
    v: i64 = (i64(b[p]) << 8) | i64(b[p + 1])
    return int(v - 0x10000 if v >= 0x8000 else v)


def _u32(b: bytes, p: i64) -> int:
    v: i64 = (i64(b[p]) << 24) | (i64(b[p + 1]) << 16) | (i64(b[p + 2]) << 8) | i64(b[p + 3])
    return int(v)


def _i32(b: bytes, p: i64) -> int:
    v: i64 = (i64(b[p]) << 24) | (i64(b[p + 1]) << 16) | (i64(b[p + 2]) << 8) | i64(b[p + 3])
    return int(v - 0x100000000 if v >= 0x80000000 else v)


def _i64(b: bytes, p: i64) -> int:
    return (_i32(b, p) << 32) | _u32(b, p + 4)


def _length(b: bytes, p: i64, compact: bool) -> tuple[i64, i64]:
    """A length (-1: null) and the position after it: int32, or compact (the varint N+1)."""
    if compact:
        n = b[p]
        if n < 0x80:
            return n - 1, p + 1
        n, p = read_uvarint(b, p)
        return n - 1, p
    return _i32(b, p), p + 4


def _end(b: bytes, p: i64, n: i64, what: str) -> i64:
    end = p + n
    if end > len(b):
        raise WireError(f"{what} of {n} bytes exceeds the {len(b) - p} bytes left", offset=p)
    return end


def _read(step: _Step, b: bytes, view: memoryview, p: i64) -> tuple[Any, i64]:
    code = step.code
    if code == _INT32:
        return _i32(b, p), p + 4
    if code == _INT16:
        return _i16(b, p), p + 2
    if code == _STRING:
        # Strings, bytes and records are read here rather than by wire's readers (generic over
        # bytes, bytearray and memoryview, they cost ~1,500 more instructions a value compiled:
        # +47 % on a ProduceRequest). The rules are wire's: the differential test holds them
        # equal on every field of every class.
        start = p
        if step.compact:
            n = b[p] - 1
            if 0 <= n < 0x7F:
                p += 1
            else:
                n, p = _length(b, p, True)
                if n > 0x7FFF:
                    raise WireError(f"string length {n} is over 32767", offset=start)
        else:
            n = _i16(b, p)
            p += 2
            if n < -1:
                raise WireError(f"invalid string length {n}", offset=start)
        if n < 0:
            if step.nullable:
                return None, p
            raise WireError("null where the version does not allow null", offset=start)
        end = _end(b, p, n, "string")
        return b[p:end].decode("utf-8"), end
    if code == _ARRAY:
        return _array(step, b, view, p)
    if code == _INT64:
        return _i64(b, p), p + 8
    if code == _STRUCT:
        plan = step.plan
        assert plan is not None
        if step.nullable:
            if b[p] >= 0x80:  # a negative int8 marker: null
                return None, p + 1
            p += 1
        return _struct(plan, b, view, p)
    if code == _BOOL:
        return b[p] != 0, p + 1
    if code == _INT8:
        v = b[p]
        return (v - 0x100 if v >= 0x80 else v), p + 1
    if code == _UUID:
        return read_uuid(b, p)
    if code == _UINT16:
        return (b[p] << 8) | b[p + 1], p + 2
    if code == _UINT32:
        return _u32(b, p), p + 4
    if code == _FLOAT64:
        _end(b, p, 8, "float64")
        return FLOAT64.unpack_from(b, p)[0], p + 8
    start = p
    n, p = _length(b, p, step.compact)
    if n < 0:
        if step.nullable:
            return None, p
        raise WireError("null where the version does not allow null", offset=start)
    end = _end(b, p, n, "bytes" if code == _BYTES else "records")
    if code == _BYTES:
        return b[p:end], end
    return view[p:end], end  # records: a view of the input, never a copy


_FIXED_WIDTH: Final = frozenset(_CODES[kind] for kind in _ITEM_FORMATS)


def _flat_reader(step: _Step) -> Any:
    """The generated array decoder of ``step``'s items when they are structs of fixed-width
    fields and no tagged field, else None."""
    item = step.item
    plan = item.plan if item is not None else None
    if plan is None or plan.tagged or any(s.code not in _FIXED_WIDTH for s in plan.steps):
        return None
    return plan.cls._deca_[plan.version]


def _array(step: _Step, b: bytes, view: memoryview, p: i64) -> tuple[Any, i64]:
    if not step.flat_checked:
        step.flat_reader = _flat_reader(step)
        step.flat_checked = True
    flat = step.flat_reader
    if flat is not None:
        version = step.item.plan.version  # type: ignore[union-attr]
        result: tuple[Any, int] = flat(view, p, version, step.nullable)
        return result
    start = p
    n, p = _length(b, p, step.compact)
    if n <= 0:
        if n == 0:
            return (), p
        if step.nullable:
            return None, p
        raise WireError("null where the version does not allow null", offset=start)
    if n > len(b) - p:
        raise WireError(
            f"array of {n} items cannot fit in the {len(b) - p} bytes left", offset=start
        )
    size = step.item_size
    if size:
        end = _end(b, p, n * size, "array")
        if n <= 4 and step.int32_items:  # short int32 arrays (replica lists): no call
            if n == 3:
                return (_i32(b, p), _i32(b, p + 4), _i32(b, p + 8)), end
            if n == 1:
                return (_i32(b, p),), end
            if n == 2:
                return (_i32(b, p), _i32(b, p + 4)), end
            return (_i32(b, p), _i32(b, p + 4), _i32(b, p + 8), _i32(b, p + 12)), end
        run = step.runs[n] if n < _RUNS_CACHED else None
        if run is None:
            run = struct.Struct(f">{n}{step.item_format}")
            if n < _RUNS_CACHED:
                step.runs[n] = run
        return run.unpack_from(b, p), end
    item = step.item
    assert item is not None
    items: list[Any] = []
    if item.code == _STRUCT:
        plan = item.plan
        assert plan is not None
        for _ in range(n):
            value, p = _struct(plan, b, view, p)
            items.append(value)
    else:
        for _ in range(n):
            value, p = _read(item, b, view, p)
            items.append(value)
    return tuple(items), p


def _struct(plan: _Plan, b: bytes, view: memoryview, p: i64) -> tuple[Any, i64]:
    values = plan.defaults.copy()
    for step in plan.steps:
        code = step.code
        if code == _INT32:  # the commonest fields, read here rather than through _read
            values[step.slot] = _i32(b, p)
            p += 4
        elif code == _INT16:
            values[step.slot] = _i16(b, p)
            p += 2
        elif code == _ARRAY:
            values[step.slot], p = _array(step, b, view, p)
        else:
            values[step.slot], p = _read(step, b, view, p)
    if plan.flexible:
        if b[p] == 0:  # no tagged field: the common case
            p += 1
        else:
            p = _tags(plan, values, b, view, p)
    return _new(plan.cls, values), p


def _tags(plan: _Plan, values: list[Any], b: bytes, view: memoryview, p: i64) -> i64:
    count, p = read_uvarint(b, p)
    unknown: list[RawTaggedField] = []
    for _ in range(count):
        tag, p = read_uvarint(b, p)
        size, p = read_uvarint(b, p)
        end = _end(b, p, size, f"tagged field {tag}")
        step = plan.tagged.get(tag)
        if step is not None:
            values[step.slot], q = _read(step, b[:end], view[:end], p)
            if q != end:
                raise WireError(f"tagged field {tag} does not match its declared size", offset=q)
        elif tag in plan.reserved:
            raise WireError(f"tag {tag} is not valid at this version", offset=p)
        else:
            unknown.append(RawTaggedField(tag, b[p:end]))
        p = end
    values[plan.tags_slot] = tuple(unknown)
    return p


# --- the decoder a class registers -----------------------------------------------------------

#: Inputs in anything but whole bytes are copied to bytes up to this size, else left to the
#: generated decoder.
_COPY_AT_MOST: Final = 64 * 1024


@final
class TableDecoder:
    """Decodes one class at any of its versions: ``decoder(buf, pos, version)`` gives
    ``(instance, position after it)``, as a generated decoder does."""

    def __init__(self, cls: type[Struct]) -> None:
        self.cls = cls
        self.plans: dict[int, _Plan] = {}

    def __call__(self, buf: memoryview, pos: int, version: int) -> tuple[Any, int]:
        plan = self.plans.get(version)
        if plan is None:
            # Published only once whole: another thread may decode the class meanwhile.
            plan = _plan(self.cls, version, {})
            self.plans[version] = plan
        obj = buf.obj
        # The bytes behind the view when it shows all of them; else a copy (positions are the
        # view's either way), unless the input is large: a Fetch response received in place
        # costs more to copy than this decoder saves on it, so the generated decoder reads it.
        if type(obj) is bytes and buf.nbytes == len(obj):
            b: bytes = obj
        elif buf.nbytes <= _COPY_AT_MOST:
            b = buf.tobytes()
        else:
            result: tuple[Any, int] = self.cls._gendec_[version](buf, pos, version)
            return result
        return _struct(plan, b, buf, pos)


def decoder_for(cls: type[Struct]) -> TableDecoder:
    """The table decoder of ``cls`` (one per class; plans are made on first use of a version)."""
    return TableDecoder(cls)
