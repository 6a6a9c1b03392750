"""Golden tests: small hand-written specs (tests/codegen/fixtures) compiled and rendered, compared
with the committed expected output (tests/codegen/golden); then the rendered modules are
imported and round-trip values, with bytes derived by hand from the protocol layout.

Refresh the golden files deliberately, after reading the diff:
    KAFKAPROTO_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/codegen/test_golden.py
"""

from __future__ import annotations

import importlib.util
import os
import random
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from kafkaproto.codegen.__main__ import compile_specs
from kafkaproto.codegen.emit import PACKAGE_DIR, render
from kafkaproto.message import RawTaggedField

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
KAFKA_VERSION = "0.0.0-golden"
UPDATE = os.environ.get("KAFKAPROTO_UPDATE_GOLDEN") == "1"


def fixture_specs() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(FIXTURES.glob("*.json"))}


def fixture_errors() -> bytes:
    return (FIXTURES / "Errors.tsv").read_bytes()


def rendered(specs: dict[str, bytes]) -> dict[str, str]:
    plan, source = compile_specs(specs, KAFKA_VERSION, fixture_errors())
    return render(plan, source)


def golden_name(rel: str) -> str | None:
    """Where a rendered file's expected text lives (``None``: not kept, e.g. ``py.typed``)."""
    name = Path(rel).name
    if name == "py.typed":
        return None
    return "messages_init.py" if name == "__init__.py" else name


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return rendered(fixture_specs())


def test_fixtures_exist() -> None:
    assert len(fixture_specs()) >= 3


def test_golden_output(files: dict[str, str]) -> None:
    expected_names = set()
    for rel, text in files.items():
        name = golden_name(rel)
        if name is None:
            continue
        expected_names.add(name)
        path = GOLDEN / name
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        assert path.exists(), f"{name} has no golden file; run with KAFKAPROTO_UPDATE_GOLDEN=1"
        assert text == path.read_text(encoding="utf-8"), (
            f"{rel} differs from tests/codegen/golden/{name}; if the change is intended, "
            "refresh with KAFKAPROTO_UPDATE_GOLDEN=1 and review the diff"
        )
    stale = {p.name for p in GOLDEN.iterdir() if p.is_file()} - expected_names
    if UPDATE:
        for name in stale:
            (GOLDEN / name).unlink()
        stale = set()
    assert not stale, f"golden files no longer produced: {sorted(stale)}"


# --- determinism -----------------------------------------------------------------------------


def test_rendering_twice_is_identical(files: dict[str, str]) -> None:
    assert rendered(fixture_specs()) == files


def test_input_order_does_not_matter(files: dict[str, str]) -> None:
    items = list(fixture_specs().items())
    for seed in (1, 2):
        random.Random(seed).shuffle(items)
        assert rendered(dict(items)) == files


# --- the features the fixtures are there for -----------------------------------------------------


def test_one_class_per_message_and_struct_one_codec_per_layout(files: dict[str, str]) -> None:
    gold = files[str(PACKAGE_DIR / "gold.py")]
    # One class per message and per struct, whatever the versions.
    assert 'class GoldRequest(ApiRequest["GoldResponse"]):' in gold
    assert "class GoldRequestPartition(Struct):" in gold
    assert "V0" not in gold and "V1(" not in gold
    # GoldRequest v0 and v1 have the same layout: one codec, named after v0, serves both.
    assert "def _enc_GoldRequest_v0(" in gold and "def _dec_GoldRequest_v0(" in gold
    assert "_GoldRequest_v1(" not in gold
    # A struct whose own fields did not change keeps its codec when a child struct changes:
    # GoldTopic's own layout changes at v2 (flexible, TopicId), not at v3 (Partition's turn).
    assert "_GoldRequestGoldTopic_v2(" in gold and "_GoldRequestGoldTopic_v3(" not in gold
    # The newest stable version (v3 is unstable), on the request and the response alike:
    # Kafka's ApiMessageType reads it from the request spec only.
    request = gold[gold.index("class GoldRequest(") :]
    assert "max_version = 3" in request[:600] and "latest_stable_version = 2" in request[:600]
    response = gold[gold.index("class GoldResponse(") :]
    assert "latest_stable_version = 2" in response[:600]
    # Field facts are keyword lines with field()'s own defaults left out.
    assert 'field("int32", versions="2+", default=-1)' in gold
    assert 'versions="0+"' not in gold and 'nullable="none"' not in gold


def test_header_says_what_it_came_from(files: dict[str, str]) -> None:
    gold = files[str(PACKAGE_DIR / "gold.py")]
    assert "GoldRequest.json (sha256 " in gold and "GoldResponse.json (sha256 " in gold
    assert "do not edit" in gold.lower()
    # The Kafka version lives in the index only, so a version bump leaves modules whose specs
    # did not change untouched in the diff.
    assert KAFKA_VERSION not in gold
    assert f'KAFKA_VERSION = "{KAFKA_VERSION}"' in files[str(PACKAGE_DIR / "__init__.py")]


