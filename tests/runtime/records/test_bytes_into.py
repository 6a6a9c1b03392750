"""kafkaproto.records.bytes_into.put: the C extension of the compiled build and its pure-Python
reference write the same bytes, grow the buffer alike and refuse the same inputs. ``make unit``
runs this file once against each (tests/test_compiled.py checks which one each run loads)."""

from __future__ import annotations

import sys

import pytest
from kafkaproto.records import bytes_into
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.record_batch import decode_batch


def test_parts_land_in_place() -> None:
    buf = bytearray(b"0123456789")
    assert bytes_into.put(buf, 2, b"ab", b"", b"c") is None
    assert buf == bytearray(b"01abc56789")  # within the buffer: nothing grows
    bytes_into.put(buf, 10)  # no parts: nothing written, at the very end
    assert buf == bytearray(b"01abc56789")


def test_bytes_like_parts_are_taken_as_join_takes_them() -> None:
    buf = bytearray(8)
    bytes_into.put(buf, 1, bytearray(b"xy"), memoryview(b"--z--")[2:3], b"!")
    assert buf == bytearray(b"\x00xyz!\x00\x00\x00")


@pytest.mark.parametrize(
    ("size", "at", "parts", "grown_to"),
    [
        (4, 4, [b"ab"], 8),  # twice the size
        (4, 2, [b"abcdefghij"], 12),  # further than twice: to the end of the parts
        (0, 0, [b"a"], 1),
        (3, 1, [b"ab"], 3),  # exactly fills it: no growth
    ],
)
def test_the_buffer_grows_to_twice_its_size_or_to_the_parts_end(
    size: int, at: int, parts: list[bytes], grown_to: int
) -> None:
    buf = bytearray(b"-" * size)
    bytes_into.put(buf, at, *parts)
    end = at + sum(map(len, parts))
    assert len(buf) == grown_to
    assert bytes(buf[:at]) == b"-" * at  # what was before the offset is kept
    assert bytes(buf[at:end]) == b"".join(parts)


def test_records_written_one_by_one_stay_whole_across_many_growths() -> None:
    buf = bytearray(1)
    end = 0
    chunks = [bytes([i % 251]) * (i % 37) for i in range(2_000)]
    for chunk in chunks:
        bytes_into.put(buf, end, chunk, b"|")
        end += len(chunk) + 1
    assert bytes(buf[:end]) == b"".join(c + b"|" for c in chunks)


@pytest.mark.parametrize("at", [-1, 5, sys.maxsize])
def test_an_offset_outside_the_buffer_is_refused(at: int) -> None:
    buf = bytearray(4)
    with pytest.raises(ValueError, match=f"offset {at} is outside the buffer \\(4 bytes\\)"):
        bytes_into.put(buf, at, b"x")
    assert buf == bytearray(4)


@pytest.mark.parametrize("part", ["text", 7, None])
def test_a_part_that_is_not_bytes_like_is_refused(part: object) -> None:
    buf = bytearray(4)
    with pytest.raises(TypeError):
        bytes_into.put(buf, 0, b"ok", part)  # type: ignore[arg-type]
    assert buf == bytearray(4)


def test_growing_a_buffer_with_an_open_view_is_refused() -> None:
    buf = bytearray(2)
    with memoryview(buf):
        with pytest.raises(BufferError):
            bytes_into.put(buf, 0, b"abc")
        bytes_into.put(buf, 0, b"ab")  # within its size a view is no obstacle
    assert buf == bytearray(b"ab")


def test_a_batch_written_through_it_decodes_record_for_record() -> None:
    # The builder's two paths (append and the producer's append_value) over several growths
    # of its buffer, read back by the consumer's decoder.
    builder = BatchBuilder(batch_size=1 << 20)
    values = [bytes([i % 256]) * (i * 7 % 300) for i in range(400)]
    for i, value in enumerate(values):
        if i % 2:
            assert builder.append_value(value, 1_700_000_000_000 + i, 1 << 20) == i
        else:
            assert builder.append(b"k%d" % i, value, 1_700_000_000_000 + i) == i
    batch = decode_batch(builder.build())
    assert [r.value for r in batch.records] == values
    assert [r.key for r in batch.records] == [b"k%d" % i if not i % 2 else None for i in range(400)]
    assert [r.timestamp for r in batch.records] == [1_700_000_000_000 + i for i in range(400)]
