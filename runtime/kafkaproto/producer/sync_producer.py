"""``Producer``: a synchronous, thread-safe face over the producer engine, which runs on the
producer's own loop thread.

``send(record, callback=None)`` works in the calling thread, as Java's ``KafkaProducer.send``
does: it serializes (errors raise there), then appends the record to its batch under the
engine's lock. When the topic's metadata is not known yet or ``buffer.memory`` is full, the
calling thread waits for it — up to ``max.block.ms`` in all, then the future fails with
``ProducerMetadataTimeoutError`` or ``BufferExhaustedError`` — and then appends the record
itself, so each thread's records keep their order and memory is waited for once per batch (a
released batch wakes the waiting threads), never per record. It returns a
``concurrent.futures.Future[RecordMetadata]``; the Java-style ``callback(metadata, exception)``
runs on the producer's loop thread (Java runs callbacks on its I/O thread: keep them short).
A ``send`` from that thread (from a callback) never waits: it fails at once where another
thread would block, rather than dead-locking the loop that frees the memory.

The transactional methods (``init_transactions``... ``abort_transaction``) block the calling
thread up to ``max.block.ms`` while the engine's loop does the work, as Java's do.

``send`` itself is ``SyncSend.send`` (``kafkaproto.producer.sync_send``, compiled): the
commonest record, with nothing to serialize and no key, partition or headers, goes through the
engine's fast lane there; it hands every other record to this class's ``_send_full``.

This module owns the thread. From any other thread it touches the engine only under its lock,
and only to append (``ProducerEngine.lane_append``/``append``/``wait_blocking``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures._base import FINISHED, PENDING
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from kafkaproto.errors import KafkaProtoError
from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
from kafkaproto.producer._internals.accumulator import RecordPlace, estimate_record_size
from kafkaproto.producer._internals.batch import ProducerBatch
from kafkaproto.producer._internals.engine import Blocked, ProducerEngine
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.errors import (
    ProducerClosedError,
    TransactionAbortRequiredError,
    TransactionStateError,
)
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.serializers import BytesSerializer, Serializer
from kafkaproto.producer.sync_send import Callback, SyncSend
from kafkaproto.producer.transport import ProducerTransport

__all__ = ["Callback", "Producer", "SendFuture"]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


class Producer(SyncSend, Generic[K, V]):
    """Java's ``KafkaProducer`` for threads; see the module docstring.

    ``transport`` is the ``ProducerTransport``, or a zero-argument callable making one, called on
    the producer's loop thread (for transports bound to the loop they are created on); without
    one the producer connects to ``bootstrap.servers`` itself.
    """

    def __init__(
        self,
        config: ProducerConfig | Mapping[str, object] | None = None,
        *,
        transport: ProducerTransport | Callable[[], ProducerTransport] | None = None,
        key_serializer: Serializer[K] | None = None,
        value_serializer: Serializer[V] | None = None,
        **settings: object,
    ) -> None:
        self.config = ProducerConfig.of(config, settings)
        self._key_serializer: Any = key_serializer or BytesSerializer()
        self._value_serializer: Any = value_serializer or BytesSerializer()
        self._plain_keys = type(self._key_serializer) is BytesSerializer
        self._plain_values = type(self._value_serializer) is BytesSerializer
        self._max_block_s = self.config.max_block_ms / 1000
        self._groups = {}
        self._closed = False
        self._loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[ProducerEngine] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(transport, ready), name="kafkaproto-producer", daemon=True
        )
        self._thread.start()
        #: The engine (accumulator, sender, idempotence) this face drives.
        self.engine = ready.result(timeout=30)
        self._lock = self.engine.lock
        # What SyncSend.send reads. Both serializers pass bytes as they are: send takes the
        # engine's unchecked lane itself, compiled (sync_send, futures.lane_place).
        self._lane = self.engine.unchecked_lane if self._plain_keys and self._plain_values else None
        self._future_type = SendFuture
        self._acquire = self._lock.acquire
        self._release = self._lock.release

    def _run(
        self,
        transport: ProducerTransport | Callable[[], ProducerTransport] | None,
        ready: concurrent.futures.Future[ProducerEngine],
    ) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            t: Any = transport
            if callable(t) and not hasattr(t, "metadata_for"):
                t = t()
            engine = ProducerEngine(self.config, t)

            async def start() -> None:
                engine.start()

            loop.run_until_complete(start())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(engine)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    # --- send --------------------------------------------------------------------------------

    def _send_full(
        self, record: ProducerRecord[Any], callback: Callback | None
    ) -> concurrent.futures.Future[RecordMetadata]:
        # SyncSend.send, for every record its lane does not take.
        if self._closed:
            raise ProducerClosedError("Cannot send after the producer is closed.")
        topic = record.topic
        key = record.key
        value = record.value
        if key is not None or not self._plain_keys:
            key = self._key_serializer.serialize(topic, key)
        if type(value) is not bytes or not self._plain_values:
            value = self._value_serializer.serialize(topic, value)
        future = SendFuture()
        future._group = None  # until _place puts it in its batch's group
        engine = self.engine
        headers = record.headers
        with self._lock:
            at = None
            if key is None and record.partition is None and not headers:
                timestamp = record.timestamp
                if timestamp is None:
                    timestamp = time.time_ns() // 1_000_000
                at = engine.lane_append(topic, value, timestamp)
            if at is None:
                size = estimate_record_size(key, value, headers)
                try:
                    place = engine.append(
                        topic, key, value, record.partition, record.timestamp, headers, size
                    )
                    deadline = 0.0
                    while isinstance(place, Blocked):
                        if not deadline:
                            deadline = time.monotonic() + self._max_block_s
                        if not engine.wait_blocking(place, topic, deadline):
                            raise engine.timeout_error(place, topic, size)
                        place = engine.append(
                            topic, key, value, record.partition, record.timestamp, headers, size
                        )
                except (TransactionStateError, TransactionAbortRequiredError):
                    raise  # Java throws these from send (IllegalStateException, KafkaException)
                except (KafkaProtoError, ValueError) as error:
                    # Java's send: an ApiException fails the future and calls the callback (and
                    # makes an open transaction abortable).
                    engine.note_send_error(error)
                    future.set_exception(error)
                    _call(callback, None, error)
                    return future
                batch, index, timestamp = place
                at = (
                    batch,
                    index,
                    timestamp,
                    -1 if key is None else len(key),
                    -1 if value is None else len(value),
                )
            self._place(future, callback, at)
        return future

    def _place(self, future: SendFuture, callback: Callback | None, at: RecordPlace) -> None:
        # Under the lock: the record is in its batch, ``at`` says where (SendFuture._at). One
        # group per batch, whichever thread appended its records, so its callbacks run in append
        # order.
        batch = at[0]
        group = self._groups.get(batch)
        if group is None:
            group = self._groups[batch] = _BatchGroup(self, batch)
            # The batch was just made by this append (every record of a batch comes through
            # here), so it cannot be drained, let alone completed, before the lock is let go:
            # its waiter list is still ours to touch, without a hand-over to the loop thread
            # (one self-pipe write per batch saved: ~15 % of the CPU per record).
            batch.add_waiter(group.defer)
        future._at = at
        if callback is not None:
            # The callback and where its record is, not the future: a caller that drops its
            # future frees it at once, callback or not.
            group.callbacks.append((callback, *at[1:]))
        future._group = group  # nobody has seen this future yet

    # --- flush and close ---------------------------------------------------------------------

    def _call_on_loop(self, make: Callable[[], Any], timeout: float | None) -> Any:
        async def run() -> Any:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    # --- transactions (Java's KafkaProducer; each waits up to max.block.ms) -------------------

    def init_transactions(self) -> None:
        """Once, before the first transaction: register ``transactional.id`` with its
        coordinator, fencing any older producer with the same id and finishing what it left
        open. ``TransactionTimeoutError`` after ``max.block.ms`` (call again to keep waiting)."""
        self._call_on_loop(self.engine.init_transactions, None)

    def begin_transaction(self) -> None:
        """Start a transaction: the records sent until ``commit_transaction()`` or
        ``abort_transaction()`` become visible to read_committed consumers together, or
        never."""
        self.engine.begin_transaction()

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata | int],
        group_metadata: ConsumerGroupMetadata | str,
    ) -> None:
        """Make the consumer's ``offsets`` ({(topic, partition): next offset to read}) part of
        the transaction (KIP-447)."""
        self._call_on_loop(
            lambda: self.engine.send_offsets_to_transaction(offsets, group_metadata), None
        )

    def commit_transaction(self) -> None:
        """Send what is queued and commit. A failed record makes it raise
        ``TransactionAbortRequiredError``: call ``abort_transaction()`` then."""
        self._call_on_loop(self.engine.commit_transaction, None)

    def abort_transaction(self) -> None:
        """Abort the transaction: its records are never visible to read_committed readers."""
        self._call_on_loop(self.engine.abort_transaction, None)

    @property
    def transaction_version(self) -> int | None:
        """2 (KIP-890's transactions) or 1, as the cluster's ``transaction.version`` allows;
        None without ``transactional.id``."""
        return self.engine.transaction_version

    def flush(self, timeout: float | None = None) -> None:
        """Send everything queued and wait for it (``timeout`` seconds, None: no bound but
        each record's own delivery timeout)."""
        self._call_on_loop(self.engine.flush, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Send what is queued within ``timeout`` seconds, fail the rest, stop the thread.
        Threads waiting in ``send`` for room fail with ``ProducerClosedError``."""
        if self._closed:
            return
        self._closed = True
        self._lane = None  # send's fast path: closed too
        try:
            self._call_on_loop(lambda: self.engine.close(timeout), None)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _BatchGroup:
    """The records of one batch that need work when it completes: their Java-style callbacks
    (``callbacks``, in append order, each with its record's place) and the ``SendFuture``s some
    thread already waits on, polls or added a done-callback to (``watchers``).

    On completion it runs the callbacks in order, marks itself ``settled``, then settles the
    watchers with ``set_result``/``set_exception``. No other future is kept: an untouched one
    settles itself from the batch when a thread first looks at it (``SendFuture.__getattr__``),
    so a future its caller dropped costs nothing at all. A split batch re-homes its callbacks
    and watchers in one group per piece (``pieces``); untouched futures follow ``moved_to`` when
    first looked at.
    """

    __slots__ = ("batch", "callbacks", "owner", "pieces", "settled", "watchers")

    def __init__(self, owner: Producer[Any, Any], batch: ProducerBatch) -> None:
        self.owner = owner
        self.batch = batch
        self.callbacks: list[tuple[Callback, int, int, int, int]] = []
        self.watchers: list[SendFuture] = []  # under _CONDITION_LOCK
        self.settled = False  # under _CONDITION_LOCK
        self.pieces: dict[ProducerBatch, _BatchGroup] | None = None  # under _CONDITION_LOCK

    def defer(self) -> None:
        """The batch's waiter: handle the event on the loop's next turn, outside the sender's
        completion of the batch (as an asyncio future defers its callbacks)."""
        self.owner._loop.call_soon(self.on_batch_event)

    def outcome(
        self, index: int, timestamp: int, key_size: int, value_size: int
    ) -> tuple[RecordMetadata | None, BaseException | None]:
        try:
            meta = self.batch.metadata(index, timestamp, key_size, value_size)
        except BaseException as error:
            return None, error
        return meta, None

    def future_outcome(
        self, future: SendFuture
    ) -> tuple[RecordMetadata | None, BaseException | None]:
        _, index, timestamp, key_size, value_size = future._at
        return self.outcome(index, timestamp, key_size, value_size)

    def on_batch_event(self) -> None:
        owner = self.owner
        with owner._lock:
            owner._groups.pop(self.batch, None)
        if self.batch.moved_to is not None:
            self._split(self.batch.moved_to)
            return
        # Callbacks first, in append order, then the futures: as Java's ProducerBatch fires the
        # callbacks before completing the future, so whoever waited on a future sees every
        # callback of its batch done.
        for callback, *place in self.callbacks:
            _call(callback, *self.outcome(*place))
        with _CONDITION_LOCK:
            self.settled = True
            watchers, self.watchers = self.watchers, []
        for f in watchers:
            meta, failure = self.future_outcome(f)
            try:
                if failure is None:
                    f.set_result(meta)  # type: ignore[arg-type]
                else:
                    f.set_exception(failure)
            except concurrent.futures.InvalidStateError:
                pass  # cancelled by its caller meanwhile

    def _split(self, moved_to: list[tuple[ProducerBatch, int]]) -> None:
        # MESSAGE_TOO_LARGE: the records now live in new batches. One group per piece, each
        # waiting on its piece.
        pieces: dict[ProducerBatch, _BatchGroup] = {}
        for piece, _ in moved_to:
            if piece not in pieces:
                pieces[piece] = _BatchGroup(self.owner, piece)
        for callback, index, timestamp, key_size, value_size in self.callbacks:
            piece, index = moved_to[index]
            pieces[piece].callbacks.append((callback, index, timestamp, key_size, value_size))
        with _CONDITION_LOCK:
            for f in self.watchers:
                pieces[self._rehome(f, pieces)].watchers.append(f)
            self.watchers = []
            self.pieces = pieces
        for piece, group in pieces.items():
            piece.add_waiter(group.defer)

    def _rehome(self, f: SendFuture, pieces: dict[ProducerBatch, _BatchGroup]) -> ProducerBatch:
        # Under _CONDITION_LOCK: point a future of this (split) group at its piece.
        piece, index = self.batch.moved_to[f._at[1]]  # type: ignore[index]
        f._group = pieces[piece]
        f._at = (piece, index, *f._at[2:])
        return piece


_CONDITION_LOCK = threading.Lock()
_LAZY_FUTURE_PARTS: dict[str, Callable[[], object]] = {
    "_condition": threading.Condition,
    "_waiters": list,
    "_done_callbacks": list,
}


class SendFuture(concurrent.futures.Future[RecordMetadata]):
    """The ``concurrent.futures.Future`` ``Producer.send`` returns, with its ``Condition`` made on
    first use (and its two lists too), and its outcome read from its batch only when asked.

    A plain Future makes a Condition (an RLock and a deque) and two lists (~1.4 µs and objects
    the garbage collector tracks) per record, and a producer keeps one per record in flight — up to
    buffer.memory's worth. Most futures are never waited on, so the Condition is made only when a
    thread first touches it (``result``, ``done``, ``add_done_callback``, ``wait``... all start
    there), under one lock. A future placed in a batch (``_group``) that is untouched when the
    batch completes is settled right then, from the batch, by the first thread that touches it;
    the others are settled by their group.
    """

    # Its batch's group and where its record is: (batch, index, timestamp, key size, value
    # size), what ProducerBatch.metadata takes after the batch, as the fast lane gives it. In
    # slots rather than an instance dict. Producer.send sets both before the future leaves it
    # (``_group`` None: not placed, failed at once).
    __slots__ = ("_at", "_group")
    _group: _BatchGroup | None
    _at: RecordPlace

    _has_condition = False
    # Future's own instance state, as class defaults: making a SendFuture sets nothing (not
    # Future.__init__, which makes the Condition and lists); Future's methods assign them.
    _state = PENDING
    _result: RecordMetadata | None = None
    _exception: BaseException | None = None

    if TYPE_CHECKING:

        def __init__(self) -> None: ...

    else:
        # object's own __init__: making a SendFuture runs no Python code (a `def` doing
        # nothing costs a Python call per record), and SyncSend.send may make one without
        # calling the class (object_new.make, as object.__new__ does).
        __init__ = object.__init__

    def __getattr__(self, name: str) -> Any:
        # Reached only while the attribute is unset (normal lookup failed): Future's own methods
        # read these under the Condition or after the state is final, so making them once,
        # under one lock, is all the synchronisation they need.
        make = _LAZY_FUTURE_PARTS.get(name)
        if make is None:
            raise AttributeError(name)
        with _CONDITION_LOCK:
            try:
                return object.__getattribute__(self, name)
            except AttributeError:
                value = make()
                object.__setattr__(self, name, value)
                if name == "_condition":
                    self._has_condition = True
                    if self._group is not None:
                        self._watch()
                return value

    def _watch(self) -> None:
        # Under _CONDITION_LOCK, as a thread first looks at a placed future: follow its batch's
        # splits to the group it is in now, then settle from the batch if that one completed
        # while nobody looked, or join the watchers its completion settles.
        group = self._group
        assert group is not None
        while group.pieces is not None:
            piece, index = group.batch.moved_to[self._at[1]]  # type: ignore[index]
            group = self._group = group.pieces[piece]
            self._at = (piece, index, *self._at[2:])
        if not group.settled:
            group.watchers.append(self)
            return
        meta, failure = group.future_outcome(self)
        if failure is None:
            self._result = meta
        else:
            self._exception = failure
        self._state = FINISHED


def _call(
    callback: Callback | None, meta: RecordMetadata | None, exc: BaseException | None
) -> None:
    if callback is None:
        return
    try:
        callback(meta, exc)
    except Exception:  # ErrorLoggingCallback: a failing callback must not break the producer
        log.exception("producer callback raised")