# --- importing the rendered modules ---------------------------------------------------------------


@pytest.fixture(scope="module")
def mods(
    files: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ModuleType]]:
    """The rendered modules, imported from a temporary directory under private names (they import
    only ``kafkaproto.message`` and ``kafkaproto.wire``, so they need no package)."""
    root = tmp_path_factory.mktemp("golden_import")
    out: dict[str, ModuleType] = {}
    for rel, text in files.items():
        name = Path(rel).name
        if not name.endswith(".py") or name == "__init__.py":
            continue
        path = root / name
        path.write_text(text, encoding="utf-8")
        mod_name = f"_kafkaproto_golden_{path.stem}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        out[path.stem] = module
    yield out
    for module in out.values():
        sys.modules.pop(module.__name__, None)


def roundtrip(obj: Any, version: int) -> bytes:
    data: bytes = obj.encode(version)
    assert type(obj).decode(data, version) == obj
    return data


def test_every_class_round_trips_its_defaults(mods: dict[str, ModuleType]) -> None:
    count = 0
    for module in mods.values():
        for name in dir(module):
            cls = getattr(module, name)
            if (
                isinstance(cls, type)
                and hasattr(cls, "max_version")
                and cls.__module__ == module.__name__
            ):
                for version in range(cls.min_version, cls.max_version + 1):
                    roundtrip(cls(), version)
                    count += 1
    assert count == 4 + 4 + 3 + 2  # GoldRequest, GoldResponse, GoldHeader, GoldSnapshot


def test_gold_request_v0_default_bytes(mods: dict[str, ModuleType]) -> None:
    gold = mods["gold"]
    expected = (
        struct.pack(">i", 0x7FFFFFFF)  # TimeoutMs default "0x7fffffff"
        + struct.pack(">h", -1)  # Acks default -1 (a JSON number)
        + struct.pack(">d", 0.5)  # Ratio
        + struct.pack(">H", 9092)  # Port, uint16
        + struct.pack(">I", 0)  # Count, uint32
        + b"\x01"  # Enabled default true
        + struct.pack(">i", 0) * 3  # Ids, Names, Topics: empty, int32 length (not flexible)
    )
    assert roundtrip(gold.GoldRequest(), 0) == expected
    assert roundtrip(gold.GoldRequest(), 1) == expected  # same layout as v0


def test_gold_request_v1_values(mods: dict[str, ModuleType]) -> None:
    gold = mods["gold"]
    msg = gold.GoldRequest(
        timeout_ms=5,
        acks=1,
        ratio=-2.0,
        port=65535,
        count=2**32 - 1,
        enabled=False,
        ids=[1, -2],
        names=["a", "bc"],
        topics=[
            gold.GoldRequestGoldTopic(name="t", partitions=[gold.GoldRequestPartition(index=7)])
        ],
    )
    expected = (
        struct.pack(">ihdHI?", 5, 1, -2.0, 65535, 2**32 - 1, False)
        + struct.pack(">iii", 2, 1, -2)  # Ids
        + struct.pack(">ih", 2, 1)
        + b"a"
        + struct.pack(">h", 2)
        + b"bc"  # Names: int16 lengths
        + struct.pack(">ih", 1, 1)
        + b"t"  # one topic, its name
        + struct.pack(">ii", 1, 7)  # one partition, Index 7 (Epoch comes in v2)
    )
    assert roundtrip(msg, 1) == expected


def test_fields_a_version_lacks(mods: dict[str, ModuleType]) -> None:
    """Java's rules: writing a non-default value in a field the version lacks is an error
    naming message, field and version (unless the field is ignorable); reading a version fills
    the fields it lacks with their defaults."""
    from kafkaproto.errors import EncodeError

    gold = mods["gold"]
    topic = gold.GoldRequestGoldTopic(
        name="t", partitions=[gold.GoldRequestPartition(index=7, epoch=3)]
    )
    with pytest.raises(EncodeError) as info:
        gold.GoldRequest(topics=[topic]).encode(1)
    err = info.value
    assert err.what == "GoldRequest v1"
    assert err.field == "topics[0].partitions[0].epoch"
    assert "versions 2+" in str(err)
    assert len(gold.GoldRequest(topics=[topic]).encode(2)) > 0  # v2 has Epoch
    decoded = gold.GoldRequest.decode(gold.GoldRequest(timeout_ms=1).encode(0), 0)
    assert decoded.records is None and decoded.leader is None and decoded.rack is None
    assert decoded.extra == gold.GoldRequestGoldExtra()  # Weight defaults to -1
    assert decoded.extra.weight == -1
    # Unknown tagged fields need a flexible version.
    raw = gold.GoldResponse(unknown_tagged_fields=[RawTaggedField(9, b"x")])
    with pytest.raises(EncodeError, match="unknown_tagged_fields"):
        raw.encode(1)
    assert gold.GoldResponse.decode(raw.encode(2), 2) == raw


