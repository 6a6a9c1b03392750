"""The framing core fed random, mutated and spliced response bytes, in random chunk sizes, with
several requests outstanding: it yields responses, asks for more data, or raises the project's
typed errors — never another exception, and never a buffer bigger than its frame limit allows."""

from __future__ import annotations

import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafkaproto.errors import KafkaProtoError
from kafkaproto.messages.api_versions import (
    ApiVersionsRequestV3,
    ApiVersionsResponseApiVersionV3,
    ApiVersionsResponseV3,
)
from kafkaproto.messages.metadata import MetadataRequestV12, MetadataResponseV12
from kafkaproto.protocol import NEED_DATA, ClientProtocol

EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 150
LIMIT = 4096


def good_stream() -> bytes:
    """Valid responses to the three requests the tests send (correlation ids 0, 1, 2)."""
    out = bytearray()
    bodies = [
        (
            0,
            ApiVersionsResponseV3(
                api_keys=[ApiVersionsResponseApiVersionV3(api_key=18, min_version=0, max_version=4)]
            ),
        ),
        (1, MetadataResponseV12(cluster_id="c", controller_id=1)),
        (2, ApiVersionsResponseV3()),
    ]
    for cid, body in bodies:
        frame = bytearray(struct.pack(">ii", 0, cid))
        if cid == 1:
            frame.append(0)  # response header v1: empty tagged fields
        body.encode_into(frame)
        struct.pack_into(">i", frame, 0, len(frame) - 4)
        out += frame
    return bytes(out)


GOOD = good_stream()


def feed(stream: bytes, chunks: list[int]) -> None:
    proto = ClientProtocol(max_frame_size=LIMIT)
    proto.send(ApiVersionsRequestV3())
    proto.send(MetadataRequestV12())
    proto.send(ApiVersionsRequestV3())
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
    for req in (ApiVersionsRequestV3(), MetadataRequestV12(), ApiVersionsRequestV3()):
        proto.send(req)
    proto.receive_data(GOOD)
    events = []
    while (event := proto.next_event()) is not NEED_DATA:
        events.append(event)
    assert [e.correlation_id for e in events] == [0, 1, 2]  # type: ignore[union-attr]
    assert proto.in_flight == 0
