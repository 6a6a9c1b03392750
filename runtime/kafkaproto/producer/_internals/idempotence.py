"""The idempotent producer's state (KIP-98): producer id and epoch, per-partition sequence numbers,
the batches in flight per partition, and Java's rules for sequence errors.

This is the non-transactional part of Java 4.x's ``TransactionManager`` (with ``TxnPartitionEntry``
and ``TxnPartitionMap``), read from the 4.1 sources and checked against the 4.4 bytecode; each
method names the Java method it follows. In short:

* A batch gets its sequence when it is first drained (``RecordAccumulator.drainBatchesForOneNode``)
  and keeps it across retries; later batches of the partition wait behind a retried one
  (``shouldStopDrainBatchesForPartition``), and re-queued batches are put back in sequence order
  (``insertInSequenceOrder``).
* ``OUT_OF_ORDER_SEQUENCE_NUMBER`` and ``UNKNOWN_PRODUCER_ID`` are retried; when they mean a real
  gap or lost producer state, the client bumps its epoch itself and restarts the partition's
  sequences at 0 (``canRetry``, ``requestIdempotentEpochBumpForPartition``,
  ``bumpIdempotentProducerEpoch``). An exhausted epoch (32767) resets the producer id, which makes
  the sender ask InitProducerId again (``resetIdempotentProducerId``).
* ``DUPLICATE_SEQUENCE_NUMBER`` is success without offset (``Sender.completeBatch``).
* A batch that expired after being sent leaves its partition "unresolved": nothing new is drained
  there until the in-flight batches settle; if they did not reach the expected sequence, the epoch
  is bumped (``markSequenceUnresolved``, ``maybeResolveSequences``).
* Cluster authorization failure, fencing, an unsupported version and an invalid producer id
  mapping are fatal (``maybeTransitionToErrorState``).

Sans-I/O: no clocks, no requests; the sender asks what to send and reports what came back. This
module must never build wire messages or touch the event loop.
"""

from __future__ import annotations

import bisect
import enum
import logging
from typing import NamedTuple

from kafkaproto.error_codes import (
    ClusterAuthorizationFailedError,
    InvalidProducerEpochError,
    InvalidProducerIdMappingError,
    KafkaError,
    OutOfOrderSequenceNumberError,
    ProducerFencedError,
    TransactionalIdAuthorizationFailedError,
    UnknownProducerIdError,
    UnsupportedVersionError,
    error_for_code,
)
from kafkaproto.producer._internals.batch import INVALID_OFFSET, ProducerBatch, TopicPartition
from kafkaproto.records.record_batch import NO_SEQUENCE
from mypy_extensions import mypyc_attr

__all__ = [
    "MAX_IN_FLIGHT_BATCHES_PER_PARTITION",
    "NO_PRODUCER_ID_AND_EPOCH",
    "IdempotenceManager",
    "InitProducerIdOutcome",
    "ProducerIdAndEpoch",
    "ProducerState",
]

log = logging.getLogger(__name__)

#: The broker keeps the metadata of the last 5 batches per producer and partition to detect
#: duplicates (``ProducerStateEntry.NUM_BATCHES_TO_RETAIN``); Java keeps within it through
#: max.in.flight.requests.per.connection <= 5 and one batch per partition per request. The
#: engine enforces it per partition as well, which also holds across a leader change.
MAX_IN_FLIGHT_BATCHES_PER_PARTITION = 5
_MAX_EPOCH = 32767  # Short.MAX_VALUE
_NO_LAST_ACKED_SEQUENCE = -1  # TxnPartitionEntry.NO_LAST_ACKED_SEQUENCE_NUMBER
_FATAL = (
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
    ProducerFencedError,
    UnsupportedVersionError,
    InvalidProducerIdMappingError,
)


class ProducerIdAndEpoch(NamedTuple):
    producer_id: int
    epoch: int

    @property
    def is_valid(self) -> bool:
        return self.producer_id >= 0


NO_PRODUCER_ID_AND_EPOCH = ProducerIdAndEpoch(-1, -1)


