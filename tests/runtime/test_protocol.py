"""The sans-I/O protocol core: framing of requests, and responses fed whole, byte at a time, many
at once and with a trailing partial frame; every error it raises. No sockets anywhere."""

from __future__ import annotations

import itertools
import struct
import uuid

import pytest
from kafkaproto.errors import (
    DecodeError,
    FrameTooLargeError,
    NegativeFrameSizeError,
    ProtocolStateError,
    UnexpectedCorrelationIdError,
)
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import request_class, request_header_version, response_header_version
from kafkaproto.messages.api_versions import (
    ApiVersionsRequest,
    ApiVersionsResponse,
    ApiVersionsResponseApiVersion,
)
from kafkaproto.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
    MetadataResponseBroker,
    MetadataResponsePartition,
    MetadataResponseTopic,
)
from kafkaproto.messages.produce import ProduceRequest, ProduceResponse
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.messages.response_header import ResponseHeader
from kafkaproto.protocol import NEED_DATA, ClientProtocol, Response


def broker_frame(correlation_id: int, message: ApiResponse, version: int) -> bytes:
    """A response as a broker writes it: size, response header of Kafka's version, body."""
    out = bytearray(4)
    header_version = response_header_version(message.api_key, version)
    ResponseHeader(correlation_id=correlation_id).encode_into(out, header_version)
    message.encode_into(out, version)
    struct.pack_into(">i", out, 0, len(out) - 4)
    return bytes(out)


def parse_request(frame: bytes) -> tuple[RequestHeader, ApiRequest[ApiResponse]]:
    """What a broker reads from a request frame."""
    (size,) = struct.unpack_from(">i", frame, 0)
    assert size == len(frame) - 4
    api_key, version = struct.unpack_from(">hh", frame, 4)
    header_version = request_header_version(api_key, version)
    header, pos = RequestHeader.decode_from(memoryview(frame), 4, header_version)
    body = request_class(api_key).decode(memoryview(frame)[pos:], version)
    return header, body


def metadata_response() -> MetadataResponse:
    topic_id = uuid.UUID("6a1f3cb5-8f0e-4b57-a43d-5d3b3d0e8b11")
    return MetadataResponse(
        brokers=[MetadataResponseBroker(node_id=1, host="127.0.0.1", port=9092, rack=None)],
        cluster_id="c1",
        controller_id=1,
        topics=[
            MetadataResponseTopic(
                name="t",
                topic_id=topic_id,
                partitions=[
                    MetadataResponsePartition(
                        partition_index=i, leader_id=1, leader_epoch=0, replica_nodes=[1]
                    )
                    for i in range(3)
                ],
            )
        ],
    )


def api_versions_response() -> ApiVersionsResponse:
    return ApiVersionsResponse(
        api_keys=[ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=4)]
    )


# -- requests ------------------------------------------------------------------------------------


def test_send_frames_size_header_and_body() -> None:
    proto = ClientProtocol(client_id="me")
    request = MetadataRequest(topics=[MetadataRequestTopic(name="t")])
    cid, data = proto.send(request, 12)
    assert cid == 0
    header, body = parse_request(bytes(data))
    assert header == RequestHeader(
        request_api_key=3, request_api_version=12, correlation_id=0, client_id="me"
    )
    assert body == request
    assert proto.in_flight == 1


def test_non_flexible_request_uses_header_v1() -> None:
    proto = ClientProtocol(client_id=None)
    cid, data = proto.send(ApiVersionsRequest(), 0)
    header, body = parse_request(bytes(data))
    assert header == RequestHeader(
        request_api_key=18, request_api_version=0, correlation_id=cid, client_id=None
    )
    assert body == ApiVersionsRequest()


