"""The table decoder (the compiled build's decoder, kafkaproto.table_decoder) against the
generated decoders, which are its reference: every class at every version, on Hypothesis-drawn
encodings, on those encodings mutated, and on noise. Both must decode the same input to the same
value, or both refuse it. Runs interpreted and compiled alike (interpreted, the module is only
slow)."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import strategies as st
from kafkaproto import message, table_decoder
from kafkaproto.message import Message
from kafkaproto.messages.alter_client_quotas import (
    AlterClientQuotasRequest,
    AlterClientQuotasRequestEntryData,
    AlterClientQuotasRequestOpData,
)
from kafkaproto.messages.produce import (
    ProduceRequest,
    ProduceRequestPartitionProduceData,
    ProduceRequestTopicProduceData,
)
from message_strategies import fuzz_every_version, instances, mutate


def outcome(decode: object, data: bytes, version: int) -> tuple[str, object]:
    """What a decoder makes of ``data``: the value and the position after it, or that it
    raised (which exception does not matter: decode() explains either through the reference
    codec)."""
    try:
        return "value", decode(memoryview(data), 0, version)  # type: ignore[operator]
    except Exception:
        return "error", None


def agree(a: tuple[str, Any], b: tuple[str, Any], version: int) -> bool:
    """Two outcomes are the same: equal, or two values at the same position whose encodings are
    the same bytes (a mutated float64 can read as NaN, which is never equal to itself)."""
    if a == b:
        return True
    if a[0] != "value" or b[0] != "value":
        return False
    (x, x_end), (y, y_end) = a[1], b[1]
    return bool(x_end == y_end and type(x) is type(y) and x.encode(version) == y.encode(version))


@fuzz_every_version
def test_the_table_decoder_agrees_with_the_generated_one(
    case: tuple[type[Message], int],
    data: st.DataObject,
    edits: list[tuple[int, int, int]],
    noise: bytes,
) -> None:
    cls, version = case
    generated = cls._gendec_[version]
    table = table_decoder.decoder_for(cls)
    msg = data.draw(instances(cls, version))
    encoded = msg.encode(version)
    kind, got = outcome(table, encoded, version)
    assert kind == "value" and got == (msg, len(encoded))
    for candidate in (mutate(encoded, edits), noise, encoded[: len(encoded) // 2]):
        ours, reference = outcome(table, candidate, version), outcome(generated, candidate, version)
        assert agree(ours, reference, version), (ours, reference)


def test_a_float64_read_as_nan_is_the_same_value_from_both_decoders() -> None:
    # What the fuzzing found (AlterClientQuotasRequest v1, a mutated op value): NaN is never
    # equal to itself, so the outcomes compare by their encodings; a different value still
    # counts as a disagreement.
    version = 1
    op = AlterClientQuotasRequestOpData(key="k", value=1.5, remove=False)
    msg = AlterClientQuotasRequest(entries=[AlterClientQuotasRequestEntryData(ops=[op])])
    encoded = msg.encode(version)
    at = encoded.index(struct.pack(">d", 1.5))
    nan = encoded[:at] + b"\xff\xf8\x00\x00\x00\x00\x00\x01" + encoded[at + 8 :]
    table = table_decoder.decoder_for(AlterClientQuotasRequest)
    ours = outcome(table, nan, version)
    reference = outcome(AlterClientQuotasRequest._gendec_[version], nan, version)
    assert ours != reference  # NaN: equal values, unequal tuples
    assert agree(ours, reference, version)
    assert not agree(ours, outcome(table, encoded, version), version)


def produce_request(blob: bytes) -> ProduceRequest:
    """One partition's records, ``blob``, in a ProduceRequest."""
    return ProduceRequest(
        acks=-1,
        timeout_ms=1000,
        topic_data=[
            ProduceRequestTopicProduceData(
                name="t", partition_data=[ProduceRequestPartitionProduceData(records=blob)]
            )
        ],
    )


def test_records_fields_are_views_of_the_input_not_copies() -> None:
    blob = bytes(range(256)) * 20
    data = produce_request(blob).encode(9)
    decoded, end = table_decoder.decoder_for(ProduceRequest)(memoryview(data), 0, 9)
    records = decoded.topic_data[0].partition_data[0].records
    assert end == len(data)
    assert isinstance(records, memoryview) and records.obj is data and records == blob


def test_a_view_of_part_of_a_buffer_decodes_at_its_own_positions() -> None:
    from kafkaproto.messages.api_versions import ApiVersionsResponse

    body = ApiVersionsResponse(error_code=35, throttle_time_ms=7).encode(3)
    framed = bytearray(b"\xff" * 5 + body + b"\xee")
    view = memoryview(framed)[5 : 5 + len(body)]
    decoded, end = table_decoder.decoder_for(ApiVersionsResponse)(view, 0, 3)
    assert (decoded.error_code, decoded.throttle_time_ms, end) == (35, 7, len(body))


def test_decode_uses_it_only_where_it_runs_compiled() -> None:
    from kafkaproto.messages.metadata import MetadataResponse

    fast = MetadataResponse._dec_[12]
    if table_decoder.COMPILED:
        assert isinstance(fast, table_decoder.TableDecoder)
        assert fast is MetadataResponse._dec_[0]  # one per class, at every version
    else:
        assert fast is MetadataResponse._gendec_[12]
    assert message._table_decoder(MetadataResponse) is (fast if table_decoder.COMPILED else None)


def test_a_large_input_in_a_mutable_buffer_is_read_in_place() -> None:
    # Over _COPY_AT_MOST, a bytearray (a Fetch response received in place) is not copied: the
    # generated decoder reads it, and its records stay views of that buffer.
    request = produce_request(bytes(range(256)) * 400)
    data = bytearray(request.encode(9))
    assert len(data) > table_decoder._COPY_AT_MOST
    decoded, end = table_decoder.decoder_for(ProduceRequest)(memoryview(data), 0, 9)
    records = decoded.topic_data[0].partition_data[0].records
    assert (decoded, end) == (request, len(data))
    assert records.obj is data
