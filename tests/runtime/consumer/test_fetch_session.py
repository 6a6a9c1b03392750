"""KIP-227 fetch sessions: full, then incremental with only changes and forgotten partitions;
session errors and failures go back to a full fetch."""

from __future__ import annotations

from kafkaproto.consumer._internals.fetch_session import FetchSessionHandler, PartitionData
from kafkaproto.consumer.record import TopicPartition

A, B, C = TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("u", 0)


def data(offset: int) -> PartitionData:
    return PartitionData(None, offset, -1, 1024, 3, None)


def test_full_then_incremental_then_errors() -> None:
    h = FetchSessionHandler(1)
    first = h.build({A: data(0), B: data(0)})
    assert first.is_full and (first.metadata.session_id, first.metadata.epoch) == (0, 0)
    assert set(first.to_send) == {A, B} and first.to_forget == []
    assert h.handle_response(0, 42)
    second = h.build({A: data(10), B: data(0), C: data(5)})
    assert (second.metadata.session_id, second.metadata.epoch) == (42, 1)
    assert set(second.to_send) == {A, C}  # B unchanged stays in the session unsent
    assert set(second.session_partitions) == {A, B, C}
    assert h.handle_response(0, 42)
    third = h.build({C: data(5)})
    assert third.metadata.epoch == 2 and third.to_send == {} and set(third.to_forget) == {A, B}
    # The broker lost the session: next is full, new session.
    assert not h.handle_response(70, 0)
    fourth = h.build({C: data(6)})
    assert fourth.is_full and fourth.metadata.session_id == 0
    assert h.handle_response(0, 43)
    # Wrong epoch: full again, closing session 43.
    assert not h.handle_response(71, 43)
    assert h.next_metadata.is_full and h.next_metadata.session_id == 43
    # A failed request: the same.
    h.handle_response(0, 44)
    h.handle_error()
    assert h.next_metadata.is_full


def test_a_broker_without_sessions_keeps_every_fetch_full() -> None:
    h = FetchSessionHandler(1)
    h.build({A: data(0)})
    assert h.handle_response(0, 0)
    again = h.build({A: data(3)})
    assert again.is_full and set(again.to_send) == {A}