def test_correlation_ids_increase_and_wrap() -> None:
    proto = ClientProtocol(first_correlation_id=0x7FFFFFFE)
    ids = [proto.send(ApiVersionsRequest(), 0)[0] for _ in range(3)]
    assert ids == [0x7FFFFFFE, 0x7FFFFFFF, 0]
    assert proto.pending_correlation_ids == (0x7FFFFFFE, 0x7FFFFFFF, 0)


def test_client_id_override_per_request() -> None:
    proto = ClientProtocol(client_id="a")
    _, data = proto.send(ApiVersionsRequest(), 3, client_id="b")
    header, _ = parse_request(bytes(data))
    assert header.client_id == "b"
    _, data = proto.send(ApiVersionsRequest(), 3)
    header, _ = parse_request(bytes(data))
    assert header.client_id == "a"


def test_produce_acks_zero_expects_no_response() -> None:
    proto = ClientProtocol()
    cid, data = proto.send(ProduceRequest(acks=0, timeout_ms=10), 9, expect_response=False)
    assert proto.in_flight == 0
    assert parse_request(bytes(data))[1] == ProduceRequest(acks=0, timeout_ms=10)
    # The next request's response is matched normally.
    cid2, _ = proto.send(ProduceRequest(acks=1, timeout_ms=10), 9)
    assert cid2 == cid + 1
    proto.receive_data(broker_frame(cid2, ProduceResponse(), 9))
    event = proto.next_event()
    assert isinstance(event, Response) and event.correlation_id == cid2


@pytest.mark.parametrize(
    ("request_", "expect_response", "message"),
    [
        (ProduceRequest(acks=0), True, "expect_response=False"),
        (ProduceRequest(acks=-1), False, "only Produce with acks=0"),
        (ApiVersionsRequest(), False, "only Produce with acks=0"),
    ],
)
def test_expect_response_must_match_kafka(
    request_: ApiRequest[ApiResponse], expect_response: bool, message: str
) -> None:
    proto = ClientProtocol()
    with pytest.raises(ValueError, match=message):
        version = 9 if isinstance(request_, ProduceRequest) else 3
        proto.send(request_, version, expect_response=expect_response)
    assert proto.in_flight == 0


# -- responses -----------------------------------------------------------------------------------


def _events(proto: ClientProtocol) -> list[Response]:
    out = []
    while (event := proto.next_event()) is not NEED_DATA:
        assert isinstance(event, Response)
        out.append(event)
    return out


def _pipeline(n: int) -> tuple[ClientProtocol, bytes, list[ApiResponse]]:
    proto = ClientProtocol()
    wire = bytearray()
    expected: list[ApiResponse] = []
    for i in range(n):
        if i % 2:
            cid, _ = proto.send(MetadataRequest(), 12)
            message: ApiResponse = metadata_response()
            wire += broker_frame(cid, message, 12)
        else:
            cid, _ = proto.send(ApiVersionsRequest(), 3)
            message = api_versions_response()
            wire += broker_frame(cid, message, 3)
        expected.append(message)
    return proto, bytes(wire), expected


def test_whole_input() -> None:
    proto, wire, expected = _pipeline(1)
    assert proto.next_event() is NEED_DATA
    proto.receive_data(wire)
    (event,) = _events(proto)
    assert event.message == expected[0]
    assert event.header == ResponseHeader(correlation_id=0)  # ApiVersions: always v0
    assert proto.in_flight == 0 and proto.buffered == 0


def test_flexible_response_header() -> None:
    proto = ClientProtocol()
    cid, _ = proto.send(MetadataRequest(), 12)
    proto.receive_data(broker_frame(cid, metadata_response(), 12))
    (event,) = _events(proto)
    assert event.header == ResponseHeader(correlation_id=cid)
    assert event.message == metadata_response()


def test_byte_at_a_time() -> None:
    proto, wire, expected = _pipeline(4)
    got: list[Response] = []
    for i in range(len(wire)):
        proto.receive_data(wire[i : i + 1])
        got.extend(_events(proto))
    assert [e.message for e in got] == expected
    assert [e.correlation_id for e in got] == [0, 1, 2, 3]
    assert proto.buffered == 0


