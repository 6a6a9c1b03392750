"""Conformance of every generated class at every version against Kafka's own Java message
classes.

For every request, response, header and data-structure version the generated code knows, N seeded
random instances (drawn by a small generator over the field tables that deliberately mixes nulls,
empty and larger arrays, tagged fields set and unset, unknown tagged fields, unicode strings,
extreme integers and awkward floats) are checked in both directions through the one Harness JVM:

  json   our encode() == Java's bytes for the message Java builds from our to_json()
         (instances without unknown tagged fields and with finite floats only: JSON has no place
         for unknown tags, and Kafka's JSON reader cannot read NaN/Infinity back)
  bytes  Java decodes our bytes and writes them again, byte for byte (every instance, including
         unknown tagged fields, which Java keeps raw, and NaN/Infinity floats)
  back   our decode() of Java's bytes, then to_json(), equals Java's JSON of those bytes, compared
         as parsed values (floats by value and sign, so 1.0 / 1.0E300 / -0.0 spellings differ
         harmlessly). Records fields: Kafka writes them as "" (serialize_records=true) or as
         "<field>SizeInBytes": n (serialize_records=false); cases alternate between the two, and
         our side is compared as "" resp. the byte length of our records.

A message version passes when all of its cases pass all three checks. Versions the harness
cannot express are listed with the reason (none at Kafka 4.4.0). Prints

    conformance: A/B message versions byte-identical (N cases, S seconds)

and exits 1 when A != B, showing the first failures with a hex diff and the field path where the
bytes part (found from our reference codec's field spans).

    .venv/bin/python tests/oracle/conformance.py [--cases 20] [--seed 1] [--show 10]

It never edits what it checks: a difference is a bug to fix in the compiler or the runtime.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import re
import struct
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "messages"))

from harness import OracleHarness  # noqa: E402
from kafkaproto import reference_codec  # noqa: E402
from kafkaproto.message import FieldAt, Message, RawTaggedField, Struct  # noqa: E402
from message_strategies import all_message_versions  # noqa: E402

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}
# Finite floats whose JSON spelling or bits are awkward: signed zero, subnormals, the extremes,
# integral values (Python writes 1.0, which Kafka's reader needs; 1 would be refused).
FLOATS = (
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    1e16,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    5e-324,
    2.2250738585072014e-308,
    123456789.0,
)
NONFINITE = (math.nan, math.inf, -math.inf)
UNICODE = (
    "",
    "a",
    "é",
    "日本語",
    "\U0001f600 emoji",
    "\x00nul",
    "tab\tnew\nline",
    '"quoted" \\ back',
    "\u200b\ufeff",
    "Ω≈ç√",
    "\U00010348\U0001d11e",
)
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.é日\U0001f600"


@dataclass
class Coverage:
    """What the draws hit, so a run shows it exercised the awkward cases."""

    hits: Counter[str] = field(default_factory=Counter)

    def __call__(self, what: str) -> None:
        self.hits[what] += 1

    def line(self) -> str:
        keys = (
            "null",
            "empty array",
            "array >= 5",
            "array >= 128",
            "tagged set",
            "tagged unset",
            "unknown tags",
            "non-ascii string",
            "int extreme",
            "float awkward",
            "float non-finite",
            "bytes >= 128",
            "repeated item",
        )
        return ", ".join(f"{k} {self.hits[k]}" for k in keys)


class Draw:
    """Seeded random values over a field table. ``profile`` biases one instance: "plain"
    (everything at its default), "extreme" (edges everywhere, larger arrays), or "mixed"."""

    def __init__(
        self, rng: random.Random, profile: str, unknown: bool, nonfinite: bool, cov: Coverage
    ) -> None:
        self.rng = rng
        self.profile = profile
        self.unknown = unknown
        self.nonfinite = nonfinite
        self.cov = cov
        self.budget = 600  # values per instance: keeps nested arrays from exploding

    def edge(self) -> bool:
        return self.rng.random() < (0.7 if self.profile == "extreme" else 0.25)

    def instance(self, cls: type[Struct], version: int, depth: int = 0) -> Any:
        if self.profile == "plain" and depth == 0:
            return cls()
        lay = cls.layout(version)
        kwargs: dict[str, Any] = {}
        for f in lay.present:
            if f.tag >= 0 and self.rng.random() < 0.4:
                self.cov("tagged unset")
                continue  # stays at its default: not written
            kwargs[f.attr] = self.field_value(f, version, depth)
            if f.tag >= 0:
                self.cov("tagged set" if kwargs[f.attr] != f.default else "tagged unset")
        if lay.flexible and self.unknown and self.rng.random() < 0.6:
            kwargs["unknown_tagged_fields"] = self.unknown_tags(cls, version)
        return cls(**kwargs)

    def unknown_tags(self, cls: type[Struct], version: int) -> tuple[RawTaggedField, ...]:
        lay = cls.layout(version)
        taken = {f.tag for f in lay.present if f.tag >= 0} | set(lay.reserved_tags)
        pool = [t for t in (*range(12), 127, 128, 300, 16383, 16384, 70000) if t not in taken]
        tags = sorted(self.rng.sample(pool, self.rng.randint(1, 3)))
        self.cov("unknown tags")
        return tuple(
            RawTaggedField(t, self.raw_bytes(self.rng.choice((0, 3, 9, 200)))) for t in tags
        )

    def raw_bytes(self, n: int) -> bytes:
        if n >= 128:
            self.cov("bytes >= 128")
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def field_value(self, f: FieldAt, version: int, depth: int) -> Any:
        self.budget -= 1
        if f.nullable and (self.rng.random() < (0.4 if self.profile == "extreme" else 0.15)):
            self.cov("null")
            return None
        if f.kind == "array":
            assert f.elem is not None
            n = self.array_length(depth)
            if f.elem != "struct" and self.profile == "extreme" and self.rng.random() < 0.1:
                n = 130  # a compact length that needs two varint bytes
                self.cov("array >= 128")
            elem = f._replace(kind=f.elem, nullable=False)
            items = [self.value(elem, version, depth + 1) for _ in range(n)]
            if n >= 2 and self.rng.random() < 0.2:
                # A repeated item: Kafka keeps duplicates in keyed arrays (multi-collections).
                items[-1] = items[0]
                self.cov("repeated item")
            return tuple(items)
        return self.value(f, version, depth)

    def array_length(self, depth: int) -> int:
        if self.budget <= 0:
            return 0
        r = self.rng.random()
        if r < 0.25:
            n = 0
        elif depth == 0 and (self.profile == "extreme" or r > 0.85):
            n = self.rng.randint(5, 24)
        elif depth <= 2:
            n = self.rng.randint(1, 4)
        else:
            n = self.rng.randint(0, 1)
        self.cov("empty array" if n == 0 else "array >= 5" if n >= 5 else "array small")
        return n

    def value(self, f: FieldAt, version: int, depth: int) -> Any:
        kind, rng = f.kind, self.rng
        if kind == "bool":
            return rng.random() < 0.5
        if kind in INT_RANGES:
            lo, hi = INT_RANGES[kind]
            if self.edge():
                self.cov("int extreme")
                return rng.choice((lo, hi, lo + 1, hi - 1, 0, -1 if lo < 0 else 1))
            return (
                rng.randint(lo, hi)
                if rng.random() < 0.5
                else rng.randint(max(lo, -3), min(hi, 300))
            )
        if kind == "float64":
            if self.nonfinite and rng.random() < 0.5:
                self.cov("float non-finite")
                return rng.choice(NONFINITE)
            if self.edge():
                self.cov("float awkward")
                if rng.random() < 0.3:
                    # An int where a float64 goes (the type hint allows it): still a float to Kafka.
                    return rng.choice((0, 1, -7, 2**53))
                return rng.choice(FLOATS)
            while True:  # any finite bit pattern
                x: float = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
                if math.isfinite(x):
                    return x
        if kind == "uuid":
            if self.edge():
                return rng.choice((UUID(int=0), UUID(int=2**128 - 1), UUID(int=1)))
            return UUID(int=rng.getrandbits(128))
        if kind == "string":
            return self.string()
        if kind in ("bytes", "records"):
            return self.raw_bytes(
                rng.choice((0, 1, 7, 33, 130)) if self.edge() else rng.randint(0, 20)
            )
        if kind == "struct":
            assert f.cls is not None
            return self.instance(f.cls, version, depth + 1)
        raise AssertionError(f"no generator for kind {kind}")

    def string(self) -> str:
        rng = self.rng
        if self.edge():
            s = rng.choice(UNICODE)
            if rng.random() < 0.3:
                s = s * rng.randint(2, 40)
        else:
            s = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 16)))
        if not s.isascii():
            self.cov("non-ascii string")
        return s


# --- spec names and the cases for one instance ------------------------------------------------


def has_unknown_tags(obj: Any) -> bool:
    if type(obj) is tuple:  # an array (generated structs are tuple subclasses)
        return any(has_unknown_tags(v) for v in obj)
    if not isinstance(obj, Struct):
        return False
    if obj._unknown():
        return True
    return any(has_unknown_tags(v) for v in obj[: len(obj._fields_)])


def has_nonfinite(obj: Any) -> bool:
    if isinstance(obj, float):
        return not math.isfinite(obj)
    if type(obj) is tuple:
        return any(has_nonfinite(v) for v in obj)
    if isinstance(obj, Struct):
        return any(has_nonfinite(v) for v in obj[: len(obj._fields_)])
    return False


def records_as_kafka_writes(
    cls: type[Struct], version: int, doc: Any, serialize_records: bool
) -> Any:
    """Our to_json() with records fields as Kafka's JsonConverter writes them: "" when
    serialize_records, else "<field>SizeInBytes": <byte length> (null stays null)."""
    if not isinstance(doc, dict):
        return doc
    out = dict(doc)
    for f in cls.layout(version).present:
        if f.json not in out:
            continue
        value = out[f.json]
        if f.kind == "records" and value is not None:
            if serialize_records:
                out[f.json] = ""
            else:
                del out[f.json]
                out[f.json + "SizeInBytes"] = len(base64.b64decode(value))
        elif f.cls is not None and value is not None:
            if f.kind == "struct":
                out[f.json] = records_as_kafka_writes(f.cls, version, value, serialize_records)
            else:
                out[f.json] = [
                    records_as_kafka_writes(f.cls, version, v, serialize_records) for v in value
                ]
    return out


def json_diff(ours: Any, theirs: Any, path: str = "") -> str | None:
    """The first path where two parsed JSON values differ (None if they agree). Floats agree
    when equal including the sign of zero; NaN agrees with NaN."""
    if isinstance(ours, float) or isinstance(theirs, float):
        if isinstance(ours, bool) or isinstance(theirs, bool):
            return path or "<root>"
        if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)):
            return path or "<root>"
        a, b = float(ours), float(theirs)
        if math.isnan(a) and math.isnan(b):
            return None
        if a == b and math.copysign(1, a) == math.copysign(1, b):
            return None
        return path or "<root>"
    if type(ours) is not type(theirs):
        return path or "<root>"
    if isinstance(ours, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours or key not in theirs:
                return f"{path}.{key}".lstrip(".")
            d = json_diff(ours[key], theirs[key], f"{path}.{key}")
            if d is not None:
                return d.lstrip(".")
        return None
    if isinstance(ours, list):
        if len(ours) != len(theirs):
            return f"{path} (length {len(ours)} vs {len(theirs)})"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            d = json_diff(a, b, f"{path}[{i}]")
            if d is not None:
                return d
        return None
    return None if ours == theirs else (path or "<root>")


def hex_diff(ours: bytes, theirs: bytes, at: int, width: int = 24) -> str:
    lo = max(0, at - 8)
    return (
        f"      ours   [{lo}:] {ours[lo : lo + width].hex(' ')} (len {len(ours)})\n"
        f"      kafka  [{lo}:] {theirs[lo : lo + width].hex(' ')} (len {len(theirs)})"
    )


def first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


@dataclass
class Case:
    cls: type[Message]
    spec: str
    version: int
    obj: Message
    data: bytes
    index: int
    json_ok: bool  # JSON can express the instance
    serialize_records: bool
    failures: list[str] = field(default_factory=list)

    def fail_bytes(self, check: str, theirs: bytes) -> None:
        at = first_difference(self.data, theirs)
        spans: list[reference_codec.Span] = []
        reference_codec.encode_with_spans(self.obj, self.version, spans)
        where = reference_codec.field_at(spans, at) or "<end of message>"
        self.failures.append(
            f"{check}: bytes part at offset {at}, field {where}\n{hex_diff(self.data, theirs, at)}"
        )


def make_cases(
    versions: Sequence[tuple[type[Message], int]], n: int, seed: int, cov: Coverage
) -> list[Case]:
    cases: list[Case] = []
    for cls, version in versions:
        # The Java class is <spec>Data (or <spec> for headers); one seed per message version.
        spec = cls.__name__
        rng = random.Random(f"{seed}:{spec}V{version}")
        for i in range(n):
            # One plain instance, then alternate extreme and mixed ones; every third instance of
            # a flexible class carries unknown tags, every fifth non-finite floats (bytes only).
            profile = "plain" if i == 0 else "extreme" if i % 2 else "mixed"
            unknown = cls.layout(version).flexible and i % 3 == 2
            nonfinite = i % 5 == 4
            obj = Draw(rng, profile, unknown, nonfinite, cov).instance(cls, version)
            json_ok = not has_unknown_tags(obj) and not has_nonfinite(obj)
            cases.append(
                Case(
                    cls,
                    spec,
                    version,
                    obj,
                    obj.encode(version),
                    i,
                    json_ok,
                    serialize_records=i % 2 == 0,
                )
            )
    return cases


def run(harness: OracleHarness, cases: list[Case]) -> None:
    """Three checks per case in two pipelined batches (the second needs Java's bytes)."""
    batch: list[dict[str, Any]] = []
    for case in cases:
        base = {"spec": case.spec, "version": case.version}
        batch.append({**base, "op": "bytes_roundtrip", "hex": case.data.hex()})
        if case.json_ok:
            batch.append({**base, "op": "json_to_bytes", "json": case.obj.to_json(case.version)})
    answers = iter(harness.call_many(batch))
    kafka_bytes: list[bytes | None] = []
    for case in cases:
        rt = next(answers)
        theirs: bytes | None = None
        if not rt["ok"]:
            case.failures.append(f"bytes: Kafka refused our bytes: {rt['error']}")
        else:
            theirs = bytes.fromhex(rt["hex"])
            if theirs != case.data:
                case.fail_bytes("bytes", theirs)
        if case.json_ok:
            jb = next(answers)
            if not jb["ok"]:
                case.failures.append(f"json: Kafka refused our to_json(): {jb['error']}")
            else:
                built = bytes.fromhex(jb["hex"])
                if built != case.data:
                    case.fail_bytes("json", built)
                theirs = built if theirs is None else theirs
        kafka_bytes.append(theirs)

    back = [(case, data) for case, data in zip(cases, kafka_bytes, strict=True) if data is not None]
    answers = iter(
        harness.call_many(
            {
                "op": "bytes_to_json",
                "spec": case.spec,
                "version": case.version,
                "hex": data.hex(),
                "serialize_records": case.serialize_records,
            }
            for case, data in back
        )
    )
    for case, data in back:
        answer = next(answers)
        if not answer["ok"]:
            case.failures.append(f"back: Kafka could not write JSON: {answer['error']}")
            continue
        try:
            ours = case.cls.decode(data, case.version).to_json(case.version)
        except Exception as exc:
            case.failures.append(f"back: our decode() refused Kafka's bytes: {exc}")
            continue
        ours = records_as_kafka_writes(
            case.cls, case.version, json.loads(json.dumps(ours)), case.serialize_records
        )
        where = json_diff(ours, answer["json"])
        if where is not None:
            case.failures.append(
                f"back: our to_json() of Kafka's bytes differs from Kafka's JSON at {where}\n"
                f"      ours  {json.dumps(ours)[:300]}\n"
                f"      kafka {json.dumps(answer['json'])[:300]}"
            )


# Message versions the harness cannot express ("<Class> v<N>"), with the reason. Empty at Kafka
# 4.4.0: every generated class resolves to a Kafka message class and every check applies.
# (Instances with unknown tagged fields or NaN/Infinity are checked by bytes only; that is a
# property of JSON, listed in the output as a count, not a message version left out.)
UNCHECKABLE: dict[str, str] = {}


@dataclass
class Result:
    passed: int
    total: int
    cases: int
    seconds: float
    failures: list[str]  # one block per failing message version: what, where, hex diff
    coverage: Coverage
    bytes_only: int

    def line(self) -> str:
        return (
            f"conformance: {self.passed}/{self.total} message versions byte-identical "
            f"({self.cases} cases, {self.seconds:.1f} seconds)"
        )


def conformance(
    cases_per_class: int = 20,
    seed: int = 1,
    versions: Sequence[tuple[type[Message], int]] | None = None,
    harness: OracleHarness | None = None,
) -> Result:
    started = time.monotonic()
    chosen = [
        (c, v)
        for c, v in (versions or all_message_versions())
        if f"{c.__name__} v{v}" not in UNCHECKABLE
    ]
    cov = Coverage()
    cases = make_cases(chosen, cases_per_class, seed, cov)
    if harness is None:
        with OracleHarness.start(timeout=300) as own:
            run(own, cases)
    else:
        run(harness, cases)
    failed: dict[str, list[Case]] = {}
    for case in cases:
        if case.failures:
            failed.setdefault(f"{case.cls.__name__} v{case.version}", []).append(case)
    blocks = []
    for name, bad in failed.items():
        case = bad[0]
        head = (
            f"{name}: {len(bad)} of {cases_per_class} cases fail; "
            f"first is case {case.index} (seed {seed})"
        )
        blocks.append("\n".join([head, *(f"    {msg}" for msg in case.failures[:3])]))
    return Result(
        passed=len(chosen) - len(failed),
        total=len(chosen) + len(UNCHECKABLE),
        cases=len(cases),
        seconds=time.monotonic() - started,
        failures=blocks,
        coverage=cov,
        bytes_only=sum(not c.json_ok for c in cases),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20, help="random instances per version")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=10, help="failing message versions to show")
    parser.add_argument("--only", default="", help="regex over '<Class> v<N>'")
    args = parser.parse_args(argv)
    versions = [
        (c, v) for c, v in all_message_versions() if re.search(args.only, f"{c.__name__} v{v}")
    ]
    result = conformance(args.cases, args.seed, versions)
    for name, why in UNCHECKABLE.items():
        print(f"not checkable: {name}: {why}")
    for block in result.failures[: args.show]:
        print(block)
    if len(result.failures) > args.show:
        print(f"... and {len(result.failures) - args.show} more failing message versions")
    print(f"coverage: {result.coverage.line()}")
    print(f"checked by bytes only (unknown tagged fields, NaN/Infinity): {result.bytes_only} cases")
    print(result.line())
    return 0 if result.passed == result.total else 1


if __name__ == "__main__":
    sys.exit(main())
