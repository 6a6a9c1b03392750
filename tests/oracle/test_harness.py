"""The Java oracle answers correctly, and Kafka's JSON conventions are what Harness.java documents.

Expected bytes are derived by hand from the JSON specs (field order, KIP-482 compact encodings), and
partitions from the MurmurHash2 algorithm as Kafka's default partitioner documents it; nothing here
is a value copied from the oracle's own output.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import re
import struct
import uuid

import pytest
from harness import OracleError, OracleHarness

pytestmark = pytest.mark.oracle


def compact_string(text: str) -> bytes:
    raw = text.encode()
    assert len(raw) < 127  # a one-byte unsigned varint is enough here
    return bytes([len(raw) + 1]) + raw


NO_TAGS = b"\x00"


# -- the harness itself -------------------------------------------------------------------------


def test_ping_reports_kafka_version(oracle: OracleHarness) -> None:
    version = oracle.ping()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    if os.environ.get("KAFKA_VERSION"):
        assert version == os.environ["KAFKA_VERSION"]


def test_bad_cases_are_answered_not_fatal(oracle: OracleHarness) -> None:
    answers = oracle.call_many(
        [
            {"op": "no_such_op"},
            {"op": "json_to_bytes", "spec": "NoSuchMessage", "version": 0, "json": {}},
            {"op": "json_to_bytes", "spec": "MetadataRequest", "version": 99, "json": {}},
            {"op": "json_to_bytes", "spec": "MetadataRequest", "version": 12, "json": {}},
            {"op": "bytes_roundtrip", "spec": "MetadataRequest", "version": 12, "hex": "zz"},
            {"op": "bytes_roundtrip", "spec": "MetadataRequest", "version": 12, "hex": "02"},
            {"op": "partition", "keys_hex": ["00"], "partitions": 0},
        ]
    )
    assert [a["ok"] for a in answers] == [False] * 7
    assert "unknown op" in answers[0]["error"]
    assert "ClassNotFoundException" in answers[1]["error"]
    assert "no version 99" in answers[2]["error"]
    assert "unable to locate field 'topics'" in answers[3]["error"]
    assert "hexadecimal" in answers[4]["error"]
    assert answers[5]["error"]  # truncated input
    assert "positive" in answers[6]["error"]
    assert oracle.ping()  # still alive


def test_leftover_bytes_are_reported(oracle: OracleHarness) -> None:
    body = compact_string("x") + compact_string("1") + NO_TAGS
    assert oracle.bytes_roundtrip("ApiVersionsRequest", 3, body) == body
    answer = oracle.call(
        {
            "op": "bytes_roundtrip",
            "spec": "ApiVersionsRequest",
            "version": 3,
            "hex": (body + b"\x07").hex(),
        }
    )
    assert not answer["ok"]
    assert "1 of 6 bytes left over" in answer["error"]


def test_pipelined_batch_keeps_order(oracle: OracleHarness) -> None:
    names = [f"topic-{i}" for i in range(5000)]
    cases = [
        {
            "op": "json_to_bytes",
            "spec": "MetadataRequest",
            "version": 4,
            "json": {"topics": [{"name": name}], "allowAutoTopicCreation": False},
        }
        for name in names
    ]
    answers = oracle.call_many(cases)
    for name, answer in zip(names, answers, strict=True):
        raw = name.encode()
        # v4: int32 array length, int16 string length + bytes, bool
        expected = struct.pack(">ih", 1, len(raw)) + raw + b"\x00"
        assert bytes.fromhex(answer["hex"]) == expected


def test_closing_stops_the_jvm() -> None:
    harness = OracleHarness.start()
    harness.ping()
    harness.close()
    with pytest.raises(OracleError):
        harness.call({"op": "ping"})


# -- messages against hand-derived layouts ------------------------------------------------------


def test_api_versions_request_v3_layout(oracle: OracleHarness) -> None:
    document = {"clientSoftwareName": "x", "clientSoftwareVersion": "1"}
    data = oracle.json_to_bytes("ApiVersionsRequest", 3, document)
    # v3 is flexible: two compact strings (length + 1 as an unsigned varint), then no tagged fields.
    assert data == b"\x02x" + b"\x021" + NO_TAGS
    assert oracle.bytes_to_json("ApiVersionsRequest", 3, data) == document


def test_api_versions_request_v0_and_v5(oracle: OracleHarness) -> None:
    assert oracle.json_to_bytes("ApiVersionsRequest", 0, {}) == b""
    v5 = {
        "clientSoftwareName": "kp",
        "clientSoftwareVersion": "0.1",
        "clusterId": None,
        "nodeId": -1,
    }
    data = oracle.json_to_bytes("ApiVersionsRequest", 5, v5)
    # ClusterId is a nullable compact string: null is length 0; NodeId is a plain int32.
    expected = compact_string("kp") + compact_string("0.1") + b"\x00" + struct.pack(">i", -1)
    assert data == expected + NO_TAGS


def test_metadata_request_v12_round_trip(oracle: OracleHarness) -> None:
    topic_id = uuid.UUID("0123456789abcdef0123456789abcdef")
    text_id = base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")
    document = {
        "topics": [{"topicId": text_id, "name": "orders"}],
        "allowAutoTopicCreation": True,
        "includeTopicAuthorizedOperations": False,
    }
    data = oracle.json_to_bytes("MetadataRequest", 12, document)
    expected = (
        b"\x02"  # compact array of one topic
        + topic_id.bytes
        + compact_string("orders")
        + NO_TAGS  # end of the topic struct
        + b"\x01"  # allowAutoTopicCreation
        + b"\x00"  # includeTopicAuthorizedOperations
        + NO_TAGS
    )
    assert data == expected
    assert oracle.bytes_roundtrip("MetadataRequest", 12, data) == data
    assert oracle.bytes_to_json("MetadataRequest", 12, data) == document


def test_metadata_request_v12_all_topics_is_a_null_array(oracle: OracleHarness) -> None:
    document = {
        "topics": None,
        "allowAutoTopicCreation": False,
        "includeTopicAuthorizedOperations": True,
    }
    data = oracle.json_to_bytes("MetadataRequest", 12, document)
    assert data == b"\x00" + b"\x00" + b"\x01" + NO_TAGS
    assert oracle.bytes_to_json("MetadataRequest", 12, data) == document


def test_header_versions_follow_flexible_versions(oracle: OracleHarness) -> None:
    apis = {api["api_key"]: api for api in oracle.header_versions()}
    # From the JSON specs: Produce is flexible from v9, Metadata from v9, ApiVersions from v3.
    for key, first_flexible in ((0, 9), (3, 9), (18, 3)):
        for entry in apis[key]["versions"]:
            flexible = entry["version"] >= first_flexible
            assert entry["request_header"] == (2 if flexible else 1), (key, entry)
            if key == 18:
                # ApiVersions responses keep header v0 so any client can parse them.
                assert entry["response_header"] == 0
            else:
                assert entry["response_header"] == (1 if flexible else 0), (key, entry)
    assert apis[18]["name"] == "ApiVersions"
    for api in apis.values():
        if api["highest"] < api["lowest"]:
            # Removed APIs (LeaderAndIsr, StopReplica, ...: "validVersions": "none") keep their key.
            assert api["versions"] == [] and api["listeners"] == [], api
            continue
        assert api["lowest"] <= api["highest_stable"] <= api["highest"]
        assert api["latest_version_unstable"] == (api["highest_stable"] < api["highest"])
        assert len(api["versions"]) == api["highest"] - api["lowest"] + 1


# -- Kafka's JSON conventions (documented at the top of Harness.java) ----------------------------


def test_uuid_is_url_safe_base64_without_padding(oracle: OracleHarness) -> None:
    raw = bytes(range(0xF0, 0x100))  # bytes that need '-' and '_' in the URL-safe alphabet
    data = b"\x02" + raw + compact_string("t") + NO_TAGS + b"\x00\x00" + NO_TAGS
    document = oracle.bytes_to_json("MetadataRequest", 12, data)
    text = document["topics"][0]["topicId"]
    assert text == base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert len(text) == 22 and "=" not in text


def test_bytes_are_standard_base64_with_padding(oracle: OracleHarness) -> None:
    payload = b"\xff\xef"
    # SaslAuthenticateRequest v2: one compact bytes field, flexible.
    data = oracle.json_to_bytes("SaslAuthenticateRequest", 2, {"authBytes": "/+8="})
    assert data == bytes([len(payload) + 1]) + payload + NO_TAGS
    assert oracle.bytes_to_json("SaslAuthenticateRequest", 2, data) == {"authBytes": "/+8="}
    rejected = oracle.call(
        {
            "op": "json_to_bytes",
            "spec": "SaslAuthenticateRequest",
            "version": 2,
            "json": {"authBytes": "_-8"},  # URL-safe alphabet, no padding
        }
    )
    assert not rejected["ok"]


def test_records_are_written_as_empty_binary(oracle: OracleHarness) -> None:
    records = b"\x00\x01\x02"
    document = {
        "transactionalId": None,
        "acks": -1,
        "timeoutMs": 1000,
        "topicData": [
            {
                "name": "t",
                "partitionData": [{"index": 0, "records": base64.b64encode(records).decode()}],
            }
        ],
    }
    data = oracle.json_to_bytes("ProduceRequest", 9, document)
    expected = (
        b"\x00"  # transactionalId: null compact string
        + struct.pack(">hi", -1, 1000)
        + b"\x02"
        + compact_string("t")
        + b"\x02"
        + struct.pack(">i", 0)
        + bytes([len(records) + 1])
        + records  # compact records: length + 1, then the bytes as given
        + NO_TAGS
        + NO_TAGS
        + NO_TAGS
    )
    assert data == expected
    back = oracle.bytes_to_json("ProduceRequest", 9, data)
    assert back["topicData"][0]["partitionData"][0] == {"index": 0, "records": ""}
    sized = oracle.bytes_to_json("ProduceRequest", 9, data, serialize_records=False)
    assert sized["topicData"][0]["partitionData"][0] == {"index": 0, "recordsSizeInBytes": 3}


def test_int64_is_a_json_number(oracle: OracleHarness) -> None:
    document = {
        "errorCode": 0,
        "apiKeys": [],
        "throttleTimeMs": 0,
        "finalizedFeaturesEpoch": 2**63 - 1,
    }
    assert oracle.json_to_json("ApiVersionsResponse", 3, document) == document
    as_text = {**document, "finalizedFeaturesEpoch": "5"}
    assert not oracle.call(
        {"op": "json_to_json", "spec": "ApiVersionsResponse", "version": 3, "json": as_text}
    )["ok"]


def test_tagged_fields_at_default_are_omitted(oracle: OracleHarness) -> None:
    base = {"errorCode": 0, "apiKeys": [], "throttleTimeMs": 0}
    # FinalizedFeaturesEpoch is tagged (tag 1) with default -1: omitted from JSON and bytes.
    assert (
        oracle.json_to_json("ApiVersionsResponse", 3, {**base, "finalizedFeaturesEpoch": -1})
        == base
    )
    plain = oracle.json_to_bytes("ApiVersionsResponse", 3, base)
    assert plain == struct.pack(">h", 0) + b"\x01" + struct.pack(">i", 0) + NO_TAGS
    tagged = oracle.json_to_bytes("ApiVersionsResponse", 3, {**base, "finalizedFeaturesEpoch": 5})
    # one tagged field: count 1, tag 1, size 8, int64 5
    assert tagged == plain[:-1] + b"\x01\x01\x08" + struct.pack(">q", 5)


def test_float64_conventions(oracle: OracleHarness) -> None:
    def request(value: float | int) -> dict[str, object]:
        return {
            "op": "json_to_json",
            "spec": "AlterClientQuotasRequest",
            "version": 1,
            "json": {
                "entries": [{"entity": [], "ops": [{"key": "k", "value": value, "remove": False}]}],
                "validateOnly": False,
            },
        }

    def value_of(answer: dict[str, object]) -> object:
        assert answer["ok"], answer
        document = answer["json"]
        assert isinstance(document, dict)
        return document["entries"][0]["ops"][0]["value"]

    assert value_of(oracle.call(request(1.5))) == 1.5
    # Python writes a bare NaN token; Kafka's DoubleNode comes back as the string "NaN".
    assert value_of(oracle.call(request(math.nan))) == "NaN"
    assert value_of(oracle.call(request(-math.inf))) == "-Infinity"
    # An integral JSON number is not a float64 to Kafka's reader.
    assert not oracle.call(request(1))["ok"]
    assert json.dumps(1.0) == "1.0"  # so Python floats are always sent with a decimal point


# -- the default partitioner --------------------------------------------------------------------

M32 = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """MurmurHash2 (32-bit) with Kafka's seed, as a signed 32-bit int like Java's Utils.murmur2.

    Derived from the published MurmurHash2 algorithm: 4-byte little-endian blocks, the 1-3 byte tail
    folded in, then the final avalanche; Java's `>>>` on a 32-bit int is a plain shift here because
    every intermediate value is kept unsigned."""
    seed, m, r = 0x9747B28C, 0x5BD1E995, 24
    length = len(data)
    h = (seed ^ length) & M32
    end = length & ~3
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & M32
        k ^= k >> r
        k = (k * m) & M32
        h = ((h * m) & M32) ^ k
    tail = length & 3
    if tail == 3:
        h ^= data[end + 2] << 16
    if tail >= 2:
        h ^= data[end + 1] << 8
    if tail >= 1:
        h ^= data[end]
        h = (h * m) & M32
    h ^= h >> 13
    h = (h * m) & M32
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions  # Utils.toPositive, then modulo


def test_partition_matches_murmur2(oracle: OracleHarness) -> None:
    rng = random.Random(20240611)
    keys = [b"", b"a", b"ab", b"abc", b"abcd", b"key", "ключ".encode()]
    keys += [rng.randbytes(n) for n in range(64) for _ in range(5)]
    for partitions in (1, 3, 7, 100, 2**31 - 1):
        assert oracle.partition(keys, partitions) == [partition_for(k, partitions) for k in keys]


def test_run_executes_an_oracle_program_in_the_harness(oracle: OracleHarness) -> None:
    out = oracle.run("Murmur2Oracle", "3", input="00ff\n")
    assert len(out.splitlines()) == 1 and len(out.split("\t")) == 2
    answer = oracle.call({"op": "run", "program": "NoSuchProgram"})
    assert answer["ok"] is False and "ClassNotFoundException" in answer["error"]
