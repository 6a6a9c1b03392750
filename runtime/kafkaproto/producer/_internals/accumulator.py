"""The record accumulator: per-partition queues of batches waiting to be sent, memory accounting,
readiness (linger.ms), draining per broker, expiry (delivery.timeout.ms) and batch splitting.

Java's ``RecordAccumulator`` and ``BufferPool``, sans-I/O: every method takes the time as
``now_ms`` (a monotonic clock in milliseconds) and nothing here waits or sleeps. Waiting
for memory is the caller's job: ``append`` answers ``None`` when a new batch would not fit in
``buffer.memory``, and ``memory_waiters`` tells the ready check that someone is waiting (then
every batch is sendable, as Java does when its pool has queued threads).

Per record, ``append`` costs one ``BatchBuilder.append`` and a few dict/deque look-ups; it returns
the batch and the record's index in it, and nothing else is kept per record. Every method runs
under ``lock``, a reentrant lock that is only ever contended when the thread-safe ``Producer``
appends from its callers' threads (as Java's producer appends in the caller's thread). This
module must never import asyncio or do I/O.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, final

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.partitioner import UNKNOWN_PARTITION, BuiltInPartitioner, TopicAvailability
from kafkaproto.producer._internals.batch import ProducerBatch, TopicPartition
from kafkaproto.producer._internals.idempotence import IdempotenceManager
from kafkaproto.producer.metadata import ClusterSnapshot
from kafkaproto.records.batch_builder import BatchBuilder, encode_headers
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.record_batch import RECORD_BATCH_OVERHEAD, Header
from kafkaproto.records.varint import varint_size

__all__ = [
    "AppendResult",
    "BufferPool",
    "ReadyCheck",
    "RecordAccumulator",
    "RecordPlace",
    "estimate_record_size",
]

_FOREVER: Final = 2**63 - 1

#: Where an appended record went, with what ``ProducerBatch.metadata`` takes of it once its
#: batch completes: (batch, index in it, timestamp, key size, value size), a size -1 for null.
#: ``lane_append`` answers one; the thread-safe face keeps one per record in its future.
RecordPlace = tuple[ProducerBatch, int, int, int, int]


def estimate_record_size(
    key: bytes | None, value: bytes | None, headers: Sequence[Header] | None
) -> int:
    """An upper bound of the bytes one record takes alone in a v2 batch, header included
    (Java's ``AbstractRecords.estimateSizeInBytesUpperBound``): what ``max.request.size`` and
    ``buffer.memory`` are checked against."""
    # Once per record on every send path: sizes of lengths below _SMALL come from a table.
    if key is None:
        body = 17  # attributes 1 + timestamp delta 10 (a full varlong) + offset delta 5 + null 1
    else:
        k = len(key)
        body = 16 + (_LENGTH_SIZE[k] if k < _SMALL else varint_size(k)) + k
    if value is None:
        body += 1
    else:
        v = len(value)
        body += (_LENGTH_SIZE[v] if v < _SMALL else varint_size(v)) + v
    body += len(encode_headers(headers)) if headers else 1
    return (
        RECORD_BATCH_OVERHEAD + (_LENGTH_SIZE[body] if body < _SMALL else varint_size(body)) + body
    )


_SMALL: Final = 1 << 13
_LENGTH_SIZE: Final = tuple(varint_size(n) for n in range(_SMALL))


class BufferPool:
    """``buffer.memory`` as a byte count (Java's ``BufferPool`` without the buffer recycling:
    Python allocates its own bytes, what matters is the bound)."""

    __slots__ = ("available", "total")

    def __init__(self, total: int) -> None:
        self.total = total
        self.available = total

    def try_reserve(self, size: int) -> bool:
        if size <= self.available:
            self.available -= size
            return True
        return False

    def release(self, size: int) -> None:
        self.available = min(self.total, self.available + size)

    @property
    def used(self) -> int:
        return self.total - self.available


@final
class AppendResult:
    """Where a record went: its batch and index in it (``offset``), the partition chosen,
    whether a new batch was made and whether the partition now has a full batch (both wake the
    sender, as in Java). An append to a partition that already had a full batch is not
    reported full again: the sender was woken when that batch was made (in a steady state
    past ``buffer.memory`` every partition has many, and Java's wake-up per append costs a
    Python call here).

    A final plain class rather than a ``NamedTuple``: one is made per keyed record, and from the
    compiled accumulator a ``NamedTuple`` is made through its interpreted ``__new__`` (~0.3 µs,
    BENCHMARKS.md), a plain class through mypyc's native constructor."""

    __slots__ = ("batch", "batch_full", "new_batch", "offset", "partition")

    def __init__(
        self, batch: ProducerBatch, offset: int, partition: int, new_batch: bool, batch_full: bool
    ) -> None:
        self.batch = batch
        self.offset = offset
        self.partition = partition
        self.new_batch = new_batch
        self.batch_full = batch_full

    def __repr__(self) -> str:
        return (
            f"AppendResult(batch={self.batch!r}, offset={self.offset}, "
            f"partition={self.partition}, new_batch={self.new_batch}, "
            f"batch_full={self.batch_full})"
        )


@dataclass(slots=True)
class ReadyCheck:
    """``RecordAccumulator.ReadyCheckResult``."""

    ready_nodes: set[int] = field(default_factory=set)
    next_ready_check_delay_ms: int = _FOREVER
    unknown_leader_topics: set[str] = field(default_factory=set)


class _TopicInfo:
    __slots__ = ("batches", "partitioner")

    def __init__(self, partitioner: BuiltInPartitioner) -> None:
        self.batches: dict[int, deque[ProducerBatch]] = {}
        self.partitioner = partitioner


class Lane:
    """A topic's fast lane: the open batch of its sticky partition, for records with a null key,
    no partition and no headers (the common case), while appending to it needs no decision.

    ``limit`` is where a decision would be due: the batch reaching ``batch.size`` (full: wake the
    sender, maybe switch partition) or the partitioner's byte count reaching twice its sticky
    size (a switch even with the batch not full). Below it an append is
    ``builder.append_value(value, timestamp, limit)`` and nothing else; the bytes are counted
    to the partitioner when the lane is retired, which the accumulator does before anything
    else touches the topic's batches (another append, a drain, an expiry, an abort)."""

    __slots__ = ("batch", "builder", "limit", "start_size")

    def __init__(self, batch: ProducerBatch, limit: int) -> None:
        self.batch = batch
        self.builder = batch.builder
        self.start_size = batch.builder.size_in_bytes
        self.limit = limit


class RecordAccumulator:
    """See the module docstring. Settings are the producer config's values."""

    def __init__(
        self,
        *,
        batch_size: int = 16384,
        compression: CompressionType = CompressionType.NONE,
        compression_level: int | None = None,
        linger_ms: int = 5,
        delivery_timeout_ms: int = 120000,
        buffer_memory: int = 33554432,
        retry_backoff: ExponentialBackoff | None = None,
        idempotence: IdempotenceManager | None = None,
        partitioner_ignore_keys: bool = False,
        adaptive_partitioning: bool = True,
        partition_availability_timeout_ms: int = 0,
    ) -> None:
        self.batch_size = batch_size
        self.compression = compression
        self.compression_level = compression_level
        self.linger_ms = linger_ms
        self.delivery_timeout_ms = delivery_timeout_ms
        self.retry_backoff = retry_backoff or ExponentialBackoff(100, 2, 1000)
        self.idempotence = idempotence
        self.pool = BufferPool(buffer_memory)
        self.ignore_keys = partitioner_ignore_keys
        self.adaptive = adaptive_partitioning
        self.availability_timeout_ms = partition_availability_timeout_ms
        self.memory_waiters = 0  # set by the caller while sends wait for memory
        self.flushes_in_progress = 0
        self.closed = False
        self.incomplete: set[ProducerBatch] = set()
        self.muted: set[TopicPartition] = set()
        self._topics: dict[str, _TopicInfo] = {}
        #: Fast lanes by topic (see ``Lane``); the producer appends through them directly.
        self.lanes: dict[str, Lane] = {}
        #: The largest value ``lane_append`` takes (the producer sets it from its size limits).
        self.lane_value_max = 2**62
        #: Held by every method that reads or changes the queues, the lanes or the memory pool
        #: (reentrant). Uncontended for the asyncio producer; the thread-safe ``Producer``
        #: shares it with its callers' threads, which append under it.
        self.lock: threading.RLock = threading.RLock()
        self._drain_index: dict[int, int] = {}
        self._next_expiry_ms = _FOREVER

    # --- append ------------------------------------------------------------------------------

    def _topic_info(self, topic: str) -> _TopicInfo:
        info = self._topics.get(topic)
        if info is None:
            info = self._topics[topic] = _TopicInfo(
                BuiltInPartitioner(topic, max(1, self.batch_size))
            )
        return info

    def lane_append(self, topic: str, value: object, timestamp: int) -> RecordPlace | None:
        """A record with a null key, no partition and no headers, serialized to ``value``, into
        the topic's fast lane: where it went (``RecordPlace``), or None when no lane takes it
        (then ``append`` does). One compiled call per record, the producer's commonest path; the
        caller holds ``lock``, and the producer has checked what a transaction allows."""
        if type(value) is not bytes:
            return None
        lane = self.lanes.get(topic)
        if lane is None or len(value) > self.lane_value_max:
            return None
        index = lane.builder.append_value(value, timestamp, lane.limit)
        if index < 0:
            return None
        return lane.batch, index, timestamp, -1, len(value)

    def _retire_lane(self, topic: str) -> None:
        with self.lock:
            lane = self.lanes.pop(topic, None)
            if lane is not None:
                appended = lane.builder.size_in_bytes - lane.start_size
                if appended:
                    self._topics[topic].partitioner.count_appended(appended)

    def retire_lanes(self) -> None:
        """Close every fast lane, counting what went through them (before batches change)."""
        with self.lock:
            for topic in list(self.lanes):
                self._retire_lane(topic)

    def _all_full(self, dq: deque[ProducerBatch]) -> bool:
        # allBatchesFull: only the last batch can be incomplete.
        return not dq or dq[-1].is_full(self.batch_size)

    def append(
        self,
        topic: str,
        partition: int,
        timestamp: int,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[Header] | None,
        now_ms: int,
        availability: TopicAvailability | None = None,
    ) -> AppendResult | None:
        """Add a record (``RecordAccumulator.append``). ``partition`` is ``UNKNOWN_PARTITION``
        to let the sticky partitioner choose (then ``availability`` is required). Returns None,
        adding nothing, when a new batch is needed and ``buffer.memory`` has no room for it."""
        with self.lock:
            if self.closed:
                from kafkaproto.producer.errors import ProducerClosedError

                raise ProducerClosedError("Producer closed while send in progress")
            if topic in self.lanes:
                self._retire_lane(topic)
            info = self._topics.get(topic) or self._topic_info(topic)
            sticky = partition == UNKNOWN_PARTITION
            if sticky:
                if availability is None:
                    raise ValueError("a record without partition needs the topic's availability")
                partitioner = info.partitioner
                partition = partitioner.current_partition(availability)
                dq = info.batches.get(partition)
                # partitionChanged: a deferred switch happens once the partition's batches are full.
                if dq is not None and self._all_full(dq) and partitioner.maybe_switch(availability):
                    partition = partitioner.current_partition(availability)
            dq = info.batches.get(partition)
            if dq is None:
                dq = info.batches[partition] = deque()
            # tryAppend on the last open batch.
            if dq:
                last = dq[-1]
                if not last.closed:
                    before = last.builder.size_in_bytes
                    index = last.builder.append(key, value, timestamp, headers)
                    if index >= 0:
                        # Only this batch's own filling is news: had the partition a full
                        # batch before (more than one queued), the sender was woken for it.
                        full = last.is_full(self.batch_size)
                        if sticky and not info.partitioner.record_appended(
                            last.builder.size_in_bytes - before,
                            availability,  # type: ignore[arg-type]
                            enable_switch=self._all_full(dq),
                        ):
                            self._open_lane(topic, info, last)
                        return AppendResult(last, index, partition, False, full)
                    last.closed = True
            size = max(self.batch_size, estimate_record_size(key, value, headers))
            if not self.pool.try_reserve(size):
                return None
            builder = BatchBuilder(
                batch_size=self.batch_size,
                compression=self.compression,
                compression_level=self.compression_level,
            )
            batch = ProducerBatch(topic, partition, builder, now_ms, reserved=size)
            builder.append(key, value, timestamp, headers)
            dq.append(batch)
            self.incomplete.add(batch)
            if sticky and not info.partitioner.record_appended(
                builder.size_in_bytes,
                availability,  # type: ignore[arg-type]
                enable_switch=self._all_full(dq),
            ):
                self._open_lane(topic, info, batch)
            return AppendResult(
                batch, 0, partition, True, len(dq) > 1 or batch.is_full(self.batch_size)
            )

    def _open_lane(self, topic: str, info: _TopicInfo, batch: ProducerBatch) -> None:
        with self.lock:
            # After a sticky append that switched nothing: the batch is the partition's last one.
            if batch.closed or self.closed:
                return
            size = batch.builder.size_in_bytes
            partitioner = info.partitioner
            # A switch needs the batch full (the batch.size bound) or, failing that, twice the
            # sticky size produced (record_appended): below both, an append decides nothing.
            room = 2 * partitioner.sticky_batch_size - partitioner.produced_bytes
            limit = min(self.batch_size, size + room)
            if limit > size:
                self.lanes[topic] = Lane(batch, limit)

    # --- ready and drain ---------------------------------------------------------------------

    def ready(self, cluster: ClusterSnapshot, now_ms: int) -> ReadyCheck:
        """``RecordAccumulator.ready``: the leaders with sendable data, the delay until the next
        batch may become sendable, and topics whose partitions have no known leader."""
        with self.lock:
            result = ReadyCheck()
            exhausted = self.memory_waiters > 0
            flushing = self.flushes_in_progress > 0
            for topic, info in self._topics.items():
                queue_sizes: list[int] | None = None
                ids: list[int] = []
                if self.adaptive and len(info.batches) >= cluster.num_partitions(topic) > 0:
                    queue_sizes = []
                for partition, dq in info.batches.items():
                    if not dq:
                        led = cluster.leader_for(topic, partition) is not None
                        if queue_sizes is not None and led:
                            queue_sizes.append(0)
                            ids.append(partition)
                        continue
                    leader = cluster.leader_for(topic, partition)
                    if leader is None:
                        result.unknown_leader_topics.add(topic)
                        continue
                    if queue_sizes is not None:
                        queue_sizes.append(len(dq))
                        ids.append(partition)
                    if leader in result.ready_nodes or (topic, partition) in self.muted:
                        continue
                    batch = dq[0]
                    backing_off = batch.backing_off(now_ms)
                    wait_ms = batch.retry_delay_ms if backing_off else self.linger_ms
                    waited = batch.waited_ms(now_ms)
                    full = len(dq) > 1 or batch.is_full(self.batch_size)
                    sendable = full or waited >= wait_ms or exhausted or self.closed or flushing
                    if sendable and not backing_off:
                        result.ready_nodes.add(leader)
                    else:
                        result.next_ready_check_delay_ms = min(
                            result.next_ready_check_delay_ms, max(wait_ms - waited, 0)
                        )
                if queue_sizes is not None:
                    info.partitioner.update_load_stats(
                        queue_sizes, ids, [None] * len(ids), len(queue_sizes)
                    )
            return result

    def drain(
        self,
        cluster: ClusterSnapshot,
        nodes: Iterable[int],
        max_request_size: int,
        now_ms: int,
    ) -> dict[int, list[ProducerBatch]]:
        """``RecordAccumulator.drain``: per node at most one batch per partition, within
        ``max_request_size`` (a single larger batch still goes alone). Each node starts where
        its previous drain stopped, so no partition starves (Java's ``nodesDrainIndex``)."""
        with self.lock:
            out: dict[int, list[ProducerBatch]] = {}
            for node in nodes:
                batches = self._drain_node(cluster, node, max_request_size, now_ms)
                if batches:
                    out[node] = batches
            return out

    def _drain_node(
        self, cluster: ClusterSnapshot, node: int, max_size: int, now_ms: int
    ) -> list[ProducerBatch]:
        parts = cluster.partitions_for_node(node)
        ready: list[ProducerBatch] = []
        if not parts:
            return ready
        n = len(parts)
        start = index = self._drain_index.get(node, 0) % n
        size = 0
        idem = self.idempotence
        while True:
            topic, partition = parts[index]
            self._drain_index[node] = index
            index = (index + 1) % n
            info = self._topics.get(topic)
            dq = info.batches.get(partition) if info is not None else None
            if dq and (topic, partition) not in self.muted:
                first = dq[0]
                if not first.backing_off(now_ms):
                    if size + first.size_in_bytes > max_size and ready:
                        # Java breaks here; the batch goes first in the next request.
                        break
                    # Java breaks on shouldStopDrainBatchesForPartition too, which lets one
                    # partition waiting for its retries hold back the node's other partitions;
                    # skipping just that partition is what the Java comment intends.
                    if idem is None or not idem.should_stop_drain(first):
                        if topic in self.lanes:
                            self._retire_lane(topic)
                        batch = dq.popleft()
                        if idem is not None:
                            idem.assign_sequence(batch)
                        batch.closed = True
                        size += len(batch.records())
                        batch.drained_ms = max(batch.drained_ms, now_ms)
                        ready.append(batch)
            if index == start:
                break
        return ready

    def mute(self, tp: TopicPartition) -> None:
        self.muted.add(tp)

    def unmute(self, tp: TopicPartition) -> None:
        self.muted.discard(tp)

    # --- retries, splits, expiry --------------------------------------------------------------

    def reenqueue(self, batch: ProducerBatch, now_ms: int) -> None:
        """``RecordAccumulator.reenqueue``: back at the head of its queue (in sequence order
        under idempotence) after ``retry.backoff.ms``..``retry.backoff.max.ms``."""
        with self.lock:
            self.retire_lanes()
            batch.reenqueued(now_ms, self.retry_backoff.backoff(batch.attempts))
            dq = self._dq(batch.tp)
            if self.idempotence is not None:
                self._insert_in_sequence_order(dq, batch)
            else:
                dq.appendleft(batch)

    def _dq(self, tp: TopicPartition) -> deque[ProducerBatch]:
        info = self._topic_info(tp[0])
        dq = info.batches.get(tp[1])
        if dq is None:
            dq = info.batches[tp[1]] = deque()
        return dq

    @staticmethod
    def _insert_in_sequence_order(dq: deque[ProducerBatch], batch: ProducerBatch) -> None:
        # insertInSequenceOrder: in front of the first batch without a sequence or with a
        # larger one.
        if not batch.has_sequence():
            raise ValueError(f"re-enqueueing {batch} without a sequence under idempotence")
        ahead: list[ProducerBatch] = []
        while dq and dq[0].has_sequence() and dq[0].base_sequence < batch.base_sequence:
            ahead.append(dq.popleft())
        dq.appendleft(batch)
        for b in reversed(ahead):
            dq.appendleft(b)

    def split_and_reenqueue(self, big: ProducerBatch) -> list[ProducerBatch]:
        """``splitAndReenqueue``: re-append a refused batch's records into batches of at most
        ``batch.size`` (each keeps the original creation time, so KIP-91 still counts from the
        first attempt), put them at the head of the queue, and point the old batch's records at
        their new places. Under idempotence the new batches take the old batch's sequences.

        Unlike Java, a batch that ``batch.size`` would give back whole (a topic whose
        ``max.message.bytes`` is below it) is split in halves instead: whole, it would be
        refused again until ``delivery.timeout.ms`` failed its records."""
        with self.lock:
            self.retire_lanes()
            pieces, places = self._split(big, self.batch_size)
            if len(pieces) == 1 and big.record_count > 1:  # two pieces, each with its header
                pieces, places = self._split(big, (big.size_in_bytes + RECORD_BATCH_OVERHEAD) // 2)
            # The pieces share the big batch's memory reservation; the last one to finish frees it.
            pieces[0].reserved = big.reserved
            big.reserved = 0
            idem = self.idempotence
            if big.has_sequence():
                sequence = big.base_sequence
                for piece in pieces:
                    piece.set_producer_state(
                        big.producer_id, big.producer_epoch, sequence, big.is_transactional
                    )
                    sequence += piece.record_count
            dq = self._dq(big.tp)
            for piece in reversed(pieces):
                self.incomplete.add(piece)
                if idem is not None and piece.has_sequence():
                    idem.add_inflight_batch(piece)
                    self._insert_in_sequence_order(dq, piece)
                else:
                    dq.appendleft(piece)
            self.incomplete.discard(big)
            big.moved(places)
            return pieces

    def _split(
        self, big: ProducerBatch, size: int
    ) -> tuple[list[ProducerBatch], list[tuple[ProducerBatch, int]]]:
        # ``big``'s records in new batches of at most ``size`` bytes (at least one record
        # each), and where each record went; nothing is queued yet.
        pieces: list[ProducerBatch] = []
        places: list[tuple[ProducerBatch, int]] = []
        current: ProducerBatch | None = None
        for timestamp, key, value, headers in big.iter_records():
            if current is not None:
                index = current.builder.append(key, value, timestamp, headers)
                if index >= 0:
                    places.append((current, index))
                    continue
                current.closed = True
            builder = BatchBuilder(
                batch_size=size,
                compression=self.compression,
                compression_level=self.compression_level,
            )
            current = ProducerBatch(
                big.topic, big.partition, builder, big.created_ms, is_split=True
            )
            builder.append(key, value, timestamp, headers)
            places.append((current, 0))
            pieces.append(current)
        if current is not None:
            current.closed = True
        return pieces, places

    def expired_batches(self, now_ms: int) -> list[ProducerBatch]:
        """``expiredBatches``: queued batches past ``delivery.timeout.ms``, oldest first per
        partition (they are removed from their queues)."""
        with self.lock:
            expired: list[ProducerBatch] = []
            timeout = self.delivery_timeout_ms
            for info in self._topics.values():
                for dq in info.batches.values():
                    while dq:
                        batch = dq[0]
                        if batch.has_reached_delivery_timeout(timeout, now_ms):
                            if batch.topic in self.lanes:
                                self._retire_lane(batch.topic)
                            dq.popleft()
                            batch.closed = True
                            expired.append(batch)
                        else:
                            self.note_expiry(batch)
                            break
            return expired

    def note_expiry(self, batch: ProducerBatch) -> None:
        self._next_expiry_ms = min(
            self._next_expiry_ms, batch.created_ms + self.delivery_timeout_ms
        )

    def reset_next_expiry(self) -> None:
        self._next_expiry_ms = _FOREVER

    @property
    def next_expiry_ms(self) -> int:
        return self._next_expiry_ms

    # --- completion and shutdown -------------------------------------------------------------

    def deallocate(self, batch: ProducerBatch) -> None:
        """A batch is finished: forget it and give its memory back."""
        with self.lock:
            self.incomplete.discard(batch)
            if batch.reserved:
                self.pool.release(batch.reserved)
                batch.reserved = 0

    def has_undrained(self) -> bool:
        with self.lock:
            return any(dq for info in self._topics.values() for dq in info.batches.values())

    def has_incomplete(self) -> bool:
        return bool(self.incomplete)

    def queued_batches(self) -> list[ProducerBatch]:
        with self.lock:
            return [b for info in self._topics.values() for dq in info.batches.values() for b in dq]

    def abort_batches(self, error: BaseException) -> list[ProducerBatch]:
        """``abortBatches``: fail every incomplete batch, sent or not."""
        with self.lock:
            self.retire_lanes()
            batches = list(self.incomplete)
            for info in self._topics.values():
                for dq in info.batches.values():
                    dq.clear()
            for batch in batches:
                batch.closed = True
                batch.complete_exceptionally(error)
                self.deallocate(batch)
            return batches

    def abort_undrained_batches(self, error: BaseException) -> list[ProducerBatch]:
        """``abortUndrainedBatches``: fail the batches still queued and never sent."""
        with self.lock:
            self.retire_lanes()
            aborted = []
            for info in self._topics.values():
                for dq in info.batches.values():
                    keep = [b for b in dq if b.has_sequence() or b.attempts]
                    for b in dq:
                        if not (b.has_sequence() or b.attempts):
                            aborted.append(b)
                    dq.clear()
                    dq.extend(keep)
            for batch in aborted:
                batch.closed = True
                batch.complete_exceptionally(error)
                self.deallocate(batch)
            return aborted

    def close(self) -> None:
        """No more appends; every queued batch becomes sendable."""
        with self.lock:
            self.retire_lanes()
            self.closed = True
