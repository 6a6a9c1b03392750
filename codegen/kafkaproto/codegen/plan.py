"""Plan stage: the resolved, immutable view of every message, ready to be written out.

One class per message and per struct, holding every field of every version (Kafka's ``XxxData``).
For each class the plan computes its own layout at every version from 0 up to the message's
newest — which fields the version has, which are tagged, nullable, compact — and cuts the versions
into runs of the same layout; one encoder and one decoder is planned per run, named after the
run's first version. A struct's own layout does not include its children's: a parent calls its
children's codecs through their per-version tables, so a Kafka release that changes one struct
changes that struct's code and nothing above it, and a new version with an unchanged layout adds
no code at all. Names come from the message, the field and the version they serve, never from a
counter. Encoders and decoders are planned as lists of simple operations; the templates only print
them.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

from .model import FieldSpec, MessageSpec, SpecError, default_value
from .naming import RESERVED_ATTRS, api_base_name, attr_name, json_name, module_name, snake
from .naming import struct_class_name as _struct_class_name
from .versions import Versions

FIXED: dict[str, tuple[str, int]] = {
    "bool": ("?", 1),
    "int8": ("b", 1),
    "int16": ("h", 2),
    "uint16": ("H", 2),
    "int32": ("i", 4),
    "uint32": ("I", 4),
    "int64": ("q", 8),
    "float64": ("d", 8),
}
_PY_TYPE = {
    "bool": "bool",
    "int8": "int",
    "int16": "int",
    "uint16": "int",
    "int32": "int",
    "uint32": "int",
    "int64": "int",
    "float64": "float",
    "uuid": "UUID",
    "string": "str",
    "bytes": "bytes",
    "records": "bytes | memoryview",
}
# Kafka's versions are Java shorts; the codec tables are keyed by them.
MAX_VERSION = 32767


# --- fields over all versions, and at one version ----------------------------------------------


@dataclass(frozen=True)
class FieldInfo:
    """One field of a class, over all of its versions."""

    name: str  # Kafka's name
    attr: str
    json: str
    kind: str
    elem: str | None
    child: str | None  # the class name of a struct or struct-array field
    versions: Versions
    nullable: Versions
    tagged: Versions
    tag: int | None
    flexible: Versions | None  # the field's own flexibleVersions
    default: Any  # hashable: "nan" for NaN, "struct" for a struct's own defaults
    ignorable: bool
    about: str
    index: int  # position in the class's tuple

    @property
    def ever_nullable(self) -> bool:
        return not self.nullable.intersect(self.versions).empty


@dataclass(frozen=True)
class FieldAt:
    """A field at one version."""

    info: FieldInfo
    nullable: bool
    compact: bool
    tag: int  # -1: untagged at this version

    @property
    def attr(self) -> str:
        return self.info.attr

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def elem(self) -> str | None:
        return self.info.elem

    @property
    def child(self) -> str | None:
        return self.info.child


@dataclass(frozen=True)
class OwnLayout:
    """A class at one version, children left out: equal layouts share one codec."""

    flexible: bool
    present: tuple[FieldAt, ...]
    absent: tuple[FieldInfo, ...]
    reserved_tags: tuple[int, ...]


# --- operations the templates print ------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One step of an encoder or decoder. ``op`` picks the template macro; the other attributes
    are the names and constants it prints."""

    op: str
    src: str = ""  # encode: the value expression; decode: the local variable
    fn: str = ""  # the wire function, or the child class whose table is called
    const: str = ""  # a struct.Struct constant
    names: tuple[str, ...] = ()
    size: int = 0
    nullable: bool = False
    compact: bool = False
    code: str = ""  # an extra argument: the item reader or writer of an array
    tag: int = -1
    default: str = ""
    inner: tuple[Op, ...] = ()
    var: str = ""  # encode: a temporary for the value
    buf: str = "buf"  # decode: the buffer expression to read from
    hint: str = ""  # decode: the local's declared type, where mypy needs one
    ignore: str = ""  # a mypy error code this line must ignore (a nullable-elsewhere value)


