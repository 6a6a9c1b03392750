"""Plan stage: the resolved, immutable view of every message version, ready to be written out.

For each spec and each of its versions the plan decides which fields exist, which are tagged,
nullable and compact, and every name in the generated code. Versions whose layout is identical
share one class body (nested structs: one class, with an alias per version; top-level messages: a
private layout class with one small final class per version), so a Kafka release that changes one
struct changes one class in the diff. Encoders and decoders are planned as lists of simple
operations; the templates only print them.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field, replace
from typing import Any

from .model import FieldSpec, MessageSpec, SpecError, default_value
from .naming import (
    RESERVED_ATTRS,
    api_base_name,
    attr_name,
    json_name,
    module_name,
    struct_class_name,
)
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


# --- layouts: what a struct is at one version, independent of names --------------------------


@dataclass(frozen=True)
class FieldLayout:
    name: str
    attr: str
    json: str
    kind: str
    elem: str | None
    child: Layout | None
    nullable: bool
    compact: bool
    tag: int
    default: Any
    about: str
    versions: str
    nullable_versions: str
    tagged_versions: str


@dataclass(frozen=True)
class Layout:
    spec_name: str
    flexible: bool
    fields: tuple[FieldLayout, ...]
    reserved_tags: tuple[int, ...]


# --- operations the templates print ----------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One step of an encoder or decoder. ``op`` picks the template macro; the other attributes
    are the names and constants it prints."""

    op: str
    src: str = ""  # encode: the value expression; decode: the local variable
    fn: str = ""  # the wire function or nested codec
    const: str = ""  # a struct.Struct constant
    names: tuple[str, ...] = ()
    size: int = 0
    nullable: bool = False
    compact: bool = False
    code: str = ""  # struct format code of fixed-width array items
    elem_op: str = ""  # array items: fixed | call | struct
    tag: int = -1
    default: str = ""
    inner: tuple[Op, ...] = ()
    var: str = ""  # encode: a temporary for the value
    buf: str = "buf"  # decode: the buffer expression to read from
    hint: str = ""  # decode: the local's declared type, where mypy needs one


@dataclass
class FieldEmit:
    attr: str
    hint: str
    init_hint: str
    default_src: str
    doc: str
    is_array: bool
    local: str


@dataclass
class ClassPlan:
    name: str
    layout: Layout
    role: str  # struct | request | response | header | data | metadata
    versions: list[int]
    aliases: list[str] = field(default_factory=list)
    doc: str = ""
    fields: list[FieldEmit] = field(default_factory=list)
    encode_ops: list[Op] = field(default_factory=list)
    decode_ops: list[Op] = field(default_factory=list)
    known_tags: list[Op] = field(default_factory=list)
    field_table: list[str] = field(default_factory=list)
    min_size: int = 0
    layout_name: str = ""  # top level: the private layout class
    public: list[tuple[str, int, bool]] = field(default_factory=list)  # (name, version, unstable)
    api_key: int | None = None
    spec_name: str = ""


@dataclass
class ModulePlan:
    name: str
    doc: str
    specs: list[str]
    classes: list[ClassPlan]
    structs: dict[str, str]  # Struct constant name -> format
    aliases: list[tuple[str, str]]
    imports_wire: set[str]
    latest: list[tuple[str, str]]


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


# --- building layouts ------------------------------------------------------------------------


class _LayoutBuilder:
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

    def layout(
        self, struct_name: str, fields: tuple[FieldSpec, ...], version: int, role: str
    ) -> Layout:
        flexible = version in self.msg.flexible_versions
        reserved = RESERVED_ATTRS["struct" if role == "struct" else role]
        out: list[FieldLayout] = []
        reserved_tags: list[int] = []
        seen_attrs: dict[str, str] = {}
        for f in fields:
            if version not in f.field_versions:
                if f.tag is not None:
                    reserved_tags.append(f.tag)
                continue
            ftype = f.field_type
            tagged = version in f.tagged_versions
            if f.tag is not None and not tagged:
                reserved_tags.append(f.tag)
            override = f.flexible_override
            compact = version in (override if override is not None else self.msg.flexible_versions)
            child = None
            ref = ftype.struct_ref
            if ref is not None:
                child = self.layout(ref, self.children_of(ref), version, "struct")
            attr = attr_name(f.name, reserved)
            if attr in seen_attrs:
                raise SpecError(
                    self.file,
                    "name-collision",
                    f"fields {seen_attrs[attr]} and {f.name} both become attribute {attr!r}",
                    struct_name,
                    f.name,
                )
            seen_attrs[attr] = f.name
            out.append(
                FieldLayout(
                    name=f.name,
                    attr=attr,
                    json=json_name(f.name),
                    kind=ftype.kind,
                    elem=ftype.element.kind if ftype.element is not None else None,
                    child=child,
                    nullable=version in f.nullable_versions,
                    compact=compact,
                    tag=f.tag if (tagged and f.tag is not None) else -1,
                    default=_layout_default(f, version),
                    about=f.about or "",
                    versions=str(f.field_versions),
                    nullable_versions=str(f.nullable_versions),
                    tagged_versions=str(f.tagged_versions),
                )
            )
        return Layout(struct_name, flexible, tuple(out), tuple(sorted(set(reserved_tags))))


