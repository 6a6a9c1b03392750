"""``Consumer``: Java's ``KafkaConsumer`` for blocking code — a thin face over
:class:`~kafkaproto.consumer._internals.engine.ConsumerEngine`, driven on the caller's own thread.

Why the caller's thread (as Java's classic consumer) and not a loop thread of its own (as our
``Producer``): a consumer does its work inside its calls — ``poll`` sends the fetches, waits,
and hands out records — so each call runs the engine's coroutine to completion on a private
event loop in the calling thread: no thread hand-off per call, and the callbacks of
``commit_async`` and the rebalance listener run in the polling thread as in Java (the listener
outside the loop, so it may call the consumer: ``commit_sync`` in ``on_partitions_revoked``).

A group member (after ``subscribe``) must also heartbeat while the application works between
two polls (Java's heartbeat thread): then, and only between calls, a helper thread runs the same
private loop (:class:`_IdleRunner`); each call stops it first and takes the loop back, so the
loop never runs in two threads and the engine's state is touched by one at a time. The helper
only moves network work along (heartbeats, a rejoin's round trips, prefetches); everything the
application sees changes inside its own calls.

One thread drives a consumer: calls from a second thread while one is in progress raise
``ConcurrentAccessError``; ``wakeup()`` is the one method safe from anywhere. This module holds
no consumer logic of its own: it must never reach into the engine's fetcher or subscription
state.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from kafkaproto.consumer._internals.engine import CommitCallback, ConsumerEngine
from kafkaproto.consumer._internals.membership import ListenerCall
from kafkaproto.consumer.async_consumer import plain
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.errors import ConcurrentAccessError, ConsumerClosedError
from kafkaproto.consumer.record import (
    ConsumerRecord,
    ConsumerRecords,
    Deserializer,
    OffsetAndMetadata,
    OffsetAndTimestamp,
    TopicPartition,
)
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
from kafkaproto.group_metadata import ConsumerGroupMetadata

__all__ = ["Consumer"]

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class _IdleRunner:
    """Runs a stopped event loop in a helper thread until told to stop; :meth:`stop` returns
    only once the loop has stopped there, so the owner can run it itself."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str) -> None:
        self._loop = loop
        self._name = name
        self._cond = threading.Condition()
        self._wanted = False
        self._running = False
        self._closed = False
        self._stop: asyncio.Future[None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._wanted = False
            if self._running:
                stop = self._stop
                assert stop is not None
                self._loop.call_soon_threadsafe(_resolve, stop)
                while self._running:
                    self._cond.wait()

    def close(self) -> None:
        self.stop()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(10)

    def _main(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                self._running = True
                stop = self._stop = self._loop.create_future()
            try:
                self._loop.run_until_complete(stop)
            except BaseException:  # never leave the owner waiting
                log.exception("the consumer's background loop failed")
            finally:
                with self._cond:
                    self._running = False
                    self._stop = None
                    self._cond.notify_all()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Consumer(Generic[K, V]):
    """Java's ``KafkaConsumer`` for threads; see the module docstring. Settings by Java name
    in ``config`` or as keywords by Python name (``group_id="g"``)."""

    def __init__(
        self,
        config: ConsumerConfig | Mapping[str, object] | None = None,
        *,
        key_deserializer: Deserializer[K] | None = None,
        value_deserializer: Deserializer[V] | None = None,
        **settings: object,
    ) -> None:
        self.config = ConsumerConfig.of(config, settings)
        #: The engine this face drives.
        self.engine = ConsumerEngine(
            self.config,
            key_deserializer=plain(key_deserializer),
            value_deserializer=plain(value_deserializer),
        )
        self._loop = asyncio.new_event_loop()
        self._owner: int | None = None
        self._owner_lock = threading.Lock()
        self._listening = 0  # > 0 while a rebalance listener method runs (it may call us)
        self._idle = _IdleRunner(self._loop, f"kafkaproto-consumer-{self.config.client_id}")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, body: Callable[[], T]) -> T:
        """Run ``body`` as this thread's consumer call (Java's acquire/release): the loop is
        stopped in the helper thread first and handed back to it afterwards."""
        me = threading.get_ident()
        nested = False
        with self._owner_lock:
            if self._owner is not None:
                if self._owner != me:
                    raise ConcurrentAccessError(
                        "KafkaConsumer is not safe for multi-threaded access: another thread is "
                        "in a call"
                    )
                if not self._listening:
                    raise ConcurrentAccessError(
                        "a consumer call was made from inside another one (a commit callback?)"
                    )
                nested = True  # a rebalance listener calling back: the loop is ours, stopped
            elif self._loop.is_closed():
                raise ConsumerClosedError("This consumer has already been closed.")
            else:
                self._owner = me
        if nested:
            return body()
        try:
            self._idle.stop()
            return body()
        finally:
            self._owner = None
            if self.engine.background_active and not self._loop.is_closed():
                self._idle.start()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run an engine coroutine to completion on this thread."""
        try:
            return self._call(lambda: self._loop.run_until_complete(coro))
        except BaseException:
            coro.close()  # refused before it ran: no "never awaited" warning
            raise

    def _run_listener_calls(self, calls: list[ListenerCall]) -> None:
        listener = self.engine.listener
        for call in calls:
            self._listening += 1
            try:
                result = call.run(listener)
                if result is not None:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                    raise TypeError(
                        f"{call.method.value} returned an awaitable: the blocking Consumer runs "
                        "plain listener methods (use AsyncConsumer for coroutines)"
                    )
            except BaseException as exc:
                call.finish(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                call.finish(None)
            finally:
                self._listening -= 1

    def _drive(self, step: Callable[[], Coroutine[Any, Any, bool]]) -> None:
        """Call an engine method until it reports done, running listener calls in between."""

        def body() -> None:
            while not self._loop.run_until_complete(step()):
                self._run_listener_calls(self.engine.take_listener_calls())

        self._call(body)

    # --- assignment ----------------------------------------------------------------------------

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._call(lambda: self.engine.assign(partitions))

    def assignment(self) -> set[TopicPartition]:
        return self._call(self.engine.assignment)

    def subscribe(
        self,
        topics: Iterable[str] | re.Pattern[str] | SubscriptionPattern,
        listener: Any = None,
    ) -> None:
        """Join the group (``group.id``) at the next poll for these topics, the topics a
        ``re.Pattern`` matches (checked here against the cluster's topics), or a
        ``SubscriptionPattern`` the broker matches (``group.protocol=consumer``); the group
        assigns the partitions. ``listener``: a
        :class:`~kafkaproto.consumer.listener.ConsumerRebalanceListener`. An empty list
        unsubscribes."""
        self._call(lambda: self.engine.subscribe(topics, listener))

    def subscription(self) -> set[str]:
        return self._call(self.engine.subscription)

    def unsubscribe(self) -> None:
        """Give up every subscribed topic or assigned partition; a group member tells its
        listener and leaves the group."""
        self._drive(self.engine.unsubscribe)

    # --- reading -------------------------------------------------------------------------------

    def poll(self, timeout: float = 0.0) -> ConsumerRecords[K, V]:
        """Records by partition, as soon as some are there or after ``timeout`` seconds (then
        empty); at most ``max.poll.records``. Group membership (joining, rebalances, the
        listener) happens here."""

        def body() -> ConsumerRecords[K, V]:
            deadline = time.monotonic() + max(timeout, 0)
            while True:
                records: ConsumerRecords[K, V] = self._loop.run_until_complete(
                    self.engine.poll(max(deadline - time.monotonic(), 0))
                )
                if records:
                    return records  # handed out only with no listener call due
                calls = self.engine.take_listener_calls()
                if not calls:
                    return records
                self._run_listener_calls(calls)

        return self._call(body)

    def __iter__(self) -> Iterator[ConsumerRecord[K, V]]:
        """Every record, polling forever (stop with ``break`` or ``wakeup()``)."""
        while True:
            yield from self.poll(1.0)

    def wakeup(self) -> None:
        """Make the call in progress (or the next) raise ``WakeupError``; any thread."""
        self.engine.wakeup()

    # --- positions -----------------------------------------------------------------------------

    def position(self, partition: TopicPartition, timeout: float | None = None) -> int:
        return self._run(self.engine.position(partition, timeout))

    def seek(self, partition: TopicPartition, offset: int | OffsetAndMetadata) -> None:
        self._call(lambda: self.engine.seek(partition, offset))

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        self._call(lambda: self.engine.seek_to_beginning(partitions))

    def seek_to_end(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        self._call(lambda: self.engine.seek_to_end(partitions))

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        self._call(lambda: self.engine.pause(partitions))

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        self._call(lambda: self.engine.resume(partitions))

    def paused(self) -> set[TopicPartition]:
        return self._call(self.engine.paused)

    def group_metadata(self) -> ConsumerGroupMetadata:
        """For a transactional producer's ``send_offsets_to_transaction`` (KIP-447)."""
        return self._call(self.engine.group_metadata)

    def current_lag(self, partition: TopicPartition) -> int | None:
        return self._call(lambda: self.engine.current_lag(partition))

    # --- offsets -------------------------------------------------------------------------------

    def commit_sync(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        timeout: float | None = None,
    ) -> None:
        self._run(self.engine.commit_sync(offsets, timeout))

    def commit_async(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        callback: CommitCallback | None = None,
    ) -> None:
        """Send a commit; ``callback(offsets, error)`` runs in this thread during a later call
        (``poll``, ``commit_sync``, ``close``), as in Java."""

        async def send() -> None:
            self.engine.commit_async(offsets, callback)

        self._run(send())

    def committed(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, OffsetAndMetadata | None]:
        return self._run(self.engine.committed(partitions, timeout))

    def offsets_for_times(
        self, timestamps: Mapping[TopicPartition, int], timeout: float | None = None
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        return self._run(self.engine.offsets_for_times(timestamps, timeout))

    def beginning_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, int]:
        return self._run(self.engine.beginning_offsets(partitions, timeout))

    def end_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, int]:
        return self._run(self.engine.end_offsets(partitions, timeout))

    def partitions_for(self, topic: str, timeout: float | None = None) -> list[int]:
        return self._run(self.engine.partitions_for(topic, timeout))

    def close(self, timeout: float | None = None) -> None:
        """Commit if auto commit is on, tell the listener, leave the group, close the
        connections and the private loop (within ``timeout`` seconds, default 30)."""
        if self._loop.is_closed():
            return
        try:
            self._drive(lambda: self.engine.close(timeout))
        finally:
            self._idle.close()
            loop = self._loop
            if not loop.is_closed():
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
