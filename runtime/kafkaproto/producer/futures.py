"""``RecordFuture``: the asyncio future ``AsyncProducer.send`` returns for one record.

A record is its batch and its index in it; the batch completes once for all its records, and a
``RecordFuture`` turns that into the record's ``RecordMetadata`` (or error) only when asked. So
a record that nobody awaits costs nothing at completion, and one that is awaited costs one
callback. It implements asyncio's future protocol (``asyncio.isfuture`` is true: ``await``,
``asyncio.wait_for``, ``gather``, ``wait``, ``add_done_callback`` all work without wrapping).

Cancelling it only stops the waiting, as cancelling Java's ``Future`` of a send does: the record
is still delivered. Must be used from the event loop's thread only.

``lane_place`` and ``lane_send`` are the faces' commonest case compiled: a record with nothing to
serialize and no key, partition or headers, through the accumulator's fast lane (to its future).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Generator
from typing import Any, Final

from kafkaproto.producer._internals.accumulator import RecordAccumulator, RecordPlace
from kafkaproto.producer._internals.batch import ProducerBatch
from kafkaproto.producer.record import ProducerRecord, RecordMetadata

__all__ = ["RecordFuture", "lane_place", "lane_send"]

_Callback = Callable[["RecordFuture"], object]
# A Final alias: the compiled build reads it from a C static, not the time module's attributes.
_time_ns: Final = time.time_ns


class RecordFuture:
    """The outcome of one sent record; see the module docstring."""

    __slots__ = (
        "_asyncio_future_blocking",
        "_batch",
        "_callbacks",
        "_cancel_message",
        "_cancelled",
        "_index",
        "_key_size",
        "_loop",
        "_meta",
        "_timestamp",
        "_value_size",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: ProducerBatch,
        index: int,
        timestamp: int,
        key_size: int,
        value_size: int,
    ) -> None:
        # ``batch`` and ``index``: where the record is (a split batch points at its new place).
        self._loop = loop
        self._batch = batch
        self._index = index
        self._timestamp = timestamp
        self._key_size = key_size
        self._value_size = value_size
        self._cancelled = False
        self._cancel_message: Any = None
        self._meta: RecordMetadata | None = None
        self._callbacks: list[tuple[_Callback, contextvars.Context | None]] | None = None
        self._asyncio_future_blocking = False

    # --- engine side -------------------------------------------------------------------------

    def _resolve(self) -> ProducerBatch:
        batch = self._batch
        while batch.moved_to is not None:
            batch, self._index = batch.moved_to[self._index]
            self._batch = batch
        return batch

    def _on_batch_event(self) -> None:
        if self._cancelled:
            return
        batch = self._resolve()
        if batch.done:
            self._schedule_callbacks()
        else:
            batch.add_waiter(self._on_batch_event)  # split: follow the record's new batch

    def _schedule_callbacks(self) -> None:
        callbacks = self._callbacks
        if callbacks:
            self._callbacks = None
            for fn, ctx in callbacks:
                self._loop.call_soon(fn, self, context=ctx)

    # --- asyncio future protocol -------------------------------------------------------------

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def done(self) -> bool:
        return self._cancelled or self._resolve().done

    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self, msg: Any | None = None) -> bool:
        if self.done():
            return False
        self._cancelled = True
        self._cancel_message = msg  # asyncio.gather reads it
        self._schedule_callbacks()
        return True

    def result(self) -> RecordMetadata:
        if self._cancelled:
            raise asyncio.CancelledError(self._cancel_message)
        meta = self._meta
        if meta is not None:
            return meta
        batch = self._resolve()
        if not batch.done:
            raise asyncio.InvalidStateError("Result is not ready.")
        meta = self._meta = batch.metadata(
            self._index, self._timestamp, self._key_size, self._value_size
        )
        return meta

    def exception(self) -> BaseException | None:
        try:
            self.result()
        except asyncio.CancelledError:
            raise
        except asyncio.InvalidStateError:
            raise asyncio.InvalidStateError("Exception is not set.") from None
        except BaseException as e:
            return e
        return None

    def add_done_callback(
        self, fn: _Callback, *, context: contextvars.Context | None = None
    ) -> None:
        if self.done():
            self._loop.call_soon(fn, self, context=context)
            return
        first = not self._callbacks
        if self._callbacks is None:
            self._callbacks = []
        self._callbacks.append((fn, context))
        if first:
            self._batch.add_waiter(self._on_batch_event)

    def remove_done_callback(self, fn: _Callback) -> int:
        callbacks = self._callbacks
        if not callbacks:
            return 0
        kept = [(f, c) for f, c in callbacks if f != fn]
        self._callbacks = kept
        return len(callbacks) - len(kept)

    def __await__(self) -> Generator[Any, None, RecordMetadata]:
        if not self.done():
            self._asyncio_future_blocking = True
            yield self
        if not self.done():
            raise RuntimeError("await wasn't used with future")
        return self.result()

    def __iter__(self) -> Generator[Any, None, RecordMetadata]:
        # ``yield from future`` (old-style coroutines), as asyncio.Future has; a method rather
        # than ``__iter__ = __await__``, which the compiled build cannot make a class attribute.
        return self.__await__()

    def __repr__(self) -> str:
        state = "cancelled" if self._cancelled else ("done" if self.done() else "pending")
        return f"<RecordFuture {state} batch={self._batch!r} index={self._index}>"


def lane_place(accumulator: RecordAccumulator, record: ProducerRecord[Any]) -> RecordPlace | None:
    """``record`` into ``accumulator``'s fast lane, when it has a null key, no partition, no
    headers and a ``bytes`` value taken as it is (the caller's serializers pass bytes through,
    and no transaction state needs checking): where it went (``RecordPlace``), else None
    (nothing done; the full path takes the record). The timestamp None means now, as in
    ``ProducerEngine.append``. The caller holds the accumulator's lock if other threads
    append."""
    value = record.value
    if (
        record.key is not None
        or type(value) is not bytes
        or record.partition is not None
        or record.headers
    ):
        return None
    given = record.timestamp
    timestamp: int = _time_ns() // 1_000_000 if given is None else given
    return accumulator.lane_append(record.topic, value, timestamp)


def lane_send(
    accumulator: RecordAccumulator,
    loop: asyncio.AbstractEventLoop | None,
    record: ProducerRecord[Any],
) -> RecordFuture | None:
    """``lane_place`` on the event loop's thread, giving the record's future (None: nothing
    done)."""
    if loop is None:
        return None
    placed = lane_place(accumulator, record)
    if placed is None:
        return None
    batch, index, timestamp, key_size, value_size = placed
    return RecordFuture(loop, batch, index, timestamp, key_size, value_size)