@dataclass
class RunPlan:
    """One codec of a class: the versions from ``start`` with the same own layout."""

    start: int
    also: tuple[int, ...]  # further run starts with the same layout (never adjacent)
    layout: OwnLayout
    checks: list[str] = field(default_factory=list)  # encode: absent fields not at default
    encode_ops: list[Op] = field(default_factory=list)
    decode_ops: list[Op] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # decode: the tuple's items
    min_size: int = 0
    # Array decoder fast path (fixed-width fields only): the Struct constant, the item size, and
    # how the unpacked tuple becomes the item's (a tail to append, or the items by name).
    fixed_const: str = ""
    fixed_size: int = 0
    fixed_zip: tuple[str, ...] = ()  # per slot of the item: "it" (read) or repeat(default)

    @property
    def starts(self) -> tuple[int, ...]:
        return (self.start, *self.also)


@dataclass
class FieldEmit:
    attr: str
    hint: str
    decl: str  # the field(...) call that declares it
    doc: str


@dataclass
class ClassPlan:
    name: str
    spec_name: str  # the struct's name in the spec (the message's own for top level)
    message: str
    role: str  # struct | request | response | header | data | metadata
    infos: list[FieldInfo]
    flexible_from: int | None
    has_unknown: bool
    fields: list[FieldEmit] = field(default_factory=list)
    runs: list[RunPlan] = field(default_factory=list)
    as_item: bool = False  # used as a single struct field (or is a top-level message)
    as_array: bool = False  # used as an array's items
    shared_default: bool = False  # a module constant _D_<name> holds its default instance
    doc: str = ""
    api_key: int | None = None
    min_version: int = 0
    max_version: int = 0
    latest_stable: int | None = None  # set when the newest version is unstable
    response: str = ""  # requests: the response class

    @property
    def top_level(self) -> bool:
        return self.role != "struct"


@dataclass
class ModulePlan:
    name: str
    doc: str
    specs: list[str]
    classes: list[ClassPlan]
    structs: dict[str, str]  # Struct constant name -> format
    imports_wire: set[str]
    responses: list[tuple[str, str]]  # (request class, response class)


@dataclass
class MessageIndexEntry:
    name: str
    role: str
    api_key: int | None
    module: str
    versions: Versions
    flexible: Versions
    unstable_latest: bool
    listeners: tuple[str, ...]


# --- the structs of one message ------------------------------------------------------------------


class _MessageStructs:
    """Every struct of one message spec (its own top level, inline and common structs)."""

    def __init__(self, file: str, msg: MessageSpec) -> None:
        self.file = file
        self.msg = msg
        self.common = {s.name: s for s in msg.common}
        self.inline: dict[str, FieldSpec] = {}
        self._collect(msg.children)
        for s in msg.common:
            self._collect(s.children)

    def _collect(self, fields: tuple[FieldSpec, ...]) -> None:
        for f in fields:
            ref = f.field_type.struct_ref
            if ref is not None and ref not in self.common:
                self.inline[ref] = f
                self._collect(f.children)

    def children_of(self, ref: str) -> tuple[FieldSpec, ...]:
        if ref in self.common:
            return self.common[ref].children
        return self.inline[ref].children

    def class_name(self, ref: str) -> str:
        return _struct_class_name(self.msg.name, ref)


