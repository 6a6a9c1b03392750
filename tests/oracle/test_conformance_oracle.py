"""Every generated class against Kafka's Java classes (tests/oracle/conformance.py), the checker
itself shown to catch a wrong byte, and the index of kafkaproto.messages against Kafka's
ApiMessageType. Marked `oracle` by this folder's conftest."""

from __future__ import annotations

import os
from uuid import UUID

import kafkaproto.messages as index
import pytest
from conformance import Case, conformance, run
from harness import OracleHarness
from kafkaproto.messages.api_versions import ApiVersionsRequestV3
from kafkaproto.messages.metadata import MetadataRequestTopicV12, MetadataRequestV12

CASES = int(os.environ.get("KAFKAPROTO_CONFORMANCE_CASES", "20"))


def test_every_message_version_is_byte_identical_to_kafka(oracle: OracleHarness) -> None:
    result = conformance(cases_per_class=CASES, seed=1, harness=oracle)
    print(result.line())
    assert result.total >= 600  # every request, response, header and data version
    assert result.cases == result.total * CASES
    assert not result.failures, "\n".join(result.failures[:10])
    assert result.passed == result.total
    # The draws reached the awkward cases, not only the easy ones.
    for what in ("null", "empty array", "array >= 5", "tagged set", "tagged unset"):
        assert result.coverage.hits[what] > 100, what
    for what in (
        "unknown tags",
        "non-ascii string",
        "int extreme",
        "float non-finite",
        "array >= 128",
    ):
        assert result.coverage.hits[what] > 10, what
    assert result.bytes_only > 100


def test_the_checker_reports_a_wrong_byte_with_its_field(oracle: OracleHarness) -> None:
    msg = MetadataRequestV12(
        topics=(MetadataRequestTopicV12(topic_id=UUID(int=7), name="abc"),),
        allow_auto_topic_creation=True,
    )
    good = msg.encode()
    # Flip a byte inside the topic name: both byte checks fail and name the field.
    at = good.index(b"abc") + 1
    bad = good[:at] + b"X" + good[at + 1 :]
    case = Case(MetadataRequestV12, "MetadataRequest", 12, msg, bad, 0, True, True)
    run(oracle, [case])
    assert any(
        f.startswith("json: bytes part at offset") and "topics[0].name" in f for f in case.failures
    ), case.failures
    # A correct case passes all three checks.
    ok = Case(
        ApiVersionsRequestV3, "ApiVersionsRequest", 3, ApiVersionsRequestV3(), b"", 0, True, False
    )
    ok.data = ok.obj.encode()
    run(oracle, [ok])
    assert ok.failures == []


def test_index_agrees_with_kafka(oracle: OracleHarness) -> None:
    """APIS version ranges, latest stable versions and header versions, for every API and
    version Kafka's ApiMessageType knows, equal ours — and we know no API Kafka lacks."""
    apis = oracle.header_versions()
    assert len(apis) > 60
    seen = set()
    for api in apis:
        key = api["api_key"]
        if api["highest"] < api["lowest"]:
            # Kafka keeps removed APIs (LeaderAndIsr, StopReplica, ...) with no versions left.
            assert key not in index.APIS and index.REMOVED_APIS.get(key) == api["name"]
            assert api["versions"] == []
            continue
        seen.add(key)
        info = index.APIS.get(key)
        assert info is not None, f"{api['name']} (key {key}) is missing from APIS"
        assert info.name == api["name"]
        assert (info.min_version, info.max_version) == (api["lowest"], api["highest"])
        assert info.latest_stable == api["highest_stable"], info.name
        assert (info.latest_stable < info.max_version) == api["latest_version_unstable"]
        assert set(info.listeners) == {name.lower() for name in api["listeners"]}, info.name
        versions = api["versions"]
        assert [v["version"] for v in versions] == list(range(api["lowest"], api["highest"] + 1))
        for v in versions:
            version = v["version"]
            assert index.request_header_version(key, version) == v["request_header"], (
                info.name,
                version,
            )
            assert index.response_header_version(key, version) == v["response_header"], (
                info.name,
                version,
            )
            unstable = version > api["highest_stable"]
            assert index.request_class(key, version).version == version
            assert index.request_class(key, version).unstable == unstable
            assert index.response_class(key, version).api_key == key
            assert index.response_class(key, version).unstable == unstable
            header = index.request_header_class(key, version)
            assert header.version == v["request_header"]
            assert index.response_header_class(key, version).version == v["response_header"]
    assert seen == set(index.APIS)
    assert set(index.REMOVED_APIS) == {a["api_key"] for a in apis if a["highest"] < a["lowest"]}


@pytest.mark.parametrize("seed", [2, 3])
def test_other_seeds_on_the_flexible_latest_versions(oracle: OracleHarness, seed: int) -> None:
    """A few more seeds over the classes with the most features (tagged fields, unknown tags)."""
    from message_strategies import all_message_classes

    chosen = [
        c for c in all_message_classes() if c._flexible_ and c.__name__.endswith(("V13", "V18"))
    ]
    assert chosen
    result = conformance(cases_per_class=10, seed=seed, classes=chosen, harness=oracle)
    assert not result.failures, "\n".join(result.failures[:10])
    assert result.passed == result.total == len(chosen)