def test_many_frames_at_once() -> None:
    proto, wire, expected = _pipeline(200)
    proto.receive_data(wire)
    assert [e.message for e in _events(proto)] == expected
    assert proto.in_flight == 0


def test_trailing_partial_frame() -> None:
    proto, wire, expected = _pipeline(3)
    cut = len(wire) - 5
    proto.receive_data(wire[:cut])
    assert [e.message for e in _events(proto)] == expected[:2]
    assert proto.in_flight == 1
    assert proto.buffered > 0
    proto.receive_data(wire[cut:])
    assert [e.message for e in _events(proto)] == expected[2:]
    assert proto.buffered == 0


def test_large_stream_compacts_buffer() -> None:
    proto, wire, expected = _pipeline(2000)
    step = 7919  # frames straddle chunk boundaries
    got = []
    for i in range(0, len(wire), step):
        proto.receive_data(wire[i : i + step])
        got.extend(_events(proto))
    assert [e.message for e in got] == expected
    assert proto.buffered == 0


def test_decoded_responses_survive_later_data() -> None:
    """A response's memoryviews must not pin the receive buffer (a resize would fail)."""
    proto, wire, expected = _pipeline(2)
    proto.receive_data(wire[:-1])
    first = _events(proto)
    proto.receive_data(wire[-1:] + b"\0" * 70000)  # forces growth of the buffer
    assert first[0].message == expected[0]


def _big_and_small(n: int) -> tuple[ClientProtocol, bytes, list[ApiResponse]]:
    """Frames of ~100 KB (received into a buffer of their own) between small ones."""
    proto = ClientProtocol()
    wire = bytearray()
    expected: list[ApiResponse] = []
    for i in range(n):
        cid, _ = proto.send(MetadataRequest(), 12)
        brokers = [
            MetadataResponseBroker(node_id=b, host=f"broker-{i}-{b}.example", port=9092, rack=None)
            for b in range(2200 if i % 2 else 1)
        ]
        message = metadata_response().replace(brokers=brokers)
        wire += broker_frame(cid, message, 12)
        expected.append(message)
    return proto, bytes(wire), expected


@pytest.mark.parametrize("step", [1, 3, 4096, 7919, 100_007, 10**7])
def test_large_frames_in_any_chunking(step: int) -> None:
    proto, wire, expected = _big_and_small(5)
    ends = list(itertools.accumulate(len(broker_frame(0, m, 12)) for m in expected))
    got: list[Response] = []
    fed = 0
    for i in range(0, len(wire), step):
        chunk = wire[i : i + step]
        proto.receive_data(chunk if i % 2 else memoryview(chunk))
        fed += len(chunk)
        got.extend(_events(proto))
        assert proto.buffered == fed - (ends[len(got) - 1] if got else 0)
    assert [e.message for e in got] == expected
    assert [e.correlation_id for e in got] == list(range(5))
    assert proto.buffered == 0 and proto.in_flight == 0


def test_large_frame_survives_later_data() -> None:
    proto, wire, expected = _big_and_small(3)
    first_two = len(broker_frame(0, expected[0], 12)) + len(broker_frame(1, expected[1], 12))
    proto.receive_data(wire[: first_two + 10])
    events = _events(proto)
    proto.receive_data(wire[first_two + 10 :])
    events += _events(proto)
    assert [e.message for e in events] == expected


# -- errors --------------------------------------------------------------------------------------


