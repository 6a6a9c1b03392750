"""Model stage: Kafka's message specs as frozen pydantic models, with every rule of Kafka's own
generator checked.

The pydantic models refuse unknown keys and wrong shapes; :func:`check_message` then applies the
rules Kafka's ``MessageGenerator`` (``FieldSpec``, ``StructSpec``, ``MessageSpec``,
``StructRegistry``, ``MessageDataGenerator``) enforces, each reported as a :class:`SpecError` that
names the file, struct, field and rule. Loose typing that Kafka's JSON reader coerces (numbers or
booleans where a string is expected, e.g. ``"default": -1``) is accepted exactly there.

Nothing here decides names or layouts of generated code: that is the plan's job.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .versions import NONE, VersionRangeError, Versions


class SpecError(ValueError):
    """A spec that Kafka's generator would refuse (or that kafkaproto cannot represent)."""

    def __init__(
        self, file: str, rule: str, message: str, struct: str = "", field: str = ""
    ) -> None:
        self.file, self.rule, self.struct, self.field = file, rule, struct, field
        self.message = message
        where = [file]
        if struct:
            where.append(f"struct {struct}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: [{rule}] {message}")


def _jackson_text(value: Any) -> Any:
    """Kafka reads these keys into Java Strings; Jackson turns JSON numbers and booleans into
    their text, so ``"default": -1`` and ``"default": "-1"`` mean the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


Text = Annotated[str, BeforeValidator(_jackson_text)]

_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=False)


class EntityType(StrEnum):
    unknown = "unknown"
    transactionalId = "transactionalId"
    producerId = "producerId"
    groupId = "groupId"
    topicName = "topicName"
    brokerId = "brokerId"


# The field type each entity type requires (Kafka's EntityType.verifyTypeMatches).
_ENTITY_BASE_TYPE = {
    EntityType.transactionalId: "string",
    EntityType.producerId: "int64",
    EntityType.groupId: "string",
    EntityType.topicName: "string",
    EntityType.brokerId: "int32",
}


class FieldSpec(BaseModel):
    """One ``fields`` entry."""

    model_config = _FROZEN

    name: str
    type: str
    versions: Text | None = None
    fields: tuple[FieldSpec, ...] | None = None
    mapKey: bool = False
    nullableVersions: Text | None = None
    default: Text | None = None
    ignorable: bool = False
    entityType: EntityType | None = None
    about: str | None = None
    taggedVersions: Text | None = None
    flexibleVersions: Text | None = None
    tag: int | None = None
    zeroCopy: bool = False

    @property
    def children(self) -> tuple[FieldSpec, ...]:
        return self.fields or ()

    @cached_property
    def tagged_versions(self) -> Versions:
        return _versions(self.taggedVersions, NONE)

    @cached_property
    def field_versions(self) -> Versions:
        # Kafka: "If versions is not set, but taggedVersions is, default to taggedVersions."
        if self.versions is None or not self.versions.strip():
            if self.tagged_versions.empty:
                raise VersionRangeError("no versions given (and no taggedVersions to default to)")
            return self.tagged_versions
        return Versions.parse(self.versions)

    @cached_property
    def nullable_versions(self) -> Versions:
        return _versions(self.nullableVersions, NONE)

    @cached_property
    def flexible_override(self) -> Versions | None:
        if self.flexibleVersions is None or not self.flexibleVersions.strip():
            return None
        return Versions.parse(self.flexibleVersions)

    @cached_property
    def field_type(self) -> FieldType:
        return FieldType.parse(self.type)

    @property
    def default_text(self) -> str:
        return "" if self.default is None else str(self.default)


class StructSpec(BaseModel):
    """One ``commonStructs`` entry."""

    model_config = _FROZEN

    name: str
    versions: Text
    deprecatedVersions: Text | None = None
    fields: tuple[FieldSpec, ...] | None = None

    @property
    def children(self) -> tuple[FieldSpec, ...]:
        return self.fields or ()


class MessageSpec(BaseModel):
    """One spec file."""

    model_config = _FROZEN

    name: str
    type: Literal["request", "response", "header", "metadata", "data"]
    validVersions: Text
    flexibleVersions: Text | None = None
    apiKey: Annotated[int, Field(ge=-32768, le=32767)] | None = None
    fields: tuple[FieldSpec, ...] | None = None
    commonStructs: tuple[StructSpec, ...] | None = None
    deprecatedVersions: Text | None = None
    listeners: tuple[Literal["zkBroker", "broker", "controller"], ...] | None = None
    latestVersionUnstable: bool = False

    @property
    def children(self) -> tuple[FieldSpec, ...]:
        return self.fields or ()

    @property
    def common(self) -> tuple[StructSpec, ...]:
        return self.commonStructs or ()

    @cached_property
    def valid_versions(self) -> Versions:
        return Versions.parse(self.validVersions)

    @cached_property
    def flexible_versions(self) -> Versions:
        return _versions(self.flexibleVersions, NONE)


def _versions(text: str | None, default: Versions) -> Versions:
    if text is None or not text.strip():
        return default
    return Versions.parse(text)


# ---------------------------------------------------------------------------------------------
# Field types (Kafka's FieldType.parse)

PRIMITIVES = (
    "bool",
    "int8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "float64",
    "uuid",
    "string",
    "bytes",
    "records",
)
_NULLABLE_KINDS = {"string", "bytes", "records", "array", "struct"}
_STRUCT_NAME = re.compile(r"[A-Z]")


class FieldType(BaseModel):
    """A parsed type: a primitive name, ``struct`` with a struct name, or ``array`` of another."""

    model_config = ConfigDict(frozen=True)

    kind: str
    struct_name: str | None = None
    element: FieldType | None = None

    @classmethod
    def parse(cls, text: str) -> FieldType:
        if text in PRIMITIVES:
            return cls(kind=text)
        if text.startswith("[]"):
            inner = text[2:]
            if not inner:
                raise ValueError(f"can't parse array type {text}: no element type found")
            element = cls.parse(inner)
            if element.kind == "array":
                raise ValueError("can't have an array of arrays; use an array of structs")
            if element.kind == "records":
                raise ValueError("an array of records cannot be encoded")
            return cls(kind="array", element=element)
        if _STRUCT_NAME.match(text):
            return cls(kind="struct", struct_name=text)
        raise ValueError(f"can't parse type {text!r}")

    @property
    def can_be_nullable(self) -> bool:
        return self.kind in _NULLABLE_KINDS

    @property
    def struct_ref(self) -> str | None:
        """The struct this type holds, directly or as array elements."""
        if self.kind == "struct":
            return self.struct_name
        if self.element is not None and self.element.kind == "struct":
            return self.element.struct_name
        return None

    def __str__(self) -> str:
        if self.kind == "array":
            return f"[]{self.element}"
        return str(self.struct_name) if self.kind == "struct" else self.kind


# ---------------------------------------------------------------------------------------------
# Loading and checking


def parse_message(file: str, data: dict[str, Any]) -> MessageSpec:
    """Validate a spec's shape with pydantic, reporting the first problem with its location."""
    try:
        return MessageSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        struct, field = _locate(data, err["loc"])
        key = err["loc"][-1] if err["loc"] else ""
        rule = "unknown-key" if err["type"] == "extra_forbidden" else "bad-value"
        if err["type"] == "missing":
            rule = "missing-key"
        raise SpecError(file, rule, f"{key!r}: {err['msg']}", struct, field) from None


