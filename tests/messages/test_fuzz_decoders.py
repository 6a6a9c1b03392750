"""Every generated decoder fed random and mutated bytes: it either decodes or raises the
project's DecodeError — never another exception, never a hang. (The reference codec explains each
failure, so this also exercises every explanation path.)"""

from __future__ import annotations

from hypothesis import strategies as st
from kafkaproto.errors import DecodeError
from kafkaproto.message import Message
from message_strategies import fuzz_every_version, instances, mutate


@fuzz_every_version
def test_mutated_and_random_input_only_raises_decode_error(
    case: tuple[type[Message], int],
    data: st.DataObject,
    edits: list[tuple[int, int, int]],
    noise: bytes,
) -> None:
    cls, version = case
    encoded = data.draw(instances(cls, version)).encode(version)
    for candidate in (mutate(encoded, edits), noise):
        try:
            decoded = cls.decode(candidate, version)
        except DecodeError as exc:
            assert exc.what == f"{cls.__name__} v{version}"  # names the message and version
            continue
        # Whatever decodes must be a value the class can write again.
        assert isinstance(decoded, cls)
        decoded.encode(version)
