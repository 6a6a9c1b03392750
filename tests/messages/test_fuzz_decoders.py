"""Every generated decoder fed random and mutated bytes: it either decodes or raises the
project's DecodeError — never another exception, never a hang. (The reference codec explains each
failure, so this also exercises every explanation path.)"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafkaproto.errors import DecodeError
from kafkaproto.message import Message
from message_strategies import all_message_versions, instances, version_id

CASES = all_message_versions()
# `make fuzz` (HYPOTHESIS_PROFILE=fuzz) runs 50 examples per class.
EXAMPLES = 50 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 6


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, byte in edits:
        if not out:
            out.append(byte)
            continue
        i = where % len(out)
        if kind == 0:
            out[i] = byte  # overwrite
        elif kind == 1:
            out.insert(i, byte)  # insert
        else:
            del out[i]  # delete
    return bytes(out)


@pytest.mark.parametrize("case", CASES, ids=version_id)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.data(),
    edits=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2**16), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
    noise=st.binary(max_size=64),
)
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