def test_frame_too_large_rejected_before_buffering() -> None:
    proto = ClientProtocol(max_frame_size=1000)
    proto.send(ApiVersionsRequest(), 3)
    proto.receive_data(struct.pack(">i", 1001))
    with pytest.raises(FrameTooLargeError) as info:
        proto.next_event()
    assert (info.value.size, info.value.limit) == (1001, 1000)
    assert "1001" in str(info.value) and "1000" in str(info.value)
    with pytest.raises(ProtocolStateError):
        proto.next_event()
    with pytest.raises(ProtocolStateError):
        proto.receive_data(b"x")
    with pytest.raises(ProtocolStateError):
        proto.send(ApiVersionsRequest(), 3)


def test_negative_size() -> None:
    proto = ClientProtocol()
    proto.send(ApiVersionsRequest(), 3)
    proto.receive_data(struct.pack(">i", -5) + b"whatever")
    with pytest.raises(NegativeFrameSizeError) as info:
        proto.next_event()
    assert info.value.size == -5


def test_response_nobody_asked_for() -> None:
    proto = ClientProtocol()
    proto.receive_data(broker_frame(7, api_versions_response(), 3))
    with pytest.raises(UnexpectedCorrelationIdError) as info:
        proto.next_event()
    assert (info.value.received, info.value.expected, info.value.was_sent) == (7, None, False)


def test_unknown_correlation_id() -> None:
    proto = ClientProtocol()
    proto.send(ApiVersionsRequest(), 3)
    proto.receive_data(broker_frame(99, api_versions_response(), 3))
    with pytest.raises(UnexpectedCorrelationIdError) as info:
        proto.next_event()
    assert (info.value.received, info.value.expected, info.value.was_sent) == (99, 0, False)
    assert proto.error is info.value


def test_out_of_order_response() -> None:
    proto = ClientProtocol()
    proto.send(ApiVersionsRequest(), 3)
    second, _ = proto.send(ApiVersionsRequest(), 3)
    proto.receive_data(broker_frame(second, api_versions_response(), 3))
    with pytest.raises(UnexpectedCorrelationIdError, match="out of order") as info:
        proto.next_event()
    assert (info.value.received, info.value.expected, info.value.was_sent) == (1, 0, True)


def test_garbage_body_names_api_version_and_offset() -> None:
    proto = ClientProtocol()
    cid, _ = proto.send(MetadataRequest(), 12)
    body = bytearray(broker_frame(cid, metadata_response(), 12))
    del body[40:]  # truncate the body inside the brokers array
    struct.pack_into(">i", body, 0, len(body) - 4)
    proto.receive_data(bytes(body))
    with pytest.raises(DecodeError) as info:
        proto.next_event()
    assert "MetadataResponse v12" in str(info.value)
    assert 0 <= info.value.offset <= len(body) - 4
    assert any("correlation id 0" in note for note in info.value.__notes__)


def test_trailing_bytes_inside_frame() -> None:
    proto = ClientProtocol()
    cid, _ = proto.send(MetadataRequest(), 12)
    frame = bytearray(broker_frame(cid, metadata_response(), 12) + b"\x00\x01")
    struct.pack_into(">i", frame, 0, len(frame) - 4)
    proto.receive_data(bytes(frame))
    with pytest.raises(DecodeError, match="2 trailing bytes") as info:
        proto.next_event()
    assert info.value.offset == len(frame) - 4 - 2


def test_frame_too_short_for_its_header() -> None:
    proto = ClientProtocol()
    proto.send(ApiVersionsRequest(), 3)
    proto.receive_data(struct.pack(">i", 2) + b"\0\0")
    with pytest.raises(DecodeError, match="ResponseHeader v0"):
        proto.next_event()


def test_api_versions_falls_back_to_v0_layout() -> None:
    """A broker that does not know our ApiVersions version answers in v0 (UNSUPPORTED_VERSION)."""
    proto = ClientProtocol()
    cid, _ = proto.send(ApiVersionsRequest(), 3)
    v0 = ApiVersionsResponse(
        error_code=35,
        api_keys=[ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=2)],
    )
    proto.receive_data(broker_frame(cid, v0, 0))
    (event,) = _events(proto)
    assert event.message == v0
