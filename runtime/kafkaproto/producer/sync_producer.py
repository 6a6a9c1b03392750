"""``Producer``: a synchronous, thread-safe face over the same engine, run on its own loop thread.

``send(record, callback=None)`` serializes in the calling thread (errors raise there, as in
Java) and, as Java's producer does, appends the record to its batch right there, under the
accumulator's lock, whenever the engine needs nothing from its loop for it: the topic's metadata
is known, memory is free and no earlier record is still waiting. Otherwise it reserves the
record's size against ``buffer.memory`` — blocking the caller up to ``max.block.ms``, then
failing the future with ``BufferExhaustedError`` — and hands the record to the loop thread,
which appends (or parks) it with ``AsyncProducer``; later records are handed over behind it
until the loop thread has taken them, so each thread's records keep their order. It returns a
``concurrent.futures.Future[RecordMetadata]``; the Java-style ``callback(metadata, exception)``
runs on the producer's loop thread (Java runs callbacks on its I/O thread: keep them short).

This module owns the thread. From any other thread it touches the engine only under
``accumulator.lock``, and only to append (``AsyncProducer._lane_append``/``_append_now``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures._base import FINISHED, PENDING
from typing import Any, Generic, Self, TypeVar

from kafkaproto.producer.accumulator import estimate_record_size
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.batch import ProducerBatch
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.errors import BufferExhaustedError, ProducerClosedError
from kafkaproto.producer.futures import RecordFuture
from kafkaproto.producer.record import BytesSerializer, ProducerRecord, RecordMetadata, Serializer
from kafkaproto.producer.transport import ProducerTransport

__all__ = ["Callback", "Producer", "SendFuture"]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

#: Java's ``Callback.onCompletion(metadata, exception)``: exactly one of them is None.
Callback = Callable[[RecordMetadata | None, BaseException | None], object]
_Item = tuple[
    ProducerRecord[Any],
    bytes | None,
    bytes | None,
    "SendFuture",
    Callback | None,
    int,
    int,
]


# Records the loop thread takes over per turn before it lets I/O run again.
_HANDOVER_LIMIT = 2000


class Producer(Generic[K, V]):
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
        self._total = self.config.buffer_memory
        # One reentrant lock for the memory budget, the hand-over and the engine's fast lanes
        # (the loop thread holds it while it opens, retires or appends to lanes).
        self._lock = threading.RLock()
        self._budget = threading.Condition(self._lock)
        self._reserved = 0
        self._pending: deque[_Item] = deque()
        self._handed_over = 0  # records in _pending or being appended by the loop thread
        self._groups: dict[ProducerBatch, _BatchGroup] = {}
        self._scheduled = False
        self._closed = False
        self._loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[AsyncProducer[Any, Any]] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(transport, ready), name="kafkaproto-producer", daemon=True
        )
        self._thread.start()
        self._producer = ready.result(timeout=30)

    def _run(
        self,
        transport: ProducerTransport | Callable[[], ProducerTransport] | None,
        ready: concurrent.futures.Future[AsyncProducer[Any, Any]],
    ) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            t: Any = transport
            if callable(t) and not hasattr(t, "metadata_for"):
                t = t()
            producer: AsyncProducer[Any, Any] = AsyncProducer(self.config, transport=t)
            producer.accumulator.lock = self._lock
            loop.run_until_complete(producer.start())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(producer)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    # --- send --------------------------------------------------------------------------------

    def send(
        self, record: ProducerRecord[Any], callback: Callback | None = None
    ) -> concurrent.futures.Future[RecordMetadata]:
        """Queue ``record``; see the module docstring."""
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
        producer = self._producer
        # Appended here, in the caller's thread, as Java's producer does, when the engine needs
        # nothing from its loop for it (the keyless fast lane, else an append with metadata and
        # memory at hand), and no record handed over before it is still to be appended.
        size = estimate = -1  # the record's estimate_record_size, once needed
        with self._lock:
            if not self._handed_over:
                place = None
                if key is None and record.partition is None and not record.headers:
                    place = producer._lane_append(topic, value, record.timestamp)
                if place is None:
                    size = estimate = estimate_record_size(key, value, record.headers)
                    place = producer._append_now(
                        topic, key, value, record.partition, record.timestamp, record.headers, size
                    )
                if place is not None:
                    batch, index, timestamp = place
                    key_size = -1 if key is None else len(key)
                    value_size = -1 if value is None else len(value)
                    self._place(
                        batch, future, callback, 0, index, timestamp, key_size, value_size, False
                    )
                    return future
        if size < 0:
            size = estimate = estimate_record_size(key, value, record.headers)
        if size > self._total:
            size = 0  # fails in the engine with RecordTooLargeError
        item = (record, key, value, future, callback, size, estimate)
        with self._lock:
            handed = self._reserved + size <= self._total
            if handed:
                self._reserved += size
                self._hand_over(item)
        if not handed:
            if not self._reserve_blocking(size):
                error = BufferExhaustedError(
                    f"Failed to allocate {size} bytes within the configured max "
                    f"blocking time {self.config.max_block_ms} ms."
                )
                future.set_exception(error)
                _call(callback, None, error)
                return future
            with self._lock:
                self._hand_over(item)
        return future

    def _hand_over(self, item: _Item) -> None:
        # Under the lock. The loop thread clears the flag *before* it drains, so a record
        # appended after the drain always sees the flag down and wakes it (at worst a spare
        # wake-up finds the deque empty).
        self._handed_over += 1
        self._pending.append(item)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon_threadsafe(self._take_pending)

    def _place(
        self,
        batch: ProducerBatch,
        future: SendFuture,
        callback: Callback | None,
        reserved: int,
        index: int,
        timestamp: int,
        key_size: int,
        value_size: int,
        handed_over: bool,
    ) -> None:
        # Under the lock: the record is in ``batch`` at ``index``. One group per batch,
        # whichever thread appended its records, so its callbacks run in append order. The
        # batch's waiter list belongs to the loop thread (``handed_over``: we are on it);
        # another thread has the group registered there.
        group = self._groups.get(batch)
        if group is None:
            group = self._groups[batch] = _BatchGroup(self, batch)
            # Deferred like a RecordFuture's own callbacks (loop.call_soon), so a record that
            # waited for metadata and went the general path keeps its place in the order.
            if handed_over:
                batch.add_waiter(group.defer)
            else:
                self._loop.call_soon_threadsafe(batch.add_waiter, group.defer)
        future._index = index
        future._timestamp = timestamp
        future._key_size = key_size
        future._value_size = value_size
        if callback is not None or reserved:
            future._callback = callback
            future._reserved = reserved
            group.tracked.append(future)
        if handed_over:
            # The caller may have looked at the future already: join the group's watchers then.
            with _CONDITION_LOCK:
                future._group = group
                if future._has_condition:
                    group.watchers.append(future)
        else:
            future._group = group  # nobody has seen this future yet

    def _reserve_blocking(self, size: int) -> bool:
        # The slow path: wait for acknowledged batches to give memory back, up to max.block.ms.
        deadline = time.monotonic() + self.config.max_block_ms / 1000
        with self._budget:
            while self._reserved + size > self._total:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._budget.wait(left)
            self._reserved += size
        return True

    def _release(self, size: int) -> None:
        with self._budget:
            self._reserved -= size
            self._budget.notify_all()

    def _take_pending(self, limit: int | None = _HANDOVER_LIMIT) -> None:
        # On the loop thread: append what was handed over since the last wake-up, at most
        # ``limit`` records, then give the loop back to its I/O: a caller sending without pause
        # refills the deque as fast as it drains, and draining "while pending" starved the loop
        # (connection set-up timed out). Leftovers beyond the limit are rescheduled here.
        # Records are grouped by the batch they land in, and each group waits on its batch with
        # one waiter, so a completed batch resolves its concurrent futures in one pass.
        self._scheduled = False
        send = self._producer._send_sized
        lane_append = self._producer._lane_append
        pending = self._pending
        with self._lock:
            count = len(pending) if limit is None else min(len(pending), limit)
            for _ in range(count):
                record, key, value, future, callback, size, estimate = pending.popleft()
                lane = None
                if key is None and record.partition is None and not record.headers:
                    lane = lane_append(record.topic, value, record.timestamp)
                if lane is not None:
                    batch, index, timestamp = lane
                    key_size, value_size = -1, len(value)  # type: ignore[arg-type]
                else:
                    rf = send(
                        record.topic,
                        value,
                        key,
                        record.partition,
                        record.timestamp,
                        record.headers,
                        estimate,
                    )
                    place = rf.pending_place()
                    if place is None:  # failed at once, parked, or already done: general path
                        rf.add_done_callback(
                            functools.partial(self._resolve, future, callback, size)
                        )
                        continue
                    batch, index, timestamp, key_size, value_size = place
                self._place(
                    batch, future, callback, size, index, timestamp, key_size, value_size, True
                )
            self._handed_over -= count
        if pending and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._take_pending)

    def _resolve(
        self,
        future: concurrent.futures.Future[RecordMetadata],
        callback: Callback | None,
        size: int,
        rf: RecordFuture,
    ) -> None:
        if size:
            self._release(size)
        _complete(future, callback, rf)

    # --- flush and close ---------------------------------------------------------------------

    def _call_on_loop(self, make: Callable[[], Any], timeout: float | None) -> Any:
        async def run() -> Any:
            self._take_pending(None)  # flush and close cover every record handed over
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def flush(self, timeout: float | None = None) -> None:
        """Send everything queued and wait for it (``timeout`` seconds, None: no bound but
        each record's own delivery timeout)."""
        self._call_on_loop(self._producer.flush, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Send what is queued within ``timeout`` seconds, fail the rest, stop the thread."""
        if self._closed:
            return
        self._closed = True
        with self._budget:
            self._budget.notify_all()
        try:
            self._call_on_loop(lambda: self._producer.close(timeout), None)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _BatchGroup:
    """The ``SendFuture``s of one batch, completed together when the batch completes.

    It holds only the futures that need work then: those with a Java-style callback or with
    ``buffer.memory`` reserved (``tracked``, in append order) and those some thread already
    waits on, polls or added a done-callback to (``watchers``). On completion it runs the
    callbacks in order, marks itself ``settled``, then settles the watchers with
    ``set_result``/``set_exception``. Every other future, untouched so far, is not kept: it
    settles itself from the batch when a thread first looks at it (``SendFuture.__getattr__``),
    so a future its caller dropped costs nothing at all. A split batch re-homes its futures in
    one group per piece (``pieces``); untouched ones follow ``moved_to`` when first looked at.
    """

    __slots__ = ("batch", "owner", "pieces", "settled", "tracked", "watchers")

    def __init__(self, owner: Producer[Any, Any], batch: ProducerBatch) -> None:
        self.owner = owner
        self.batch = batch
        self.tracked: list[SendFuture] = []
        self.watchers: list[SendFuture] = []  # under _CONDITION_LOCK
        self.settled = False  # under _CONDITION_LOCK
        self.pieces: dict[ProducerBatch, _BatchGroup] | None = None  # under _CONDITION_LOCK

    def defer(self) -> None:
        """The batch's waiter: handle the event on the loop's next turn, as a RecordFuture
        defers its own callbacks, so the two paths keep the records' order."""
        self.owner._loop.call_soon(self.on_batch_event)

    def outcome(self, future: SendFuture) -> tuple[RecordMetadata | None, BaseException | None]:
        try:
            meta = self.batch.metadata(
                future._index, future._timestamp, future._key_size, future._value_size
            )
        except BaseException as error:
            return None, error
        return meta, None

    def on_batch_event(self) -> None:
        owner = self.owner
        with owner._lock:
            owner._groups.pop(self.batch, None)
        if self.batch.moved_to is not None:
            self._split(self.batch.moved_to)
            return
        # The buffer.memory bytes the handed-over records among them hold.
        reserved = sum(f._reserved for f in self.tracked)
        if reserved:
            owner._release(reserved)
        # Callbacks first, in append order, then the futures: as Java's ProducerBatch fires the
        # callbacks before completing the future, so whoever waited on a future sees every
        # callback of its batch done.
        for f in self.tracked:
            if f._callback is not None:
                _call(f._callback, *self.outcome(f))
        with _CONDITION_LOCK:
            self.settled = True
            watchers, self.watchers = self.watchers, []
        for f in watchers:
            meta, failure = self.outcome(f)
            try:
                if failure is None:
                    f.set_result(meta)  # type: ignore[arg-type]
                else:
                    f.set_exception(failure)
            except concurrent.futures.InvalidStateError:
                pass  # cancelled by its caller meanwhile

    def _split(self, moved_to: list[tuple[ProducerBatch, int]]) -> None:
        # MESSAGE_TOO_LARGE: the records now live in new batches. One group per piece, each
        # waiting on its piece; a handed-over record's memory goes back with its piece.
        pieces: dict[ProducerBatch, _BatchGroup] = {}
        for piece, _ in moved_to:
            if piece not in pieces:
                pieces[piece] = _BatchGroup(self.owner, piece)
        with _CONDITION_LOCK:
            for f in self.tracked:
                pieces[self._rehome(f, pieces)].tracked.append(f)
            for f in self.watchers:
                pieces[self._rehome(f, pieces)].watchers.append(f)
            self.watchers = []
            self.pieces = pieces
        for piece, group in pieces.items():
            piece.add_waiter(group.defer)

    def _rehome(self, f: SendFuture, pieces: dict[ProducerBatch, _BatchGroup]) -> ProducerBatch:
        # Under _CONDITION_LOCK: point a future of this (split) group at its piece.
        piece, index = self.batch.moved_to[f._index]  # type: ignore[index]
        f._group = pieces[piece]
        f._index = index
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

    _has_condition = False
    _group: _BatchGroup | None = None
    _callback: Callback | None = None
    _reserved = 0
    # Where the record is, once placed: what ProducerBatch.metadata takes.
    _index = 0
    _timestamp = 0
    _key_size = -1
    _value_size = -1

    # Future's own instance state, as class defaults: making a SendFuture sets nothing (not
    # super().__init__(), which makes the Condition and lists); Future's methods assign them.
    _state = PENDING
    _result: RecordMetadata | None = None
    _exception: BaseException | None = None

    def __init__(self) -> None:
        pass

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
            piece, index = group.batch.moved_to[self._index]  # type: ignore[index]
            group = self._group = group.pieces[piece]
            self._index = index
        if not group.settled:
            group.watchers.append(self)
            return
        meta, failure = group.outcome(self)
        if failure is None:
            self._result = meta
        else:
            self._exception = failure
        self._state = FINISHED


def _complete(
    future: concurrent.futures.Future[RecordMetadata],
    callback: Callback | None,
    rf: RecordFuture,
) -> None:
    # The general path (parked, split or at-once-failed records): Future's own set_* methods.
    # Callback before the future, as Java does (see _BatchWaiter.on_batch_event).
    try:
        meta = rf.result()
    except BaseException as exc:
        _call(callback, None, exc)
        future.set_exception(exc)
    else:
        _call(callback, meta, None)
        future.set_result(meta)


def _call(
    callback: Callback | None, meta: RecordMetadata | None, exc: BaseException | None
) -> None:
    if callback is None:
        return
    try:
        callback(meta, exc)
    except Exception:  # ErrorLoggingCallback: a failing callback must not break the producer
        log.exception("producer callback raised")
