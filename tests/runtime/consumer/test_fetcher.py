"""The sans-I/O fetcher and subscription state: what is fetched from whom, what a poll gets,
how positions move, and what each partition error does."""

from __future__ import annotations

import pytest
from batches import batch
from kafkaproto.consumer._internals.fetcher import Fetcher, PartitionResponse
from kafkaproto.consumer._internals.subscription_state import (
    FetchPosition,
    FetchState,
    LeaderAndEpoch,
    SubscriptionState,
)
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.errors import PositionOutOfRangeError, UnassignedPartitionError
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.error_codes import TopicAuthorizationFailedError

A, B = TopicPartition("t", 0), TopicPartition("t", 1)
LEADER1 = LeaderAndEpoch(1, 5)


def setup(**settings: object) -> tuple[Fetcher, SubscriptionState]:
    config = ConsumerConfig({"bootstrap.servers": "b:1", **settings})
    subs = SubscriptionState(config.reset_strategy)
    subs.assign_from_user([A, B])
    subs.seek(A, FetchPosition(0, None, LEADER1))
    subs.seek(B, FetchPosition(10, None, LeaderAndEpoch(2, 7)))
    return Fetcher(config, subs), subs


def prepare(fetcher: Fetcher) -> dict[int, object]:
    return dict(fetcher.prepare_fetches(0, lambda topic: None, lambda node: True))


def test_one_fetch_per_leader_then_none_while_in_flight() -> None:
    fetcher, _ = setup(max_partition_fetch_bytes=4096)
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    assert set(sent) == {1, 2}
    part = sent[1].to_send[A]
    assert (part.fetch_offset, part.max_bytes, part.current_leader_epoch) == (0, 4096, 5)
    assert prepare(fetcher) == {}  # both brokers have a fetch in flight


def test_records_advance_positions_and_buffered_partitions_are_not_fetched() -> None:
    fetcher, subs = setup(max_poll_records=3)
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(
        1, sent[1], 0, 0, [(A, PartitionResponse(0, high_watermark=5, records=batch(0, 5)))]
    )
    got = fetcher.collect(3, 0)
    assert [r.offset for r in got[A]] == [0, 1, 2]
    assert subs.position(A) == FetchPosition(3, 0, LEADER1)
    assert subs.state(A).high_watermark == 5
    assert set(prepare(fetcher)) == set()  # A still has records buffered; 2 is in flight
    assert [r.offset for r in fetcher.collect(10, 0)[A]] == [3, 4]
    assert set(prepare(fetcher)) == {1}


def test_a_broker_with_buffered_data_gets_no_fetch_until_it_is_taken() -> None:
    # Java since KAFKA-17182: A's data is used up but B's (same leader) is not, so nothing
    # goes to broker 1; once B's is taken too, one request covers both partitions again.
    fetcher, subs = setup()
    subs.seek(B, FetchPosition(10, None, LEADER1))
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    assert set(sent[1].to_send) == {A, B}
    fetcher.handle_response(
        1,
        sent[1],
        0,
        0,
        [
            (A, PartitionResponse(0, records=batch(0, 2))),
            (B, PartitionResponse(0, records=batch(10, 3))),
        ],
    )
    assert [r.offset for r in fetcher.collect(2, 0)[A]] == [0, 1]
    assert prepare(fetcher) == {}  # B's records are still buffered from broker 1
    assert [r.offset for r in fetcher.collect(10, 0)[B]] == [10, 11, 12]
    again = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    assert set(again) == {1}
    assert set(again[1].session_partitions) == {A, B}


def test_paused_buffered_data_does_not_hold_up_its_broker() -> None:
    fetcher, subs = setup()
    subs.seek(B, FetchPosition(10, None, LEADER1))
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(
        1,
        sent[1],
        0,
        0,
        [
            (A, PartitionResponse(0, records=batch(0, 2))),
            (B, PartitionResponse(0, records=batch(10, 3))),
        ],
    )
    subs.pause(B)
    assert [r.offset for r in fetcher.collect(10, 0)[A]] == [0, 1]
    again = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    assert set(again[1].session_partitions) == {A}  # B's data waits for resume()


