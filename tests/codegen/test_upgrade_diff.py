"""What a reviewer reads when Kafka changes a spec: synthetic edits of one spec, regenerated, and
the diff of the generated output measured (the same measure as `make upgrade-diff`). Each kind
of change Kafka makes costs a few lines where the change is, and never renumbers a name."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from kafkaproto.codegen.__main__ import compile_specs
from kafkaproto.codegen.emit import PACKAGE_DIR, render
from kafkaproto.codegen.upgrade_diff import FileDiff, line_diff

MODULE = str(PACKAGE_DIR / "diff_sample.py")

# A flexible request with a nested struct array inside a struct array, versions 0-3: v0 is the
# oldest (no Epoch), v1 adds Epoch to the partitions, v2 turns flexible, v3 adds a tagged field.
BASE: dict[str, Any] = {
    "apiKey": 901,
    "type": "request",
    "listeners": ["broker"],
    "name": "DiffSampleRequest",
    "validVersions": "0-3",
    "flexibleVersions": "2+",
    "fields": [
        {"name": "TimeoutMs", "type": "int32", "versions": "0+", "about": "The timeout."},
        {
            "name": "Topics",
            "type": "[]Topic",
            "versions": "0+",
            "about": "The topics.",
            "fields": [
                {"name": "Name", "type": "string", "versions": "0+", "about": "The name."},
                {
                    "name": "Partitions",
                    "type": "[]Partition",
                    "versions": "0+",
                    "about": "The partitions.",
                    "fields": [
                        {"name": "Index", "type": "int32", "versions": "0+", "about": "Index."},
                        {
                            "name": "Epoch",
                            "type": "int32",
                            "versions": "1+",
                            "default": "-1",
                            "about": "The epoch.",
                        },
                        {"name": "Offset", "type": "int64", "versions": "0+", "about": "Offset."},
                    ],
                },
            ],
        },
        {
            "name": "Rack",
            "type": "string",
            "versions": "3+",
            "nullableVersions": "3+",
            "default": "null",
            "taggedVersions": "3+",
            "tag": 0,
            "about": "The rack.",
        },
    ],
}


RESPONSE: dict[str, Any] = {
    "apiKey": 901,
    "type": "response",
    "name": "DiffSampleResponse",
    "validVersions": "0-3",
    "flexibleVersions": "2+",
    "fields": [{"name": "ErrorCode", "type": "int16", "versions": "0+", "about": "The error."}],
}


def generate(spec: dict[str, Any]) -> dict[str, str]:
    response = {**RESPONSE, "validVersions": spec["validVersions"]}
    specs = {
        "DiffSampleRequest.json": json.dumps(spec, indent=2).encode(),
        "DiffSampleResponse.json": json.dumps(response, indent=2).encode(),
    }
    plan, source = compile_specs(specs, "0.0.0-diff")
    return render(plan, source)


def diff(old: dict[str, str], new: dict[str, str]) -> dict[str, FileDiff]:
    out = {}
    for rel in sorted(set(old) | set(new)):
        d = line_diff(rel, old.get(rel), new.get(rel))
        if d.changed:
            out[rel] = d
    return out


def partition_fields(spec: dict[str, Any]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = spec["fields"][1]["fields"][1]["fields"]
    return fields


@pytest.fixture(scope="module")
def base() -> dict[str, str]:
    return generate(BASE)


def test_a_new_version_with_the_same_layout_changes_only_the_version_range(
    base: dict[str, str],
) -> None:
    spec = copy.deepcopy(BASE)
    spec["validVersions"] = "0-4"
    changes = diff(base, generate(spec))
    assert all(d.renumbered == 0 for d in changes.values())
    # The request's and the response's max_version and the module header's spec sha256s; the
    # index's version range; the manifest's line for each message. No code.
    module = changes[MODULE]
    assert (module.added, module.removed) == (3, 3)
    assert sum(d.changed for d in changes.values()) <= 12, changes


def test_a_new_version_adding_a_field_to_a_nested_struct(base: dict[str, str]) -> None:
    spec = copy.deepcopy(BASE)
    spec["validVersions"] = "0-4"
    partition_fields(spec).append(
        {"name": "LeaderId", "type": "int32", "versions": "4+", "about": "The leader."}
    )
    new = generate(spec)
    changes = diff(base, new)
    assert all(d.renumbered == 0 for d in changes.values())
    module = changes[MODULE]
    # Nothing of the message's or the topics' own code changes: their layouts did not.
    old_lines = set(base[MODULE].splitlines())
    new_lines = set(new[MODULE].splitlines())
    gone = old_lines - new_lines
    assert not [line for line in gone if "DiffSampleRequestTopic" in line], gone
    assert not [line for line in gone if "def _enc_DiffSampleRequest_v" in line], gone
    # The partition struct: its field line (+ doc), one codec pair for the new layout from v4,
    # and in each older layout's codecs one default value read and one absent-field check.
    added_defs = [line for line in new_lines - old_lines if line.startswith("def ")]
    assert added_defs and all("DiffSampleRequestPartition_v4(" in d for d in added_defs)
    text = new[MODULE]
    start = text.index("@array_encoder(DiffSampleRequestPartition, 4)")
    end = text.index("\n\n\n", text.index("def _deca_DiffSampleRequestPartition_v4("))
    run_lines = len(text[start:end].splitlines())  # the new layout's array encoder and decoder
    assert 30 <= run_lines <= 60, run_lines
    # Beside it: the header's sha256, the field's line and doc, two Struct constants, and in
    # each of the older layouts' three codecs (item encoder, array decoder's two paths) one
    # default or absent-field check, black reflowing a line or two of them (21 at this writing).
    older_runs = 3  # Partition's layouts from v0, v1 and v2
    assert module.added - run_lines <= 1 + 2 + 2 + 3 * older_runs + 8, (module, run_lines)
    assert module.removed <= 3 * older_runs + 1, module
    # Kafka writes this change in 3 lines (two validVersions, one field); the index and the
    # manifest add a line or two each.
    total = sum(d.changed for d in changes.values())
    assert total - module.changed <= 8, changes


def test_dropping_the_oldest_version_only_removes(base: dict[str, str]) -> None:
    spec = copy.deepcopy(BASE)
    spec["validVersions"] = "1-3"
    new = generate(spec)
    changes = diff(base, new)
    assert all(d.renumbered == 0 for d in changes.values())
    module = changes[MODULE]
    # min_version (request and response) and the header's sha256s change; the v0-only codecs
    # go; every other name stays as it was.
    assert module.added == 3, module
    gone = set(base[MODULE].splitlines()) - set(new[MODULE].splitlines())
    defs_gone = sorted(line for line in gone if line.startswith("def "))
    assert defs_gone and all("_v0(" in d for d in defs_gone), defs_gone
    assert "min_version = 1" in new[MODULE]
    assert sum(d.added for d in changes.values()) <= 6, changes


def test_renumbered_names_are_counted_changed_values_are_not() -> None:
    d = line_diff(
        "m.py",
        "    _x10e = o.topics\n    max_version = 4\n    e17_name, pos = r(buf)\n",
        "    _x13e = o.topics\n    max_version = 5\n    e20_name, pos = r(buf)\n",
    )
    assert (d.added, d.removed, d.renumbered) == (3, 3, 2)
