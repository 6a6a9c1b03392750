"""ProducerRecord and RecordMetadata, in whichever build runs (compiled or pure Python)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from kafkaproto.producer.record import ProducerRecord, RecordMetadata


def test_fields_and_defaults() -> None:
    r: ProducerRecord[bytes] = ProducerRecord("t", b"v")
    assert (r.topic, r.value, r.key, r.partition, r.timestamp, r.headers) == (
        "t",
        b"v",
        None,
        None,
        None,
        None,
    )
    full = ProducerRecord("t", b"v", key=b"k", partition=2, timestamp=7, headers=[("h", b"x")])
    assert (full.key, full.partition, full.timestamp, full.headers) == (b"k", 2, 7, [("h", b"x")])


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"partition": -1}, "Invalid partition"), ({"timestamp": -5}, "Invalid timestamp")],
)
def test_negative_partition_or_timestamp_is_refused(settings: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProducerRecord("t", b"v", **settings)


def test_a_topic_that_is_not_a_str_is_refused_when_the_record_is_made() -> None:
    bad: Any = None
    with pytest.raises(TypeError):
        ProducerRecord(bad, b"v")


def test_subclasses_pickles_and_equality() -> None:
    class Tagged(ProducerRecord[bytes]):
        def describe(self) -> str:
            return f"{self.topic}:{self.value!r}"

    assert Tagged("t", b"v").describe() == "t:b'v'"
    r = ProducerRecord("t", b"v", key=b"k", partition=1, timestamp=5)
    back = pickle.loads(pickle.dumps(r))
    assert (back.topic, back.value, back.key, back.partition, back.timestamp) == (
        "t",
        b"v",
        b"k",
        1,
        5,
    )
    meta = RecordMetadata("t", 1, 42, 1000, -1, 3)
    assert pickle.loads(pickle.dumps(meta)) == meta
    assert meta != RecordMetadata("t", 1, 43, 1000, -1, 3)
    assert (meta.has_offset(), meta.has_timestamp()) == (True, True)
    assert repr(meta) == "t-1@42"