def _layout_default(f: FieldSpec, version: int) -> Any:
    value = default_value(f)
    if f.field_type.kind == "records" and version not in f.nullable_versions:
        # Kafka's Java starts records at null even where null cannot be written; an empty
        # records blob is the nearest value that can.
        return b""
    return _hashable(value)


def _hashable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


# --- module planning -------------------------------------------------------------------------


class _ModuleBuilder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.classes: list[ClassPlan] = []
        self.by_layout: dict[tuple[str, Layout], ClassPlan] = {}
        self.class_names: dict[str, str] = {}
        self.structs: dict[str, str] = {}
        self.aliases: list[tuple[str, str]] = []
        self.alias_names: set[str] = set()
        self.wire: set[str] = set()
        self.latest: list[tuple[str, str]] = []
        self.specs: list[str] = []
        self.message = ""
        self.temps = 0

    def claim(self, file: str, name: str, what: str) -> None:
        if name in self.class_names and self.class_names[name] != what:
            raise SpecError(
                file,
                "name-collision",
                f"{what} and {self.class_names[name]} both want class {name}",
            )
        self.class_names[name] = what

    def struct_const(self, fmt: str) -> str:
        name = "_S_" + fmt.replace("?", "o")
        self.structs[name] = ">" + fmt
        return name

    def add_message(
        self, file: str, msg: MessageSpec, builder: _LayoutBuilder, latest_unstable: bool
    ) -> None:
        """``latest_unstable``: the API's newest version is unstable. Only the request spec
        says so (latestVersionUnstable), but it is the API version that is unstable, so the
        response of that version is marked alike and its Latest alias stops before it."""
        self.specs.append(msg.name)
        self.message = msg.name
        role = msg.type
        groups: dict[Layout, ClassPlan] = {}
        for v in msg.valid_versions:
            layout = builder.layout(msg.name, msg.children, v, role)
            self._nested(file, msg.name, layout, v)
            cp = groups.get(layout)
            if cp is None:
                cp = ClassPlan(
                    name=f"_{msg.name}V{v}Layout",
                    layout=layout,
                    role=role,
                    versions=[],
                    api_key=msg.apiKey,
                    spec_name=msg.name,
                )
                cp.layout_name = cp.name
                self.claim(file, cp.name, f"{msg.name} v{v}")
                self._fill(cp, top_level=True)
                groups[layout] = cp
                self.classes.append(cp)
            cp.versions.append(v)
            public = f"{msg.name}V{v}"
            self.claim(file, public, f"{msg.name} v{v}")
            unstable = latest_unstable and v == msg.valid_versions.highest
            cp.public.append((public, v, unstable))
        stable_top = msg.valid_versions.highest - (1 if latest_unstable else 0)
        if stable_top >= msg.valid_versions.lowest and role in ("request", "response"):
            self.latest.append((f"{msg.name}Latest", f"{msg.name}V{stable_top}"))

    def _nested(self, file: str, message: str, layout: Layout, version: int) -> None:
        for f in layout.fields:
            if f.child is None:
                continue
            self._nested(file, message, f.child, version)
            key = (message, f.child)
            base = struct_class_name(message, f.child.spec_name)
            cp = self.by_layout.get(key)
            if cp is None:
                cp = ClassPlan(
                    name=f"{base}V{version}",
                    layout=f.child,
                    role="struct",
                    versions=[],
                    spec_name=message,
                )
                self.claim(file, cp.name, f"{message} struct {f.child.spec_name} v{version}")
                self._fill(cp, top_level=False)
                self.by_layout[key] = cp
                self.classes.append(cp)
            if version not in cp.versions:
                cp.versions.append(version)
                alias = f"{base}V{version}"
                if alias != cp.name and alias not in self.alias_names:
                    self.claim(file, alias, f"{message} struct {f.child.spec_name} v{version}")
                    self.aliases.append((alias, cp.name))
                    self.alias_names.add(alias)

    def class_of(self, layout: Layout) -> str:
        return self.by_layout[(self.message, layout)].name

    # -- per class --------------------------------------------------------------------------

    def _fill(self, cp: ClassPlan, *, top_level: bool) -> None:
        lay = cp.layout
        for f in lay.fields:
            cp.fields.append(self._field_emit(f))
            cp.field_table.append(self._field_entry(f))
        cp.encode_ops = self._encode_ops(lay, "o", "out")
        cp.decode_ops = self._decode_ops(lay)
        cp.min_size = min_size(lay)

    def _hint(self, f: FieldLayout) -> str:
        if f.kind == "array":
            assert f.elem is not None
            inner = self.class_of(f.child) if f.child is not None else _PY_TYPE[f.elem]
            base = f"tuple[{inner}, ...]"
        elif f.kind == "struct":
            assert f.child is not None
            base = self.class_of(f.child)
        else:
            base = _PY_TYPE[f.kind]
        return f"{base} | None" if f.nullable else base

    def _field_emit(self, f: FieldLayout) -> FieldEmit:
        hint = self._hint(f)
        init_hint = hint
        if f.kind == "array":
            inner = hint.split("[", 1)[1].rsplit(",", 1)[0]
            init_hint = f"Iterable[{inner}]" + (" | None" if f.nullable else "")
        doc = (f.about.strip() or f.name).replace("\\", "\\\\").replace('"""', "'''")
        notes = [f"versions {f.versions}"]
        if f.nullable_versions != "none":
            notes.append(f"nullable {f.nullable_versions}")
        if f.tag >= 0:
            notes.append(f"tag {f.tag}, tagged {f.tagged_versions}")
        doc = f"{doc} ({'; '.join(notes)})"
        return FieldEmit(
            attr=f.attr,
            hint=hint,
            init_hint=init_hint,
            default_src=self._default_src(f),
            doc=doc,
            is_array=f.kind == "array",
            local=f"v_{f.attr}",
        )

    def _default_src(self, f: FieldLayout) -> str:
        d = f.default
        if d is None:
            return "None"
        if f.kind == "struct":
            assert f.child is not None
            return f"{self.class_of(f.child)}()"
        if f.kind == "array":
            return "()"
        if f.kind == "uuid":
            return "ZERO_UUID" if d == b"\x00" * 16 else f"UUID(bytes={d!r})"
        if f.kind == "float64":
            return 'float("nan")' if d == "nan" else repr(float(d))
        return repr(d)

    def _field_entry(self, f: FieldLayout) -> str:
        cls = self.class_of(f.child) if f.child is not None else "None"
        elem = repr(f.elem) if f.elem is not None else "None"
        return (
            f"Field({f.attr!r}, {f.json!r}, {f.kind!r}, {f.nullable}, {f.compact}, {f.tag}, "
            f"{self._default_src(f)}, {elem}, {cls})"
        )

    # -- encoders ---------------------------------------------------------------------------

    def _encode_ops(self, lay: Layout, obj: str, out: str) -> list[Op]:
        ops: list[Op] = []
        for group in _untagged_groups(lay):
            if isinstance(group, tuple):
                fmt = "".join(FIXED[f.kind][0] for f in group)
                names = tuple(f"{obj}.{f.attr}" for f in group)
                ops.append(Op("pack", const=self.struct_const(fmt), names=names, src=out))
            else:
                ops.append(self._encode_value(group, f"{obj}.{group.attr}", out))
        if lay.flexible:
            tagged = [f for f in lay.fields if f.tag >= 0]
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
                        default=_differs(f"_v{f.tag}", f, self._default_src(f)),
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

    def _encode_value(self, f: FieldLayout, src: str, out: str) -> Op:
        op = self._encode_value_op(f, src, out)
        return replace(op, var=f"_x{self._temp()}") if op.op in ("array", "struct") else op

    def _temp(self) -> int:
        self.temps += 1
        return self.temps

    def _encode_value_op(self, f: FieldLayout, src: str, out: str) -> Op:
        if f.kind in FIXED:
            return Op("pack", const=self.struct_const(FIXED[f.kind][0]), names=(src,), src=out)
        if f.kind == "uuid":
            self.wire.add("write_uuid")
            return Op("call", fn="write_uuid", names=(src,), src=out)
        if f.kind in ("string", "bytes", "records"):
            return Op("call", fn=self._writer(f.kind, f.nullable, f.compact), names=(src,), src=out)
        if f.kind == "struct":
            assert f.child is not None
            return Op(
                "struct",
                fn=f"_enc_{self.class_of(f.child)}",
                names=(src,),
                src=out,
                nullable=f.nullable,
            )
        assert f.kind == "array" and f.elem is not None
        if f.compact:
            self.wire.add("write_compact_length")
        else:
            self.wire.add("write_array_length")
        if f.elem in FIXED:
            self.wire.add("write_fixed_array")
            return Op(
                "array",
                names=(src,),
                src=out,
                nullable=f.nullable,
                compact=f.compact,
                elem_op="fixed",
                code=FIXED[f.elem][0],
            )
        if f.child is not None:
            return Op(
                "array",
                names=(src,),
                src=out,
                nullable=f.nullable,
                compact=f.compact,
                elem_op="struct",
                fn=f"_enc_{self.class_of(f.child)}",
            )
        if f.elem == "uuid":
            self.wire.add("write_uuid")
            fn = "write_uuid"
        else:
            fn = self._writer(f.elem, False, f.compact)
        return Op(
            "array",
            names=(src,),
            src=out,
            nullable=f.nullable,
            compact=f.compact,
            elem_op="call",
            fn=fn,
        )

    # -- decoders ---------------------------------------------------------------------------

    def _decode_ops(self, lay: Layout, prefix: str = "v_") -> list[Op]:
        ops: list[Op] = []
        for group in _untagged_groups(lay):
            if isinstance(group, tuple):
                fmt = "".join(FIXED[f.kind][0] for f in group)
                names = tuple(f"{prefix}{f.attr}" for f in group)
                size = struct.calcsize(">" + fmt)
                ops.append(Op("unpack", const=self.struct_const(fmt), names=names, size=size))
            else:
                ops.append(self._decode_value(group, f"{prefix}{group.attr}", "buf"))
        if lay.flexible:
            tagged = [f for f in lay.fields if f.tag >= 0]
            if not tagged:
                self.wire.add("read_unknown_tags")
                ops.append(Op("unknown_tags", src=f"{prefix}unknown_tagged_fields"))
            else:
                self.wire.update({"read_uvarint", "read_raw_tag"})
                inner = tuple(
                    Op(
                        "tagged",
                        src=f"v_{f.attr}",
                        tag=f.tag,
                        default=self._default_src(f),
                        hint=self._hint(f),
                        inner=(self._decode_value(f, f"v_{f.attr}", "_b", declare=False),),
                    )
                    for f in sorted(tagged, key=lambda x: x.tag)
                )
                ops.append(
                    Op(
                        "tags",
                        src="v_unknown_tagged_fields",
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

    def _decode_value(self, f: FieldLayout, var: str, buf: str, declare: bool = True) -> Op:
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
            return Op(
                "struct",
                fn=f"_dec_{self.class_of(f.child)}",
                src=var,
                nullable=f.nullable,
                buf=buf,
                hint=self._hint(f) if declare else "",
            )
        assert f.kind == "array" and f.elem is not None
        prefix = "read_" + ("compact_" if f.compact else "") + ("nullable_" if f.nullable else "")
        if f.elem in FIXED:
            # Length and items in one call, through precompiled Structs (kafkaproto.wire).
            self.wire.add(f"{prefix}{f.elem}_array")
            return Op("call", fn=f"{prefix}{f.elem}_array", src=var, buf=buf)
        length = prefix + "array_length"
        self.wire.add(length)
        if f.child is not None and _is_leaf(f.child):
            # Items whose fields are all read by single calls are decoded in the loop itself:
            # no call and no (item, pos) pair per item.
            prefix = f"e{self._temp()}_"
            item_locals = [f"{prefix}{c.attr}" for c in f.child.fields]
            if f.child.flexible:
                item_locals.append(f"{prefix}unknown_tagged_fields")
            fixed = _fixed_only(f.child)
            fmt = "".join(FIXED[c.kind][0] for c in f.child.fields) if fixed else ""
            if fixed and f.child.flexible:
                # The tagged-field count, skipped as a pad byte: the fast path runs only when
                # every item's count is 0 (checked on a strided slice first).
                fmt += "x"
            return Op(
                "array",
                src=var,
                fn=length,
                # Items of fixed-width fields only: the whole run through Struct.iter_unpack.
                elem_op="fixed_structs" if fixed else "inline",
                names=(self.class_of(f.child), *item_locals),
                inner=tuple(self._decode_ops(f.child, prefix)),
                const=self.struct_const(fmt) if fixed else "",
                code="flexible" if f.child.flexible else "",
                size=max(1, min_size(f.child)),
                nullable=f.nullable,
                buf=buf,
                hint=self._hint(f) if declare else "",
            )
        if f.child is not None:
            return Op(
                "array",
                src=var,
                fn=length,
                elem_op="struct",
                names=(f"_dec_{self.class_of(f.child)}",),
                size=max(1, min_size(f.child)),
                nullable=f.nullable,
                buf=buf,
                hint=self._hint(f) if declare else "",
            )
        reader = "read_uuid" if f.elem == "uuid" else self._reader(f.elem, False, f.compact)
        self.wire.add(reader)
        item = 16 if f.elem == "uuid" else 1
        return Op(
            "array",
            src=var,
            fn=length,
            elem_op="call",
            names=(reader,),
            size=item,
            nullable=f.nullable,
            buf=buf,
            hint=self._hint(f) if declare else "",
        )

    def finish(self, doc: str) -> ModulePlan:
        return ModulePlan(
            name=self.name,
            doc=doc,
            specs=self.specs,
            classes=self.classes,
            structs=dict(sorted(self.structs.items())),
            aliases=self.aliases,
            imports_wire=self.wire,
            latest=self.latest,
        )


def _untagged_groups(lay: Layout) -> list[tuple[FieldLayout, ...] | FieldLayout]:
    """The untagged fields in wire order, neighbouring fixed-width ones grouped (each group is
    read or written through one precompiled Struct)."""
    groups: list[tuple[FieldLayout, ...] | FieldLayout] = []
    run: list[FieldLayout] = []
    for f in lay.fields:
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


def _fixed_only(lay: Layout) -> bool:
    """A struct of fixed-width, untagged fields only: a fixed size on the wire (plus its one
    tagged-field count byte when flexible)."""
    return bool(lay.fields) and all(f.kind in FIXED and f.tag < 0 for f in lay.fields)


def _is_leaf(lay: Layout) -> bool:
    """A struct with no nested structs and no known tagged fields: cheap to decode inline."""
    return all(f.child is None and f.tag < 0 for f in lay.fields)


def _differs(var: str, f: FieldLayout, default_src: str) -> str:
    """The condition under which a tagged field is written: its value is not the default."""
    if default_src == "None":
        return f"{var} is not None"
    if f.kind == "bool":
        return f"not {var}" if f.default else var
    return f"{var} != {default_src}"


def min_size(lay: Layout) -> int:
    """The fewest bytes any encoding of this layout takes (bounds array lengths on decode)."""
    total = 0
    for f in lay.fields:
        if f.tag >= 0:
            continue
        if f.kind in FIXED:
            total += FIXED[f.kind][1]
        elif f.kind == "uuid":
            total += 16
        elif f.kind == "struct":
            assert f.child is not None
            total += 1 if f.nullable else min_size(f.child)
        elif f.kind == "string" and not f.compact:
            total += 2
        elif f.compact:
            total += 1
        else:
            total += 4
    return total + (1 if lay.flexible else 0)


# --- the whole plan --------------------------------------------------------------------------


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
            mb.add_message(file, msg, _LayoutBuilder(file, msg), latest_unstable)
        modules.append(mb.finish(_module_doc(members)))
    return Plan(modules=modules, index=index, removed=removed)


def _module_doc(members: list[tuple[str, MessageSpec]]) -> str:
    first = members[0][1]
    if first.type in ("request", "response"):
        parts = [f"{m.name} v{m.valid_versions}" for _, m in members]
        return (
            f"Kafka's {api_base_name(first.name)} API (key {first.apiKey}): "
            + " and ".join(parts)
            + "."
        )
    kind = {"header": "header", "data": "data structure", "metadata": "metadata record"}[first.type]
    return f"Kafka's {first.name} {kind}, versions {first.valid_versions}."
