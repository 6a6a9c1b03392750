"""IdempotenceManager with the accumulator: sequences, in-flight order, Java's error rules."""

from __future__ import annotations

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.error_codes import (
    ClusterAuthorizationFailedError,
    DuplicateSequenceNumberError,
    NotLeaderOrFollowerError,
    OutOfOrderSequenceNumberError,
    UnknownProducerIdError,
)
from kafkaproto.producer._internals.accumulator import RecordAccumulator
from kafkaproto.producer._internals.idempotence import (
    IdempotenceManager,
    InitProducerIdOutcome,
    ProducerState,
)
from kafkaproto.producer.metadata import ClusterSnapshot, PartitionInfo, TopicInfo

CLUSTER = ClusterSnapshot.of([TopicInfo("t", (PartitionInfo(0, leader=1),))])
TP = ("t", 0)


def setup(pid: int = 7, epoch: int = 0) -> tuple[IdempotenceManager, RecordAccumulator]:
    idem = IdempotenceManager()
    assert idem.bump_epoch_and_reset_id_if_needed()  # no producer id: InitProducerId first
    assert not idem.bump_epoch_and_reset_id_if_needed()  # only once while INITIALIZING
    assert idem.handle_init_producer_id(0, pid, epoch) is InitProducerIdOutcome.READY
    acc = RecordAccumulator(
        batch_size=100,
        linger_ms=0,
        idempotence=idem,
        retry_backoff=ExponentialBackoff(0, 2, 0, 0.0),
    )
    return idem, acc


def send(acc: RecordAccumulator, n: int = 1) -> None:
    for _ in range(n):
        acc.append("t", 0, 0, None, b"x" * 60, None, 0)


def drain(acc: RecordAccumulator, now: int = 0) -> list:  # type: ignore[type-arg]
    return acc.drain(CLUSTER, [1], 10_000, now).get(1, [])


def test_sequences_assigned_at_drain_and_kept_on_retry() -> None:
    idem, acc = setup()
    send(acc, 3)  # one record per batch (batch.size 100)
    batches = [drain(acc)[0] for _ in range(3)]
    assert [b.base_sequence for b in batches] == [0, 1, 2]
    assert all(b.producer_id == 7 and b.producer_epoch == 0 for b in batches)
    assert idem.sequence_number(TP) == 3
    # The first two fail with retriable errors and come back in sequence order; a retried
    # batch only goes when it is the first in flight (shouldStopDrainBatchesForPartition).
    assert idem.can_retry(NotLeaderOrFollowerError(), -1, batches[0])
    acc.reenqueue(batches[1], 1)
    acc.reenqueue(batches[0], 1)
    [again] = drain(acc, 2)
    assert again is batches[0] and again.base_sequence == 0
    assert drain(acc, 2) == []  # sequence 1 waits: sequence 0 is still the first in flight
    idem.handle_completed_batch(batches[0], 100)
    [again] = drain(acc, 3)
    assert again is batches[1] and again.base_sequence == 1
    idem.handle_completed_batch(batches[1], 101)
    idem.handle_completed_batch(batches[2], 102)
    assert idem.last_acked_sequence(TP) == 2
    send(acc)
    [new] = drain(acc, 3)
    assert new.base_sequence == 3


def test_reenqueued_batches_keep_sequence_order() -> None:
    _idem, acc = setup()
    send(acc, 3)
    b0, b1, b2 = (drain(acc)[0] for _ in range(3))
    # Responses come back out of order: 2 then 0 then 1 are re-queued.
    for b in (b2, b0, b1):
        acc.reenqueue(b, 1)
    assert [b.base_sequence for b in acc.queued_batches()] == [0, 1, 2]


def test_five_batches_in_flight_per_partition_at_most() -> None:
    idem, acc = setup()
    send(acc, 7)
    sent = []
    for _ in range(7):
        sent += drain(acc)
    assert len(sent) == 5
    idem.handle_completed_batch(sent[0], 0)
    assert len(drain(acc)) == 1


def test_duplicate_sequence_is_not_retriable_so_the_sender_treats_it_as_success() -> None:
    idem, acc = setup()
    send(acc)
    [b] = drain(acc)
    assert not idem.can_retry(DuplicateSequenceNumberError(), -1, b)


def test_out_of_order_for_the_next_batch_bumps_the_epoch() -> None:
    idem, acc = setup()
    send(acc, 2)
    b0, b1 = drain(acc)[0], drain(acc)[0]
    # b1 is not the next expected sequence (b0 unacked): retried without a bump.
    assert idem.can_retry(OutOfOrderSequenceNumberError(), 0, b1)
    assert not idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch.epoch == 0
    # b0 is the next one (last acked -1): a real gap, so the epoch is bumped and in-flight
    # batches are renumbered from 0 under the new epoch.
    assert idem.can_retry(OutOfOrderSequenceNumberError(), 0, b0)
    idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch == (7, 1)
    assert [(b.producer_epoch, b.base_sequence) for b in (b0, b1)] == [(1, 0), (1, 1)]
    assert b0.sequence_reset and b1.sequence_reset
    assert idem.sequence_number(TP) == 2


