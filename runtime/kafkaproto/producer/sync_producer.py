"""``Producer``: a synchronous, thread-safe face over the same engine, run on its own loop thread.

``send(record, callback=None)`` serializes in the calling thread (errors raise there, as in
Java), reserves the record's size against ``buffer.memory`` — blocking the caller up to
``max.block.ms``, then failing the future with ``BufferExhaustedError`` — and hands the record
to the loop thread, which appends it with ``AsyncProducer``. It returns a
``concurrent.futures.Future[RecordMetadata]``; the Java-style ``callback(metadata, exception)``
runs on the producer's loop thread (Java runs callbacks on its I/O thread: keep them short).
Records handed over are queued in one deque and the loop is woken once per burst, not per record.

This module owns the thread; it must never touch engine state from any other thread.
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
from typing import Any, Generic, Self, TypeVar

from kafkaproto.producer.accumulator import estimate_record_size
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.errors import BufferExhaustedError, ProducerClosedError
from kafkaproto.producer.futures import RecordFuture
from kafkaproto.producer.record import BytesSerializer, ProducerRecord, RecordMetadata, Serializer
from kafkaproto.producer.transport import ProducerTransport

__all__ = ["Callback", "Producer"]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

#: Java's ``Callback.onCompletion(metadata, exception)``: exactly one of them is None.
Callback = Callable[[RecordMetadata | None, BaseException | None], object]
#: Records appended per turn of the loop thread before its I/O runs again.
_HANDOVER_LIMIT = 2000
_Item = tuple[
    ProducerRecord[Any],
    bytes | None,
    bytes | None,
    "concurrent.futures.Future[RecordMetadata]",
    Callback | None,
    int,
]


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
        if isinstance(config, ProducerConfig):
            if settings:
                raise TypeError("pass either a ProducerConfig or settings, not both")
            self.config = config
        else:
            merged: dict[str, object] = dict(config or {})
            merged.update(settings)
            self.config = ProducerConfig(merged)
        self._key_serializer: Any = key_serializer or BytesSerializer()
        self._value_serializer: Any = value_serializer or BytesSerializer()
        self._budget = threading.Condition()
        self._reserved = 0
        self._pending: deque[_Item] = deque()
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
        future: concurrent.futures.Future[RecordMetadata] = concurrent.futures.Future()
        if self._closed:
            raise ProducerClosedError("Cannot send after the producer is closed.")
        topic = record.topic
        key = self._key_serializer.serialize(topic, record.key)
        value = self._value_serializer.serialize(topic, record.value)
        size = estimate_record_size(key, value, record.headers)
        total = self.config.buffer_memory
        if size <= total:  # larger records fail in the engine with RecordTooLargeError
            deadline = time.monotonic() + self.config.max_block_ms / 1000
            with self._budget:
                while self._reserved + size > total:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._closed:
                        error = BufferExhaustedError(
                            f"Failed to allocate {size} bytes within the configured max "
                            f"blocking time {self.config.max_block_ms} ms."
                        )
                        future.set_exception(error)
                        _call(callback, None, error)
                        return future
                    self._budget.wait(left)
                self._reserved += size
        else:
            size = 0
        self._pending.append((record, key, value, future, callback, size))
        with self._budget:
            wake = not self._scheduled
            self._scheduled = True
        if wake:
            self._loop.call_soon_threadsafe(self._take_pending)
        return future

    def _take_pending(self, limit: int | None = _HANDOVER_LIMIT) -> None:
        # On the loop thread: append what was handed over since the last wake-up, at most
        # ``limit`` records, then give the loop back to its I/O: a caller sending without pause
        # refills the deque as fast as it drains, and draining "while pending" starved the loop
        # (connection set-up timed out). Records handed over after ``_scheduled`` is cleared
        # schedule another call; leftovers beyond the limit are rescheduled here.
        with self._budget:
            self._scheduled = False
        producer = self._producer
        pending = self._pending
        count = len(pending) if limit is None else min(len(pending), limit)
        for _ in range(count):
            record, key, value, future, callback, size = pending.popleft()
            rf = producer.send_serialized(
                record.topic, value, key, record.partition, record.timestamp, record.headers
            )
            rf.add_done_callback(functools.partial(self._resolve, future, callback, size))
        if pending:
            with self._budget:
                reschedule = not self._scheduled
                self._scheduled = True
            if reschedule:
                self._loop.call_soon(self._take_pending)

    def _resolve(
        self,
        future: concurrent.futures.Future[RecordMetadata],
        callback: Callback | None,
        size: int,
        rf: RecordFuture,
    ) -> None:
        if size:
            with self._budget:
                self._reserved -= size
                self._budget.notify_all()
        try:
            meta = rf.result()
        except BaseException as exc:
            future.set_exception(exc)
            _call(callback, None, exc)
        else:
            future.set_result(meta)
            _call(callback, meta, None)

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


def _call(
    callback: Callback | None, meta: RecordMetadata | None, exc: BaseException | None
) -> None:
    if callback is None:
        return
    try:
        callback(meta, exc)
    except Exception:  # ErrorLoggingCallback: a failing callback must not break the producer
        log.exception("producer callback raised")
