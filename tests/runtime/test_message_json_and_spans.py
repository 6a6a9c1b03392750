"""Two things the Java oracle's conformance run found or needed: float64 fields write a JSON
floating-point token even when they hold an int, and the reference codec maps a byte offset back
to the field that wrote it."""

from __future__ import annotations

import json

from kafkaproto import reference_codec
from kafkaproto.message import RawTaggedField
from kafkaproto.messages.api_versions import ApiVersionsRequest
from kafkaproto.messages.describe_client_quotas import DescribeClientQuotasResponseValueData


def test_float64_holding_an_int_is_written_as_a_float_token() -> None:
    # Kafka's MessageUtil.jsonNodeToDouble refuses an integral token such as 2.
    value = DescribeClientQuotasResponseValueData(key="k", value=2)
    text = json.dumps(value.to_json(1))
    assert '"value": 2.0' in text
    assert type(value.to_json(1)["value"]) is float
    assert DescribeClientQuotasResponseValueData.from_json(json.loads(text), 1) == value


def test_spans_name_the_field_at_every_offset() -> None:
    msg = ApiVersionsRequest(
        client_software_name="ab",
        cluster_id="x",
        unknown_tagged_fields=[RawTaggedField(5, b"zz")],
    )
    spans: list[reference_codec.Span] = []
    data = reference_codec.encode_with_spans(msg, 5, spans)
    assert data == msg.encode(5)
    # 03 'a' 'b' | 01 (empty version) | 02 'x' | node_id ff ff ff ff | 01 05 02 'z' 'z'
    expected = (
        ["client_software_name"] * 3
        + ["client_software_version"]
        + ["cluster_id"] * 2
        + ["node_id"] * 4
        + ["<tagged fields>"]
        + ["unknown_tagged_fields[tag 5]"] * 4
    )
    assert [reference_codec.field_at(spans, i) for i in range(len(data))] == expected
    assert reference_codec.field_at(spans, len(data)) == ""
