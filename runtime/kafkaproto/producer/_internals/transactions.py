"""The transactional producer's state (KIP-98, KIP-360, KIP-447, KIP-588, KIP-890): Java 4.4's
``TransactionManager`` on top of the idempotent producer's sequence bookkeeping
(``IdempotenceManager``).

Read from the kafka-clients 4.3.1 sources and checked against the 4.4.0 bytecode (the 4.4 sources
jar is not on Maven Central; the only behavioural change between them is TxnOffsetCommit by
topic id, followed here). Each method names the Java method it follows. In short:

* States and transitions are Java's ``State.isTransitionValid``. A wrong call from the
  application raises ``TransactionStateError`` and changes nothing; the same mistake on the
  sender's side (``poison``) makes the state fatal (KAFKA-14831).
* Requests to the coordinators go through one priority queue of handlers (FindCoordinator,
  InitProducerId, AddPartitionsToTxn/AddOffsetsToTxn/TxnOffsetCommit, EndTxn, the epoch bump),
  one in flight at a time; each handler's ``handle_response`` is Java's, error by error: which
  codes are retried (after a coordinator lookup), which are abortable (the transaction can be
  aborted and the producer goes on) and which are fatal (fencing, authorization of the
  transactional id, INVALID_TXN_STATE...).
* Transaction version 2 (KIP-890 part 2) when the cluster's finalized ``transaction.version``
  is 2 or more: partitions join the transaction through Produce itself (no AddPartitionsToTxn),
  TxnOffsetCommit goes without AddOffsetsToTxn, and EndTxn returns the epoch of the next
  transaction. Version 1 otherwise, with a client-side epoch bump (InitProducerId with the
  current id and epoch, KIP-360) after an abortable error when the coordinator supports it.
* The application's calls wait on a ``TransactionalRequestResult``; one that timed out is kept
  (``pending_transition``), so calling the same method again waits for the same request.

Sans-I/O: it builds no message itself (``txn_requests`` does, for the handlers) and owns no
clock, socket or loop; the sender asks it what to send and hands it what came back. Every
method must be called with the engine's lock held.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Generic, TypeVar
from uuid import UUID

from kafkaproto.error_codes import (
    ClusterAuthorizationFailedError,
    ConcurrentTransactionsError,
    CoordinatorNotAvailableError,
    FencedInstanceIdError,
    GroupAuthorizationFailedError,
    IllegalGenerationError,
    InvalidProducerEpochError,
    InvalidProducerIdMappingError,
    InvalidTxnStateError,
    KafkaError,
    NotCoordinatorError,
    OperationNotAttemptedError,
    OutOfOrderSequenceNumberError,
    ProducerFencedError,
    RequestTimedOutError,
    TopicAuthorizationFailedError,
    TransactionAbortableError,
    TransactionalIdAuthorizationFailedError,
    UnknownMemberIdError,
    UnknownProducerIdError,
    UnsupportedForMessageFormatError,
    UnsupportedVersionError,
    error_for_code,
)
from kafkaproto.errors import KafkaProtoError
from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages.add_offsets_to_txn import AddOffsetsToTxnResponse
from kafkaproto.messages.add_partitions_to_txn import AddPartitionsToTxnResponse
from kafkaproto.messages.end_txn import EndTxnResponse
from kafkaproto.messages.find_coordinator import FindCoordinatorResponse
from kafkaproto.messages.init_producer_id import InitProducerIdResponse
from kafkaproto.messages.txn_offset_commit import TxnOffsetCommitResponse
from kafkaproto.producer._internals import txn_requests
from kafkaproto.producer._internals.batch import ProducerBatch, TopicPartition
from kafkaproto.producer._internals.idempotence import (
    NO_PRODUCER_ID_AND_EPOCH,
    IdempotenceManager,
    ProducerIdAndEpoch,
    ProducerState,
)
from kafkaproto.producer.errors import (
    ProducerFatalError,
    TransactionAbortRequiredError,
    TransactionStateError,
)

__all__ = [
    "Priority",
    "TransactionManager",
    "TransactionalRequestResult",
    "TxnRequestHandler",
]

log = logging.getLogger(__name__)

S = ProducerState
_VALID_SOURCES: Final[dict[ProducerState, frozenset[ProducerState]]] = {
    # State.isTransitionValid (without KIP-939's PREPARED_TRANSACTION); FATAL_ERROR from anywhere.
    S.UNINITIALIZED: frozenset({S.READY, S.ABORTABLE_ERROR}),
    S.INITIALIZING: frozenset({S.UNINITIALIZED, S.COMMITTING_TRANSACTION, S.ABORTING_TRANSACTION}),
    S.READY: frozenset({S.INITIALIZING, S.COMMITTING_TRANSACTION, S.ABORTING_TRANSACTION}),
    S.IN_TRANSACTION: frozenset({S.READY}),
    S.COMMITTING_TRANSACTION: frozenset({S.IN_TRANSACTION}),
    S.ABORTING_TRANSACTION: frozenset({S.IN_TRANSACTION, S.ABORTABLE_ERROR}),
    S.ABORTABLE_ERROR: frozenset(
        {S.IN_TRANSACTION, S.COMMITTING_TRANSACTION, S.ABORTABLE_ERROR, S.INITIALIZING}
    ),
}
#: AddPartitionsToTxnHandler: the first AddPartitions of a transaction that meets
#: CONCURRENT_TRANSACTIONS (the previous transaction still completing) retries sooner.
_ADD_PARTITIONS_RETRY_BACKOFF_MS: Final = 20
_FATAL_ERRORS = (
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailedError,
    ProducerFencedError,
    UnsupportedVersionError,
    InvalidProducerIdMappingError,
)


class Priority(enum.IntEnum):
    """The order pending requests go out in (``TransactionManager.Priority``)."""

    FIND_COORDINATOR = 0
    INIT_PRODUCER_ID = 1
    ADD_PARTITIONS_OR_OFFSETS = 2
    END_TXN = 3
    EPOCH_BUMP = 4


class TransactionalRequestResult:
    """What an application call waits on (Java's ``TransactionalRequestResult``): completed
    once, successfully or with ``error``; ``acked`` once a caller saw the outcome. Waiters are
    plain callables, run when it completes (possibly on another thread than the caller's)."""

    __slots__ = ("_waiters", "acked", "completed", "error", "operation")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.completed = False
        self.acked = False
        self.error: BaseException | None = None
        self._waiters: list[Callable[[], None]] = []

    def done(self) -> None:
        self._complete(None)

    def fail(self, error: BaseException) -> None:
        self._complete(error)

    def _complete(self, error: BaseException | None) -> None:
        if self.completed:
            return
        self.error = error
        self.completed = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter()

    def add_waiter(self, waiter: Callable[[], None]) -> None:
        if self.completed:
            waiter()
        else:
            self._waiters.append(waiter)

    @property
    def successful(self) -> bool:
        return self.completed and self.error is None

    def __repr__(self) -> str:
        state = (
            "pending" if not self.completed else f"failed: {self.error!r}" if self.error else "done"
        )
        return f"<TransactionalRequestResult {self.operation} {state}>"


class _PendingTransition:
    __slots__ = ("operation", "result", "state")

    def __init__(self, result: TransactionalRequestResult, state: ProducerState, operation: str):
        self.result = result
        self.state = state
        self.operation = operation


R = TypeVar("R", bound=ApiResponse)


class TxnRequestHandler(Generic[R]):
    """One request to a coordinator and what its answer does (``TxnRequestHandler``); ``R`` is
    the response it reads."""

    api_key: ClassVar[int]
    priority: Priority = Priority.ADD_PARTITIONS_OR_OFFSETS
    is_end_txn: ClassVar[bool] = False

    def __init__(
        self,
        tm: TransactionManager,
        operation: str,
        result: TransactionalRequestResult | None = None,
    ) -> None:
        self.tm = tm
        self.result = result if result is not None else TransactionalRequestResult(operation)
        self.is_retry = False

    # --- routing -----------------------------------------------------------------------------

    def coordinator_type(self) -> int | None:
        """Which coordinator it goes to (None: any broker)."""
        return txn_requests.COORDINATOR_TRANSACTION

    def coordinator_key(self) -> str:
        return self.tm.transactional_id

    @property
    def needs_coordinator(self) -> bool:
        return self.coordinator_type() is not None

    def retry_backoff_ms(self) -> int:
        return self.tm.retry_backoff_ms

    def max_version(self) -> int:
        return txn_requests.max_version(self.api_key, tv2=self.tm.tv2)

    def build(self, version: int) -> ApiRequest[R]:
        """The request to send at ``version`` (its response is read at the same version)."""
        raise NotImplementedError

    def handle_response(self, response: R) -> None:
        raise NotImplementedError

    # --- outcomes ----------------------------------------------------------------------------

    def fatal_error(self, error: BaseException) -> None:
        self.result.fail(error)
        self.tm.transition_to_fatal(error)

    def abortable_error(self, error: BaseException) -> None:
        self.result.fail(error)
        self.tm.transition_to_abortable_error(error)

    def abortable_error_if_possible(self, error: BaseException) -> None:
        tm = self.tm
        if tm.can_handle_abortable_error():
            if tm.need_to_trigger_epoch_bump_from_client():
                tm.client_side_epoch_bump_required = True
            self.abortable_error(error)
        else:
            self.fatal_error(error)

    def fail(self, error: BaseException) -> None:
        self.result.fail(error)

    def reenqueue(self) -> None:
        self.is_retry = True
        self.tm.enqueue(self)

    def lookup_transaction_coordinator(self) -> None:
        self.tm.lookup_coordinator(txn_requests.COORDINATOR_TRANSACTION, self.tm.transactional_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.result.operation}>"


class _InitProducerIdHandler(TxnRequestHandler[InitProducerIdResponse]):
    api_key = txn_requests.INIT_PRODUCER_ID

    def __init__(self, tm: TransactionManager, pid: ProducerIdAndEpoch, is_epoch_bump: bool):
        super().__init__(tm, "InitProducerId")
        self.pid = pid
        self.is_epoch_bump = is_epoch_bump
        self.priority = Priority.EPOCH_BUMP if is_epoch_bump else Priority.INIT_PRODUCER_ID

    def build(self, version: int) -> ApiRequest[InitProducerIdResponse]:
        tm = self.tm
        return txn_requests.init_producer_id(
            version,
            tm.transactional_id,
            tm.transaction_timeout_ms,
            self.pid.producer_id,
            self.pid.epoch,
        )

    def handle_response(self, response: InitProducerIdResponse) -> None:
        tm = self.tm
        error = error_for_code(response.error_code) if response.error_code else None
        if error is None:
            tm.set_producer_id_and_epoch(
                ProducerIdAndEpoch(response.producer_id, response.producer_epoch)
            )
            tm.transition_to(S.READY, poison=True)
            tm.last_error = None
            if self.is_epoch_bump:
                tm.reset_sequence_numbers()
            self.result.done()
        elif isinstance(error, NotCoordinatorError | CoordinatorNotAvailableError):
            self.lookup_transaction_coordinator()
            self.reenqueue()
        elif error.retriable:
            self.reenqueue()
        elif isinstance(
            error, TransactionalIdAuthorizationFailedError | ClusterAuthorizationFailedError
        ):
            log.info(
                "Abortable authorization error: %s. Transition the producer state to "
                "ABORTABLE_ERROR",
                error.message,
            )
            tm.last_error = error
            self.abortable_error(error)
        elif isinstance(error, InvalidProducerEpochError | ProducerFencedError):
            # An old coordinator may still answer INVALID_PRODUCER_EPOCH: the same as fenced.
            self.fatal_error(self.tm.fenced_error())
        elif isinstance(error, TransactionAbortableError):
            self.abortable_error(error)
        else:
            self.fatal_error(
                ProducerFatalError(f"Unexpected error in InitProducerIdResponse; {error.message}")
            )


class _AddPartitionsToTxnHandler(TxnRequestHandler[AddPartitionsToTxnResponse]):
    api_key = txn_requests.ADD_PARTITIONS_TO_TXN

    def __init__(self, tm: TransactionManager, partitions: frozenset[TopicPartition]) -> None:
        super().__init__(tm, "AddPartitionsToTxn")
        self.partitions = partitions
        self.pid = tm.producer_id_and_epoch
        self._retry_backoff_ms = tm.retry_backoff_ms

    def build(self, version: int) -> ApiRequest[AddPartitionsToTxnResponse]:
        return txn_requests.add_partitions_to_txn(
            version, self.tm.transactional_id, self.pid.producer_id, self.pid.epoch, self.partitions
        )

    def retry_backoff_ms(self) -> int:
        return min(self.tm.retry_backoff_ms, self._retry_backoff_ms)

    def handle_response(self, response: AddPartitionsToTxnResponse) -> None:
        tm = self.tm
        errors = txn_requests.read_add_partitions_to_txn(response)
        has_partition_errors = False
        unauthorized: set[str] = set()
        self._retry_backoff_ms = tm.retry_backoff_ms
        for tp, code in errors.items():
            if code == 0:
                continue
            error = error_for_code(code)
            if isinstance(error, CoordinatorNotAvailableError | NotCoordinatorError):
                self.lookup_transaction_coordinator()
                self.reenqueue()
                return
            if isinstance(error, ConcurrentTransactionsError):
                if not tm.partitions_in_transaction:
                    self._retry_backoff_ms = _ADD_PARTITIONS_RETRY_BACKOFF_MS
                self.reenqueue()
                return
            if error.retriable:
                self.reenqueue()
                return
            if isinstance(error, InvalidProducerEpochError | ProducerFencedError):
                self.fatal_error(self.tm.fenced_error())
                return
            if isinstance(
                error,
                TransactionalIdAuthorizationFailedError
                | InvalidTxnStateError
                | InvalidProducerIdMappingError,
            ):
                self.fatal_error(error)
                return
            if isinstance(error, TopicAuthorizationFailedError):
                unauthorized.add(tp[0])
            elif isinstance(error, OperationNotAttemptedError):
                log.debug(
                    "Did not attempt to add partition %s to transaction because other "
                    "partitions in the batch had errors.",
                    tp,
                )
                has_partition_errors = True
            elif isinstance(error, UnknownProducerIdError):
                self.abortable_error_if_possible(error)
                return
            elif isinstance(error, TransactionAbortableError):
                self.abortable_error(error)
                return
            else:
                log.error("Could not add partition %s due to unexpected error %s", tp, error.name)
                has_partition_errors = True
        # Out of the pending set whatever happened: batches of partitions that were added may
        # still have to go out (and be aborted) if another one failed.
        tm.pending_partitions.difference_update(errors)
        if unauthorized:
            self.abortable_error(
                TopicAuthorizationFailedError(
                    f"Not authorized to access topics: {sorted(unauthorized)}"
                )
            )
        elif has_partition_errors:
            self.abortable_error(
                KafkaProtoError(f"Could not add partitions to transaction due to errors: {errors}")
            )
        else:
            log.debug("Successfully added partitions %s to transaction", sorted(errors))
            tm.partitions_in_transaction.update(errors)
            tm.transaction_started = True
            self.result.done()


class _FindCoordinatorHandler(TxnRequestHandler[FindCoordinatorResponse]):
    api_key = txn_requests.FIND_COORDINATOR
    priority = Priority.FIND_COORDINATOR

    def __init__(self, tm: TransactionManager, key_type: int, key: str) -> None:
        super().__init__(tm, "FindCoordinator")
        self.key_type = key_type
        self.key = key
        self.version = -1  # of the request last built (its response has the same)

    def coordinator_type(self) -> int | None:
        return None

    def build(self, version: int) -> ApiRequest[FindCoordinatorResponse]:
        self.version = version
        return txn_requests.find_coordinator(version, self.key_type, self.key)

    def handle_response(self, response: FindCoordinatorResponse) -> None:
        tm = self.tm
        what = "transaction" if self.key_type == txn_requests.COORDINATOR_TRANSACTION else "group"
        coordinators = txn_requests.read_find_coordinator(response, self.version)
        if len(coordinators) != 1:
            self.fatal_error(
                TransactionStateError(
                    "Group coordinator lookup failed: Invalid response containing more than a "
                    "single coordinator"
                )
            )
            return
        c = coordinators[0]
        error = error_for_code(c.error_code, c.error_message) if c.error_code else None
        if error is None:
            if self.key_type == txn_requests.COORDINATOR_TRANSACTION:
                tm.transaction_coordinator = c.node_id
            else:
                tm.group_coordinator = c.node_id
            self.result.done()
            log.info("Discovered %s coordinator %s:%d (id: %d)", what, c.host, c.port, c.node_id)
        elif error.retriable:
            self.reenqueue()
        elif isinstance(error, TransactionalIdAuthorizationFailedError):
            self.fatal_error(error)
        elif isinstance(error, GroupAuthorizationFailedError):
            self.abortable_error(
                GroupAuthorizationFailedError(f"Not authorized to access group: {self.key}")
            )
        elif isinstance(error, TransactionAbortableError):
            self.abortable_error(error)
        else:
            self.fatal_error(
                ProducerFatalError(
                    f"Could not find a coordinator with type {what.upper()} with key {self.key} "
                    f"due to unexpected error: {c.error_message}"
                )
            )


class _EndTxnHandler(TxnRequestHandler[EndTxnResponse]):
    api_key = txn_requests.END_TXN
    priority = Priority.END_TXN
    is_end_txn = True

    def __init__(self, tm: TransactionManager, committed: bool) -> None:
        super().__init__(tm, f"EndTxn({str(committed).lower()})")
        self.committed = committed
        self.pid = tm.producer_id_and_epoch
        # The transaction ends with the version it began with (EndTxnRequest.Builder is made
        # before maybeUpdateTransactionV2Enabled in beginCompletingTransaction).
        self.tv2 = tm.tv2

    def max_version(self) -> int:
        return txn_requests.max_version(self.api_key, tv2=self.tv2)

    def build(self, version: int) -> ApiRequest[EndTxnResponse]:
        return txn_requests.end_txn(
            version, self.tm.transactional_id, self.pid.producer_id, self.pid.epoch, self.committed
        )

    def handle_response(self, response: EndTxnResponse) -> None:
        tm = self.tm
        code, producer_id, epoch = txn_requests.read_end_txn(response)
        error = error_for_code(code) if code else None
        if error is None:
            # EndTxn v5+ (transaction version 2): the coordinator bumped the epoch and names the
            # one the next transaction uses (a new producer id once the epoch is exhausted).
            if producer_id != -1:
                tm.set_producer_id_and_epoch(ProducerIdAndEpoch(producer_id, epoch))
                tm.reset_sequence_numbers()
            tm.reset_transaction_state()
            self.result.done()
        elif isinstance(error, CoordinatorNotAvailableError | NotCoordinatorError):
            self.lookup_transaction_coordinator()
            self.reenqueue()
        elif error.retriable:
            self.reenqueue()
        elif isinstance(error, InvalidProducerEpochError | ProducerFencedError):
            self.fatal_error(self.tm.fenced_error())
        elif isinstance(
            error,
            TransactionalIdAuthorizationFailedError
            | InvalidTxnStateError
            | InvalidProducerIdMappingError,
        ):
            self.fatal_error(error)
        elif isinstance(error, UnknownProducerIdError):
            self.abortable_error_if_possible(error)
        elif not self.committed and isinstance(error, TransactionAbortableError):
            # An abort that itself meets an abortable error would loop: fatal instead.
            fatal = ProducerFatalError("Failed to abort transaction")
            fatal.__cause__ = error
            self.fatal_error(fatal)
        elif isinstance(error, TransactionAbortableError):
            self.abortable_error(error)
        else:
            self.fatal_error(
                ProducerFatalError(f"Unhandled error in EndTxnResponse: {error.message}")
            )


class _AddOffsetsToTxnHandler(TxnRequestHandler[AddOffsetsToTxnResponse]):
    api_key = txn_requests.ADD_OFFSETS_TO_TXN

    def __init__(
        self,
        tm: TransactionManager,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
        group: ConsumerGroupMetadata,
    ) -> None:
        super().__init__(tm, "AddOffsetsToTxn")
        self.offsets = dict(offsets)
        self.group = group
        self.pid = tm.producer_id_and_epoch

    def build(self, version: int) -> ApiRequest[AddOffsetsToTxnResponse]:
        return txn_requests.add_offsets_to_txn(
            version,
            self.tm.transactional_id,
            self.pid.producer_id,
            self.pid.epoch,
            self.group.group_id,
        )

    def handle_response(self, response: AddOffsetsToTxnResponse) -> None:
        tm = self.tm
        error = error_for_code(response.error_code) if response.error_code else None
        group_id = self.group.group_id
        if error is None:
            log.debug("Successfully added partition for consumer group %s to transaction", group_id)
            # The result completes only when the TxnOffsetCommit returns.
            tm.enqueue(_TxnOffsetCommitHandler(tm, self.offsets, self.group, self.result))
            tm.transaction_started = True
        elif isinstance(error, CoordinatorNotAvailableError | NotCoordinatorError):
            self.lookup_transaction_coordinator()
            self.reenqueue()
        elif error.retriable:
            self.reenqueue()
        elif isinstance(error, UnknownProducerIdError):
            self.abortable_error_if_possible(error)
        elif isinstance(error, InvalidProducerEpochError | ProducerFencedError):
            self.fatal_error(self.tm.fenced_error())
        elif isinstance(
            error,
            TransactionalIdAuthorizationFailedError
            | InvalidTxnStateError
            | InvalidProducerIdMappingError,
        ):
            self.fatal_error(error)
        elif isinstance(error, GroupAuthorizationFailedError):
            self.abortable_error(
                GroupAuthorizationFailedError(f"Not authorized to access group: {group_id}")
            )
        elif isinstance(error, TransactionAbortableError):
            self.abortable_error(error)
        else:
            self.fatal_error(
                ProducerFatalError(f"Unexpected error in AddOffsetsToTxnResponse: {error.message}")
            )


class _TxnOffsetCommitHandler(TxnRequestHandler[TxnOffsetCommitResponse]):
    api_key = txn_requests.TXN_OFFSET_COMMIT

    def __init__(
        self,
        tm: TransactionManager,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
        group: ConsumerGroupMetadata,
        result: TransactionalRequestResult | None = None,
    ) -> None:
        super().__init__(tm, "TxnOffsetCommitHandler", result)
        tm.pending_offsets.update(offsets)
        self.group = group
        self.pid = tm.producer_id_and_epoch
        self.tv2 = tm.tv2
        # 4.4: topic ids when the producer knows every topic's id (TxnOffsetCommit v6).
        ids = {t: tm.topic_id(t) for t, _ in tm.pending_offsets}
        self.topic_ids: dict[str, UUID] = {t: i for t, i in ids.items() if i is not None}
        self.by_id = len(self.topic_ids) == len(ids)
        self.version = -1  # of the request last built (its response has the same)

    def coordinator_type(self) -> int | None:
        return txn_requests.COORDINATOR_GROUP

    def coordinator_key(self) -> str:
        return self.group.group_id

    def max_version(self) -> int:
        return txn_requests.max_version(self.api_key, tv2=self.tv2, topic_ids_known=self.by_id)

    def build(self, version: int) -> ApiRequest[TxnOffsetCommitResponse]:
        self.version = version
        return txn_requests.txn_offset_commit(
            version,
            self.tm.transactional_id,
            self.pid.producer_id,
            self.pid.epoch,
            self.tm.pending_offsets,
            self.group,
            self.topic_ids,
        )

    def handle_response(self, response: TxnOffsetCommitResponse) -> None:
        tm = self.tm
        group_id = self.group.group_id
        names = {i: t for t, i in self.topic_ids.items()}
        errors = txn_requests.read_txn_offset_commit(response, self.version, names)
        log.debug("Received TxnOffsetCommit response for consumer group %s: %s", group_id, errors)
        coordinator_reloaded = False
        for tp, code in errors.items():
            if code == 0:
                tm.pending_offsets.pop(tp, None)
                continue
            error = error_for_code(code)
            if isinstance(
                error, CoordinatorNotAvailableError | NotCoordinatorError | RequestTimedOutError
            ):
                if not coordinator_reloaded:
                    coordinator_reloaded = True
                    tm.lookup_coordinator(txn_requests.COORDINATOR_GROUP, group_id)
            elif error.retriable:
                continue  # retried with the current coordinator
            elif isinstance(error, GroupAuthorizationFailedError):
                self.abortable_error(
                    GroupAuthorizationFailedError(f"Not authorized to access group: {group_id}")
                )
                break
            elif isinstance(error, FencedInstanceIdError | TransactionAbortableError):
                self.abortable_error(error)
                break
            elif isinstance(error, UnknownMemberIdError | IllegalGenerationError):
                failed = KafkaProtoError(
                    "Transaction offset Commit failed due to consumer group metadata mismatch: "
                    f"{error.message}"
                )
                failed.__cause__ = error
                self.abortable_error(failed)
                break
            elif isinstance(error, InvalidProducerEpochError | ProducerFencedError):
                self.fatal_error(self.tm.fenced_error())
                break
            elif isinstance(
                error, TransactionalIdAuthorizationFailedError | UnsupportedForMessageFormatError
            ):
                self.fatal_error(error)
                break
            else:
                self.fatal_error(
                    ProducerFatalError(
                        f"Unexpected error in TxnOffsetCommitResponse: {error.message}"
                    )
                )
                break
        if self.result.completed:
            tm.pending_offsets.clear()
        elif not tm.pending_offsets:
            self.result.done()
        else:
            self.reenqueue()  # the commits that failed with a retriable error


class TransactionManager(IdempotenceManager):
    """See the module docstring. ``topic_id`` looks a topic's id up in the producer's metadata
    (for TxnOffsetCommit by id); ``on_transaction_version`` hears the version in use when it is
    first learned or changes."""

    def __init__(
        self,
        transactional_id: str,
        *,
        transaction_timeout_ms: int = 60000,
        retry_backoff_ms: int = 100,
        topic_id: Callable[[str], UUID | None] = lambda _topic: None,
    ) -> None:
        super().__init__()
        self.is_transactional = True
        self.transactional_id = transactional_id
        self.transaction_timeout_ms = transaction_timeout_ms
        self.retry_backoff_ms = retry_backoff_ms
        self.topic_id = topic_id
        self.last_error: BaseException | None = None
        self._pending: list[tuple[int, int, TxnRequestHandler[Any]]] = []
        self._order = itertools.count()
        self.new_partitions: set[TopicPartition] = set()
        self.pending_partitions: set[TopicPartition] = set()
        self.partitions_in_transaction: set[TopicPartition] = set()
        self.pending_offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        self.pending_transition: _PendingTransition | None = None
        self.in_flight: TxnRequestHandler[Any] | None = None
        self.transaction_coordinator: int | None = None
        self.group_coordinator: int | None = None
        self.coordinator_supports_bumping_epoch = False
        self.transaction_started = False
        self.client_side_epoch_bump_required = False
        self._features_epoch = -1
        self.tv2 = False
        self.on_transaction_version: Callable[[int], None] = lambda _version: None

    # --- state -------------------------------------------------------------------------------

    @property
    def transaction_version(self) -> int:
        """The transaction protocol in use: 2 (KIP-890 part 2) or 1."""
        return 2 if self.tv2 else 1

    @property
    def has_error(self) -> bool:
        return self.state in (S.ABORTABLE_ERROR, S.FATAL_ERROR)

    @property
    def has_abortable_error(self) -> bool:
        return self.state is S.ABORTABLE_ERROR

    @property
    def is_completing(self) -> bool:
        return self.state in (S.COMMITTING_TRANSACTION, S.ABORTING_TRANSACTION)

    @property
    def is_aborting(self) -> bool:
        return self.state is S.ABORTING_TRANSACTION

    @property
    def has_ongoing_transaction(self) -> bool:
        return self.state is S.IN_TRANSACTION or self.is_completing or self.has_abortable_error

    @property
    def has_pending_requests(self) -> bool:
        return bool(self._pending)

    def transition_to(
        self, target: ProducerState, error: BaseException | None = None, *, poison: bool = False
    ) -> None:
        """``transitionTo``: refuse an invalid transition with ``TransactionStateError`` (and,
        from the sender's side, become fatal: KAFKA-14831)."""
        if target is not S.FATAL_ERROR and self.state not in _VALID_SOURCES[target]:
            message = (
                f"TransactionalId {self.transactional_id}: Invalid transition attempted from "
                f"state {self.state.name} to state {target.name}"
            )
            failure = TransactionStateError(message)
            if poison:
                self.state = S.FATAL_ERROR
                self.last_error = failure
            raise failure
        if target in (S.FATAL_ERROR, S.ABORTABLE_ERROR):
            if error is None:
                raise ValueError(f"Cannot transition to {target.name} with a null exception")
            self.last_error = error
            log.debug(
                "Transition from state %s to error state %s: %r",
                self.state.name,
                target.name,
                error,
            )
        else:
            self.last_error = None
            log.debug("Transition from state %s to %s", self.state.name, target.name)
        self.state = target

    def transition_to_fatal(self, error: BaseException) -> None:
        log.info("Transiting to fatal error state due to %r", error)
        self.transition_to(S.FATAL_ERROR, error)
        if self.pending_transition is not None:
            self.pending_transition.result.fail(error)

    def transition_to_abortable_error(self, error: BaseException) -> None:
        if self.state is S.ABORTING_TRANSACTION:
            log.debug(
                "Skipping transition to abortable error state since the transaction is "
                "already being aborted. Underlying exception: %r",
                error,
            )
            return
        log.info("Transiting to abortable error state due to %r", error)
        self.transition_to(S.ABORTABLE_ERROR, error, poison=True)

    def transition_to_uninitialized(self, error: BaseException) -> None:
        self.transition_to(S.UNINITIALIZED)
        if self.pending_transition is not None:
            self.pending_transition.result.fail(error)
        self.last_error = None

    def _abortable_or_fatal(self, abortable: BaseException, fatal: BaseException) -> None:
        # transitionToAbortableErrorOrFatalError
        if self.can_handle_abortable_error():
            if self.need_to_trigger_epoch_bump_from_client():
                self.client_side_epoch_bump_required = True
            self.transition_to_abortable_error(abortable)
        else:
            self.transition_to_fatal(fatal)

    def need_to_trigger_epoch_bump_from_client(self) -> bool:
        """Version 1 with a coordinator that bumps epochs (InitProducerId v3+, KIP-360): the
        client asks for the bump; version 2 bumps at every EndTxn by itself."""
        return self.coordinator_supports_bumping_epoch and not self.tv2

    def can_handle_abortable_error(self) -> bool:
        return self.coordinator_supports_bumping_epoch or self.tv2

    def fenced_error(self) -> ProducerFencedError:
        return ProducerFencedError(
            f"Producer with transactionalId '{self.transactional_id}' and "
            f"{_pid(self.producer_id_and_epoch)} has been fenced by another producer with the "
            "same transactionalId; close this producer"
        )

    def error_for_caller(self) -> BaseException:
        """What the error state means for the application (``maybeFailWithError``'s
        exceptions): fencing as ``ProducerFencedError``, an old epoch as
        ``InvalidProducerEpochError``, otherwise ``TransactionAbortRequiredError`` (abort and
        go on) or ``ProducerFatalError`` (close), with the error behind it as the cause. Java
        throws a bare ``KafkaException`` for both of the last two."""
        error = self.last_error
        pid = self.producer_id_and_epoch
        who = f"Producer with transactionalId '{self.transactional_id}' and {_pid(pid)}"
        failure: BaseException
        if isinstance(error, ProducerFencedError):
            return self.fenced_error()
        if isinstance(error, InvalidProducerEpochError):
            return InvalidProducerEpochError(f"{who} attempted to produce with an old epoch")
        if isinstance(error, TransactionStateError):
            failure = TransactionStateError(
                f"{who} cannot execute transactional method because of previous invalid state "
                "transition attempt"
            )
        elif self.has_abortable_error:
            failure = TransactionAbortRequiredError(
                "Cannot execute transactional method because the transaction hit an error: "
                f"{error!r}; call abort_transaction() and begin a new transaction"
            )
        else:
            failure = ProducerFatalError(
                "Cannot execute transactional method because the producer hit a fatal error: "
                f"{error!r}; close the producer"
            )
        failure.__cause__ = error
        return failure

    def maybe_fail_with_error(self) -> None:
        """``maybeFailWithError``: raise what the error state means for the caller."""
        if self.has_error:
            raise self.error_for_caller()

    def maybe_update_transaction_v2(
        self, on_initialization: bool, epoch: int, level: int | None
    ) -> None:
        """``maybeUpdateTransactionV2Enabled``: the cluster's finalized ``transaction.version``
        (``level``, with its features ``epoch``). Moving up to version 2 between transactions
        bumps the epoch first, fencing what version 1 left behind."""
        if self._features_epoch >= epoch:
            return
        self._features_epoch = epoch
        was = self.tv2
        self.tv2 = level is not None and level >= 2
        if self.tv2 != was or on_initialization:
            log.info(
                "Transactional producer %s uses transaction version %d (finalized "
                "transaction.version %s, features epoch %d)",
                self.transactional_id,
                self.transaction_version,
                level,
                epoch,
            )
            self.on_transaction_version(self.transaction_version)
        if not on_initialization and not was and self.tv2:
            self.client_side_epoch_bump_required = True

    # --- the application's calls ---------------------------------------------------------------

    def _throw_if_pending_state(self, operation: str) -> None:
        pending = self.pending_transition
        if pending is not None:
            if pending.result.acked:
                self.pending_transition = None
            else:
                raise TransactionStateError(
                    f"Cannot attempt operation `{operation}` because the previous call to "
                    f"`{pending.operation}` timed out and must be retried"
                )

    def _cached_result(
        self,
        make: Callable[[], TransactionalRequestResult],
        next_state: ProducerState,
        operation: str,
    ) -> TransactionalRequestResult:
        # handleCachedTransactionRequestResult
        pending = self.pending_transition
        if pending is not None:
            if pending.result.acked:
                self.pending_transition = None
            elif next_state is not pending.state:
                raise TransactionStateError(
                    f"Cannot attempt operation `{operation}` because the previous call to "
                    f"`{pending.operation}` timed out and must be retried"
                )
            else:
                return pending.result
        result = make()
        self.pending_transition = _PendingTransition(result, next_state, operation)
        return result

    def initialize_transactions(
        self, pid: ProducerIdAndEpoch = NO_PRODUCER_ID_AND_EPOCH
    ) -> TransactionalRequestResult:
        """``initializeTransactions``: InitProducerId for the transactional id (fencing older
        producers with it and finishing their open transaction), or, with ``pid``, the epoch
        bump that recovers from an abortable error (KIP-360)."""
        self.maybe_fail_with_error()
        is_epoch_bump = pid != NO_PRODUCER_ID_AND_EPOCH

        def make() -> TransactionalRequestResult:
            if not is_epoch_bump:
                self.transition_to(S.INITIALIZING)
                log.info(
                    "Invoking InitProducerId for the first time in order to acquire a producer ID"
                )
            else:
                log.info(
                    "Invoking InitProducerId with current producer ID and epoch %s in order to "
                    "bump the epoch",
                    _pid(pid),
                )
            handler = _InitProducerIdHandler(self, pid, is_epoch_bump)
            self.enqueue(handler)
            return handler.result

        return self._cached_result(make, S.INITIALIZING, "initTransactions")

    def begin_transaction(self) -> None:
        self._throw_if_pending_state("beginTransaction")
        self.maybe_fail_with_error()
        if self.state is not S.READY and not self.has_producer_id:
            raise TransactionStateError(
                "Cannot begin a transaction before init_transactions() has completed"
            )
        self.transition_to(S.IN_TRANSACTION)

    def begin_commit(
        self, features_epoch: int = -1, level: int | None = None
    ) -> TransactionalRequestResult:
        """``beginCommit``; ``features_epoch``/``level`` are the cluster's finalized features
        as last seen (for ``maybe_update_transaction_v2``)."""

        def make() -> TransactionalRequestResult:
            self.maybe_fail_with_error()
            self.transition_to(S.COMMITTING_TRANSACTION)
            return self._begin_completing(True, features_epoch, level)

        return self._cached_result(make, S.COMMITTING_TRANSACTION, "commitTransaction")

    def begin_abort(
        self, features_epoch: int = -1, level: int | None = None
    ) -> TransactionalRequestResult:
        """``beginAbort`` (allowed from ABORTABLE_ERROR: that is how one recovers)."""

        def make() -> TransactionalRequestResult:
            if self.state is not S.ABORTABLE_ERROR:
                self.maybe_fail_with_error()
            self.transition_to(S.ABORTING_TRANSACTION)
            self.new_partitions.clear()  # no need to add partitions to an aborted transaction
            return self._begin_completing(False, features_epoch, level)

        return self._cached_result(make, S.ABORTING_TRANSACTION, "abortTransaction")

    def _begin_completing(
        self, committed: bool, features_epoch: int, level: int | None
    ) -> TransactionalRequestResult:
        # beginCompletingTransaction
        if self.new_partitions:
            self.enqueue(self._add_partitions_handler())
        # The EndTxn is made before the version update: a transaction ends with the version it
        # began with; the next one uses the new version.
        handler = _EndTxnHandler(self, committed)
        self.maybe_update_transaction_v2(False, features_epoch, level)
        self.enqueue(handler)
        # Recovery from an abortable error (and the move to version 2) bumps the epoch after
        # EndTxn; callers then wait for that.
        if self.client_side_epoch_bump_required:
            return self.initialize_transactions(self.producer_id_and_epoch)
        return handler.result

    def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, OffsetAndMetadata], group: ConsumerGroupMetadata
    ) -> TransactionalRequestResult:
        """``sendOffsetsToTransaction`` (KIP-447): the consumer's offsets become part of the
        transaction, committed or aborted with its records."""
        self._throw_if_pending_state("sendOffsetsToTransaction")
        self.maybe_fail_with_error()
        if self.state is not S.IN_TRANSACTION:
            raise TransactionStateError(
                "Cannot send offsets if a transaction is not in progress "
                f"(currentState= {self.state.name}); call begin_transaction() first"
            )
        handler: TxnRequestHandler[Any]
        if self.tv2:
            # Version 2: no AddOffsetsToTxn; TxnOffsetCommit adds the group itself.
            log.debug(
                "Begin adding offsets %s for consumer group %s to transaction with "
                "transaction protocol V2",
                offsets,
                group,
            )
            handler = _TxnOffsetCommitHandler(self, offsets, group)
            self.transaction_started = True
        else:
            log.debug(
                "Begin adding offsets %s for consumer group %s to transaction", offsets, group
            )
            handler = _AddOffsetsToTxnHandler(self, offsets, group)
        self.enqueue(handler)
        return handler.result

    def check_send_allowed(self) -> None:
        """The checks ``maybeAddPartition`` makes, made before the record is appended (Java
        appends first, so a refused record stays queued and joins a later transaction)."""
        self.maybe_fail_with_error()
        self._throw_if_pending_state("send")
        if not self.has_producer_id:
            raise TransactionStateError(
                "Cannot add partitions to a transaction before completing a call to "
                "init_transactions()"
            )
        if self.state is not S.IN_TRANSACTION:
            raise TransactionStateError(
                f"Cannot add partitions to a transaction while in state {self.state.name}; "
                "call begin_transaction() before sending"
            )

    def maybe_add_partition(self, tp: TopicPartition) -> None:
        """``maybeAddPartition`` after ``check_send_allowed`` passed."""
        if self.tv2:
            self._entry(tp)
            self.partitions_in_transaction.add(tp)
            self.transaction_started = True
        elif (
            tp in self.partitions_in_transaction
            or tp in self.new_partitions
            or tp in self.pending_partitions
        ):
            return
        else:
            log.debug("Begin adding new partition %s to transaction", tp)
            self._entry(tp)
            self.new_partitions.add(tp)

    def is_send_to_partition_allowed(self, tp: TopicPartition) -> bool:
        if self.has_fatal_error:
            return False
        return tp in self.partitions_in_transaction

    def maybe_transition_to_error_state(self, error: BaseException) -> None:
        """``maybeTransitionToErrorState``: a record's failure makes the transaction abortable
        (its retriable errors too: retries are exhausted by then) or the producer fatal."""
        if isinstance(error, _FATAL_ERRORS):
            self.transition_to_fatal(error)
            return
        if getattr(error, "retriable", False) or isinstance(error, InvalidTxnStateError):
            wrapped = TransactionAbortableError(
                "Transaction Request was aborted after exhausting retries."
            )
            wrapped.__cause__ = error
            error = wrapped
        if self.need_to_trigger_epoch_bump_from_client() and not self.is_completing:
            self.client_side_epoch_bump_required = True
        self.transition_to_abortable_error(error)

    # --- requests ----------------------------------------------------------------------------

    def enqueue(self, handler: TxnRequestHandler[Any]) -> None:
        log.debug("Enqueuing transactional request %r", handler)
        heapq.heappush(self._pending, (handler.priority, next(self._order), handler))

    def retry(self, handler: TxnRequestHandler[Any]) -> None:
        handler.is_retry = True
        self.enqueue(handler)

    def _add_partitions_handler(self) -> _AddPartitionsToTxnHandler:
        self.pending_partitions |= self.new_partitions
        self.new_partitions.clear()
        return _AddPartitionsToTxnHandler(self, frozenset(self.pending_partitions))

    def next_request(self, has_incomplete_batches: bool) -> TxnRequestHandler[Any] | None:
        """``nextRequest``: the handler to send now, or None. EndTxn waits until every batch
        completed; an EndTxn for a transaction that never started completes at once."""
        if self.new_partitions:
            self.enqueue(self._add_partitions_handler())
        if not self._pending:
            return None
        handler = self._pending[0][2]
        if handler.is_end_txn and has_incomplete_batches:
            return None
        heapq.heappop(self._pending)
        if self._terminate_with_error(handler):
            log.debug(
                "Not sending transactional request %r because we are in an error state", handler
            )
            return None
        if handler.is_end_txn and not self.transaction_started:
            handler.result.done()
            if self.state is not S.FATAL_ERROR:
                log.debug(
                    "Not sending EndTxn for completed transaction since no partitions or "
                    "offsets were successfully added"
                )
                self.reset_transaction_state()
            handler = heapq.heappop(self._pending)[2] if self._pending else None  # type: ignore[assignment]
        return handler

    def _terminate_with_error(self, handler: TxnRequestHandler[Any]) -> bool:
        # maybeTerminateRequestWithError
        if self.has_error:
            if self.has_abortable_error and isinstance(handler, _FindCoordinatorHandler):
                return False  # no harm finding the coordinator when about to abort
            # Java fails the request with lastError itself; the caller gets it typed.
            handler.fail(self.error_for_caller())
            return True
        return False

    def lookup_coordinator(self, key_type: int, key: str) -> None:
        if key_type == txn_requests.COORDINATOR_GROUP:
            self.group_coordinator = None
        else:
            self.transaction_coordinator = None
        self.enqueue(_FindCoordinatorHandler(self, key_type, key))

    def coordinator(self, key_type: int) -> int | None:
        if key_type == txn_requests.COORDINATOR_GROUP:
            return self.group_coordinator
        return self.transaction_coordinator

    def handle_coordinator_ready(self, init_producer_id_version: int | None) -> None:
        """``handleCoordinatorReady``: the coordinator bumps epochs on request when it speaks
        InitProducerId v3+ (KIP-360)."""
        self.coordinator_supports_bumping_epoch = (
            init_producer_id_version is not None and init_producer_id_version >= 3
        )

    def fail_pending_requests(self, error: BaseException) -> None:
        for _, _, handler in self._pending:
            handler.abortable_error(error)

    def close(self) -> None:
        """The producer closed forcefully: fail everything still pending."""
        error = ProducerFatalError("The producer closed forcefully")
        pending, self._pending = self._pending, []
        for _, _, handler in pending:
            handler.result.fail(error)
        if self.in_flight is not None:
            self.in_flight.result.fail(error)
        if self.state is not S.FATAL_ERROR:
            self.state = S.FATAL_ERROR
            self.last_error = error
        if self.pending_transition is not None:
            self.pending_transition.result.fail(error)

    def set_producer_id_and_epoch(self, pid: ProducerIdAndEpoch) -> None:
        if pid.producer_id != self.producer_id_and_epoch.producer_id or not self.tv2:
            log.info("ProducerId set to %d with epoch %d", pid.producer_id, pid.epoch)
        else:
            log.debug("ProducerId set to %d with epoch %d", pid.producer_id, pid.epoch)
        self.producer_id_and_epoch = pid

    def reset_sequence_numbers(self) -> None:
        self._partitions.clear()
        self._unresolved.clear()

    def reset_transaction_state(self) -> None:
        self.transition_to(
            S.INITIALIZING if self.client_side_epoch_bump_required else S.READY, poison=True
        )
        self.last_error = None
        self.client_side_epoch_bump_required = False
        self.transaction_started = False
        self.new_partitions.clear()
        self.pending_partitions.clear()
        self.partitions_in_transaction.clear()

    # --- batches (the idempotent bookkeeping, transactional variant) ----------------------------

    def bump_epoch_and_reset_id_if_needed(self) -> bool:
        return False  # only the idempotent producer bumps its own epoch

    def can_retry(self, error: KafkaError, log_start_offset: int, batch: ProducerBatch) -> bool:
        """``canRetry`` for a transactional producer: sequence errors fail the batch (and
        make the transaction abortable) instead of bumping the epoch, except the retention
        case, which restarts the partition's sequences."""
        tp = batch.tp
        if isinstance(error, UnknownProducerIdError):
            if log_start_offset == -1 or batch.sequence_reset:
                return True
            if self._entry(tp).last_acked_offset < log_start_offset:
                self._entry(tp).start_sequences_at_beginning(self.producer_id_and_epoch)
                return True
            return False
        if isinstance(error, OutOfOrderSequenceNumberError):
            if self.is_overtaken(batch):
                return False  # never taken at its sequence: the transaction must abort
            if tp not in self._unresolved and (
                batch.sequence_reset or not self._is_next_sequence(tp, batch.base_sequence)
            ):
                return True
            return False
        return error.retriable

    def handle_failed_batch(
        self, batch: ProducerBatch, error: BaseException, adjust_sequences: bool
    ) -> None:
        """``handleFailedBatch``: every failed record of a transaction makes it abortable."""
        self.maybe_transition_to_error_state(error)
        if batch.has_sequence():
            self.remove_inflight_batch(batch)
        if self.has_fatal_error or not batch.has_sequence():
            return
        tp = batch.tp
        if isinstance(error, UnknownProducerIdError):
            self._partitions.pop(tp, None)
            self._unresolved.pop(tp, None)
        elif adjust_sequences:
            self._adjust_sequences_after_failure(batch)

    def _adjust_sequences_after_failure(self, failed: ProducerBatch) -> None:
        # TxnPartitionEntry.adjustSequencesDueToFailedBatch: later batches move down.
        entry = self._partitions.get(failed.tp)
        if entry is None:
            return
        count = failed.record_count
        entry.next_sequence -= count
        if entry.next_sequence < 0:
            raise TransactionStateError(f"Sequence number for {failed.tp} went negative")
        for b in entry.inflight:
            if b.base_sequence >= failed.base_sequence:
                b.reset_producer_state(b.producer_id, b.producer_epoch, b.base_sequence - count)

    def maybe_resolve_sequences(self) -> None:
        """Once an unresolved partition has nothing in flight: resolved, or the transaction
        cannot be completed safely (abortable with an epoch bump to come, else fatal)."""
        for tp in list(self._unresolved):
            entry = self._entry(tp)
            if entry.inflight:
                continue
            if not self._is_next_sequence(tp, entry.next_sequence):
                unacked = (
                    "The client hasn't received acknowledgment for some previously sent messages "
                    "and can no longer retry them. "
                )
                self._abortable_or_fatal(
                    KafkaProtoError(unacked + "It is safe to abort the transaction and continue."),
                    KafkaProtoError(unacked + "It isn't safe to continue."),
                )
            del self._unresolved[tp]


def _pid(pid: ProducerIdAndEpoch) -> str:
    return f"(producerId={pid.producer_id}, epoch={pid.epoch})"