def _field_infos(
    file: str, ms: _MessageStructs, owner: str, fields: tuple[FieldSpec, ...], role: str
) -> list[FieldInfo]:
    reserved = RESERVED_ATTRS["struct" if role == "struct" else role]
    out: list[FieldInfo] = []
    seen: dict[str, str] = {}
    for f in fields:
        attr = attr_name(f.name, reserved)
        if attr in seen:
            raise SpecError(
                file,
                "name-collision",
                f"fields {seen[attr]} and {f.name} both become attribute {attr!r}",
                owner,
                f.name,
            )
        seen[attr] = f.name
        ftype = f.field_type
        ref = ftype.struct_ref
        out.append(
            FieldInfo(
                name=f.name,
                attr=attr,
                json=json_name(f.name),
                kind=ftype.kind,
                elem=ftype.element.kind if ftype.element is not None else None,
                child=ms.class_name(ref) if ref is not None else None,
                versions=f.field_versions,
                nullable=f.nullable_versions,
                tagged=f.tagged_versions,
                tag=f.tag,
                flexible=f.flexible_override,
                default=_field_default(f),
                ignorable=f.ignorable,
                about=f.about or "",
                index=len(out),
            )
        )
    return out


def _field_default(f: FieldSpec) -> Any:
    value = default_value(f)
    if f.field_type.kind == "records" and value is None:
        # Kafka's Java starts records at null. Where some version cannot write null, an empty
        # records blob is the nearest value every version can write.
        if not f.nullable_versions.contains_range(f.field_versions):
            return b""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def own_layout(infos: list[FieldInfo], version: int, message_flexible: Versions) -> OwnLayout:
    flexible = version in message_flexible
    present: list[FieldAt] = []
    absent: list[FieldInfo] = []
    reserved: set[int] = set()
    for f in infos:
        if version not in f.versions:
            absent.append(f)
            if f.tag is not None:
                reserved.add(f.tag)
            continue
        tagged = version in f.tagged
        if f.tag is not None and not tagged:
            reserved.add(f.tag)
        compact = version in (f.flexible if f.flexible is not None else message_flexible)
        present.append(
            FieldAt(
                f,
                nullable=version in f.nullable,
                compact=compact,
                tag=f.tag if (tagged and f.tag is not None) else -1,
            )
        )
    return OwnLayout(flexible, tuple(present), tuple(absent), tuple(sorted(reserved)))


# --- module planning -----------------------------------------------------------------------------


