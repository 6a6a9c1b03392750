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

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
KAFKA_VERSION = "0.0.0-golden"
UPDATE = os.environ.get("KAFKAPROTO_UPDATE_GOLDEN") == "1"


def fixture_specs() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(FIXTURES.glob("*.json"))}


def rendered(specs: dict[str, bytes]) -> dict[str, str]:
    plan, source = compile_specs(specs, KAFKA_VERSION)
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


def test_identical_versions_share_one_layout_class(files: dict[str, str]) -> None:
    gold = files[str(PACKAGE_DIR / "gold.py")]
    # GoldRequest v0 and v1 have the same fields: one layout, two final classes.
    assert "class _GoldRequestV0Layout(ApiMessage):" in gold
    assert "class _GoldRequestV1Layout" not in gold
    assert "class GoldRequestV1(_GoldRequestV0Layout):" in gold
    # The nested structs of v1 are aliases of v0's.
    assert "GoldRequestPartitionV1 = GoldRequestPartitionV0" in gold
    # Latest points at the newest stable version (v3 is unstable).
    assert "GoldRequestLatest = GoldRequestV2" in gold
    # The response of an unstable API version is unstable too, though only the request spec
    # carries latestVersionUnstable (Kafka's ApiMessageType reads it from the request).
    assert "GoldResponseLatest = GoldResponseV2" in gold
    v3 = gold[gold.index("class GoldResponseV3(") :]
    assert "unstable: ClassVar[bool] = True" in v3[: v3.index("_what_")]


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
def mods(files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    dict[str, ModuleType]
]:
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


def roundtrip(obj: Any) -> bytes:
    data: bytes = obj.encode()
    assert type(obj).decode(data) == obj
    return data


def test_every_class_round_trips_its_defaults(mods: dict[str, ModuleType]) -> None:
    count = 0
    for module in mods.values():
        for name in dir(module):
            cls = getattr(module, name)
            if isinstance(cls, type) and name[-1].isdigit() and hasattr(cls, "_encode_"):
                if name.startswith("_"):
                    continue
                roundtrip(cls())
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
    assert roundtrip(gold.GoldRequestV0()) == expected
    assert roundtrip(gold.GoldRequestV1()) == expected  # same layout as v0


def test_gold_request_v1_values(mods: dict[str, ModuleType]) -> None:
    gold = mods["gold"]
    msg = gold.GoldRequestV1(
        timeout_ms=5,
        acks=1,
        ratio=-2.0,
        port=65535,
        count=2**32 - 1,
        enabled=False,
        ids=[1, -2],
        names=["a", "bc"],
        topics=[
            gold.GoldRequestGoldTopicV1(
                name="t", partitions=[gold.GoldRequestPartitionV1(index=7)]
            )
        ],
    )
    expected = (
        struct.pack(">ihdHI?", 5, 1, -2.0, 65535, 2**32 - 1, False)
        + struct.pack(">iii", 2, 1, -2)  # Ids
        + struct.pack(">ih", 2, 1) + b"a" + struct.pack(">h", 2) + b"bc"  # Names: int16 lengths
        + struct.pack(">ih", 1, 1) + b"t"  # one topic, its name
        + struct.pack(">ii", 1, 7)  # one partition, Index 7 (Epoch comes in v2)
    )
    assert roundtrip(msg) == expected


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
    assert roundtrip(gold.GoldRequestV3()) == body + b"\x00"  # no tagged fields
    msg = gold.GoldRequestV3(rack="r1", extra=gold.GoldRequestGoldExtraV3(weight=5))
    tags = (
        b"\x02"  # two tagged fields
        + b"\x00\x03" + b"\x03r1"  # tag 0, size 3: compact nullable string "r1"
        + b"\x01\x09" + struct.pack(">q", 5) + b"\x00"  # tag 1, size 9: Weight, no tags
    )
    assert roundtrip(msg) == body + tags
    leader = gold.GoldRequestPartitionV3(index=4, epoch=9)
    with_leader = gold.GoldRequestV3(leader=leader, payload=None)
    data = roundtrip(with_leader)
    assert data == fixed + b"\x01\x01\x01" + b"\x00\x00" + b"\x01" + struct.pack(
        ">ii", 4, 9
    ) + b"\x00" + b"\x00"


def test_gold_response_bytes(mods: dict[str, ModuleType]) -> None:
    gold = mods["gold"]
    assert roundtrip(gold.GoldResponseV0(throttle_time_ms=5, error_code=3)) == struct.pack(
        ">ih", 5, 3
    )
    # v1: ErrorMessage, nullable, default null: int16 length -1.
    assert roundtrip(gold.GoldResponseV1()) == struct.pack(">ihh", 0, 0, -1)
    # v2: flexible, compact nullable string (length + 1), then the empty tag buffer.
    v2 = gold.GoldResponseV2(throttle_time_ms=5, error_code=3, error_message="hi")
    assert roundtrip(v2) == struct.pack(">ih", 5, 3) + b"\x03hi" + b"\x00"


def test_header_client_id_stays_non_compact(mods: dict[str, ModuleType]) -> None:
    header = mods["gold_header"]
    v2 = header.GoldHeaderV2(request_api_key=18, correlation_id=7, client_id="ab")
    # ClientId overrides flexibleVersions with "none": an int16 length even in flexible v2.
    assert roundtrip(v2) == struct.pack(">hih", 18, 7, 2) + b"ab" + b"\x00"
    assert roundtrip(v2.replace(client_id=None)) == struct.pack(">hih", 18, 7, -1) + b"\x00"
    assert roundtrip(header.GoldHeaderV0(request_api_key=1)) == struct.pack(">hi", 1, 0)


def test_data_spec(mods: dict[str, ModuleType]) -> None:
    snap = mods["gold_snapshot"]
    uid = UUID(int=1)
    v0 = snap.GoldSnapshotV0(id=uid, tags=["x"], blob=b"\x01\x02")
    assert roundtrip(v0) == uid.bytes + struct.pack(">ih", 1, 1) + b"x" + struct.pack(
        ">i", 2
    ) + b"\x01\x02"
    v1 = snap.GoldSnapshotV1(id=uid, tags=None, blob=b"")
    # Tags: compact nullable array, null = 0; Blob: compact bytes, empty = 1; no tags.
    assert roundtrip(v1) == uid.bytes + b"\x00" + b"\x01" + b"\x00"
    assert snap.GoldSnapshotV1().id == UUID(int=0)
