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
from kafkaproto.errors import EncodeError
from kafkaproto.messages.api_versions import ApiVersionsRequest
from kafkaproto.messages.fetch import FetchRequest
from kafkaproto.messages.metadata import MetadataRequest, MetadataRequestTopic

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
    msg = MetadataRequest(
        topics=(MetadataRequestTopic(topic_id=UUID(int=7), name="abc"),),
        allow_auto_topic_creation=True,
    )
    good = msg.encode(12)
    # Flip a byte inside the topic name: both byte checks fail and name the field.
    at = good.index(b"abc") + 1
    bad = good[:at] + b"X" + good[at + 1 :]
    case = Case(MetadataRequest, "MetadataRequest", 12, msg, bad, 0, True, True)
    run(oracle, [case])
    assert any(
        f.startswith("json: bytes part at offset") and "topics[0].name" in f for f in case.failures
    ), case.failures
    # A correct case passes all three checks.
    req = ApiVersionsRequest()
    ok = Case(ApiVersionsRequest, "ApiVersionsRequest", 3, req, b"", 0, True, False)
    ok.data = ok.obj.encode(3)
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
        request, response = index.request_class(key), index.response_class(key)
        for cls in (request, response):
            assert cls.api_key == key
            assert (cls.min_version, cls.max_version) == (api["lowest"], api["highest"])
            assert cls.latest_stable_version == api["highest_stable"], cls.__name__
        assert request.response_class is response
    assert seen == set(index.APIS)
    assert set(index.REMOVED_APIS) == {a["api_key"] for a in apis if a["highest"] < a["lowest"]}


@pytest.mark.parametrize("seed", [2, 3])
def test_other_seeds_on_the_flexible_latest_versions(oracle: OracleHarness, seed: int) -> None:
    """A few more seeds over the newest version of every flexible message (tagged fields,
    unknown tags)."""
    from message_strategies import all_message_classes

    chosen = [(c, c.max_version) for c in all_message_classes() if c.layout(c.max_version).flexible]
    assert len(chosen) > 100
    result = conformance(cases_per_class=10, seed=seed, versions=chosen, harness=oracle)
    assert not result.failures, "\n".join(result.failures[:10])
    assert result.passed == result.total == len(chosen)


def test_fields_a_version_lacks_follow_kafka(oracle: OracleHarness) -> None:
    """Java's rules on write, both ways: a non-default value in a field the version lacks is
    refused unless the field is ignorable, which is left out; absent fields read as defaults."""
    # ReplicaId exists in FetchRequest v0-14 and is not ignorable: v15 cannot carry it.
    fetch = FetchRequest(replica_id=5, max_wait_ms=100)
    with pytest.raises(EncodeError) as info:
        fetch.encode(15)
    assert (info.value.what, info.value.field) == ("FetchRequest v15", "replica_id")
    doc = {**fetch.replace(replica_id=-1).to_json(15), "replicaId": 5}
    (answer,) = oracle.call_many(
        [{"op": "json_to_bytes", "spec": "FetchRequest", "version": 15, "json": doc}]
    )
    assert not answer["ok"] and "replicaId" in answer["error"], answer
    # The client software fields of ApiVersionsRequest (v3+) are ignorable: dropped at v0-2.
    request = ApiVersionsRequest(client_software_name="x", client_software_version="1")
    for version in (0, 2):
        assert request.encode(version) == b""
        (answer,) = oracle.call_many(
            [
                {
                    "op": "json_to_bytes",
                    "spec": "ApiVersionsRequest",
                    "version": version,
                    "json": {"clientSoftwareName": "x", "clientSoftwareVersion": "1"},
                }
            ]
        )
        assert answer["ok"] and answer["hex"] == "", answer
    # Read back at v15, ReplicaId holds its default.
    assert FetchRequest.decode(fetch.replace(replica_id=-1).encode(15), 15).replica_id == -1