class ProducerState(enum.Enum):
    """``TransactionManager.State``; an idempotent producer uses the first three and the last
    (KIP-939's PREPARED_TRANSACTION is not supported)."""

    UNINITIALIZED = "UNINITIALIZED"
    INITIALIZING = "INITIALIZING"
    READY = "READY"
    IN_TRANSACTION = "IN_TRANSACTION"
    COMMITTING_TRANSACTION = "COMMITTING_TRANSACTION"
    ABORTING_TRANSACTION = "ABORTING_TRANSACTION"
    ABORTABLE_ERROR = "ABORTABLE_ERROR"
    FATAL_ERROR = "FATAL_ERROR"


class InitProducerIdOutcome(enum.Enum):
    """What the sender should do after an InitProducerId response."""

    READY = "ready"
    RETRY = "retry"  # retriable error: ask again after retry.backoff.ms
    ABORT_BATCHES = "abort"  # authorization error: fail the queued batches, ask again later
    FATAL = "fatal"


def _sequence_key(batch: ProducerBatch) -> tuple[int, int, int]:
    # TxnPartitionEntry.PRODUCER_BATCH_COMPARATOR: producer id, epoch, base sequence.
    return (batch.producer_id, batch.producer_epoch, batch.base_sequence)


class _PartitionEntry:
    """``TxnPartitionEntry``: one partition's sequence state."""

    __slots__ = ("inflight", "last_acked_offset", "last_acked_sequence", "next_sequence", "pid")

    def __init__(self) -> None:
        self.pid = NO_PRODUCER_ID_AND_EPOCH
        self.next_sequence = 0
        self.last_acked_sequence = _NO_LAST_ACKED_SEQUENCE
        self.last_acked_offset = INVALID_OFFSET
        self.inflight: list[ProducerBatch] = []  # sorted by _sequence_key

    def add_inflight(self, batch: ProducerBatch) -> None:
        keys = [_sequence_key(b) for b in self.inflight]
        key = _sequence_key(batch)
        i = bisect.bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            self.inflight[i] = batch  # a TreeSet keeps one batch per key
        else:
            self.inflight.insert(i, batch)

    def remove_inflight(self, batch: ProducerBatch) -> None:
        # TreeSet.remove by comparator: the batch with the same key.
        key = _sequence_key(batch)
        for i, b in enumerate(self.inflight):
            if _sequence_key(b) == key:
                del self.inflight[i]
                return

    def start_sequences_at_beginning(self, pid: ProducerIdAndEpoch) -> None:
        # TxnPartitionEntry.startSequencesAtBeginning: renumber in-flight batches from 0.
        sequence = 0
        for batch in self.inflight:
            batch.reset_producer_state(pid.producer_id, pid.epoch, sequence)
            sequence += batch.record_count
        self.inflight.sort(key=_sequence_key)
        self.pid = pid
        self.next_sequence = sequence
        self.last_acked_sequence = _NO_LAST_ACKED_SEQUENCE


def _increment_sequence(sequence: int, increment: int) -> int:
    # DefaultRecordBatch.incrementSequence: wraps at Integer.MAX_VALUE.
    if sequence > 2**31 - 1 - increment:
        return increment - (2**31 - 1 - sequence) - 1
    return sequence + increment