def test_gold_request_v3_tagged_fields(mods: dict[str, ModuleType]) -> None:
    gold = mods["gold"]
    fixed = struct.pack(">ihdHI?", 0x7FFFFFFF, -1, 0.5, 9092, 0, True)
    body = (
        fixed
        + b"\x01\x01\x01"  # Ids, Names, Topics: empty compact arrays (length + 1)
        + b"\x01"  # Payload: compact bytes, empty
        + b"\x00"  # Records: nullable, null
        + b"\xff"  # Leader: nullable struct, null
    )
    assert roundtrip(gold.GoldRequest(), 3) == body + b"\x00"  # no tagged fields
    msg = gold.GoldRequest(rack="r1", extra=gold.GoldRequestGoldExtra(weight=5))
    tags = (
        b"\x02"  # two tagged fields
        + b"\x00\x03"
        + b"\x03r1"  # tag 0, size 3: compact nullable string "r1"
        + b"\x01\x09"
        + struct.pack(">q", 5)
        + b"\x00"  # tag 1, size 9: Weight, no tags
    )
    assert roundtrip(msg, 3) == body + tags
    leader = gold.GoldRequestPartition(index=4, epoch=9)
    with_leader = gold.GoldRequest(leader=leader, payload=None)
    data = roundtrip(with_leader, 3)
    assert (
        data
        == fixed
        + b"\x01\x01\x01"
        + b"\x00\x00"
        + b"\x01"
        + struct.pack(">ii", 4, 9)
        + b"\x00"
        + b"\x00"
    )


def test_gold_response_bytes(mods: dict[str, ModuleType]) -> None:
    gold = mods["gold"]
    resp = gold.GoldResponse(throttle_time_ms=5, error_code=3)
    assert roundtrip(resp, 0) == struct.pack(">ih", 5, 3)
    # v1: ErrorMessage, nullable, default null: int16 length -1.
    assert roundtrip(gold.GoldResponse(), 1) == struct.pack(">ihh", 0, 0, -1)
    # v2: flexible, compact nullable string (length + 1), then the empty tag buffer.
    v2 = gold.GoldResponse(throttle_time_ms=5, error_code=3, error_message="hi")
    assert roundtrip(v2, 2) == struct.pack(">ih", 5, 3) + b"\x03hi" + b"\x00"


def test_header_client_id_stays_non_compact(mods: dict[str, ModuleType]) -> None:
    header = mods["gold_header"]
    v2 = header.GoldHeader(request_api_key=18, correlation_id=7, client_id="ab")
    # ClientId overrides flexibleVersions with "none": an int16 length even in flexible v2.
    assert roundtrip(v2, 2) == struct.pack(">hih", 18, 7, 2) + b"ab" + b"\x00"
    assert roundtrip(v2.replace(client_id=None), 2) == struct.pack(">hih", 18, 7, -1) + b"\x00"
    assert roundtrip(header.GoldHeader(request_api_key=1), 0) == struct.pack(">hi", 1, 0)


def test_error_table(mods: dict[str, ModuleType]) -> None:
    table = mods["error_table"]
    assert [cls.__name__ for cls in table.ERRORS] == [
        "UnknownServerError",  # NONE (code 0) has no class
        "UnknownTopicOrPartitionError",
        "NetworkError",  # NETWORK_EXCEPTION: _EXCEPTION folded into the Error suffix
    ]
    err = table.UnknownTopicOrPartitionError()
    assert (err.code, err.name, err.retriable, err.invalid_metadata) == (
        3,
        "UNKNOWN_TOPIC_OR_PARTITION",
        True,
        True,
    )
    assert err.message == "This server does not host this topic-partition."
    assert not table.NetworkError.invalid_metadata and table.NetworkError.retriable


def test_data_spec(mods: dict[str, ModuleType]) -> None:
    snap = mods["gold_snapshot"]
    uid = UUID(int=1)
    v0 = snap.GoldSnapshot(id=uid, tags=["x"], blob=b"\x01\x02")
    assert (
        roundtrip(v0, 0)
        == uid.bytes + struct.pack(">ih", 1, 1) + b"x" + struct.pack(">i", 2) + b"\x01\x02"
    )
    v1 = snap.GoldSnapshot(id=uid, tags=None, blob=b"")
    # Tags: compact nullable array, null = 0; Blob: compact bytes, empty = 1; no tags.
    assert roundtrip(v1, 1) == uid.bytes + b"\x00" + b"\x01" + b"\x00"
    assert snap.GoldSnapshot().id == UUID(int=0)
