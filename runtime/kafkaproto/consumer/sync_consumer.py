"""``Consumer``: Java's ``KafkaConsumer`` for blocking code — a thin face over
:class:`~kafkaproto.consumer.engine.ConsumerEngine`, driven on the caller's own thread.

Why the caller's thread (as Java's classic consumer) and not a loop thread of its own (as our
``Producer``): a consumer does its work inside its calls — ``poll`` sends the fetches, waits,
and hands out records — and nothing needs to run between calls (requests in flight complete
during the next call, exactly as Java's ``NetworkClient`` reads them in the next ``poll``). So
each call runs the engine's coroutine to completion on a private event loop in the calling
thread: no thread hand-off per call, no second thread to keep alive, and the callbacks of
``commit_async`` run in the polling thread as in Java. The price is Java's too: one thread
drives a consumer. Calls from a second thread while one is in progress raise
``ConcurrentAccessError``; ``wakeup()`` is the one method safe from anywhere. This module holds
no consumer logic of its own: it must never reach into the engine's fetcher or subscription
state.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from kafkaproto.consumer.async_consumer import plain
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.engine import CommitCallback, ConsumerEngine
from kafkaproto.consumer.errors import ConcurrentAccessError, ConsumerClosedError
from kafkaproto.consumer.record import (
    ConsumerRecord,
    ConsumerRecords,
    Deserializer,
    OffsetAndMetadata,
    OffsetAndTimestamp,
    TopicPartition,
)
from kafkaproto.group_metadata import ConsumerGroupMetadata

__all__ = ["Consumer"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run an engine coroutine to completion on this thread (Java's acquire/release)."""
        me = threading.get_ident()
        with self._owner_lock:
            if self._owner is not None:
                coro.close()
                if self._owner == me:
                    raise ConcurrentAccessError(
                        "a consumer call was made from inside another one (a commit callback?)"
                    )
                raise ConcurrentAccessError(
                    "KafkaConsumer is not safe for multi-threaded access: another thread is in "
                    "a call"
                )
            if self._loop.is_closed():
                coro.close()
                raise ConsumerClosedError("This consumer has already been closed.")
            self._owner = me
        try:
            return self._loop.run_until_complete(coro)
        finally:
            self._owner = None

    def _local(self) -> None:
        """A call that changes local state only: still one thread at a time."""
        owner = self._owner
        if owner is not None and owner != threading.get_ident():
            raise ConcurrentAccessError(
                "KafkaConsumer is not safe for multi-threaded access: another thread is in a call"
            )

    # --- assignment ----------------------------------------------------------------------------

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._local()
        self.engine.assign(partitions)

    def assignment(self) -> set[TopicPartition]:
        return self.engine.assignment()

    def unsubscribe(self) -> None:
        self._local()
        self.engine.unsubscribe()

    # --- reading -------------------------------------------------------------------------------

    def poll(self, timeout: float = 0.0) -> ConsumerRecords[K, V]:
        """Records by partition, as soon as some are there or after ``timeout`` seconds (then
        empty); at most ``max.poll.records``."""
        return self._run(self.engine.poll(timeout))

    def __iter__(self) -> Iterator[ConsumerRecord[K, V]]:
        """Every record, polling forever (stop with ``break`` or ``wakeup()``)."""
        while True:
            yield from self._run(self.engine.poll(1.0))

    def wakeup(self) -> None:
        """Make the call in progress (or the next) raise ``WakeupError``; any thread."""
        self.engine.wakeup()

    # --- positions -----------------------------------------------------------------------------

    def position(self, partition: TopicPartition, timeout: float | None = None) -> int:
        return self._run(self.engine.position(partition, timeout))

    def seek(self, partition: TopicPartition, offset: int | OffsetAndMetadata) -> None:
        self._local()
        self.engine.seek(partition, offset)

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        self._local()
        self.engine.seek_to_beginning(partitions)

    def seek_to_end(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        self._local()
        self.engine.seek_to_end(partitions)

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        self._local()
        self.engine.pause(partitions)

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        self._local()
        self.engine.resume(partitions)

    def paused(self) -> set[TopicPartition]:
        return self.engine.paused()

    def group_metadata(self) -> ConsumerGroupMetadata:
        """For a transactional producer's ``send_offsets_to_transaction`` (KIP-447)."""
        return self.engine.group_metadata()

    def current_lag(self, partition: TopicPartition) -> int | None:
        return self.engine.current_lag(partition)

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
        """Commit if auto commit is on, close the connections and the private loop."""
        if self._loop.is_closed():
            return
        try:
            self._run(self.engine.close(timeout))
        finally:
            loop = self._loop
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
