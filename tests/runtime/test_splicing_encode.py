"""Message.encode splices large byte fields into its result instead of copying them into its
buffer first; the bytes must be exactly what encode_into a plain bytearray writes."""

from __future__ import annotations

import uuid

import pytest
from kafkaproto.messages import produce
from kafkaproto.wire import SPLICE_MIN, SplicingBuffer, write_compact_bytes, write_nullable_bytes

SIZES = [0, 1, SPLICE_MIN - 1, SPLICE_MIN, SPLICE_MIN + 1, 100_000]


def blob(n: int, seed: int) -> bytes:
    return bytes((seed + i) % 251 for i in range(n))


def plain_encoding(msg: produce.ProduceRequest, version: int) -> bytes:
    out = bytearray(b"prefix")  # encode_into appends: what was there stays
    msg.encode_into(out, version)
    assert out[:6] == b"prefix"
    return bytes(out[6:])


@pytest.mark.parametrize("sizes", [SIZES, SIZES[::-1], [SPLICE_MIN] * 3, [5, 7]])
def test_encode_equals_encode_into_whatever_the_blob_sizes(sizes: list[int]) -> None:
    parts9 = [
        produce.ProduceRequestPartitionProduceData(index=i, records=blob(n, i))
        for i, n in enumerate(sizes)
    ]
    v9 = produce.ProduceRequest(
        acks=-1,
        timeout_ms=30000,
        topic_data=[produce.ProduceRequestTopicProduceData(name="t", partition_data=parts9)],
    )
    parts13 = [
        produce.ProduceRequestPartitionProduceData(index=i, records=memoryview(blob(n, i)))
        for i, n in enumerate(sizes)
    ]
    v13 = produce.ProduceRequest(
        acks=1,
        timeout_ms=100,
        topic_data=[
            produce.ProduceRequestTopicProduceData(topic_id=uuid.uuid4(), partition_data=parts13)
        ],
    )
    for msg, version in ((v9, 9), (v13, 13)):
        data = msg.encode(version)
        assert type(data) is bytes
        assert data == plain_encoding(msg, version)
        back = produce.ProduceRequest.decode(data, version)
        assert [bytes(p.records) for t in back.topic_data for p in t.partition_data] == [
            blob(n, i) for i, n in enumerate(sizes)
        ]


def test_splicing_buffer_writers_note_only_large_fields() -> None:
    out = SplicingBuffer()
    out.spliced = []
    assert out.getvalue() == b""
    write_nullable_bytes(out, b"ab")
    big = blob(SPLICE_MIN, 3)
    write_compact_bytes(out, big)
    write_nullable_bytes(out, None)
    assert [at for at, _ in out.spliced] == [6 + 2]  # after the first field and the varint
    expected = bytearray()
    write_nullable_bytes(expected, b"ab")
    write_compact_bytes(expected, big)
    write_nullable_bytes(expected, None)
    assert out.getvalue() == bytes(expected)