class _ModuleBuilder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.classes: list[ClassPlan] = []
        self.by_name: dict[str, ClassPlan] = {}
        self.owner: dict[str, str] = {}
        self.structs: dict[str, str] = {}
        self.wire: set[str] = set()
        self.specs: list[str] = []
        self.responses: list[tuple[str, str]] = []

    def claim(self, file: str, name: str, what: str) -> None:
        if name in self.owner and self.owner[name] != what:
            raise SpecError(
                file, "name-collision", f"{what} and {self.owner[name]} both want class {name}"
            )
        self.owner[name] = what

    def struct_const(self, fmt: str) -> str:
        name = "_S_" + fmt.replace("?", "o")
        self.structs[name] = ">" + fmt
        return name

    def add_message(self, file: str, msg: MessageSpec, latest_unstable: bool) -> None:
        """``latest_unstable``: the API's newest version is unstable. Only the request spec
        says so (latestVersionUnstable), but it is the API version that is unstable, so the
        response of that version is marked alike."""
        self.specs.append(msg.name)
        ms = _MessageStructs(file, msg)
        valid = msg.valid_versions
        # Which versions reach each struct: the message's own fields at every valid version,
        # a struct at the versions its referring fields exist in (and their owners are reached).
        reach: dict[str, set[int]] = {msg.name: set(valid)}
        order: list[tuple[str, str, tuple[FieldSpec, ...], str]] = []
        uses: dict[str, set[str]] = {}

        def visit(owner: str, fields: tuple[FieldSpec, ...], path: tuple[str, ...]) -> None:
            for f in fields:
                ref = f.field_type.struct_ref
                if ref is None:
                    continue
                if ref in path:
                    raise SpecError(file, "struct-cycle", f"struct {ref} contains itself", owner)
                reach.setdefault(ref, set()).update(
                    v for v in reach[owner] if v in f.field_versions
                )
                uses.setdefault(ref, set()).add("array" if f.field_type.kind == "array" else "item")
                visit(ref, ms.children_of(ref), (*path, ref))
                if not any(o[0] == ref for o in order):
                    order.append((ref, ms.class_name(ref), ms.children_of(ref), "struct"))

        visit(msg.name, msg.children, ())
        order.append((msg.name, msg.name, msg.children, msg.type))
        flexible = msg.flexible_versions
        has_unknown = not flexible.intersect(valid).empty
        for spec_name, cls_name, fields, role in order:
            what = f"{msg.name} struct {spec_name}" if role == "struct" else f"message {msg.name}"
            self.claim(file, cls_name, what)
            cp = ClassPlan(
                name=cls_name,
                spec_name=spec_name,
                message=msg.name,
                role=role,
                infos=_field_infos(file, ms, spec_name, fields, role),
                flexible_from=flexible.lowest if not flexible.empty else None,
                has_unknown=has_unknown,
                as_item=role != "struct" or "item" in uses.get(spec_name, ()),
                as_array="array" in uses.get(spec_name, ()),
            )
            if role != "struct":
                cp.api_key = msg.apiKey
                cp.min_version, cp.max_version = valid.lowest, valid.highest
                if latest_unstable and role in ("request", "response"):
                    cp.latest_stable = valid.highest - 1
            self._plan_runs(cp, sorted(reach.get(spec_name, ())), valid.highest, flexible)
            self._fill(cp)
            self.classes.append(cp)
            self.by_name[cls_name] = cp
        if msg.type == "response" and msg.apiKey is not None:
            for cp in self.classes:
                if cp.role == "request" and cp.api_key == msg.apiKey:
                    cp.response = msg.name
                    self.responses.append((cp.name, msg.name))

    def _plan_runs(
        self, cp: ClassPlan, reached: list[int], highest: int, flexible: Versions
    ) -> None:
        """Cut versions 0 to ``highest`` into runs of one own layout; plan a codec for each run
        that serves a reachable version. Runs are cut from version 0, valid or not, so that a
        run's name (its first version) stays when Kafka drops its oldest versions."""
        runs: list[tuple[int, OwnLayout]] = []
        for v in range(0, highest + 1):
            lay = own_layout(cp.infos, v, flexible)
            if not runs or runs[-1][1] != lay:
                runs.append((v, lay))
        reached_set = set(reached)
        bounds = [start for start, _ in runs] + [highest + 1]
        first: dict[OwnLayout, RunPlan] = {}
        for i, (start, lay) in enumerate(runs):
            if not reached_set.intersection(range(start, bounds[i + 1])):
                continue
            earlier = first.get(lay)
            if earlier is not None:
                earlier.also = (*earlier.also, start)
                continue
            run = RunPlan(start=start, also=(), layout=lay)
            first[lay] = run
            cp.runs.append(run)

    # -- per class ----------------------------------------------------------------------------

    def _fill(self, cp: ClassPlan) -> None:
        for f in cp.infos:
            cp.fields.append(self._field_emit(cp, f))
        for run in cp.runs:
            lay = run.layout
            run.checks = self._absent_checks(cp, lay)
            run.encode_ops = self._encode_ops(lay, "o", "out")
            run.decode_ops = self._decode_ops(lay)
            run.values = self._values(cp, lay)
            run.min_size = min_size(lay)
            if cp.as_array:
                self._fixed_path(cp, run)

    def _hint(self, f: FieldInfo) -> str:
        if f.kind == "array":
            assert f.elem is not None
            inner = f.child if f.child is not None else _PY_TYPE[f.elem]
            base = f"Sequence[{inner}]"
        elif f.kind == "struct":
            assert f.child is not None
            base = f.child
        else:
            base = _PY_TYPE[f.kind]
        return f"{base} | None" if f.ever_nullable else base

    def _field_emit(self, cp: ClassPlan, f: FieldInfo) -> FieldEmit:
        doc = f.about.strip().replace("\\", "\\\\").replace('"""', "'''")
        return FieldEmit(attr=f.attr, hint=self._hint(f), decl=self._field_call(f), doc=doc)

    def _default_src(self, f: FieldInfo) -> str:
        d = f.default
        if d is None:
            return "None"
        if f.kind == "struct":
            assert f.child is not None
            # One shared default instance per struct class (instances are immutable).
            self.by_name[f.child].shared_default = True
            return f"_D_{f.child}"
        if f.kind == "array":
            return "()"
        if f.kind == "uuid":
            return "ZERO_UUID" if d == b"\x00" * 16 else f"UUID(bytes={d!r})"
        if f.kind == "float64":
            return 'float("nan")' if d == "nan" else repr(float(d))
        return repr(d)

    def _field_call(self, f: FieldInfo) -> str:
        """``field(kind, ...)``: the keywords that differ from field()'s own defaults, and the
        default (which type checkers need spelled out to make the keyword optional)."""
        kind = f.kind if f.kind != "array" else f"[]{f.elem}"
        args = [f'"{kind}"']
        if f.json != _camel(f.attr):
            args.append(f'json="{f.json}"')
        if f.child is not None:
            args.append(f"cls={f.child}")
        if str(f.versions) != "0+":
            args.append(f'versions="{f.versions}"')
        if not f.nullable.empty:
            args.append(f'nullable="{f.nullable}"')
        if not f.tagged.empty:
            args.append(f'tagged="{f.tagged}"')
        if f.tag is not None:
            args.append(f"tag={f.tag}")
        if f.flexible is not None:
            args.append(f'flexible="{f.flexible}"')
        if f.ignorable:
            args.append("ignorable=True")
        args.append(f"default={self._default_src(f)}")
        return f"field({', '.join(args)})"

    def _values(self, cp: ClassPlan, lay: OwnLayout) -> list[str]:
        present = {f.attr for f in lay.present}
        out = [f"v_{f.attr}" if f.attr in present else self._default_src(f) for f in cp.infos]
        if cp.has_unknown:
            out.append("_u" if lay.flexible else "()")
        return out

    def _absent_checks(self, cp: ClassPlan, lay: OwnLayout) -> list[str]:
        checks = [
            _differs(f"o.{f.attr}", f, self._default_src(f)) for f in lay.absent if not f.ignorable
        ]
        if cp.has_unknown and not lay.flexible:
            checks.append("o.unknown_tagged_fields")
        return checks

    def _fixed_path(self, cp: ClassPlan, run: RunPlan) -> None:
        """Arrays of items whose wire form is fixed-width fields (plus, when flexible, an empty
        tagged-field section) are read in one pass: all their values through one Struct, the
        items built from them by C-level iteration (``map``/``zip``), no bytecode per item."""
        lay = run.layout
        untagged = [f for f in lay.present if f.tag < 0]
        if not untagged or any(f.kind not in FIXED for f in untagged):
            return
        fmt = "".join(FIXED[f.kind][0] for f in untagged)
        if lay.flexible:
            # The tagged-field count, skipped as a pad byte: the fast path runs only when every
            # item's count is 0 (checked on a strided slice first), so every tagged field and
            # unknown tag is at its default.
            fmt += "x"
        run.fixed_const = self.struct_const(fmt)
        run.fixed_size = struct.calcsize(">" + fmt)
        # The item's tuple, slot by slot, zipped from the flat values of all the items: the
        # fields read (in wire order, which is the class's order) and the defaults of the rest.
        read = {p.info.attr for p in untagged}
        args = ["it" if f.attr in read else f"repeat({self._default_src(f)})" for f in cp.infos]
        if cp.has_unknown:
            args.append("repeat(())")
        run.fixed_zip = tuple(args)

    # -- encoders -----------------------------------------------------------------------------

    def _encode_ops(self, lay: OwnLayout, obj: str, out: str) -> list[Op]:
        ops: list[Op] = []
        for group in _untagged_groups(lay):
            if isinstance(group, tuple):
                fmt = "".join(FIXED[f.kind][0] for f in group)
                names = tuple(f"{obj}.{f.attr}" for f in group)
                ops.append(Op("pack", const=self.struct_const(fmt), names=names, src=out))
            else:
                ops.append(self._encode_value(group, f"{obj}.{group.attr}", out))
        if lay.flexible:
            tagged = [f for f in lay.present if f.tag >= 0]
            if not tagged:
                self.wire.add("write_unknown_tags")
                ops.append(Op("unknown_tags", src=f"{obj}.unknown_tagged_fields", fn=out))
            else:
                self.wire.add("write_tags")
                inner = tuple(
                    Op(
                        "tagged",
                        src=f"{obj}.{f.attr}",
                        tag=f.tag,
                        default=_differs(f"_v{f.tag}", f.info, self._default_src(f.info)),
                        inner=(self._encode_value(f, f"_v{f.tag}", "_t"),),
                    )
                    for f in sorted(tagged, key=lambda x: x.tag)
                )
                ops.append(Op("tags", src=f"{obj}.unknown_tagged_fields", fn=out, inner=inner))
        return ops

    def _writer(self, kind: str, nullable: bool, compact: bool) -> str:
        base = {"string": "string", "bytes": "bytes", "records": "bytes"}[kind]
        name = "write_" + ("compact_" if compact else "") + ("nullable_" if nullable else "") + base
        self.wire.add(name)
        return name

    def _encode_value(self, f: FieldAt, src: str, out: str) -> Op:
        # A value whose type allows None at other versions, written where null is not allowed:
        # None fails in the writer and is explained by the reference codec.
        loose = f.info.ever_nullable and not f.nullable
        var = f"_x_{f.attr}"
        if f.kind in FIXED:
            return Op("pack", const=self.struct_const(FIXED[f.kind][0]), names=(src,), src=out)
        if f.kind == "uuid":
            self.wire.add("write_uuid")
            return Op("call", fn="write_uuid", names=(src,), src=out)
        if f.kind in ("string", "bytes", "records"):
            return Op(
                "call",
                fn=self._writer(f.kind, f.nullable, f.compact),
                names=(src,),
                src=out,
                ignore="arg-type" if loose else "",
            )
        if f.kind == "struct":
            assert f.child is not None
            return Op("struct", fn=f.child, names=(src,), src=out, nullable=f.nullable, var=var)
        assert f.kind == "array" and f.elem is not None
        if f.child is not None:
            # The items' own array encoder writes the length (or null) and every item.
            return Op("struct_array", fn=f.child, names=(src,), src=out, nullable=f.nullable)
        if f.elem in FIXED:
            # Length and items in one call, through precompiled Structs (kafkaproto.wire).
            prefix = (
                "write_" + ("compact_" if f.compact else "") + ("nullable_" if f.nullable else "")
            )
            self.wire.add(f"{prefix}{f.elem}_array")
            ignore = "arg-type" if loose else ""
            return Op("call", fn=f"{prefix}{f.elem}_array", names=(src,), src=out, ignore=ignore)
        writer = self._array_fn("write", f)
        if f.elem == "uuid":
            self.wire.add("write_uuid")
            item = "write_uuid"
        else:
            item = self._writer(f.elem, False, f.compact)
        return Op(
            "call",
            fn=writer,
            names=(src,),
            src=out,
            code=item,
            ignore="arg-type" if loose else "",
        )

    def _array_fn(self, verb: str, f: FieldAt) -> str:
        name = (
            f"{verb}_"
            + ("compact_" if f.compact else "")
            + ("nullable_" if f.nullable else "")
            + "array_of"
        )
        self.wire.add(name)
        return name

    # -- decoders -----------------------------------------------------------------------------

    def _decode_ops(self, lay: OwnLayout) -> list[Op]:
        ops: list[Op] = []
        for group in _untagged_groups(lay):
            if isinstance(group, tuple):
                fmt = "".join(FIXED[f.kind][0] for f in group)
                names = tuple(f"v_{f.attr}" for f in group)
                size = struct.calcsize(">" + fmt)
                ops.append(Op("unpack", const=self.struct_const(fmt), names=names, size=size))
            else:
                ops.append(self._decode_value(group, f"v_{group.attr}", "buf"))
        if lay.flexible:
            tagged = [f for f in lay.present if f.tag >= 0]
            if not tagged:
                # Every tag is unknown here but those of fields this version lacks, refused.
                self.wire.add("read_unknown_tags")
                ops.append(
                    Op("unknown_tags", src="_u", names=tuple(str(t) for t in lay.reserved_tags))
                )
            else:
                self.wire.update({"read_uvarint", "read_raw_tag"})
                inner = tuple(
                    Op(
                        "tagged",
                        src=f"v_{f.attr}",
                        tag=f.tag,
                        default=self._default_src(f.info),
                        hint=self._hint(f.info),
                        inner=(self._decode_value(f, f"v_{f.attr}", "_b", declare=False),),
                    )
                    for f in sorted(tagged, key=lambda x: x.tag)
                )
                ops.append(
                    Op(
                        "tags",
                        src="_u",
                        inner=inner,
                        names=tuple(str(t) for t in lay.reserved_tags),
                    )
                )
        return ops

    def _reader(self, kind: str, nullable: bool, compact: bool) -> str:
        if kind == "records":
            name = (
                "read_"
                + ("compact_" if compact else "")
                + "records"
                + ("" if nullable else "_required")
            )
        else:
            name = (
                "read_" + ("compact_" if compact else "") + ("nullable_" if nullable else "") + kind
            )
        self.wire.add(name)
        return name

    def _decode_value(self, f: FieldAt, var: str, buf: str, declare: bool = True) -> Op:
        if f.kind in FIXED:
            code, size = FIXED[f.kind]
            return Op("unpack", const=self.struct_const(code), names=(var,), size=size, buf=buf)
        if f.kind == "uuid":
            self.wire.add("read_uuid")
            return Op("call", fn="read_uuid", src=var, buf=buf)
        if f.kind in ("string", "bytes", "records"):
            return Op("call", fn=self._reader(f.kind, f.nullable, f.compact), src=var, buf=buf)
        if f.kind == "struct":
            assert f.child is not None
            if f.nullable:
                self.wire.add("INT8")
            hint = self._hint(f.info) if declare else ""
            return Op("struct", fn=f.child, src=var, nullable=f.nullable, buf=buf, hint=hint)
        assert f.kind == "array" and f.elem is not None
        if f.child is not None:
            # The items' own array decoder reads the length (or null) and every item.
            return Op(
                "struct_array", fn=f.child, src=var, nullable=f.nullable, buf=buf, compact=f.compact
            )
        prefix = "read_" + ("compact_" if f.compact else "") + ("nullable_" if f.nullable else "")
        if f.elem in FIXED:
            # Length and items in one call, through precompiled Structs (kafkaproto.wire).
            self.wire.add(f"{prefix}{f.elem}_array")
            return Op("call", fn=f"{prefix}{f.elem}_array", src=var, buf=buf)
        reader = "read_uuid" if f.elem == "uuid" else self._reader(f.elem, False, f.compact)
        self.wire.add(reader)
        return Op("call", fn=self._array_fn("read", f), src=var, buf=buf, code=reader)

    def finish(self, doc: str) -> ModulePlan:
        return ModulePlan(
            name=self.name,
            doc=doc,
            specs=self.specs,
            classes=self.classes,
            structs=dict(sorted(self.structs.items())),
            imports_wire=self.wire,
            responses=self.responses,
        )


