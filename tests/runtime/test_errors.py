from kafkaproto.errors import DecodeError, EncodeError, KafkaProtoError


def test_decode_error_names_message_field_and_offset() -> None:
    err = DecodeError("truncated", what="ProduceRequest v9", field="topic_data[0].name", offset=17)
    assert str(err) == "ProduceRequest v9, field topic_data[0].name, at byte 17: truncated"
    assert isinstance(err, KafkaProtoError) and isinstance(err, ValueError)
    assert (err.what, err.field, err.offset) == ("ProduceRequest v9", "topic_data[0].name", 17)


def test_encode_error_without_context_is_just_the_reason() -> None:
    assert str(EncodeError("too long")) == "too long"
    assert str(EncodeError("null", what="X v1", field="a")) == "X v1, field a: null"
