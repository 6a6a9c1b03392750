"""Every generated class at every version: Hypothesis-drawn instances survive the generated
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
from message_strategies import all_message_versions, instances, version_id, without_unknown_tags

CASES = all_message_versions()


def test_every_api_version_has_a_class() -> None:
    from kafkaproto.messages import APIS, request_class, response_class

    count = 0
    for key, info in APIS.items():
        req, resp = request_class(key), response_class(key)
        assert (req.api_key, resp.api_key) == (key, key)
        assert (req.min_version, req.max_version) == (info.min_version, info.max_version)
        assert (resp.min_version, resp.max_version) == (info.min_version, info.max_version)
        assert req.response_class is resp
        count += 2 * (info.max_version - info.min_version + 1)
    assert count > 500


@pytest.mark.parametrize("case", CASES, ids=version_id)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_roundtrip(case: tuple[type[Message], int], data: st.DataObject) -> None:
    cls, version = case
    msg = data.draw(instances(cls, version))
    encoded = msg.encode(version)
    assert encoded == reference_codec.encode(msg, version)
    decoded = cls.decode(encoded, version)
    assert decoded == msg
    assert reference_codec.decode(cls, memoryview(encoded), 0, version)[0] == msg
    doc = json.loads(json.dumps(msg.to_json(version)))
    assert cls.from_json(doc, version) == without_unknown_tags(msg)
    # Trailing data is an error, never silently ignored.
    with pytest.raises(DecodeError, match="trailing"):
        cls.decode(encoded + b"\x00", version)
    # Every proper prefix is refused with a typed error (byte-at-a-time truncation).
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            cls.decode(encoded[:cut], version)