def test_unknown_producer_id_retries_with_epoch_bump_and_restarts_sequences() -> None:
    idem, acc = setup()
    send(acc, 2)
    b0 = drain(acc)[0]
    idem.handle_completed_batch(b0, 10)  # last acked offset 10
    b1 = drain(acc)[0]
    # log start offset 11 > last acked offset: retention removed our state.
    assert idem.can_retry(UnknownProducerIdError(), 11, b1)
    idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch == (7, 1)
    assert b1.base_sequence == 0 and b1.producer_epoch == 1
    # Without a log start offset the batch is just retried.
    assert idem.can_retry(UnknownProducerIdError(), -1, b1)


def test_exhausted_epoch_resets_the_producer_id() -> None:
    idem, acc = setup(epoch=32767)
    send(acc)
    [b] = drain(acc)
    assert idem.can_retry(UnknownProducerIdError(), 0, b)
    assert idem.bump_epoch_and_reset_id_if_needed()  # InitProducerId again
    assert idem.state is ProducerState.INITIALIZING and not idem.has_producer_id
    send(acc)
    assert drain(acc) == []  # nothing drains without a producer id


def test_failed_batch_with_adjust_bumps_epoch_and_unresolved_expiry_resolves() -> None:
    idem, acc = setup()
    send(acc, 2)
    b0, b1 = drain(acc)[0], drain(acc)[0]
    idem.handle_failed_batch(b0, NotLeaderOrFollowerError(), adjust_sequences=True)
    idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch.epoch == 1 and b1.base_sequence == 0
    # An expired batch that had been retried leaves the partition unresolved until in-flight
    # batches finish; then, acks not caught up, the epoch is bumped again.
    b1.in_retry = True
    idem.mark_sequence_unresolved(b1)
    idem.handle_failed_batch(b1, TimeoutError(), adjust_sequences=False)
    send(acc)
    assert drain(acc) == []  # unresolved: nothing new drains
    idem.maybe_resolve_sequences()
    idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch.epoch == 2
    assert [b.base_sequence for b in drain(acc)] == [0]


def test_fatal_errors() -> None:
    idem, acc = setup()
    send(acc)
    [b] = drain(acc)
    idem.handle_failed_batch(b, ClusterAuthorizationFailedError(), adjust_sequences=True)
    assert idem.has_fatal_error and isinstance(idem.last_error, ClusterAuthorizationFailedError)
    fresh = IdempotenceManager()
    fresh.bump_epoch_and_reset_id_if_needed()
    assert fresh.handle_init_producer_id(59, -1, -1) is InitProducerIdOutcome.FATAL  # UNKNOWN
    again = IdempotenceManager()
    again.bump_epoch_and_reset_id_if_needed()
    assert again.handle_init_producer_id(15, -1, -1) is InitProducerIdOutcome.RETRY
    assert again.handle_init_producer_id(31, -1, -1) is InitProducerIdOutcome.ABORT_BATCHES
    assert again.state is ProducerState.UNINITIALIZED


def test_a_batch_overtaken_by_acked_ones_gets_a_new_epoch() -> None:
    # KAFKA-15591: b0 is refused (NOT_LEADER_OR_FOLLOWER) by a leader still opening a new
    # partition, b1 arrives just after and is written (no producer state yet: any first
    # sequence is taken); every retry of b0 at sequence 0 is then out of order.
    idem, acc = setup()
    send(acc, 2)
    b0, b1 = drain(acc)[0], drain(acc)[0]
    assert idem.can_retry(NotLeaderOrFollowerError(), -1, b0)
    idem.handle_completed_batch(b1, 0)
    assert idem.last_acked_sequence(TP) == 1
    assert idem.is_overtaken(b0)
    assert idem.can_retry(OutOfOrderSequenceNumberError(), 0, b0)
    idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch == (7, 1)
    assert (b0.producer_epoch, b0.base_sequence) == (1, 0)
    assert not idem.is_overtaken(b0)  # the new epoch's sequences start over


def test_an_overtaken_batch_that_may_have_been_written_keeps_javas_rule() -> None:
    # An attempt that timed out may be in the log: "out of order" may then mean "written long
    # ago", so a new epoch (which would write it again) is not taken.
    idem, acc = setup()
    send(acc, 2)
    b0, b1 = drain(acc)[0], drain(acc)[0]
    b0.maybe_written = True
    idem.handle_completed_batch(b1, 0)
    assert not idem.is_overtaken(b0)
    assert idem.can_retry(OutOfOrderSequenceNumberError(), 0, b0)
    assert not idem.bump_epoch_and_reset_id_if_needed()
    assert idem.producer_id_and_epoch == (7, 0)