def _locate(data: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """Turn a pydantic error location (``('fields', 3, 'fields', 1, 'tag')``) into the names of
    the struct and field it points at."""
    struct = str(data.get("name", "")) if isinstance(data, dict) else ""
    field = ""
    node: Any = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, dict) and "name" in node:
                if field:
                    struct = _struct_type_name(struct, field, data, loc)
                field = str(node["name"])
        else:
            break
    return struct, field


def _struct_type_name(struct: str, field: str, data: Any, loc: tuple[int | str, ...]) -> str:
    del struct, data, loc
    return field


def check_message(file: str, msg: MessageSpec) -> None:
    """Apply Kafka's generator rules to one parsed spec; raises the first :class:`SpecError`."""
    _Checker(file, msg).run()


_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_UNSIGNED_SHORT_MAX = 65535
_UNSIGNED_INT_MAX = 4294967295
_INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, _UNSIGNED_SHORT_MAX),
    "uint32": (0, _UNSIGNED_INT_MAX),
}


class _Checker:
    def __init__(self, file: str, msg: MessageSpec) -> None:
        self.file = file
        self.msg = msg
        self.common: dict[str, StructSpec] = {}
        self.inline: set[str] = set()

    def fail(self, rule: str, message: str, struct: str = "", field: str = "") -> SpecError:
        return SpecError(self.file, rule, message, struct, field)

    def run(self) -> None:
        msg = self.msg
        try:
            valid = msg.valid_versions
        except VersionRangeError as exc:
            raise self.fail("version-range", f"validVersions: {exc}", msg.name) from None
        if valid.empty:
            # Kafka 4 keeps removed APIs as specs with validVersions "none" and nothing else.
            if msg.children or msg.common:
                raise self.fail(
                    "removed-message-has-fields",
                    "a message with no valid versions has fields",
                    msg.name,
                )
            return
        if msg.flexibleVersions is None:
            raise self.fail(
                "flexible-versions-missing",
                "flexibleVersions must be given (use 0+ for all new messages)",
                msg.name,
            )
        try:
            flexible = msg.flexible_versions
        except VersionRangeError as exc:
            raise self.fail("version-range", f"flexibleVersions: {exc}", msg.name) from None
        if not flexible.empty and not flexible.open_ended:
            raise self.fail(
                "flexible-versions-not-open-ended",
                f"flexibleVersions {flexible} must be none or open-ended (N+)",
                msg.name,
            )
        if not valid.empty and valid.open_ended:
            raise self.fail(
                "valid-versions-no-maximum",
                f"validVersions {valid} must name a maximum version",
                msg.name,
            )
        if msg.listeners and msg.type != "request":
            raise self.fail(
                "listeners-not-request", "listeners are only valid on requests", msg.name
            )
        if msg.latestVersionUnstable and msg.type != "request":
            raise self.fail(
                "unstable-not-request", "latestVersionUnstable is only valid on requests", msg.name
            )
        if msg.type in ("request", "response") and msg.apiKey is None:
            raise self.fail("api-key-missing", f"a {msg.type} needs an apiKey", msg.name)
        for struct in msg.common:
            if not _STRUCT_NAME.match(struct.name):
                raise self.fail(
                    "struct-name-capital",
                    "the first letter of a struct name must be a capital",
                    struct.name,
                )
            if struct.name in self.common:
                raise self.fail("common-struct-twice", "common struct given twice", struct.name)
            try:
                Versions.parse(struct.versions)
            except VersionRangeError as exc:
                raise self.fail("version-range", f"versions: {exc}", struct.name) from None
            self.common[struct.name] = struct
        self.check_struct(msg.name, msg.children, top_level=True)
        for struct in msg.common:
            self.check_struct(struct.name, struct.children, top_level=False)

    def check_struct(self, struct: str, fields: tuple[FieldSpec, ...], *, top_level: bool) -> None:
        tags: set[int] = set()
        names: set[str] = set()
        for f in fields:
            self.check_field(struct, f, top_level=top_level)
            if f.tag is not None:
                if f.tag in tags:
                    raise self.fail(
                        "tag-duplicate", f"tag {f.tag} is used by another field", struct, f.name
                    )
                tags.add(f.tag)
            if f.name in names:
                raise self.fail("field-duplicate", "field name is used twice", struct, f.name)
            names.add(f.name)
        for i in range(len(tags)):
            if i not in tags:
                raise self.fail(
                    "tags-not-contiguous",
                    f"tag IDs must start at 0 and be contiguous; tag {i} is unused",
                    struct,
                )

    def check_field(self, struct: str, f: FieldSpec, *, top_level: bool) -> None:
        def fail(rule: str, message: str) -> SpecError:
            return self.fail(rule, message, struct, f.name)

        if not _FIELD_NAME.fullmatch(f.name):
            raise fail("field-name", f"invalid field name {f.name!r}")
        try:
            tagged = f.tagged_versions
            versions = f.field_versions
            nullable = f.nullable_versions
            override = f.flexible_override
        except VersionRangeError as exc:
            raise fail("version-range", str(exc)) from None
        try:
            ftype = f.field_type
        except ValueError as exc:
            raise fail("type", str(exc)) from None
        if not nullable.empty and not ftype.can_be_nullable:
            raise fail("nullable-type", f"type {ftype} cannot be nullable")
        if f.entityType is not None and f.entityType is not EntityType.unknown:
            base = ftype.element if ftype.kind == "array" else ftype
            want = _ENTITY_BASE_TYPE[f.entityType]
            if base is None or base.kind != want:
                raise fail(
                    "entity-type",
                    f"entity type {f.entityType.value} needs type {want}, not {ftype}",
                )
        ref = ftype.struct_ref
        if f.children and ref is None:
            raise fail("fields-on-non-struct", "only struct and struct-array fields have fields")
        if ref is not None:
            if ref in self.common:
                if f.children:
                    raise fail(
                        "common-struct-inline", f"common struct {ref} cannot be re-specified inline"
                    )
            elif ref in self.inline:
                raise fail("struct-twice", f"struct {ref} is specified twice")
            elif not f.children and f.fields is None:
                raise fail("struct-unknown", f"no specification for struct {ref}")
            else:
                self.inline.add(ref)
                self.check_struct(ref, f.children, top_level=False)
        if override is not None:
            if ftype.kind not in ("string", "bytes"):
                raise fail(
                    "flexible-override-type",
                    "only string and bytes fields may override flexibleVersions",
                )
            if not self.msg.flexible_versions.contains_range(override):
                raise fail(
                    "flexible-override-subset",
                    f"flexibleVersions {override} is not within the message's "
                    f"{self.msg.flexible_versions}",
                )
        if f.mapKey and top_level:
            raise fail("map-key-top-level", "mapKey cannot be set on top-level fields")
        if f.tag is not None:
            if f.mapKey:
                raise fail("map-key-tagged", "a tagged field cannot be a map key")
            if f.tag < 0:
                raise fail("tag-negative", f"tag {f.tag} is negative")
            if tagged.empty:
                raise fail("tag-without-tagged-versions", "a tag needs taggedVersions")
            both = nullable.intersect(tagged)
            if not (both.empty or both == tagged):
                raise fail(
                    "tagged-nullable-mismatch",
                    f"nullableVersions {nullable} must cover all or none of "
                    f"taggedVersions {tagged}",
                )
            if not tagged.open_ended:
                raise fail(
                    "tagged-versions-not-open-ended",
                    f"taggedVersions {tagged} must be open-ended (N+)",
                )
            if versions.intersect(tagged) != tagged:
                raise fail(
                    "tagged-outside-versions",
                    f"taggedVersions {tagged} is not within versions {versions}",
                )
            flexible = override if override is not None else self.msg.flexible_versions
            if flexible.intersect(tagged) != tagged:
                raise fail(
                    "tagged-not-flexible",
                    f"taggedVersions {tagged} is not within the flexible versions {flexible}",
                )
            if ftype.kind == "records":
                raise fail("tagged-records", "a records field cannot be tagged")
        elif not tagged.empty:
            raise fail("tagged-versions-without-tag", "taggedVersions needs a tag")
        if f.zeroCopy and ftype.kind != "bytes":
            raise fail("zero-copy-type", "only bytes fields may be zeroCopy")
        try:
            default_value(f)
        except ValueError as exc:
            raise fail("default", str(exc)) from None


