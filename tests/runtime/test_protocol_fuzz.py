"""The framing core fed random, mutated and spliced response bytes, in random chunk sizes, with
several requests outstanding: it yields responses, asks for more data, or raises the project's
typed errors — never another exception, and never a buffer bigger than its frame limit allows."""

from __future__ import annotations

import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafkaproto.errors import KafkaProtoError
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages.api_versions import (
    ApiVersionsRequest,
    ApiVersionsResponse,
    ApiVersionsResponseApiVersion,
)
from kafkaproto.messages.metadata import MetadataRequest, MetadataResponse
from kafkaproto.protocol import NEED_DATA, ClientProtocol

EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 150
LIMIT = 4096


def good_stream() -> bytes:
    """Valid responses to the three requests the tests send (correlation ids 0, 1, 2)."""
    out = bytearray()
    bodies: list[tuple[int, ApiResponse, int]] = [
        (
            0,
            ApiVersionsResponse(
                api_keys=[ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=4)]
            ),
            3,
        ),
        (1, MetadataResponse(cluster_id="c", controller_id=1), 12),
        (2, ApiVersionsResponse(), 3),
    ]
    for cid, body, version in bodies:
        frame = bytearray(struct.pack(">ii", 0, cid))
        if cid == 1:
            frame.append(0)  # response header v1: empty tagged fields
        body.encode_into(frame, version)
        struct.pack_into(">i", frame, 0, len(frame) - 4)
        out += frame
    return bytes(out)


GOOD = good_stream()


def feed(stream: bytes, chunks: list[int]) -> None:
    proto = ClientProtocol(max_frame_size=LIMIT)
    proto.send(ApiVersionsRequest(), 3)
    proto.send(MetadataRequest(), 12)
    proto.send(ApiVersionsRequest(), 3)
    pos = 0
    sizes = chunks or [len(stream)]
    i = 0
    try:
        while pos < len(stream):
            n = max(1, sizes[i % len(sizes)])
            proto.receive_data(stream[pos : pos + n])
            pos += n
            i += 1
            while proto.next_event() is not NEED_DATA:
                pass
            assert proto.buffered <= LIMIT + 4 + n
    except KafkaProtoError:
        return


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    edits=st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, len(GOOD)),
    chunks=st.lists(st.integers(1, 64), max_size=8),
)
def test_mutated_response_streams(
    edits: list[tuple[int, int]], cut: int, chunks: list[int]
) -> None:
    stream = bytearray(GOOD[:cut])
    for where, byte in edits:
        if where < len(stream):
            stream[where] = byte
    feed(bytes(stream), chunks)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(noise=st.binary(max_size=256), chunks=st.lists(st.integers(1, 32), max_size=8))
def test_random_bytes(noise: bytes, chunks: list[int]) -> None:
    feed(noise, chunks)


def test_the_unmutated_stream_yields_all_three_responses() -> None:
    proto = ClientProtocol(max_frame_size=LIMIT)
    requests: list[tuple[ApiRequest[ApiResponse], int]] = [
        (ApiVersionsRequest(), 3),
        (MetadataRequest(), 12),
        (ApiVersionsRequest(), 3),
    ]
    for req, version in requests:
        proto.send(req, version)
    proto.receive_data(GOOD)
    events = []
    while (event := proto.next_event()) is not NEED_DATA:
        events.append(event)
    assert [e.correlation_id for e in events] == [0, 1, 2]  # type: ignore[union-attr]
    assert proto.in_flight == 0
