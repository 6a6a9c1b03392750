"""Every generated class of every version: Hypothesis-drawn instances survive the generated
codec, agree byte for byte with the reference codec, survive JSON, and refuse truncated input or
trailing bytes with a typed error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafkaproto import reference_codec
from kafkaproto.errors import DecodeError
from kafkaproto.message import Message
from message_strategies import all_message_classes, instances, without_unknown_tags

CLASSES = all_message_classes()


def test_every_api_version_has_a_class() -> None:
    from kafkaproto.messages import APIS, request_class, response_class

    count = 0
    for key, info in APIS.items():
        for version in range(info.min_version, info.max_version + 1):
            assert request_class(key, version).version == version
            assert response_class(key, version).api_key == key
            count += 2
    assert count > 500


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_roundtrip(cls: type[Message], data: st.DataObject) -> None:
    msg = data.draw(instances(cls))
    encoded = msg.encode()
    assert encoded == reference_codec.encode(msg)
    decoded = cls.decode(encoded)
    assert decoded == msg
    assert reference_codec.decode(cls, memoryview(encoded))[0] == msg
    assert cls.from_json(json.loads(json.dumps(msg.to_json()))) == without_unknown_tags(msg)
    # Trailing data is an error, never silently ignored.
    with pytest.raises(DecodeError, match="trailing"):
        cls.decode(encoded + b"\x00")
    # Every proper prefix is refused with a typed error (byte-at-a-time truncation).
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            cls.decode(encoded[:cut])
