"""One tiny bad spec per rule of the compiler's load, model and plan stages, each one Kafka's own
generator (FieldSpec, StructSpec, MessageSpec, StructRegistry, MessageDataGenerator) would refuse
too; plus the loose typing Kafka's JSON reader accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kafkaproto.codegen.error_table as error_table
import kafkaproto.codegen.model as model
import kafkaproto.codegen.plan as plan
import pytest
from kafkaproto.codegen.__main__ import compile_specs
from kafkaproto.codegen.load import SpecSyntaxError, parse_spec, strip_comments
from kafkaproto.codegen.model import (
    FieldSpec,
    MessageSpec,
    SpecError,
    check_message,
    default_value,
    parse_message,
)
from kafkaproto.codegen.plan import plan_all

FILE = "FooRequest.json"


def spec(*fields: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A request spec, v0-2, flexible from v1, with the given top-level fields."""
    data: dict[str, Any] = {
        "apiKey": 50,
        "type": "request",
        "name": "FooRequest",
        "validVersions": "0-2",
        "flexibleVersions": "1+",
        "fields": list(fields),
    }
    data.update(top)
    return {k: v for k, v in data.items() if v is not None}


def struct(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A struct-array field whose struct has the given fields."""
    return {"name": name, "type": f"[]{name}", "versions": "0+", "fields": list(fields), **extra}


def field(name: str, type_: str = "int32", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "versions": "0+", **extra}


def tagged(name: str, type_: str = "int32", tag: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": type_,
        "versions": "1+",
        "taggedVersions": "1+",
        "tag": tag,
        **extra,
    }


def checked(data: dict[str, Any]) -> MessageSpec:
    msg = parse_message(FILE, data)
    check_message(FILE, msg)
    return msg


def refuse(data: dict[str, Any]) -> SpecError:
    """Run the load-independent stages (model, then plan) and return the error raised."""
    with pytest.raises(SpecError) as info:
        plan_all([(FILE, checked(data))])
    assert info.value.file == FILE
    assert str(info.value).startswith(FILE)
    return info.value


# (rule, spec, struct, field): the struct and field the error must name ("" = none).
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # --- MessageSpec / StructSpec on the message itself
    ("version-range", spec(validVersions="2-1"), "FooRequest", ""),
    ("version-range", spec(validVersions="0-x"), "FooRequest", ""),
    ("version-range", spec(flexibleVersions="-1+"), "FooRequest", ""),
    ("removed-message-has-fields", spec(field("A"), validVersions="none"), "FooRequest", ""),
    ("flexible-versions-missing", spec(field("A"), flexibleVersions=None), "FooRequest", ""),
    ("flexible-versions-not-open-ended", spec(flexibleVersions="1-2"), "FooRequest", ""),
    ("valid-versions-no-maximum", spec(validVersions="0+"), "FooRequest", ""),
    (
        "listeners-not-request",
        spec(type="response", name="FooResponse", listeners=["broker"]),
        "FooResponse",
        "",
    ),
    (
        "unstable-not-request",
        spec(type="response", name="FooResponse", latestVersionUnstable=True),
        "FooResponse",
        "",
    ),
    ("api-key-missing", spec(apiKey=None), "FooRequest", ""),
    # --- StructRegistry
    (
        "struct-name-capital",
        spec(commonStructs=[{"name": "bar", "versions": "0+", "fields": []}]),
        "bar",
        "",
    ),
    (
        "common-struct-twice",
        spec(commonStructs=[{"name": "Bar", "versions": "0+", "fields": []}] * 2),
        "Bar",
        "",
    ),
    (
        "version-range",
        spec(commonStructs=[{"name": "Bar", "versions": "x", "fields": []}]),
        "Bar",
        "",
    ),
    (
        "common-struct-inline",
        spec(
            struct("Bar", field("A")),
            commonStructs=[{"name": "Bar", "versions": "0+", "fields": [field("A")]}],
        ),
        "FooRequest",
        "Bar",
    ),
    (
        "struct-twice",
        spec(struct("Bar", field("A")), {**struct("Bar", field("A")), "name": "B2"}),
        "FooRequest",
        "B2",
    ),
    ("struct-unknown", spec(field("Bar", "Bar")), "FooRequest", "Bar"),
    ("struct-unknown", spec(field("Bars", "[]Bar")), "FooRequest", "Bars"),
    # --- StructSpec over a struct's fields
    ("tag-duplicate", spec(tagged("A", tag=0), tagged("B", tag=0)), "FooRequest", "B"),
    ("field-duplicate", spec(field("A"), field("A", "string")), "FooRequest", "A"),
    ("field-duplicate", spec(struct("Bar", field("X"), field("X"))), "Bar", "X"),
    ("tags-not-contiguous", spec(tagged("A", tag=1)), "FooRequest", ""),
    ("tags-not-contiguous", spec(tagged("A", tag=0), tagged("B", tag=2)), "FooRequest", ""),
    # --- FieldSpec
    ("field-name", spec(field("Foo_Bar")), "FooRequest", "Foo_Bar"),
    ("field-name", spec(field("1Foo")), "FooRequest", "1Foo"),
    ("version-range", spec({"name": "A", "type": "int32"}), "FooRequest", "A"),
    ("version-range", spec(field("A", versions="3-1")), "FooRequest", "A"),
    ("version-range", spec(field("S", "string", nullableVersions="z+")), "FooRequest", "S"),
    ("version-range", spec(field("S", "string", flexibleVersions="q")), "FooRequest", "S"),
    ("type", spec(field("A", "int9")), "FooRequest", "A"),
    ("type", spec(field("A", "[]")), "FooRequest", "A"),
    ("type", spec(field("A", "[][]int32")), "FooRequest", "A"),
    ("nullable-type", spec(field("A", "int32", nullableVersions="0+")), "FooRequest", "A"),
    ("nullable-type", spec(field("A", "uuid", nullableVersions="1+")), "FooRequest", "A"),
    ("entity-type", spec(field("A", "int32", entityType="topicName")), "FooRequest", "A"),
    ("entity-type", spec(field("A", "[]int64", entityType="brokerId")), "FooRequest", "A"),
    ("fields-on-non-struct", spec(field("A", "int32", fields=[field("B")])), "FooRequest", "A"),
    ("flexible-override-type", spec(field("A", "int32", flexibleVersions="1+")), "FooRequest", "A"),
    (
        "flexible-override-subset",
        spec(field("S", "string", flexibleVersions="0+")),
        "FooRequest",
        "S",
    ),
    ("map-key-top-level", spec(field("A", mapKey=True)), "FooRequest", "A"),
    ("map-key-tagged", spec(struct("Bar", tagged("A", mapKey=True))), "Bar", "A"),
    ("tag-negative", spec(tagged("A", tag=-1)), "FooRequest", "A"),
    ("tag-without-tagged-versions", spec(field("A", versions="1+", tag=0)), "FooRequest", "A"),
    (
        "tagged-nullable-mismatch",
        spec(tagged("S", "string", nullableVersions="2+")),
        "FooRequest",
        "S",
    ),
    ("tagged-versions-not-open-ended", spec(tagged("A", taggedVersions="1-2")), "FooRequest", "A"),
    ("tagged-outside-versions", spec(tagged("A", versions="2+")), "FooRequest", "A"),
    (
        "tagged-not-flexible",
        spec(tagged("A", versions="0+", taggedVersions="0+")),
        "FooRequest",
        "A",
    ),
    (
        "tagged-not-flexible",
        spec(tagged("S", "string", taggedVersions="1+", flexibleVersions="2+")),
        "FooRequest",
        "S",
    ),
    ("tagged-records", spec(tagged("R", "records")), "FooRequest", "R"),
    ("tagged-versions-without-tag", spec(field("A", taggedVersions="1+")), "FooRequest", "A"),
    ("zero-copy-type", spec(field("A", "string", zeroCopy=True)), "FooRequest", "A"),
    # --- FieldSpec.fieldDefault
    ("default", spec(field("A", "bool", default="yes")), "FooRequest", "A"),
    ("default", spec(field("A", "int8", default="128")), "FooRequest", "A"),
    ("default", spec(field("A", "int16", default="0x8000")), "FooRequest", "A"),
    ("default", spec(field("A", "uint16", default="-1")), "FooRequest", "A"),
    ("default", spec(field("A", "uint32", default="4294967296")), "FooRequest", "A"),
    ("default", spec(field("A", "int32", default="-0x1")), "FooRequest", "A"),
    ("default", spec(field("A", "int64", default="1.5")), "FooRequest", "A"),
    ("default", spec(field("A", "float64", default="one")), "FooRequest", "A"),
    # Double.parseDouble refuses what Python's float() also takes: "_" and lower-case nan/inf.
    ("default", spec(field("A", "float64", default="1_000")), "FooRequest", "A"),
    ("default", spec(field("A", "float64", default="nan")), "FooRequest", "A"),
    ("default", spec(field("A", "float64", default="inf")), "FooRequest", "A"),
    ("default", spec(field("A", "float64", default="NaNd")), "FooRequest", "A"),
    ("default", spec(field("A", "uuid", default="AAAA")), "FooRequest", "A"),
    # Java's Base64.getUrlDecoder() refuses characters outside the URL-safe alphabet, where
    # Python's b64decode would drop them or read "+" and "/" as the standard alphabet.
    ("default", spec(field("A", "uuid", default="A" * 22 + "!!")), "FooRequest", "A"),
    ("default", spec(field("A", "uuid", default="A" * 20 + "+/")), "FooRequest", "A"),
    ("default", spec(field("A", "uuid", default="A" * 11 + " " + "A" * 11)), "FooRequest", "A"),
    ("default", spec(field("S", "string", default="null")), "FooRequest", "S"),
    (
        "default",
        spec(field("S", "string", nullableVersions="1+", default="null")),
        "FooRequest",
        "S",
    ),
    ("default", spec(field("B", "bytes", default="ab")), "FooRequest", "B"),
    ("default", spec(field("L", "[]int32", default="[1]")), "FooRequest", "L"),
    ("default", spec(struct("Bar", field("X"), default="x")), "FooRequest", "Bar"),
    # --- plan: names in generated code
    ("name-collision", spec(field("TopicId"), field("topicId")), "FooRequest", "topicId"),
    ("name-collision", spec({**field("Inner", "FooRequest"), "fields": [field("X")]}), "", ""),
    # A common struct that holds itself would be a class without end.
    (
        "struct-cycle",
        spec(
            field("A", "[]Node"),
            commonStructs=[
                {"name": "Node", "versions": "0+", "fields": [field("Children", "[]Node")]}
            ],
        ),
        "Node",
        "",
    ),
]


@pytest.mark.parametrize(
    ("rule", "data", "struct_name", "field_name"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule(rule: str, data: dict[str, Any], struct_name: str, field_name: str) -> None:
    err = refuse(data)
    assert err.rule == rule, str(err)
    assert err.struct == struct_name
    assert err.field == field_name
    assert f"[{rule}]" in str(err)
    if field_name:
        assert f"field {field_name}" in str(err)


def test_every_rule_in_the_compiler_has_a_case() -> None:
    raised: set[str] = set()
    for mod in (model, plan, error_table):
        text = Path(str(mod.__file__)).read_text(encoding="utf-8")
        raised |= set(re.findall(r'fail\(\s*"([a-z-]+)"', text))
        raised |= set(re.findall(r'SpecError\(\s*\w+,\s*"([a-z-]+)"', text))
    raised |= {"default", "version-range", "type"}  # raised through the nested fail()
    covered = {c[0] for c in CASES} | {"error-table"}  # test_error_table_refuses
    assert raised, "found no rule ids in the compiler"
    assert raised <= covered, sorted(raised - covered)


# --- parse_message: the spec's shape (pydantic, extra="forbid") ---------------------------------


@pytest.mark.parametrize(
    ("rule", "data", "struct_name", "field_name", "key"),
    [
        ("unknown-key", spec(field("A"), vaildVersions="0-1"), "FooRequest", "", "vaildVersions"),
        (
            "unknown-key",
            spec(field("A", nulableVersions="0+")),
            "FooRequest",
            "A",
            "nulableVersions",
        ),
        ("unknown-key", spec(struct("Bar", field("X", defualt="1"))), "Bar", "X", "defualt"),
        (
            "missing-key",
            {k: v for k, v in spec().items() if k != "validVersions"},
            "FooRequest",
            "",
            "validVersions",
        ),
        ("missing-key", spec({"name": "A", "versions": "0+"}), "FooRequest", "A", "type"),
        ("bad-value", spec(type="reqest"), "FooRequest", "", "type"),
        ("bad-value", spec(apiKey=40000), "FooRequest", "", "apiKey"),
        ("bad-value", spec(field("A", tag="zero")), "FooRequest", "A", "tag"),
        ("bad-value", spec(field("A", entityType="topic")), "FooRequest", "A", "entityType"),
        ("bad-value", spec(listeners=["zookeeper"]), "FooRequest", "", "1"),
    ],
)
def test_shape(
    rule: str, data: dict[str, Any], struct_name: str, field_name: str, key: str
) -> None:
    with pytest.raises(SpecError) as info:
        parse_message(FILE, data)
    err = info.value
    assert (err.rule, err.file, err.struct, err.field) == (rule, FILE, struct_name, field_name)
    assert repr(key) in err.message or key == "1"


# --- load: JSON with comments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('{"name": "A",\n "name": "B"}', 0, "duplicate key 'name'"),
        ('{"fields": [{"a": 1, "a": 2}]}', 0, "duplicate key 'a'"),
        # json's own wording and line: 3.11 "Expecting property name ..." on line 3, 3.13
        # "Illegal trailing comma before end of object" on line 2.
        ('{\n  "name": "A",\n}', None, None),
        ('{"name": "A"} /* open', 1, "unclosed /* comment"),
        ("[1, 2]", 1, "the top level must be a JSON object"),
        ('{"name": "A" "b": 1}', 1, "Expecting ',' delimiter"),
    ],
)
def test_syntax(text: str, line: int | None, reason: str | None) -> None:
    if reason is None:
        with pytest.raises(json.JSONDecodeError) as expected:
            json.loads(text)
        line, reason = expected.value.lineno, expected.value.msg
    with pytest.raises(SpecSyntaxError) as info:
        parse_spec(FILE, text.encode())
    assert info.value.file == FILE
    assert info.value.line == line
    assert info.value.reason.startswith(reason)


def test_not_utf8() -> None:
    with pytest.raises(SpecSyntaxError) as info:
        parse_spec(FILE, b'{"name": "\xff"}')
    assert info.value.reason.startswith("not UTF-8")


def test_syntax_error_points_past_comments() -> None:
    # Comments are blanked in place, so the line/column still point into the original text.
    text = '// header\n/* two\nlines */ {\n  "a": 1,\n  "b": oops\n}'
    with pytest.raises(SpecSyntaxError) as info:
        parse_spec(FILE, text.encode())
    assert (info.value.line, info.value.column) == (5, 8)


# --- the loose typing Kafka accepts ---------------------------------------------------------------


def only_field(data: dict[str, Any]) -> FieldSpec:
    msg = checked(data)
    return msg.children[0]


@pytest.mark.parametrize(
    ("f", "value"),
    [
        (field("A", "int32", default=-1), -1),  # a JSON number where Kafka wants a string
        (field("A", "int64", default=-1), -1),
        (field("A", "int32", default="0x7fffffff"), 2**31 - 1),
        (field("A", "int16", default="0x-1"), -1),  # Short.valueOf("-1", 16)
        (field("A", "uint16", default="0xffff"), 65535),
        (field("A", "uint32", default=4294967295), 4294967295),
        (field("A", "int8", default="-128"), -128),
        (field("A", "bool", default=True), True),
        (field("A", "bool", default="TRUE"), True),  # equalsIgnoreCase
        (field("A", "bool", default=False), False),
        (field("A", "float64", default=1.5), 1.5),
        (field("A", "float64", default="-2.25"), -2.25),
        (field("A", "float64", default="1e3"), 1000.0),
        (field("A", "float64", default="2d"), 2.0),  # Java's type suffixes
        (field("A", "float64", default=".5F"), 0.5),
        (field("A", "float64", default="-Infinity"), float("-inf")),
        (field("S", "string", default=7), "7"),
        (field("S", "string", default=""), ""),
        (field("S", "string", default="null", nullableVersions="0+"), None),
        (field("B", "bytes", default="null", nullableVersions="0+"), None),
        (field("B", "bytes"), b""),
        (field("U", "uuid"), b"\x00" * 16),
        (field("U", "uuid", default="AAAAAAAAAAAAAAAAAAAAAQ"), b"\x00" * 15 + b"\x01"),
        (field("U", "uuid", default="_____________________w=="), b"\xff" * 16),
        (field("R", "records", default="null"), None),
        (field("L", "[]int32"), ()),
    ],
)
def test_default_accepted(f: dict[str, Any], value: Any) -> None:
    assert default_value(only_field(spec(f))) == value


def test_versions_given_as_numbers() -> None:
    msg = checked(spec(field("A", versions=1), validVersions=2, flexibleVersions="none"))
    assert (msg.valid_versions.lowest, msg.valid_versions.highest) == (2, 2)
    assert str(msg.children[0].field_versions) == "1"


def test_versions_default_to_tagged_versions() -> None:
    f = only_field(spec({"name": "A", "type": "int32", "taggedVersions": "1+", "tag": 0}))
    assert str(f.field_versions) == "1+"


def test_removed_api_with_only_valid_versions_none() -> None:
    data = {"apiKey": 4, "type": "request", "name": "LeaderAndIsrRequest", "validVersions": "none"}
    result, _ = compile_specs({"LeaderAndIsrRequest.json": json.dumps(data).encode()}, "9.9.9")
    assert result.modules == []
    assert [(e.name, e.api_key) for e in result.removed] == [("LeaderAndIsrRequest", 4)]


def test_comments_and_slashes_inside_strings() -> None:
    text = b"""// Licensed to the ASF
/* a block
   comment */
{
  "apiKey": 50, // trailing comment
  "type": "request",
  "name": "FooRequest",
  "validVersions": "0-1", /* inline */ "flexibleVersions": "none",
  "fields": [
    { "name": "Url", "type": "string", "versions": "0+",
      "default": "http://example.com/* not a comment */",
      "about": "an \\"escaped // quote\\" stays" }
  ]
}
"""
    data = parse_spec(FILE, text).data
    f = data["fields"][0]
    assert f["default"] == "http://example.com/* not a comment */"
    assert f["about"] == 'an "escaped // quote" stays'
    assert data["flexibleVersions"] == "none"
    assert default_value(checked(data).children[0]) == "http://example.com/* not a comment */"


def test_strip_comments_keeps_positions() -> None:
    text = 'a // b\n/* c\nd */ e "//f"'
    out = strip_comments(text)
    assert len(out) == len(text)
    assert out.splitlines() == ["a     ", "    ", '     e "//f"']


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0\tNONE\tfalse\tfalse\t\n3\tX\ttrue\n", "line 2 is not an error entry"),
        ("0\tNONE\tfalse\tfalse\t\nx\tX\tfalse\tfalse\tm\n", "bad code 'x'"),
        ("0\tNONE\tfalse\tmaybe\t\n", "line 1 is not an error entry"),
        (
            "0\tNONE\tfalse\tfalse\t\n3\tA\tfalse\tfalse\tm\n3\tB\tfalse\tfalse\tm\n",
            "code 3 is both A and B",
        ),
        (
            "0\tNONE\tfalse\tfalse\t\n3\tA_ERROR\tfalse\tfalse\tm\n4\tA\tfalse\tfalse\tm\n",
            "both become class AError",
        ),
        ("3\tA\tfalse\tfalse\tm\n", "no NONE entry at code 0"),
    ],
)
def test_error_table_refuses(text: str, reason: str) -> None:
    with pytest.raises(SpecError) as info:
        error_table.parse_errors(text.encode())
    assert info.value.rule == "error-table"
    assert reason in str(info.value)
