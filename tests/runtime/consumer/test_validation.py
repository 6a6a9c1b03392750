"""KIP-320 on the engine's state, no network: what an OffsetForLeaderEpoch answer does to a
position awaiting validation."""

from __future__ import annotations

import pytest
from kafkaproto.consumer._internals.engine import ConsumerEngine
from kafkaproto.consumer._internals.subscription_state import (
    FetchPosition,
    FetchState,
    LeaderAndEpoch,
)
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.errors import LogTruncationError
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition

TP = TopicPartition("t", 0)
REQUESTED = FetchPosition(100, 3, LeaderAndEpoch(2, 5))


def engine(reset: str) -> ConsumerEngine:
    e = ConsumerEngine(ConsumerConfig(bootstrap_servers="b:1", auto_offset_reset=reset))
    e.subscriptions.assign_from_user([TP])
    e.subscriptions.seek(TP, REQUESTED)
    assert e.subscriptions.state(TP).fetch_state is FetchState.AWAIT_VALIDATION
    return e


def test_no_truncation_completes_validation() -> None:
    e = engine("earliest")
    e._complete_validation(TP, REQUESTED, 3, 150)
    assert e.subscriptions.state(TP).fetch_state is FetchState.FETCHING
    assert e.subscriptions.position(TP) == REQUESTED


def test_truncation_moves_to_the_divergence_point_with_a_reset_policy() -> None:
    e = engine("earliest")
    e._complete_validation(TP, REQUESTED, 3, 90)
    assert e.subscriptions.position(TP) == FetchPosition(90, 3, LeaderAndEpoch(2, 5))
    assert e.subscriptions.state(TP).fetch_state is FetchState.FETCHING


def test_truncation_is_raised_by_the_next_poll_under_none() -> None:
    e = engine("none")
    e._complete_validation(TP, REQUESTED, 3, 90)
    with pytest.raises(LogTruncationError) as info:
        e._raise_background_error()
    assert info.value.offsets == {TP: 100}
    assert info.value.diverging_offsets == {TP: OffsetAndMetadata(90, "", 3)}


def test_unknown_epoch_end_resets() -> None:
    e = engine("latest")
    e._complete_validation(TP, REQUESTED, -1, -1)
    assert e.subscriptions.state(TP).fetch_state is FetchState.AWAIT_RESET
