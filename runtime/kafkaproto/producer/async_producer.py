"""``AsyncProducer``: the asyncio face of the producer engine
(``kafkaproto.producer._internals.engine``).

``fut = await producer.send(record)`` serializes the record, waits only while there is no room
for it — the topic's metadata is unknown, or ``buffer.memory`` is full — and returns once the
record is in its batch, with the record's delivery future: ``await fut`` gives its
``RecordMetadata``. So a plain loop ``for r in records: await producer.send(r)`` runs at the
speed of the network however many records it sends, with memory bounded by ``buffer.memory``.
After ``max.block.ms`` of waiting the ``await`` raises ``ProducerMetadataTimeoutError`` or
``BufferExhaustedError``; errors known before the record is queued (serialization, size,
closed, an invalid partition or topic) raise there too. Everything later — the broker's answer,
``delivery.timeout.ms`` — arrives through the future.

``send_nowait(record)`` is the same without waiting (as with ``max.block.ms=0``), for code that
cannot await and keeps its own rate: it raises ``BufferExhaustedError`` at once when the buffer
is full and ``ProducerMetadataTimeoutError`` while the topic's metadata is not known yet (it
asks for it; ``await producer.partitions_for(topic)`` waits for it).

With ``transactional_id`` set, ``init_transactions``/``begin_transaction``/
``send_offsets_to_transaction``/``commit_transaction``/``abort_transaction`` are Java's
(``kafkaproto.producer._internals.transactions`` holds the state machine; the engine drives it).

The engine lives on one event loop: every method must be called from that loop's thread
(``kafkaproto.producer.sync_producer.Producer`` is the thread-safe face).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
from kafkaproto.producer._internals.accumulator import estimate_record_size
from kafkaproto.producer._internals.engine import Blocked, ProducerEngine
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.futures import RecordFuture, lane_send
from kafkaproto.producer.metadata import PartitionInfo
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.serializers import BytesSerializer, Serializer
from kafkaproto.producer.transport import ProducerTransport

__all__ = ["AsyncProducer"]

#: Seconds of sending after which ``send`` lets the event loop run (at a new batch).
_YIELD_INTERVAL = 0.005

#: A record that must wait: why, its topic, serialized key and value, the record, its size.
_Waiting = tuple[Blocked, str, bytes | None, bytes | None, ProducerRecord[Any], int]

K = TypeVar("K")
V = TypeVar("V")


class AsyncProducer(Generic[K, V]):
    """Java's ``KafkaProducer`` on asyncio; see the module docstring.

    >>> async with AsyncProducer(transport=client, linger_ms=10) as producer:  # doctest: +SKIP
    ...     delivery = await producer.send(ProducerRecord("events", b"payload", key=b"user-1"))
    ...     meta = await delivery
    """

    def __init__(
        self,
        config: ProducerConfig | Mapping[str, object] | None = None,
        *,
        transport: ProducerTransport | None = None,
        key_serializer: Serializer[K] | None = None,
        value_serializer: Serializer[V] | None = None,
        clock: Any = time.monotonic,
        **settings: object,
    ) -> None:
        self.config = ProducerConfig.of(config, settings)
        #: The engine (accumulator, sender, idempotence) this face drives.
        self.engine = ProducerEngine(self.config, transport, clock=clock)
        self._key_serializer: Any = key_serializer or BytesSerializer()
        self._value_serializer: Any = value_serializer or BytesSerializer()
        self._plain_keys = type(self._key_serializer) is BytesSerializer
        self._plain_values = type(self._value_serializer) is BytesSerializer
        # Both serializers pass bytes as they are: send takes the engine's unchecked lane
        # itself, compiled (futures.lane_send).
        self._lane = self.engine.unchecked_lane if self._plain_keys and self._plain_values else None
        self._max_block_s = self.config.max_block_ms / 1000
        self._next_yield = 0.0
        # The engine's loop once this face has seen it started (None before: the lane is not
        # taken until then). Kept here because send reads it for every record, and an
        # attribute of the compiled engine costs more to read from interpreted code.
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the sender task (``send`` does it on first use too)."""
        self._loop = self.engine.start()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Leaving the block normally or on an error closes as Java's close() does: what is
        # queued is sent first. Leaving it because the task was cancelled must not keep the
        # cancelled task alive for up to delivery.timeout.ms: what is unsent fails at once
        # with ProducerClosedError.
        await self.close(0 if exc_type is asyncio.CancelledError else None)

    # --- send --------------------------------------------------------------------------------

    async def send(self, record: ProducerRecord[Any]) -> RecordFuture:
        """Queue ``record``, waiting while there is no room for it (up to ``max.block.ms``);
        returns its delivery future. See the module docstring for what raises here."""
        lane = self._lane
        if lane is not None:
            # The commonest record in one compiled call (see lane_send); None: the full path.
            fast = lane_send(lane, self._loop, record)
            if fast is not None:
                return fast
        sent = self._try_send(record)
        if type(sent) is RecordFuture:
            if not sent._index:
                loop = sent._loop
                if loop.time() >= self._next_yield:
                    # A new batch, and 5 ms since the loop last ran: let it run (the sender,
                    # other tasks), so a loop of sends neither holds it until buffer.memory is
                    # full nor pays a turn per batch (the sender would then send one small
                    # request per batch).
                    self._next_yield = loop.time() + _YIELD_INTERVAL
                    await asyncio.sleep(0)
            return sent
        return await self._send_when_room(sent)  # type: ignore[arg-type]

    def send_nowait(self, record: ProducerRecord[Any]) -> RecordFuture:
        """``send`` without waiting: raises ``BufferExhaustedError`` or
        ``ProducerMetadataTimeoutError`` at once where ``send`` would wait (module docstring)."""
        sent = self._try_send(record)
        if type(sent) is RecordFuture:
            return sent
        blocked, topic, _, _, _, size = sent
        if blocked is Blocked.METADATA:
            self.engine.sender.request_metadata(topic)
        else:
            self.engine.sender.wakeup()
        error = self.engine.timeout_error(blocked, topic, size, waited=False)
        self.engine.note_send_error(error)
        raise error

    def _try_send(self, record: ProducerRecord[Any]) -> RecordFuture | _Waiting:
        # Serialize, then append through the lane or the engine: the record's future, or why
        # it must wait and what the retry needs.
        engine = self.engine
        loop = self._loop = engine.loop or engine.start()
        topic = record.topic
        key = record.key
        value = record.value
        if key is not None or not self._plain_keys:
            key = self._key_serializer.serialize(topic, key)
        if type(value) is not bytes or not self._plain_values:
            value = self._value_serializer.serialize(topic, value)
        headers = record.headers
        if key is None and record.partition is None and not headers:
            timestamp = record.timestamp
            if timestamp is None:
                timestamp = time.time_ns() // 1_000_000
            lane = engine.lane_append(topic, value, timestamp)
            if lane is not None:
                batch, index, timestamp, key_size, value_size = lane
                return RecordFuture(loop, batch, index, timestamp, key_size, value_size)
        size = estimate_record_size(key, value, headers)
        try:
            place = engine.append(
                topic, key, value, record.partition, record.timestamp, headers, size
            )
        except Exception as error:
            engine.note_send_error(error)  # an open transaction becomes abortable
            raise
        if isinstance(place, Blocked):
            return place, topic, key, value, record, size
        return RecordFuture(
            loop,
            place[0],
            place[1],
            place[2],
            -1 if key is None else len(key),
            -1 if value is None else len(value),
        )

    async def _send_when_room(self, waiting: _Waiting) -> RecordFuture:
        # The slow path: wait for what is missing (metadata, memory), append, until max.block.ms.
        blocked, topic, key, value, record, size = waiting
        engine = self.engine
        deadline = time.monotonic() + self._max_block_s
        while True:
            if not await engine.wait_async(blocked, topic, deadline):
                timed_out = engine.timeout_error(blocked, topic, size)
                engine.note_send_error(timed_out)
                raise timed_out
            try:
                place = engine.append(
                    topic, key, value, record.partition, record.timestamp, record.headers, size
                )
            except Exception as error:
                engine.note_send_error(error)
                raise
            if not isinstance(place, Blocked):
                if blocked is Blocked.MEMORY:
                    engine.served()
                return RecordFuture(
                    engine.loop,  # type: ignore[arg-type]
                    place[0],
                    place[1],
                    place[2],
                    -1 if key is None else len(key),
                    -1 if value is None else len(value),
                )
            blocked = place

    async def partitions_for(self, topic: str) -> tuple[PartitionInfo, ...]:
        """The topic's partitions, waiting up to ``max.block.ms`` for its metadata (Java's
        ``partitionsFor``)."""
        return await self.engine.partitions_for(topic)

    # --- transactions (Java's KafkaProducer; the engine's TransactionManager) -----------------

    async def init_transactions(self) -> None:
        """Once, before the first transaction: register ``transactional.id`` with its
        coordinator, fencing any older producer with the same id and finishing (committing or
        aborting) what it left open. Raises ``TransactionTimeoutError`` after ``max.block.ms``
        (call it again to keep waiting), ``ProducerFencedError``, ``ProducerFatalError``."""
        await self.engine.init_transactions()

    def begin_transaction(self) -> None:
        """Start a transaction: every record sent until ``commit_transaction()`` or
        ``abort_transaction()`` becomes visible to read_committed consumers together, or
        never."""
        self.engine.begin_transaction()

    async def send_offsets_to_transaction(
        self,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata | int],
        group_metadata: ConsumerGroupMetadata | str,
    ) -> None:
        """Make the consumer's ``offsets`` ({(topic, partition): next offset to read}) part of
        the transaction (KIP-447): committed with it, or not at all. ``group_metadata`` is the
        consumer's ``ConsumerGroupMetadata`` (a bare group id skips the member check)."""
        await self.engine.send_offsets_to_transaction(offsets, group_metadata)

    async def commit_transaction(self) -> None:
        """Send what is queued and commit the transaction (waits up to ``max.block.ms``). A
        record that failed makes it raise ``TransactionAbortRequiredError``: abort then."""
        await self.engine.commit_transaction()

    async def abort_transaction(self) -> None:
        """Abort the transaction: its records are never visible to read_committed consumers;
        those still queued fail with ``TransactionAbortedError``."""
        await self.engine.abort_transaction()

    @property
    def transaction_version(self) -> int | None:
        """2 when the cluster's ``transaction.version`` lets the producer use KIP-890's
        transactions (no AddPartitionsToTxn), else 1; None without ``transactional.id``."""
        return self.engine.transaction_version

    # --- flush and close ---------------------------------------------------------------------

    async def flush(self) -> None:
        """Make every queued record sendable now and wait until each record sent before this
        call completed (successfully or not). Java's ``flush``."""
        await self.engine.flush()

    async def close(self, timeout: float | None = None) -> None:
        """Stop accepting records, send what is queued, then stop the sender.

        ``timeout`` (seconds) bounds the wait; None means ``delivery.timeout.ms`` plus
        ``request.timeout.ms``, after which every record has been acknowledged or expired
        anyway. Whatever is left after it fails with ``ProducerClosedError``. Never hangs."""
        await self.engine.close(timeout)

    @property
    def closed(self) -> bool:
        return self.engine.closed
