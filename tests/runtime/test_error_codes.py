"""Unit tests of kafkaproto.error_codes; the table itself is checked against the jar in
tests/oracle/test_error_codes_oracle.py. Expected flags below come from the 4.4 class hierarchy
(javap): NotLeaderOrFollowerException extends InvalidMetadataException, which extends
RetriableException; OffsetOutOfRangeException and UnknownServerException extend ApiException."""

from __future__ import annotations

import copy
import pickle

import kafkaproto.error_codes as ec
import pytest
from kafkaproto.errors import KafkaProtoError


def test_lookup_gives_typed_error_with_flags_and_default_message() -> None:
    err = ec.error_for_code(6)
    assert type(err) is ec.NotLeaderOrFollowerError
    assert (err.code, err.name, err.retriable, err.invalid_metadata) == (
        6,
        "NOT_LEADER_OR_FOLLOWER",
        True,
        True,
    )
    assert err.message == ec.NotLeaderOrFollowerError.default_message
    assert err.message.startswith("For requests intended only for the leader")
    assert isinstance(err, KafkaProtoError)


def test_broker_message_replaces_default_message() -> None:
    err = ec.error_for_code(1, "offset 7 is past the end")
    assert type(err) is ec.OffsetOutOfRangeError
    assert err.message == "offset 7 is past the end"
    assert str(err) == "OFFSET_OUT_OF_RANGE (1): offset 7 is past the end"
    assert not err.retriable and not err.invalid_metadata
    # An empty error message on the wire means "none": keep the default.
    assert ec.error_for_code(1, "").message == ec.OffsetOutOfRangeError.default_message


def test_unknown_code_is_an_unknown_server_error_that_keeps_the_code() -> None:
    err = ec.error_for_code(31000, "from the future")
    assert isinstance(err, ec.UnknownServerError)
    assert type(err) is ec.UnknownErrorCodeError
    assert err.code == 31000 and ec.UnknownServerError.code == -1
    assert err.name == "UNKNOWN_SERVER_ERROR" and not err.retriable
    assert "31000" in str(err) and err.message == "from the future"
    assert ec.error_for_code(-2).message == ec.UnknownServerError.default_message


def test_code_zero_is_not_an_error() -> None:
    ec.raise_for_code(0)
    ec.raise_for_code(ec.NONE_CODE, "ignored")
    with pytest.raises(ValueError, match="NONE"):
        ec.error_for_code(0)
    assert ec.error_class_for_code(0) is None


def test_raise_for_code_raises_the_typed_error() -> None:
    with pytest.raises(ec.UnknownTopicOrPartitionError) as info:
        ec.raise_for_code(3, "no such topic")
    assert info.value.invalid_metadata and info.value.message == "no such topic"
    with pytest.raises(ec.UnknownServerError):
        ec.raise_for_code(-1)


def test_table_is_consistent() -> None:
    classes = list(ec.ERROR_CLASSES.values())
    assert len({cls.code for cls in classes}) == len(classes)
    assert len({cls.name for cls in classes}) == len(classes)
    for code, cls in ec.ERROR_CLASSES.items():
        assert cls.code == code and code != ec.NONE_CODE
        assert cls.__name__ in ec.__all__ and getattr(ec, cls.__name__) is cls
        assert cls.default_message, cls.name
        # InvalidMetadataException extends RetriableException in Java.
        assert cls.retriable or not cls.invalid_metadata, cls.name
        assert ec.error_class_for_code(code) is cls


def test_errors_pickle_and_copy() -> None:
    for err in (ec.error_for_code(7, "moved"), ec.error_for_code(4242, "new")):
        for clone in (pickle.loads(pickle.dumps(err)), copy.copy(err)):
            assert type(clone) is type(err)
            assert (clone.code, clone.message) == (err.code, err.message)