@mypyc_attr(allow_interpreted_subclasses=True)
class IdempotenceManager:
    """The idempotent producer's side of ``TransactionManager``; see the module docstring.
    ``transactions.TransactionManager`` (next to this module) extends it with transactions.

    Compiled with the hot path (its calls come once or more per batch, from the compiled
    accumulator among others); the interpreted ``TransactionManager`` subclasses it, so state a
    subclass changes is instance state (never a class attribute the compiled code would not
    see)."""

    def __init__(self) -> None:
        #: Stamps drained batches as transactional (``TransactionManager`` sets it).
        self.is_transactional = False
        self.state = ProducerState.UNINITIALIZED
        self.producer_id_and_epoch = NO_PRODUCER_ID_AND_EPOCH
        self.last_error: BaseException | None = None
        self._partitions: dict[TopicPartition, _PartitionEntry] = {}
        self._unresolved: dict[TopicPartition, int] = {}
        self._to_rewrite: set[TopicPartition] = set()
        self._epoch_bump_required = False

    # --- producer id -------------------------------------------------------------------------

    @property
    def has_producer_id(self) -> bool:
        return self.producer_id_and_epoch.is_valid

    @property
    def has_fatal_error(self) -> bool:
        return self.state is ProducerState.FATAL_ERROR

    def bump_epoch_and_reset_id_if_needed(self) -> bool:
        """``bumpIdempotentEpochAndResetIdIfNeeded``: apply a requested client-side epoch bump;
        return True when an InitProducerId request must be sent now (state -> INITIALIZING)."""
        if self.has_fatal_error:
            return False
        if self._epoch_bump_required:
            self._bump_epoch()
        if self.state is not ProducerState.INITIALIZING and not self.has_producer_id:
            self.state = ProducerState.INITIALIZING
            return True
        return False

    def handle_init_producer_id(
        self, error_code: int, producer_id: int, epoch: int, message: str | None = None
    ) -> InitProducerIdOutcome:
        """``InitProducerIdHandler.handleResponse`` for an idempotent producer."""
        if error_code == 0:
            self.producer_id_and_epoch = ProducerIdAndEpoch(producer_id, epoch)
            self.state = ProducerState.READY
            self.last_error = None
            log.info("ProducerId set to %d with epoch %d", producer_id, epoch)
            return InitProducerIdOutcome.READY
        error = error_for_code(error_code, message)
        if error.retriable:
            return InitProducerIdOutcome.RETRY
        if isinstance(
            error, ClusterAuthorizationFailedError | TransactionalIdAuthorizationFailedError
        ):
            # ABORTABLE_ERROR, then Sender.shouldHandleAuthorizationError fails the batches and
            # transitionToUninitialized lets a later send try again.
            self.state = ProducerState.UNINITIALIZED
            self.last_error = error
            return InitProducerIdOutcome.ABORT_BATCHES
        if isinstance(error, InvalidProducerEpochError | ProducerFencedError):
            error = ProducerFencedError(message)
        self.transition_to_fatal(error)
        return InitProducerIdOutcome.FATAL

    def init_producer_id_failed(self, error: BaseException) -> None:
        """The InitProducerId request itself failed (network): back to UNINITIALIZED to retry."""
        if self.state is ProducerState.INITIALIZING:
            self.state = ProducerState.UNINITIALIZED

    def transition_to_fatal(self, error: BaseException) -> None:
        log.error("idempotent producer: fatal error %s", error)
        self.state = ProducerState.FATAL_ERROR
        self.last_error = error

    def _request_epoch_bump(self, tp: TopicPartition) -> None:
        # requestIdempotentEpochBumpForPartition
        self._epoch_bump_required = True
        self._to_rewrite.add(tp)

    def _bump_epoch(self) -> None:
        # bumpIdempotentProducerEpoch
        pid = self.producer_id_and_epoch
        if pid.epoch == _MAX_EPOCH:
            # resetIdempotentProducerId: a fresh producer id comes from InitProducerId.
            self.producer_id_and_epoch = NO_PRODUCER_ID_AND_EPOCH
            self.state = ProducerState.UNINITIALIZED
        else:
            self.producer_id_and_epoch = ProducerIdAndEpoch(pid.producer_id, pid.epoch + 1)
            log.debug("Incremented producer epoch to %s", self.producer_id_and_epoch)
        for tp in self._to_rewrite:
            self._entry(tp).start_sequences_at_beginning(self.producer_id_and_epoch)
            self._unresolved.pop(tp, None)
        self._to_rewrite.clear()
        self._epoch_bump_required = False

    # --- per-partition sequences -------------------------------------------------------------

    def _entry(self, tp: TopicPartition) -> _PartitionEntry:
        entry = self._partitions.get(tp)
        if entry is None:
            entry = self._partitions[tp] = _PartitionEntry()
        return entry

    def sequence_number(self, tp: TopicPartition) -> int:
        return self._entry(tp).next_sequence

    def last_acked_sequence(self, tp: TopicPartition) -> int:
        return self._entry(tp).last_acked_sequence

    def inflight_batches(self, tp: TopicPartition) -> list[ProducerBatch]:
        return list(self._entry(tp).inflight)

    def has_inflight_batches(self, tp: TopicPartition) -> bool:
        return bool(self._entry(tp).inflight)

    def has_stale_producer_id_and_epoch(self, tp: TopicPartition) -> bool:
        return self.producer_id_and_epoch != self._entry(tp).pid

    def has_unresolved_sequence(self, tp: TopicPartition) -> bool:
        return tp in self._unresolved

    def first_inflight_sequence(self, tp: TopicPartition) -> int:
        inflight = self._entry(tp).inflight
        return inflight[0].base_sequence if inflight else NO_SEQUENCE

    def maybe_update_producer_id_and_epoch(self, tp: TopicPartition) -> None:
        """``maybeUpdateProducerIdAndEpoch``: a partition still on an old id/epoch with nothing
        in flight restarts its sequences at 0 under the current one."""
        if self.has_fatal_error:
            return
        entry = self._entry(tp)
        if self.producer_id_and_epoch != entry.pid and not entry.inflight:
            entry.start_sequences_at_beginning(self.producer_id_and_epoch)

    def is_send_to_partition_allowed(self, tp: TopicPartition) -> bool:
        """``isSendToPartitionAllowed``: always, for an idempotent producer (a transactional one
        only once the partition is in the transaction)."""
        return True

    def should_stop_drain(self, first: ProducerBatch) -> bool:
        """``RecordAccumulator.shouldStopDrainBatchesForPartition``: may the partition's first
        queued batch be drained now?"""
        tp = first.tp
        if not self.is_send_to_partition_allowed(tp):
            return True
        if not self.producer_id_and_epoch.is_valid:
            return True  # no producer id yet (or it is being refreshed)
        entry = self._entry(tp)
        if not first.has_sequence():
            if entry.inflight and self.has_stale_producer_id_and_epoch(tp):
                # Sequence 0 under a new epoch must not overtake batches of the old one.
                return True
            if tp in self._unresolved:
                return True
            if len(entry.inflight) >= MAX_IN_FLIGHT_BATCHES_PER_PARTITION:
                return True
        first_seq = entry.inflight[0].base_sequence if entry.inflight else NO_SEQUENCE
        # A retried batch goes only when it is the first in flight: one batch in flight again
        # until the retries are through.
        return (
            first_seq != NO_SEQUENCE and first.has_sequence() and first.base_sequence != first_seq
        )

    def assign_sequence(self, batch: ProducerBatch) -> None:
        """The drain step: give a never-sent batch the partition's next sequence and track it
        (``drainBatchesForOneNode``). A batch that already has a sequence keeps it: the broker
        may have written the earlier attempt, and a new sequence would duplicate it."""
        if batch.has_sequence():
            return
        tp = batch.tp
        self.maybe_update_producer_id_and_epoch(tp)
        entry = self._entry(tp)
        pid = self.producer_id_and_epoch
        batch.set_producer_state(
            pid.producer_id, pid.epoch, entry.next_sequence, self.is_transactional
        )
        entry.next_sequence = _increment_sequence(entry.next_sequence, batch.record_count)
        entry.add_inflight(batch)

    def add_inflight_batch(self, batch: ProducerBatch) -> None:
        """Track a batch that already has its sequence (the halves of a split batch)."""
        if not batch.has_sequence():
            raise ValueError(f"can't track {batch} without a sequence")
        self._entry(batch.tp).add_inflight(batch)

    def remove_inflight_batch(self, batch: ProducerBatch) -> None:
        self._entry(batch.tp).remove_inflight(batch)

    # --- outcomes ----------------------------------------------------------------------------

    def handle_completed_batch(self, batch: ProducerBatch, base_offset: int) -> None:
        """``handleCompletedBatch``."""
        entry = self._entry(batch.tp)
        if batch.last_sequence > entry.last_acked_sequence:
            entry.last_acked_sequence = batch.last_sequence
        if base_offset != INVALID_OFFSET:
            entry.last_acked_offset = max(
                entry.last_acked_offset, base_offset + batch.record_count - 1
            )
        entry.remove_inflight(batch)

    def can_retry(self, error: KafkaError, log_start_offset: int, batch: ProducerBatch) -> bool:
        """``canRetry`` (the TransactionManager part; the sender checks attempts and the
        delivery timeout first)."""
        tp = batch.tp
        if isinstance(error, UnknownProducerIdError):
            if log_start_offset == -1:
                return True  # the broker did not know the log start offset yet: just retry
            if batch.sequence_reset:
                return True  # already renumbered after the first batch's failure
            entry = self._entry(tp)
            if entry.last_acked_offset < log_start_offset:
                # Retention removed our last write, with it the producer state: new epoch.
                self._request_epoch_bump(tp)
                return True
            # Idempotent producers always retry UNKNOWN_PRODUCER_ID, bumping the epoch.
            self._request_epoch_bump(tp)
            return True
        if isinstance(error, OutOfOrderSequenceNumberError):
            unresolved = tp in self._unresolved
            if not unresolved and self.is_overtaken(batch):
                self._request_epoch_bump(tp)  # the gap behind the acked batches never fills
                return True
            if not unresolved and (
                batch.sequence_reset or not self._is_next_sequence(tp, batch.base_sequence)
            ):
                return True  # not the next batch: it fails because an earlier one did
            if not unresolved or self._unresolved.get(tp) == batch.base_sequence:
                self._request_epoch_bump(tp)  # a real gap in the log
            return True
        return error.retriable

    def is_overtaken(self, batch: ProducerBatch) -> bool:
        """A batch the broker will never take at its sequence: later batches of the partition
        were acked past it while none of its own attempts can have been written.

        A brand-new partition's leader takes any first sequence from a producer it has no
        state for, so when the first request fails (NOT_LEADER_OR_FOLLOWER while the broker is
        still opening the partition) and the next one arrives just after, the broker writes the
        next one and answers every retry of the first with OUT_OF_ORDER_SEQUENCE_NUMBER
        (KAFKA-15591, fixed in the broker after 4.4). Java retries it until
        ``delivery.timeout.ms`` and the records are lost; a new epoch renumbers it from 0 so the
        broker takes it, after the batches that overtook it. When an attempt may have been
        written (a timeout, a lost connection) the broker's "out of order" may mean "written long
        ago", so such a batch keeps Java's rule."""
        return (
            batch.base_sequence <= self._entry(batch.tp).last_acked_sequence
            and not batch.maybe_written
        )

    def _is_next_sequence(self, tp: TopicPartition, sequence: int) -> bool:
        return sequence - self._entry(tp).last_acked_sequence == 1

    def handle_failed_batch(
        self, batch: ProducerBatch, error: BaseException, adjust_sequences: bool
    ) -> None:
        """``handleFailedBatch`` (with ``maybeTransitionToErrorState``)."""
        if isinstance(error, _FATAL):
            self.transition_to_fatal(error)
        self.remove_inflight_batch(batch)
        if self.has_fatal_error:
            return
        tp = batch.tp
        if isinstance(error, OutOfOrderSequenceNumberError):
            self._request_epoch_bump(tp)
        elif isinstance(error, UnknownProducerIdError):
            # resetSequenceForPartition: the broker has no state for us, sequence 0 is accepted.
            self._partitions.pop(tp, None)
            self._unresolved.pop(tp, None)
        elif adjust_sequences:
            self._request_epoch_bump(tp)

    def mark_sequence_unresolved(self, batch: ProducerBatch) -> None:
        """``markSequenceUnresolved``: an expired batch that had been sent."""
        nxt = batch.last_sequence + 1
        tp = batch.tp
        self._unresolved[tp] = max(self._unresolved.get(tp, nxt), nxt)

    def maybe_resolve_sequences(self) -> None:
        """``maybeResolveSequences``: once an unresolved partition has nothing in flight, either
        its acks caught up (resolved) or the epoch is bumped."""
        for tp in list(self._unresolved):
            entry = self._entry(tp)
            if entry.inflight:
                continue
            if not self._is_next_sequence(tp, entry.next_sequence):
                log.info(
                    "No inflight batches remaining for %s, last ack'd sequence %d, next %d: "
                    "bumping the epoch",
                    tp,
                    entry.last_acked_sequence,
                    entry.next_sequence,
                )
                self._request_epoch_bump(tp)
            del self._unresolved[tp]