def _camel(attr: str) -> str:
    """What kafkaproto.message.Field derives a JSON key from (the table names it otherwise)."""
    head, *rest = attr.rstrip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _untagged_groups(lay: OwnLayout) -> list[tuple[FieldAt, ...] | FieldAt]:
    """The untagged fields in wire order, neighbouring fixed-width ones grouped (each group is
    read or written through one precompiled Struct)."""
    groups: list[tuple[FieldAt, ...] | FieldAt] = []
    run: list[FieldAt] = []
    for f in lay.present:
        if f.tag >= 0:
            continue
        if f.kind in FIXED:
            run.append(f)
            continue
        if run:
            groups.append(tuple(run))
            run = []
        groups.append(f)
    if run:
        groups.append(tuple(run))
    return groups


def _differs(var: str, f: FieldInfo, default_src: str) -> str:
    """The condition under which a value is not its field's default."""
    if default_src == "None":
        return f"{var} is not None"
    if f.kind == "bool":
        return f"not {var}" if f.default else var
    if f.kind == "array":
        return var  # a non-empty tuple
    if f.kind == "float64" and f.default == "nan":
        return f"{var} == {var}"  # not NaN
    return f"{var} != {default_src}"


def min_size(lay: OwnLayout) -> int:
    """The fewest bytes any encoding of this layout takes (bounds array lengths on decode);
    a struct field counts one byte whatever its own layout, so that this stays the class's
    own fact."""
    total = 0
    for f in lay.present:
        if f.tag >= 0:
            continue
        if f.kind in FIXED:
            total += FIXED[f.kind][1]
        elif f.kind == "uuid":
            total += 16
        elif f.kind == "struct":
            total += 1 if f.nullable else 0
        elif f.kind == "string" and not f.compact:
            total += 2
        elif f.compact:
            total += 1
        else:
            total += 4
    return total + (1 if lay.flexible else 0)


