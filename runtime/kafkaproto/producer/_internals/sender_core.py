"""The sender's synchronous work, compiled: ``SenderCore`` drains ready batches into Produce
requests and turns their responses into completed, retried, split or failed batches (Java's
``Sender.sendProducerData`` and ``completeBatch``); see ``sender.py`` for the whole sender.

``Sender`` (``kafkaproto.producer._internals.sender``) is a ``SenderCore`` with the coroutines
that await the transport (its loop, each Produce request, metadata, producer ids, transactional
requests). The split keeps every coroutine out of compiled code: mypyc hands an exception thrown
into a compiled coroutine to what it awaits through the three-argument ``throw()``, which Python
3.12+ warns about (``kafkaproto.compiled``). This module runs on the loop's thread only, never
opens sockets and never awaits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Final, TypeVar

from kafkaproto.error_codes import (
    ClusterAuthorizationFailedError,
    CorruptMessageError,
    DuplicateSequenceNumberError,
    InvalidProducerEpochError,
    InvalidRecordError,
    KafkaError,
    LeaderNotAvailableError,
    MessageTooLargeError,
    NetworkError,
    NotEnoughReplicasError,
    NotLeaderOrFollowerError,
    OutOfOrderSequenceNumberError,
    RecordListTooLargeError,
    RequestTimedOutError,
    TransactionalIdAuthorizationFailedError,
    UnknownProducerIdError,
    UnknownTopicIdError,
    UnknownTopicOrPartitionError,
    UnsupportedVersionError,
    error_for_code,
)
from kafkaproto.errors import KafkaProtoError
from kafkaproto.message import ApiResponse
from kafkaproto.messages.init_producer_id import InitProducerIdRequest
from kafkaproto.messages.produce import (
    ProduceRequest,
    ProduceRequestPartitionProduceData,
    ProduceRequestTopicProduceData,
    ProduceResponse,
    ProduceResponseBatchIndexAndErrorMessage,
)
from kafkaproto.producer._internals import txn_requests
from kafkaproto.producer._internals.accumulator import ReadyCheck, RecordAccumulator
from kafkaproto.producer._internals.batch import INVALID_OFFSET, ProducerBatch, TopicPartition
from kafkaproto.producer._internals.idempotence import IdempotenceManager
from kafkaproto.producer._internals.transactions import TransactionManager, TxnRequestHandler
from kafkaproto.producer.errors import (
    DeliveryTimeoutError,
    ProducerFatalError,
    TransactionAbortedError,
)
from kafkaproto.producer.metadata import ZERO_UUID, ClusterSnapshot
from kafkaproto.producer.record import NO_TIMESTAMP
from kafkaproto.producer.transport import ProducerTransport
from mypy_extensions import mypyc_attr

__all__ = [
    "IDLE_MS",
    "INIT_PRODUCER_ID_API_KEY",
    "INT_MAX",
    "PRODUCE_API_KEY",
    "SenderCore",
    "SenderSettings",
]

# The whole sender logs under one name (sender.py's), whichever half of it speaks.
log = logging.getLogger("kafkaproto.producer._internals.sender")

R = TypeVar("R", bound=ApiResponse)

PRODUCE_API_KEY: Final = ProduceRequest.api_key
INIT_PRODUCER_ID_API_KEY: Final = InitProducerIdRequest.api_key
_MIN_PRODUCE_VERSION: Final = 3  # v2 record batches
_MAX_PRODUCE_VERSION: Final = 13
_TOPIC_ID_PRODUCE_VERSION: Final = 13  # KIP-516: topics by id instead of by name
#: Java's Integer.MAX_VALUE (retries' default, InitProducerId's transaction timeout).
INT_MAX: Final = 2**31 - 1
#: What _run_once returns when only an event can give it work (a day): no timer is set then.
IDLE_MS: Final = 86_400_000
_MESSAGE_TOO_LARGE: Final = MessageTooLargeError.code
_DUPLICATE_SEQUENCE: Final = DuplicateSequenceNumberError.code
# The broker's answers that reject a partition's batch before anything is appended; after any
# other failure (a timeout, a lost connection, a replication timeout) it may be in the log.
_NOT_WRITTEN: Final = frozenset(
    e.code
    for e in (
        CorruptMessageError,
        InvalidProducerEpochError,
        InvalidRecordError,
        LeaderNotAvailableError,
        MessageTooLargeError,
        NotEnoughReplicasError,
        NotLeaderOrFollowerError,
        OutOfOrderSequenceNumberError,
        RecordListTooLargeError,
        UnknownProducerIdError,
        UnknownTopicIdError,
        UnknownTopicOrPartitionError,
    )
)


class SenderSettings:
    """The config values the sender reads (from ``ProducerConfig``)."""

    __slots__ = (
        "acks",
        "max_in_flight",
        "max_request_size",
        "metadata_max_age_ms",
        "request_timeout_ms",
        "retries",
        "retry_backoff_ms",
    )

    def __init__(
        self,
        *,
        acks: int = -1,
        max_in_flight: int = 5,
        max_request_size: int = 1048576,
        request_timeout_ms: int = 30000,
        retries: int = INT_MAX,
        retry_backoff_ms: int = 100,
        metadata_max_age_ms: int = 300000,
    ) -> None:
        self.acks = acks
        self.max_in_flight = max_in_flight
        self.max_request_size = max_request_size
        self.request_timeout_ms = request_timeout_ms
        self.retries = retries
        self.retry_backoff_ms = retry_backoff_ms
        self.metadata_max_age_ms = metadata_max_age_ms


@mypyc_attr(allow_interpreted_subclasses=True)
class SenderCore:
    """The sender's state and synchronous steps; ``Sender`` adds the coroutines."""

    def __init__(
        self,
        settings: SenderSettings,
        accumulator: RecordAccumulator,
        transport: ProducerTransport,
        idempotence: IdempotenceManager | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.accumulator = accumulator
        self.transport = transport
        self.idempotence = idempotence
        self._clock = clock
        self.cluster = ClusterSnapshot({})
        self.metadata_error: BaseException | None = None
        self.topics: set[str] = set()
        self.on_metadata: Callable[[], None] = lambda: None
        self.on_memory_released: Callable[[], None] = lambda: None
        self.running = False
        self._wakeup = asyncio.Event()
        self._metadata_wanted = asyncio.Event()
        self._metadata_updated_ms = -(2**62)
        self._inflight_requests: dict[int, int] = {}
        self._inflight_batches: dict[TopicPartition, list[ProducerBatch]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Produce requests in the order sent, with the loop time they must be answered by
        # (request.timeout.ms), and those cancelled for missing it: _expire_requests. Each is
        # its _produce task, or the response's future when it was written at once.
        self._deadlines: deque[tuple[float, asyncio.Future[Any]]] = deque()
        self._timed_out: set[asyncio.Future[Any]] = set()
        # The transport's optional send_nowait and write (ProducerTransport: both or neither),
        # and the Produce version it negotiated, known once the metadata loop or a _produce
        # task has asked for it.
        nowait = getattr(transport, "send_nowait", None)
        write = getattr(transport, "write", None)
        fast = nowait is not None and write is not None
        self._send_nowait: Callable[..., asyncio.Future[Any] | None] | None = (
            nowait if fast else None
        )
        self._write: Callable[..., Awaitable[asyncio.Future[Any]]] | None = write if fast else None
        self._produce_version: int | None = None
        # Per node, the _produce tasks whose request is not written yet (waiting for the
        # connection, for a free slot): while there are any, later requests to that node take
        # a task too, so none is written before them.
        self._unwritten: dict[int, set[asyncio.Future[Any]]] = {}
        self._init_pid_running = False
        self._guarantee_order = settings.max_in_flight == 1
        #: The transaction manager when the producer is transactional (it is ``idempotence``).
        self.transactions = idempotence if isinstance(idempotence, TransactionManager) else None

    # --- plumbing ----------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def wakeup(self) -> None:
        self._wakeup.set()

    def request_metadata(self, topic: str | None = None) -> None:
        if topic is not None:
            self.topics.add(topic)
        self._metadata_wanted.set()

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _expire_requests(self, now: float) -> float | None:
        """Cancel the produce requests still unanswered at their deadline (their ``_produce``
        fails their batches with a timeout); the seconds until the next deadline, if any.

        One queue in sending order rather than a timer per request: every request has the
        same timeout, so the first one still pending is the next to expire, and the sender
        checks at each turn (its sleep ends by that deadline)."""
        deadlines = self._deadlines
        while deadlines:
            deadline, task = deadlines[0]
            if task.done():
                deadlines.popleft()
            elif deadline <= now:
                deadlines.popleft()
                self._timed_out.add(task)
                task.add_done_callback(self._timed_out.discard)  # however the task ends
                task.cancel()
            else:
                return deadline - now
        return None

    # --- the loop ----------------------------------------------------------------------------

    def stop(self) -> None:
        self.running = False
        self.wakeup()

    def _run_once(self) -> int:
        acc = self.accumulator
        idem = self.idempotence
        now = self.now_ms()
        if self.transactions is not None:
            with acc.lock:
                wait = self._transactional_step()
            if wait is not None:
                return wait
        elif idem is not None:
            idem.maybe_resolve_sequences()
            if idem.has_fatal_error:
                if acc.has_incomplete():
                    self.abort_all(ProducerFatalError("the idempotent producer hit a fatal error"))
                return IDLE_MS
            if idem.bump_epoch_and_reset_id_if_needed():
                self._spawn(self._init_producer_id())
        if now - self._metadata_updated_ms >= self.settings.metadata_max_age_ms and self.topics:
            self._metadata_wanted.set()
        ready = acc.ready(self.cluster, now)
        if ready.unknown_leader_topics:
            self.topics |= ready.unknown_leader_topics
            self._metadata_wanted.set()
        drained = self._drain(ready, now)
        acc.reset_next_expiry()
        for batch in self._expired_inflight(now) + acc.expired_batches(now):
            self.fail_batch(
                batch,
                DeliveryTimeoutError(
                    f"Expiring {batch.record_count} record(s) for {batch.topic}-"
                    f"{batch.partition}:{now - batch.created_ms} ms has passed since batch "
                    "creation"
                ),
                adjust_sequences=False,
            )
            if idem is not None and batch.in_retry:
                idem.mark_sequence_unresolved(batch)
        if drained:
            deadline = asyncio.get_running_loop().time() + self.settings.request_timeout_ms / 1000
            limit = self.settings.max_in_flight
            while drained:
                for node, batches in drained.items():
                    # A batch drained in the turn it reached delivery.timeout.ms was failed
                    # just above (its records let go): the request goes without it. (Java
                    # sends it anyway, its buffer still holding the records.)
                    batches = [batch for batch in batches if not batch.done]
                    if not batches:
                        continue
                    self._inflight_requests[node] = self._inflight_requests.get(node, 0) + 1
                    self._deadlines.append((deadline, self._send_produce(node, batches)))
                # A node with room for another request and more batches ready gets it in this
                # turn (Java's sender, free of a loop to share, polls again at once): with a
                # thread-safe face, each turn of the loop waits for the interpreter lock.
                # (What is still ready has not expired: expired_batches took those out.) Once
                # every node just drained is full, ready(), which reads every partition, is
                # not asked again.
                if all(self._inflight_requests.get(n, 0) >= limit for n in drained):
                    break
                drained = self._drain(acc.ready(self.cluster, now), now)
            return 0
        delay = min(ready.next_ready_check_delay_ms, acc.next_expiry_ms - now)
        return max(delay, 0) if delay > 0 else (1 if ready.ready_nodes else 0)

    def _drain(self, ready: ReadyCheck, now: int) -> dict[int, list[ProducerBatch]]:
        # One request's batches for each ready node below max.in.flight, now in flight.
        acc = self.accumulator
        limit = self.settings.max_in_flight
        nodes = [n for n in ready.ready_nodes if self._inflight_requests.get(n, 0) < limit]
        if not nodes:
            return {}
        drained = acc.drain(self.cluster, nodes, self.settings.max_request_size, now)
        for batches in drained.values():
            for batch in batches:
                self._inflight_batches.setdefault(batch.tp, []).append(batch)
                if self._guarantee_order:
                    acc.mute(batch.tp)
        return drained

    def _send_produce(self, node: int, batches: list[ProducerBatch]) -> asyncio.Future[Any]:
        """One Produce request for ``batches``: written now when the transport can take it at
        once (``send_nowait``), its response handled by ``_produce_done``; else a ``_produce``
        task, which waits for the connection or a free slot first (and until it has written
        its request, so does every later request to the node: requests are written in the
        order drained). Either is what ``_expire_requests`` cancels. (A task per request
        would cost two loop turns and four coroutine frames.)"""
        fast = self._send_nowait
        version = self._produce_version
        if (
            fast is not None
            and version is not None
            and self.settings.acks != 0
            and node not in self._unwritten
        ):
            future: asyncio.Future[Any] | None
            try:
                request, version = self._build_request(batches, version)
                future = fast(node, request, version)
            except Exception:  # nothing was written: the task raises it again and handles it
                future = None
            if future is not None:
                future.add_done_callback(lambda done: self._produce_done(node, batches, done))
                return future
        task = self._spawn(self._produce(node, batches))
        unwritten = self._unwritten.get(node)
        if unwritten is None:
            unwritten = self._unwritten[node] = set()
        unwritten.add(task)
        task.add_done_callback(lambda done: self._written(node, done))
        return task

    def _written(self, node: int, task: asyncio.Future[Any]) -> None:
        # A _produce task's request was written, or the task ended without writing it.
        unwritten = self._unwritten.get(node)
        if unwritten is not None:
            unwritten.discard(task)
            if not unwritten:
                del self._unwritten[node]

    def _produce_done(
        self, node: int, batches: list[ProducerBatch], future: asyncio.Future[Any]
    ) -> None:
        # _produce's ending, for a request send_nowait wrote.
        try:
            if not self.running:  # closed: abort_all failed its batches
                if not future.cancelled():
                    future.exception()  # retrieved: asyncio need not report it
                return
            if future.cancelled():  # by _expire_requests, nobody else
                self._request_timed_out(node, batches)
                return
            error = future.exception()
            if error is None:
                self._handle_response(future.result(), batches)
            elif not self._request_failed(node, batches, error):
                raise error
        finally:
            self._request_ended(node)

    # How a Produce request ends, whichever way it was written (here or in _produce).

    def _request_timed_out(self, node: int, batches: list[ProducerBatch]) -> None:
        self._complete_all(
            batches, RequestTimedOutError(f"Disconnected from node {node} due to timeout")
        )

    def _request_failed(
        self, node: int, batches: list[ProducerBatch], error: BaseException
    ) -> bool:
        """Complete ``batches`` with what ``error`` (no response came) means: retried if that
        allows. False for an error that is not the request's failure (it is raised on)."""
        if isinstance(error, UnsupportedVersionError):
            self._complete_all(batches, error)
        elif isinstance(error, (OSError, ConnectionError, KafkaProtoError)):
            self._complete_all(
                batches,
                error
                if isinstance(error, KafkaError)
                else NetworkError(f"Disconnected from node {node}: {error!r}"),
            )
        else:
            return False
        return True

    def _request_ended(self, node: int) -> None:
        self._inflight_requests[node] -= 1
        self.wakeup()

    def _expired_inflight(self, now: int) -> list[ProducerBatch]:
        # Sender.getExpiredInflightBatches.
        expired: list[ProducerBatch] = []
        timeout = self.accumulator.delivery_timeout_ms
        for tp, batches in list(self._inflight_batches.items()):
            while batches and batches[0].has_reached_delivery_timeout(timeout, now):
                batch = batches.pop(0)
                if not batch.done:
                    expired.append(batch)
            if batches:
                self.accumulator.note_expiry(batches[0])
            else:
                del self._inflight_batches[tp]
        return expired

    def _forget_inflight(self, batch: ProducerBatch) -> None:
        batches = self._inflight_batches.get(batch.tp)
        if batches is not None:
            try:
                batches.remove(batch)
            except ValueError:
                pass
            if not batches:
                del self._inflight_batches[batch.tp]

    # --- metadata and producer id ------------------------------------------------------------

    # --- transactions ------------------------------------------------------------------------

    def _transactional_step(self) -> int | None:
        """``Sender.runOnce``'s transactional part with ``maybeSendAndPollTransactionalRequest``
        (under the lock): None to go on producing, else how long to sleep (a transactional
        request is in flight or was just sent: produce data waits for it, as in Java)."""
        tm = self.transactions
        assert tm is not None
        acc = self.accumulator
        tm.maybe_resolve_sequences()
        last_error = tm.last_error
        if tm.has_fatal_error:
            if last_error is not None and acc.has_incomplete():
                log.error("Aborting producer batches due to fatal error: %r", last_error)
                self.abort_all(last_error)
            return IDLE_MS
        if tm.has_abortable_error and isinstance(
            last_error, ClusterAuthorizationFailedError | TransactionalIdAuthorizationFailedError
        ):
            # shouldHandleAuthorizationError: fail what is pending, back to UNINITIALIZED so
            # that init_transactions() may be called again.
            assert last_error is not None
            tm.fail_pending_requests(last_error)
            if acc.has_incomplete():
                self.abort_all(last_error)
            tm.transition_to_uninitialized(last_error)
            return IDLE_MS
        if tm.in_flight is not None:
            return IDLE_MS  # its completion wakes the sender
        if tm.has_abortable_error:
            self._aborted_undrained(
                acc.abort_undrained_batches(tm.last_error or TransactionAbortedError())
            )
        elif tm.is_aborting:
            self._aborted_undrained(
                acc.abort_undrained_batches(
                    TransactionAbortedError("Failing batch since transaction was aborted")
                )
            )
        handler = tm.next_request(acc.has_incomplete())
        if handler is None:
            return None
        kind = handler.coordinator_type()
        node: int | None = None
        if kind is not None:
            node = tm.coordinator(kind)
            if node is None:
                tm.lookup_coordinator(kind, handler.coordinator_key())
                tm.retry(handler)
                return 0
        tm.in_flight = handler
        self._spawn(self._send_transactional(handler, node))
        return IDLE_MS

    def _aborted_undrained(self, batches: list[ProducerBatch]) -> None:
        if batches:
            self.on_memory_released()

    # --- produce -----------------------------------------------------------------------------

    def _build_request(
        self, batches: list[ProducerBatch], version: int | None
    ) -> tuple[ProduceRequest, int]:
        """The ProduceRequest for ``batches`` and the version to send it at (the negotiated
        one, but by name below v13 when a topic has no id)."""
        if version is None or version < _MIN_PRODUCE_VERSION:
            raise UnsupportedVersionError("the brokers support no Produce version >= 3")
        version = min(version, _MAX_PRODUCE_VERSION)
        tm = self.transactions
        transactional_id = None
        if tm is not None:
            # ProduceRequest.builder: a version-1 transaction stays below v12, which would make
            # the broker add the partitions itself (KIP-890 part 2).
            transactional_id = tm.transactional_id
            version = min(version, txn_requests.produce_max_version(transactional=True, tv2=tm.tv2))
        by_topic: dict[str, list[ProduceRequestPartitionProduceData]] = {}
        for batch in batches:
            by_topic.setdefault(batch.topic, []).append(
                ProduceRequestPartitionProduceData(index=batch.partition, records=batch.records())
            )
        if version >= _TOPIC_ID_PRODUCE_VERSION and any(
            self.cluster.topic_id(t) == ZERO_UUID for t in by_topic
        ):
            version = _TOPIC_ID_PRODUCE_VERSION - 1  # Sender: topic ids only when all have one
        # Name and id are both ignorable: each version writes the one it has.
        topic_data = tuple(
            ProduceRequestTopicProduceData(
                name=t, topic_id=self.cluster.topic_id(t), partition_data=tuple(p)
            )
            for t, p in by_topic.items()
        )
        request = ProduceRequest(
            transactional_id=transactional_id,
            acks=self.settings.acks,
            timeout_ms=self.settings.request_timeout_ms,
            topic_data=topic_data,
        )
        return request, version

    def _complete_all(self, batches: Iterable[ProducerBatch], error: KafkaError) -> None:
        for batch in batches:
            self.complete_batch(batch, error.code, INVALID_OFFSET, NO_TIMESTAMP, error=error)

    def _handle_response(self, response: ProduceResponse, batches: list[ProducerBatch]) -> None:
        by_tp = {b.tp: b for b in batches}
        names = {self.cluster.topic_id(b.topic): b.topic for b in batches}
        for topic in response.responses:
            # v13+ names topics by id (the name is then ""), older versions by name.
            topic_id = topic.topic_id
            name = names.get(topic_id) if topic_id != ZERO_UUID else topic.name
            for p in topic.partition_responses:
                batch = by_tp.pop((name, p.index), None) if name is not None else None
                if batch is None:
                    log.warning("produce response for unknown partition %s-%d", name, p.index)
                    continue
                self.complete_batch(
                    batch,
                    p.error_code,
                    p.base_offset,
                    p.log_append_time_ms,
                    log_start_offset=p.log_start_offset,
                    record_errors=p.record_errors,
                    message=p.error_message,
                )
        for batch in by_tp.values():  # the broker did not answer for it
            self.complete_batch(
                batch,
                NetworkError.code,
                INVALID_OFFSET,
                NO_TIMESTAMP,
                error=NetworkError("no response for the partition"),
            )

    def complete_batch(
        self,
        batch: ProducerBatch,
        error_code: int,
        base_offset: int,
        log_append_time: int,
        *,
        log_start_offset: int = -1,
        record_errors: Iterable[ProduceResponseBatchIndexAndErrorMessage] = (),
        message: str | None = None,
        error: KafkaError | None = None,
    ) -> None:
        """``Sender.completeBatch``."""
        acc = self.accumulator
        idem = self.idempotence
        if error_code == _MESSAGE_TOO_LARGE and batch.record_count > 1 and not batch.done:
            # Split and send again; attempts are not counted for it.
            log.warning("%s too large for the broker: splitting it", batch)
            if idem is not None:
                idem.remove_inflight_batch(batch)
            self._forget_inflight(batch)
            acc.split_and_reenqueue(batch)
        elif error_code != 0:
            exc = error or error_for_code(error_code, message)
            if error is not None or error_code not in _NOT_WRITTEN:
                batch.maybe_written = True
            now = self.now_ms()
            if self._can_retry(batch, exc, log_start_offset, now):
                log.warning(
                    "%s failed with %s, retrying (%d attempts left)",
                    batch,
                    exc.name,
                    self.settings.retries - batch.attempts - 1,
                )
                self._forget_inflight(batch)
                acc.reenqueue(batch, now)
            elif error_code == _DUPLICATE_SEQUENCE:
                # The broker has it already, without its offset: success, offset -1.
                self._succeed(batch, INVALID_OFFSET, NO_TIMESTAMP)
            else:
                per_record = self._record_errors(exc, record_errors, message)
                self.fail_batch(
                    batch,
                    exc,
                    adjust_sequences=batch.attempts < self.settings.retries,
                    record_errors=per_record,
                )
            if exc.invalid_metadata:
                self.request_metadata()
        else:
            self._succeed(batch, base_offset, log_append_time)
        if self._guarantee_order:
            acc.unmute(batch.tp)

    def _can_retry(
        self, batch: ProducerBatch, exc: KafkaError, log_start_offset: int, now: int
    ) -> bool:
        # Sender.canRetry
        if (
            batch.has_reached_delivery_timeout(self.accumulator.delivery_timeout_ms, now)
            or batch.attempts >= self.settings.retries
            or batch.done
        ):
            return False
        if self.idempotence is None:
            return exc.retriable
        return self.idempotence.can_retry(exc, log_start_offset, batch)

    @staticmethod
    def _record_errors(
        exc: KafkaError,
        record_errors: Iterable[ProduceResponseBatchIndexAndErrorMessage],
        message: str | None,
    ) -> tuple[BaseException, dict[int, BaseException]] | None:
        # Sender.failBatch: per-record errors (Produce v8+).
        errors = list(record_errors)
        if not errors:
            return None
        out: dict[int, BaseException] = {}
        for e in errors:
            text = e.batch_index_error_message or message or exc.message
            out[e.batch_index] = (
                error_for_code(exc.code, text) if len(errors) == 1 else InvalidRecordError(text)
            )
        other = KafkaProtoError(
            "Failed to append record because it was part of a batch which had one more more "
            "invalid records"
        )
        return other, out

    def _succeed(self, batch: ProducerBatch, base_offset: int, log_append_time: int) -> None:
        if self.idempotence is not None and batch.has_sequence():
            self.idempotence.handle_completed_batch(batch, base_offset)
        self._forget_inflight(batch)
        if batch.complete(base_offset, log_append_time):
            self.accumulator.deallocate(batch)
            self.on_memory_released()

    def fail_batch(
        self,
        batch: ProducerBatch,
        error: BaseException,
        *,
        adjust_sequences: bool,
        record_errors: tuple[BaseException, dict[int, BaseException]] | None = None,
    ) -> None:
        self._forget_inflight(batch)
        if record_errors is not None:
            done = batch.complete_exceptionally(record_errors[0], record_errors[1])
        else:
            done = batch.complete_exceptionally(error)
        if done:
            idem = self.idempotence
            if idem is not None and (batch.has_sequence() or idem.is_transactional):
                # A transaction's failed record makes it abortable, sent or not.
                idem.handle_failed_batch(batch, error, adjust_sequences)
            self.accumulator.deallocate(batch)
            self.on_memory_released()

    def abort_all(self, error: BaseException) -> None:
        """Fail every incomplete batch, queued or in flight (``abortBatches``)."""
        self._inflight_batches.clear()
        self.accumulator.abort_batches(error)
        self.accumulator.muted.clear()
        self.on_memory_released()

    def has_inflight(self) -> bool:
        return any(self._inflight_requests.values())

    # --- the coroutines, in ``Sender`` ---------------------------------------------------------

    def _produce(self, node: int, batches: list[ProducerBatch]) -> Coroutine[Any, Any, None]:
        raise NotImplementedError

    def _init_producer_id(self) -> Coroutine[Any, Any, None]:
        raise NotImplementedError

    def _send_transactional(
        self, handler: TxnRequestHandler[R], node: int | None
    ) -> Coroutine[Any, Any, None]:
        raise NotImplementedError
