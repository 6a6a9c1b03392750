"""The test-side reference encoders themselves, checked against published values."""

from spec_encoding import crc32c_bitwise, zigzag_varint


def test_crc32c_bitwise_check_value() -> None:
    # The standard CRC check input; CRC-32C's published check value (RFC 3720 family).
    assert crc32c_bitwise(b"123456789") == 0xE3069283


def test_zigzag_examples_from_protobuf_docs() -> None:
    # Protocol Buffers "Encoding": zigzag maps 0,-1,1,-2 to 0,1,2,3; 2147483647 -> 4294967294;
    # and unsigned 300 is encoded ac 02 (so is signed 150, whose zigzag is 300).
    assert [zigzag_varint(v) for v in (0, -1, 1, -2)] == [b"\x00", b"\x01", b"\x02", b"\x03"]
    assert zigzag_varint(150) == b"\xac\x02"
    assert zigzag_varint(2147483647) == b"\xfe\xff\xff\xff\x0f"
    assert zigzag_varint(-2147483648) == b"\xff\xff\xff\xff\x0f"