# --- the whole plan ------------------------------------------------------------------------------


@dataclass
class Plan:
    modules: list[ModulePlan]
    index: list[MessageIndexEntry]
    removed: list[MessageIndexEntry]


def plan_all(specs: list[tuple[str, MessageSpec]]) -> Plan:
    """Plan every module from the checked specs (given sorted by file name)."""
    by_module: dict[str, list[tuple[str, MessageSpec]]] = {}
    index: list[MessageIndexEntry] = []
    removed: list[MessageIndexEntry] = []
    for file, msg in specs:
        mod = module_name(msg.name, msg.type)
        entry = MessageIndexEntry(
            name=msg.name,
            role=msg.type,
            api_key=msg.apiKey,
            module=mod,
            versions=msg.valid_versions,
            flexible=msg.flexible_versions,
            unstable_latest=msg.latestVersionUnstable,
            listeners=tuple(msg.listeners or ()),
        )
        if msg.valid_versions.empty:
            removed.append(entry)
            continue
        index.append(entry)
        by_module.setdefault(mod, []).append((file, msg))
    # Kafka's ApiMessageType takes an API's unstable latest version from its request spec.
    unstable_api = {m.apiKey: m.latestVersionUnstable for _, m in specs if m.type == "request"}
    modules = []
    for mod in sorted(by_module):
        members = sorted(by_module[mod], key=lambda fm: (fm[1].type != "request", fm[1].name))
        mb = _ModuleBuilder(mod)
        for file, msg in members:
            latest_unstable = msg.latestVersionUnstable or (
                msg.type == "response" and unstable_api.get(msg.apiKey, False)
            )
            mb.add_message(file, msg, latest_unstable)
        modules.append(mb.finish(_module_doc(members)))
    return Plan(modules=modules, index=index, removed=removed)


def api_key_name(api_name: str) -> str:
    """The ``ApiKey`` member of an API (``ApiVersions`` -> ``API_VERSIONS``), as Java's
    ``ApiKeys`` names them."""
    return snake(api_name).upper()


def _module_doc(members: list[tuple[str, MessageSpec]]) -> str:
    first = members[0][1]
    if first.type in ("request", "response"):
        parts = [m.name for _, m in members]
        return (
            f"Kafka's {api_base_name(first.name)} API (key {first.apiKey}): "
            + " and ".join(parts)
            + "."
        )
    kind = {"header": "header", "data": "data structure", "metadata": "metadata record"}[first.type]
    return f"Kafka's {first.name} {kind}."
