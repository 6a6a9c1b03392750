"""``AsyncConsumer``: Java's ``KafkaConsumer`` for asyncio code — a thin face over
:class:`~kafkaproto.consumer._internals.engine.ConsumerEngine`, which it drives on the running loop.

::

    async with AsyncConsumer(bootstrap_servers="localhost:9092", group_id="g") as consumer:
        consumer.subscribe(["events"])  # or assign([TopicPartition("events", 0)])
        async for record in consumer:
            print(record.offset, record.value)

Calls that need the network are coroutines (``poll``, ``position``, ``commit_sync``,
``committed``, offsets lookups, ``unsubscribe``, ``close``); the rest only change local state
and return at once (``subscribe``, ``assign``, ``seek``, ``pause``, ``commit_async``). A
group member's heartbeats run as tasks on the loop, so the loop must keep running between polls
(no blocking work in it). Rebalance listener methods run inside ``poll``, ``unsubscribe`` and
``close``, in the task that called, and may be coroutines. One task at a time should use it, as
one thread uses Java's. This module holds no consumer logic of its own: it must never reach
into the engine's fetcher or subscription state.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from kafkaproto.cluster import ClusterClient
from kafkaproto.consumer._internals.engine import CommitCallback, ConsumerEngine
from kafkaproto.consumer._internals.membership import ListenerCall
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.record import (
    BytesDeserializer,
    ConsumerRecord,
    ConsumerRecords,
    Deserializer,
    OffsetAndMetadata,
    OffsetAndTimestamp,
    TopicPartition,
)
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
from kafkaproto.group_metadata import ConsumerGroupMetadata

__all__ = ["AsyncConsumer"]

K = TypeVar("K")
V = TypeVar("V")


def plain(deserializer: Deserializer[Any] | None) -> Deserializer[Any] | None:
    """None for bytes as they are (the fetcher's fast path), else the deserializer."""
    if deserializer is None or type(deserializer) is BytesDeserializer:
        return None
    return deserializer


class AsyncConsumer(Generic[K, V]):
    """Java's ``KafkaConsumer`` on asyncio; see the module docstring. Settings by Java name
    in ``config`` or as keywords by Python name (``group_id="g"``)."""

    def __init__(
        self,
        config: ConsumerConfig | Mapping[str, object] | None = None,
        *,
        key_deserializer: Deserializer[K] | None = None,
        value_deserializer: Deserializer[V] | None = None,
        client: ClusterClient | None = None,
        **settings: object,
    ) -> None:
        self.config = ConsumerConfig.of(config, settings)
        #: The engine this face drives.
        self.engine = ConsumerEngine(
            self.config,
            key_deserializer=plain(key_deserializer),
            value_deserializer=plain(value_deserializer),
            client=client,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- assignment ----------------------------------------------------------------------------

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Read exactly these partitions from now on (an empty list unassigns)."""
        self.engine.assign(partitions)

    def assignment(self) -> set[TopicPartition]:
        return self.engine.assignment()

    def subscribe(
        self,
        topics: Iterable[str] | re.Pattern[str] | SubscriptionPattern,
        listener: Any = None,
    ) -> None:
        """Join the group (``group.id``) at the next poll for these topics, the topics a
        ``re.Pattern`` matches (checked here against the cluster's topics), or a
        ``SubscriptionPattern`` the broker matches (``group.protocol=consumer``); the group
        assigns the partitions. ``listener``: a
        :class:`~kafkaproto.consumer.listener.ConsumerRebalanceListener` (methods may be
        coroutines). An empty list unsubscribes."""
        self.engine.subscribe(topics, listener)

    def subscription(self) -> set[str]:
        return self.engine.subscription()

    async def unsubscribe(self) -> None:
        """Give up every subscribed topic or assigned partition; a group member tells its
        listener and leaves the group."""
        while not await self.engine.unsubscribe():
            await self._run_listener_calls()

    async def _run_listener_calls(self) -> None:
        await run_listener_calls(self.engine.take_listener_calls(), self.engine.listener)

    # --- reading -------------------------------------------------------------------------------

    async def poll(self, timeout: float = 0.0) -> ConsumerRecords[K, V]:
        """Records by partition, as soon as some are there or after ``timeout`` seconds (then
        empty); at most ``max.poll.records``. Group membership (joining, rebalances, the
        listener) happens here."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        while True:
            records = await self.engine.poll(max(deadline - loop.time(), 0))
            if records:
                return records  # the engine hands out records only with no listener call due
            calls = self.engine.take_listener_calls()
            if not calls:
                return records
            await run_listener_calls(calls, self.engine.listener)

    async def __aiter__(self) -> AsyncIterator[ConsumerRecord[K, V]]:
        """Every record, polling forever (stop with ``break``, ``wakeup()`` or cancellation)."""
        while True:
            for record in await self.poll(1.0):
                yield record

    def wakeup(self) -> None:
        """Make the call in progress (or the next) raise ``WakeupError``; any thread."""
        self.engine.wakeup()

    # --- positions -----------------------------------------------------------------------------

    async def position(self, partition: TopicPartition, timeout: float | None = None) -> int:
        return await self.engine.position(partition, timeout)

    def seek(self, partition: TopicPartition, offset: int | OffsetAndMetadata) -> None:
        self.engine.seek(partition, offset)

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        self.engine.seek_to_beginning(partitions)

    def seek_to_end(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        self.engine.seek_to_end(partitions)

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        self.engine.pause(partitions)

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        self.engine.resume(partitions)

    def paused(self) -> set[TopicPartition]:
        return self.engine.paused()

    def group_metadata(self) -> ConsumerGroupMetadata:
        """For a transactional producer's ``send_offsets_to_transaction`` (KIP-447)."""
        return self.engine.group_metadata()

    def current_lag(self, partition: TopicPartition) -> int | None:
        return self.engine.current_lag(partition)

    # --- offsets -------------------------------------------------------------------------------

    async def commit_sync(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        timeout: float | None = None,
    ) -> None:
        await self.engine.commit_sync(offsets, timeout)

    def commit_async(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        callback: CommitCallback | None = None,
    ) -> asyncio.Future[None]:
        return self.engine.commit_async(offsets, callback)

    async def committed(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, OffsetAndMetadata | None]:
        return await self.engine.committed(partitions, timeout)

    async def offsets_for_times(
        self, timestamps: Mapping[TopicPartition, int], timeout: float | None = None
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        return await self.engine.offsets_for_times(timestamps, timeout)

    async def beginning_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, int]:
        return await self.engine.beginning_offsets(partitions, timeout)

    async def end_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, int]:
        return await self.engine.end_offsets(partitions, timeout)

    async def partitions_for(self, topic: str, timeout: float | None = None) -> list[int]:
        return await self.engine.partitions_for(topic, timeout)

    async def close(self, timeout: float | None = None) -> None:
        """Commit (auto commit), tell the listener, leave the group, close the connections,
        within ``timeout`` seconds (default 30)."""
        while not await self.engine.close(timeout):
            await self._run_listener_calls()


async def run_listener_calls(calls: list[ListenerCall], listener: Any) -> None:
    """Run rebalance listener calls in order (awaiting coroutine methods); each call's outcome
    goes back to the membership waiting for it."""
    for call in calls:
        try:
            result = call.run(listener)
            if result is not None:
                await result
        except BaseException as exc:
            call.finish(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            call.finish(None)
