"""Hypothesis strategies for any generated class at any of its versions, drawn from its field
table at that version (fields the version lacks stay at their defaults)."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable
from typing import Any

import kafkaproto.messages as messages
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafkaproto.message import (
    ApiMessage,
    DataMessage,
    FieldAt,
    HeaderMessage,
    Message,
    RawTaggedField,
    Struct,
)

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
# Unknown tags well above every tag Kafka's specs use, so they stay unknown at every version.
UNKNOWN_TAGS = st.lists(
    st.builds(RawTaggedField, tag=st.integers(64, 300), data=st.binary(max_size=6)),
    max_size=2,
    unique_by=lambda raw: raw.tag,
).map(lambda raws: tuple(sorted(raws, key=lambda raw: raw.tag)))


def value(kind: str, field: FieldAt, version: int, depth: int) -> st.SearchStrategy[Any]:
    if kind == "bool":
        return st.booleans()
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        return st.one_of(st.sampled_from([lo, hi, 0, -1 if lo < 0 else 1]), st.integers(lo, hi))
    if kind == "float64":
        return st.floats(allow_nan=False)
    if kind == "uuid":
        return st.uuids()
    if kind == "string":
        return TEXT
    if kind in ("bytes", "records"):
        return st.binary(max_size=16)
    if kind == "struct":
        assert field.cls is not None
        return instances(field.cls, version, depth + 1)
    assert kind == "array" and field.elem is not None
    items = value(field.elem, field, version, depth)
    return st.lists(items, max_size=3 if depth < 3 else 1).map(tuple)


def instances(cls: type[Struct], version: int, depth: int = 0) -> st.SearchStrategy[Any]:
    lay = cls.layout(version)
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in lay.present:
        s = value(f.kind, f, version, depth)
        kwargs[f.attr] = st.one_of(st.none(), s) if f.nullable else s
    if lay.flexible:
        kwargs["unknown_tagged_fields"] = UNKNOWN_TAGS
    return st.builds(cls, **kwargs)


def all_message_classes() -> list[type[Message]]:
    """Every message class of every generated module, sorted by name."""
    found: dict[str, type[Message]] = {}
    for info in pkgutil.iter_modules(messages.__path__):
        mod = importlib.import_module(f"kafkaproto.messages.{info.name}")
        for name, obj in vars(mod).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, (ApiMessage, HeaderMessage, DataMessage))
                and obj.__module__ == mod.__name__
            ):
                found[name] = obj
    return [found[name] for name in sorted(found)]


def all_message_versions() -> list[tuple[type[Message], int]]:
    """Every (class, version) the generated code serves."""
    return [
        (cls, v)
        for cls in all_message_classes()
        for v in range(cls.min_version, cls.max_version + 1)
    ]


def version_id(case: tuple[type[Message], int]) -> str:
    return f"{case[0].__name__}-v{case[1]}"


def without_unknown_tags(obj: Any) -> Any:
    """``obj`` with every unknown tagged field dropped, recursively — what survives JSON, which
    (as in Kafka) has no place for them."""
    if type(obj) is tuple:
        return tuple(without_unknown_tags(v) for v in obj)
    if not isinstance(obj, Struct):
        return obj
    changes = {f.attr: without_unknown_tags(getattr(obj, f.attr)) for f in obj._fields_}
    if obj._has_unknown():
        changes["unknown_tagged_fields"] = ()
    return obj.replace(**changes)


# --- fuzzing the decoders ------------------------------------------------------------------------

#: Examples per class in the fuzz tests; `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs 50.
FUZZ_EXAMPLES = 50 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 6
#: Up to four byte edits of an encoding: (0 overwrite, 1 insert, 2 delete; where; byte).
EDITS = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 2**16), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)
NOISE = st.binary(max_size=64)


def fuzz_every_version(test: Callable[..., None]) -> Callable[..., None]:
    """``test(case, data, edits, noise)`` for every (class, version), with Hypothesis drawing
    ``data`` (for instances), ``edits`` (:data:`EDITS`) and ``noise`` (:data:`NOISE`)."""
    test = given(data=st.data(), edits=EDITS, noise=NOISE)(test)
    test = settings(
        max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck)
    )(test)
    marked: Callable[..., None] = pytest.mark.parametrize(
        "case", all_message_versions(), ids=version_id
    )(test)
    return marked


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """``data`` with ``edits`` (drawn from :data:`EDITS`) applied."""
    out = bytearray(data)
    for kind, where, byte in edits:
        if not out:
            out.append(byte)
            continue
        i = where % len(out)
        if kind == 0:
            out[i] = byte  # overwrite
        elif kind == 1:
            out.insert(i, byte)  # insert
        else:
            del out[i]  # delete
    return bytes(out)
