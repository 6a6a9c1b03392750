"""`python -m kafkaproto decode`: frames built with the generated classes come back as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafkaproto.__main__ import main
from kafkaproto.messages.api_versions import ApiVersionsResponse, ApiVersionsResponseApiVersion
from kafkaproto.messages.metadata import MetadataRequest, MetadataRequestTopic
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.messages.response_header import ResponseHeader


def sized(frame: bytes) -> bytes:
    return len(frame).to_bytes(4, "big") + frame


def request_frame() -> bytes:
    header = RequestHeader(
        request_api_key=3, request_api_version=12, correlation_id=7, client_id="cli"
    )
    body = MetadataRequest(
        topics=[MetadataRequestTopic(name="orders")],
        allow_auto_topic_creation=False,
        include_topic_authorized_operations=True,
    )
    return sized(header.encode(2) + body.encode(12))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["decode", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_request_frame_from_hex_names_api_from_its_header(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, request_frame().hex())
    assert status == 0
    doc = json.loads(out)
    assert doc["api"] == "Metadata (3)" and doc["version"] == 12
    assert doc["header"]["correlationId"] == 7 and doc["header"]["clientId"] == "cli"
    assert doc["body"]["topics"][0]["name"] == "orders"
    assert doc["body"]["includeTopicAuthorizedOperations"] is True


def test_binary_file_without_size_prefix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "frame.bin"
    path.write_bytes(request_frame()[4:])
    status, out, _ = run(capsys, "--file", str(path), "--no-size")
    assert status == 0 and json.loads(out)["body"]["allowAutoTopicCreation"] is False


def test_response_needs_api_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    body = ApiVersionsResponse(
        error_code=0,
        api_keys=[ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=4)],
    )
    frame = sized(ResponseHeader(correlation_id=9).encode(0) + body.encode(3)).hex()
    status, _, err = run(capsys, "--kind", "response", frame)
    assert status == 2 and "--api" in err
    status, out, _ = run(
        capsys, "--kind", "response", "--api", "ApiVersions", "--version", "3", frame
    )
    doc = json.loads(out)
    assert status == 0 and doc["header"] == {"correlationId": 9}
    assert doc["body"]["apiKeys"] == [{"apiKey": 18, "minVersion": 0, "maxVersion": 4}]


def test_bad_input_is_a_clear_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    frame = request_frame()
    status, _, err = run(capsys, frame[:-3].hex())
    assert status == 2 and "size prefix says" in err
    status, _, err = run(capsys, sized(frame[4:-3]).hex())
    assert status == 2 and "MetadataRequest v12" in err
    status, _, err = run(capsys, "abc")
    assert status == 2 and "odd number" in err
