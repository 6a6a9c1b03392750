import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafkaproto.errors import EncodeError
from kafkaproto.records.errors import CorruptRecordError
from kafkaproto.records.varint import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    SMALL,
    encode_varlong,
    read_varint,
    read_varlong,
    varint_size,
)
from spec_encoding import zigzag_varint


@given(st.integers(INT64_MIN, INT64_MAX))
def test_encode_matches_reference_and_reads_back(v: int) -> None:
    enc = encode_varlong(v)
    assert enc == zigzag_varint(v)
    assert varint_size(v) == len(enc)
    assert read_varlong(enc + b"junk", 0, len(enc)) == (v, len(enc))


@given(st.integers(INT32_MIN, INT32_MAX))
def test_int32_reads_back(v: int) -> None:
    enc = encode_varlong(v)
    assert read_varint(enc, 0, len(enc)) == (v, len(enc))


def test_table_covers_small_values_exactly() -> None:
    assert all(SMALL[v] == zigzag_varint(v) for v in range(len(SMALL)))


def test_out_of_range_is_an_encode_error() -> None:
    with pytest.raises(EncodeError):
        encode_varlong(INT64_MAX + 1)


@pytest.mark.parametrize(
    ("data", "reader"),
    [
        (b"", read_varint),
        (b"\x80", read_varint),  # continuation bit, then nothing
        (b"\xff\xff\xff\xff\xff\x01", read_varint),  # 6 bytes: longer than int32 allows
        (b"\xff\xff\xff\xff\x7f", read_varint),  # 5 bytes but 35 bits of value
        (b"\xff" * 10 + b"\x01", read_varlong),
        (b"\xff" * 9 + b"\x7f", read_varlong),  # 10 bytes but 70 bits
    ],
)
def test_bad_varints_are_corrupt_record_errors(data: bytes, reader: object) -> None:
    with pytest.raises(CorruptRecordError):
        reader(data, 0, len(data))  # type: ignore[operator]