def default_value(f: FieldSpec) -> Any:
    """The field's default as a Python value (``None`` for null), as Kafka's generated Java
    initialises it: the spec's ``default`` if given, else 0 / false / "" / empty / zero UUID.

    Structs default to their own defaults and arrays to empty; both are represented here by the
    markers ``"struct"`` and ``()`` since only the plan knows the struct's class."""
    ftype = f.field_type
    text = f.default_text
    kind = ftype.kind
    if kind == "bool":
        if not text:
            return False
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ValueError(f"invalid default for a bool: {text!r}")
    if kind in _INT_RANGES:
        if not text:
            return 0
        value = _java_integer(text)
        lo, hi = _INT_RANGES[kind]
        if value is None or not lo <= value <= hi:
            raise ValueError(f"invalid default for {kind}: {text!r}")
        return value
    if kind == "float64":
        if not text:
            return 0.0
        # Double.parseDouble's decimal grammar (hex floats aside): Python's float() would also
        # take "1_0", "nan" and "inf", and refuse Java's type suffixes ("2d").
        java = _JAVA_DOUBLE.fullmatch(text.strip())
        if java is None:
            raise ValueError(f"invalid default for float64: {text!r}")
        value_f = float(java.group(1) or java.group(2))
        return value_f if not math.isnan(value_f) else math.nan
    if kind == "uuid":
        if not text:
            return b"\x00" * 16
        return _uuid_default(text)
    if text == "null":
        if kind == "records":
            return None
        if not f.nullable_versions.contains_range(f.field_versions):
            raise ValueError(
                "null cannot be the default: not all versions of the field are nullable"
            )
        return None
    if kind == "string":
        return text
    if kind == "records":
        return None  # Kafka's generated Java starts records fields at null whatever the spec says
    if text:
        raise ValueError(f"the only valid defaults for a {kind} field are empty and null")
    if kind == "bytes":
        return b""
    return "struct" if kind == "struct" else ()


_JAVA_DOUBLE = re.compile(
    r"([+-]?(?:NaN|Infinity))|([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?"
)


def _java_integer(text: str) -> int | None:
    # Integer.valueOf(s, radix) after Kafka strips a leading "0x": an optional sign, then digits.
    base = 10
    digits = text
    if digits.startswith("0x"):
        base, digits = 16, digits[2:]
    body = digits[1:] if digits[:1] in "+-" and digits[:1] else digits
    allowed = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
    if not body or any(c not in allowed for c in body):
        return None
    return int(digits, base)


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _uuid_default(text: str) -> bytes:
    import base64
    import binascii

    # Kafka decodes with Java's Base64.getUrlDecoder(), which refuses "+", "/" and anything else
    # outside the URL-safe alphabet; Python's decoder would read or skip them.
    if not _BASE64URL.fullmatch(text):
        raise ValueError(f"invalid default for uuid: {text!r} is not URL-safe base64")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"invalid default for uuid: {text!r}") from None
    if len(raw) < 16:
        raise ValueError(f"invalid default for uuid: {text!r} is shorter than 16 bytes")
    return raw[:16]