def test_a_seek_drops_buffered_records_of_the_old_position() -> None:
    fetcher, subs = setup()
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(1, sent[1], 0, 0, [(A, PartitionResponse(0, records=batch(0, 5)))])
    subs.seek(A, FetchPosition(100, None, LEADER1))
    assert fetcher.collect(10, 0) == {}
    assert subs.position(A) == FetchPosition(100, None, LEADER1)


def test_paused_partition_keeps_its_data_for_resume() -> None:
    fetcher, subs = setup()
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(1, sent[1], 0, 0, [(A, PartitionResponse(0, records=batch(0, 2)))])
    subs.pause(A)
    assert fetcher.collect(10, 0) == {}
    subs.resume(A)
    assert [r.offset for r in fetcher.collect(10, 0)[A]] == [0, 1]


def test_offset_out_of_range_resets_or_raises_under_none() -> None:
    fetcher, subs = setup(auto_offset_reset="earliest")
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(1, sent[1], 0, 0, [(A, PartitionResponse(1))])
    assert fetcher.collect(10, 0) == {}
    assert subs.state(A).fetch_state is FetchState.AWAIT_RESET
    fetcher, subs = setup(auto_offset_reset="none")
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(1, sent[1], 0, 0, [(A, PartitionResponse(1))])
    with pytest.raises(PositionOutOfRangeError) as info:
        fetcher.collect(10, 0)
    assert info.value.offsets == {A: 0}


def test_leader_errors_carry_kip951_hints_and_ask_for_metadata() -> None:
    fetcher, _ = setup()
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    outcome = fetcher.handle_response(
        1, sent[1], 0, 0, [(A, PartitionResponse(6, current_leader=(3, 9)))]
    )
    assert outcome.leader_hints == {A: LeaderAndEpoch(3, 9)} and outcome.metadata_update
    assert fetcher.collect(10, 0) == {}


def test_authorization_failure_is_raised() -> None:
    fetcher, _ = setup()
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(1, sent[1], 0, 0, [(A, PartitionResponse(29))])
    with pytest.raises(TopicAuthorizationFailedError):
        fetcher.collect(10, 0)


def test_preferred_read_replica_is_used_until_it_expires() -> None:
    fetcher, subs = setup(metadata_max_age_ms=1000)
    sent = fetcher.prepare_fetches(0, lambda topic: None, lambda node: True)
    fetcher.handle_response(
        1, sent[1], 0, 0, [(A, PartitionResponse(0, preferred_read_replica=3, records=b""))]
    )
    fetcher.collect(10, 100)
    assert subs.state(A).preferred_read_replica == 3
    assert 3 in fetcher.prepare_fetches(500, lambda topic: None, lambda node: True)
    fetcher.handle_failure(3)
    assert subs.state(A).preferred_read_replica is None  # the replica failed: back to leader


def test_new_leader_epoch_triggers_validation_only_with_an_offset_epoch() -> None:
    subs = SubscriptionState(ConsumerConfig(bootstrap_servers="b:1").reset_strategy)
    subs.assign_from_user([A, B])
    subs.seek_validated(A, FetchPosition(5, 4, LEADER1))
    subs.seek_validated(B, FetchPosition(5, None, LEADER1))
    assert subs.maybe_validate_for_leader(A, LeaderAndEpoch(2, 6))
    assert subs.state(A).fetch_state is FetchState.AWAIT_VALIDATION
    assert not subs.maybe_validate_for_leader(B, LeaderAndEpoch(2, 6))
    assert subs.position(B) == FetchPosition(5, None, LeaderAndEpoch(2, 6))
    with pytest.raises(UnassignedPartitionError):
        subs.state(TopicPartition("other", 0))
