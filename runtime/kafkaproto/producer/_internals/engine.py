"""``ProducerEngine``: the one producer engine both faces drive — accumulator, sender and
idempotence on one event loop, with appends allowed from any thread.

Java's ``KafkaProducer.doSend`` in two halves. ``append`` does what needs no waiting: the
closed/fatal checks, the size checks (``ensureValidRecordSize``), the partition (the record's
own, murmur2 of the key, or the sticky partitioner) and ``RecordAccumulator.append``; it answers
where the record went, or ``Blocked.METADATA`` / ``Blocked.MEMORY`` when the topic's metadata is
unknown or ``buffer.memory`` has no room for the new batch the record needs. The faces then wait
the way their callers wait — a thread on ``wait_blocking`` (Java's ``waitOnMetadata`` and
``BufferPool.allocate``), a coroutine on ``wait_async`` — and call ``append`` again, so the
caller appends its own record once there is room, and memory is waited for once per batch, not
per record: one batch's release wakes one waiter, which fills a whole batch before it can need
memory again. While anyone waits for memory every queued batch is sendable (Java's ready check
when the pool has waiters).

Threads: the engine lives on one event loop (``start`` binds it). ``append``/``lane_append`` run
under ``lock`` from any thread; everything else (``flush``, ``close``, the sender) runs on the
loop. This module must never block the loop: ``wait_blocking`` refuses to wait on the loop's own
thread (a callback sending into a full buffer fails at once instead of dead-locking).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
from kafkaproto.producer._internals.batch import ProducerBatch
from kafkaproto.producer._internals.engine_core import Blocked, EngineCore, Placed, release
from kafkaproto.producer._internals.transactions import TransactionalRequestResult
from kafkaproto.producer.errors import ProducerClosedError, TransactionTimeoutError
from kafkaproto.producer.metadata import PartitionInfo

__all__ = ["Blocked", "Placed", "ProducerEngine"]

log = logging.getLogger(__name__)

# KafkaProducer's timeout messages for the transactional calls.
_INIT_TXN_TIMEOUT = (
    "InitTransactions timed out - did not complete coordinator discovery or receive the "
    "InitProducerId response within max.block.ms."
)
_SEND_OFFSETS_TIMEOUT = (
    "SendOffsetsToTransaction timed out - did not reach the coordinator or receive the "
    "TxnOffsetCommit/AddOffsetsToTxn response within max.block.ms"
)
_COMMIT_TIMEOUT = (
    "CommitTransaction timed out - did not complete EndTxn with the transaction coordinator "
    "within max.block.ms"
)
_ABORT_TIMEOUT = (
    "AbortTransaction timed out - did not complete EndTxn(abort) with the transaction "
    "coordinator within max.block.ms"
)


def _ignore(_value: object) -> None:
    """Drop a value (a waiter's callable must return None)."""


def _group_metadata(group: ConsumerGroupMetadata | str) -> ConsumerGroupMetadata:
    # KafkaProducer.throwIfInvalidGroupMetadata; a bare group id is Java's deprecated
    # sendOffsetsToTransaction(offsets, String) (no member: no zombie fencing by generation).
    if isinstance(group, str):
        return ConsumerGroupMetadata(group)
    if not isinstance(group, ConsumerGroupMetadata):
        raise TypeError(
            "group_metadata must be a ConsumerGroupMetadata or a group id, not "
            f"{type(group).__name__}"
        )
    if group.generation_id > 0 and group.member_id == "":
        raise ValueError(
            f"Passed in group metadata {group} has generationId > 0 but the member.id is unknown"
        )
    return group


class ProducerEngine(EngineCore):
    """See the module docstring. ``transport`` defaults to a cluster client for
    ``bootstrap.servers``, owned (and closed) by the engine. ``EngineCore``'s synchronous steps
    (appends, a thread's waits, the hand-offs to waiters) are compiled; the coroutines are
    here."""

    async def wait_async(self, blocked: Blocked, topic: str, deadline: float) -> bool:
        """``wait_blocking`` for a coroutine on the engine's loop (without ``lock`` held).
        Memory waiters are served first come, first served: one release wakes the longest
        waiter, which wakes the next once it has appended (``served``)."""
        left = deadline - time.monotonic()
        if left <= 0 or self.closing:
            return False
        loop = self.start()
        waiter: asyncio.Future[None] = loop.create_future()
        memory = blocked is Blocked.MEMORY
        if memory:
            self._memory_waiters.append(waiter)
            self._memory_waiters_changed()
        else:
            self._metadata_waiters.append(waiter)
            self.sender.request_metadata(topic)
        # At the deadline the waiter is simply released, as memory or metadata would: the caller
        # tries again and the next wait, with no time left, says False. (A timer rather than an
        # asyncio.timeout: a blocked send waits here once per batch.)
        timer = loop.call_later(left, release, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            if memory:
                try:
                    self._memory_waiters.remove(waiter)
                except ValueError:
                    pass
                self._memory_waiters_changed()
            elif not waiter.done():
                self._metadata_waiters.remove(waiter)
        return True

    async def partitions_for(self, topic: str) -> tuple[PartitionInfo, ...]:
        """The topic's partitions, waiting up to ``max.block.ms`` for its metadata (Java's
        ``partitionsFor``)."""
        deadline = time.monotonic() + self.config.max_block_ms / 1000
        while True:
            if self.closing:
                raise ProducerClosedError("Cannot perform operation after producer has been closed")
            meta = self.sender.cluster.topics.get(topic)
            if meta is not None and meta.partitions:
                return meta.partitions
            if meta is not None and meta.error is not None and not meta.error.retriable:
                raise meta.error
            if not await self.wait_async(Blocked.METADATA, topic, deadline):
                raise self.timeout_error(Blocked.METADATA, topic, 0)

    async def _await_result(self, result: TransactionalRequestResult, reason: str) -> None:
        # TransactionalRequestResult.await(max.block.ms): a timed-out result stays pending, so
        # the same call made again waits for it.
        loop = self.start()
        self.sender.wakeup()
        if not result.completed:
            done: asyncio.Future[None] = loop.create_future()

            def settle() -> None:
                if not done.done():
                    done.set_result(None)

            result.add_waiter(lambda: _ignore(loop.call_soon_threadsafe(settle)))
            ms = self.config.max_block_ms
            try:
                async with asyncio.timeout(ms / 1000):
                    await asyncio.shield(done)
            except TimeoutError:
                raise TransactionTimeoutError(
                    f"Timeout expired after {ms}ms while awaiting {result.operation}. {reason}"
                ) from None
        result.acked = True
        if result.error is not None:
            raise result.error

    async def init_transactions(self) -> None:
        """Java's ``initTransactions``: fence older producers with this transactional.id and
        finish their transaction, get the producer id and epoch, learn the transaction
        version. Waits up to ``max.block.ms``."""
        txn = self._txn()
        with self.lock:
            result = txn.initialize_transactions()
        await self._await_result(result, _INIT_TXN_TIMEOUT)
        with self.lock:
            txn.maybe_update_transaction_v2(True, *self._features())

    async def send_offsets_to_transaction(
        self,
        offsets: Mapping[tuple[str, int], OffsetAndMetadata | int],
        group_metadata: ConsumerGroupMetadata | str,
    ) -> None:
        """Java's ``sendOffsetsToTransaction`` (KIP-447): commit the consumer's ``offsets``
        (the next offset to read per partition) with this transaction."""
        group = _group_metadata(group_metadata)
        txn = self._txn()
        if not offsets:
            return
        plain = {
            (str(t), int(p)): o if isinstance(o, OffsetAndMetadata) else OffsetAndMetadata(int(o))
            for (t, p), o in offsets.items()
        }
        with self.lock:
            result = txn.send_offsets_to_transaction(plain, group)
        await self._await_result(result, _SEND_OFFSETS_TIMEOUT)

    async def commit_transaction(self) -> None:
        """Java's ``commitTransaction``: flush, then EndTxn(commit); waits up to
        ``max.block.ms``. A failed record makes the transaction abortable first."""
        txn = self._txn()
        with self.lock:
            result = txn.begin_commit(*self._features())
            self.accumulator.retire_lanes()
        await self._await_result(result, _COMMIT_TIMEOUT)

    async def abort_transaction(self) -> None:
        """Java's ``abortTransaction``: queued records fail with ``TransactionAbortedError``,
        sent ones are aborted by EndTxn(abort); waits up to ``max.block.ms``."""
        txn = self._txn()
        log.info("Aborting incomplete transaction")
        with self.lock:
            result = txn.begin_abort(*self._features())
            self.accumulator.retire_lanes()
        await self._await_result(result, _ABORT_TIMEOUT)

    # --- flush and close: the loop -------------------------------------------------------------

    async def flush(self) -> None:
        """Make every queued record sendable now and wait until each record appended before this
        call completed (successfully or not). Java's ``flush``."""
        self.start()
        acc = self.accumulator
        acc.flushes_in_progress += 1
        self.sender.wakeup()
        try:
            with self.lock:
                batches = list(acc.incomplete)
            await self._wait_batches(batches)
        finally:
            acc.flushes_in_progress -= 1

    async def _wait_batches(self, batches: list[ProducerBatch]) -> None:
        loop = self.start()
        while batches:
            batch = batches.pop()
            if batch.done:
                continue
            if batch.moved_to is not None:
                batches.extend({id(b): b for b, _ in batch.moved_to}.values())
                continue
            waiter = loop.create_future()
            batch.add_waiter(lambda w=waiter: release(w))  # type: ignore[misc]
            await waiter
            batches.append(batch)  # re-check: it may have been split

    async def close(self, timeout: float | None = None) -> None:
        """Stop accepting records (waiting senders fail with ``ProducerClosedError``), send
        what is queued within ``timeout`` seconds (None: ``delivery.timeout.ms`` plus
        ``request.timeout.ms``, after which every record has been acknowledged or expired
        anyway), fail what is left with ``ProducerClosedError`` and stop. Never hangs."""
        if self.closed:
            return
        with self.lock:
            self.closing = True
            self.accumulator.retire_lanes()  # later sends take the full path and fail there
        if self.loop is None:
            self.closed = True
            return
        self._wake_all_waiters()
        if timeout is None:
            timeout = (self.config.delivery_timeout_ms + self.config.request_timeout_ms) / 1000
        try:
            async with asyncio.timeout(timeout):
                await self.flush()
                self.accumulator.close()
                while self.accumulator.has_incomplete() or self.sender.has_inflight():
                    with self.lock:
                        batches = list(self.accumulator.incomplete)
                    await self._wait_batches(batches)
                    await asyncio.sleep(0.001)
                await self._abort_open_transaction()
        except TimeoutError:
            log.warning("close(): timed out after %.3f s; failing what is left", timeout)
        except asyncio.CancelledError:
            # The task closing us was cancelled: stop now rather than leave the sender running.
            await asyncio.shield(self._force_close())
            raise
        await self._force_close()

    async def _abort_open_transaction(self) -> None:
        # Sender.run's shutdown: a transaction still open (not being committed or aborted)
        # is aborted, and the producer waits for it to end.
        txn = self.transactions
        if txn is None:
            return
        with self.lock:
            if not txn.has_ongoing_transaction:
                return
            if not txn.is_completing:
                log.info("Aborting incomplete transaction due to shutdown")
                try:
                    txn.begin_abort(*self._features())
                except Exception as exc:  # an error state: nothing more to do but close
                    log.error("Error aborting the transaction while closing: %r", exc)
                    return
        self.sender.wakeup()
        while txn.has_ongoing_transaction and not txn.has_fatal_error:
            await asyncio.sleep(0.005)

    async def _force_close(self) -> None:
        if self.transactions is not None:
            with self.lock:
                self.transactions.close()
        self.accumulator.close()
        self.sender.abort_all(ProducerClosedError("Producer is closed forcefully."))
        self.sender.stop()
        task = self._task
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._owned_transport is not None:
            await self._owned_transport.close()
        self.closed = True
        self._wake_all_waiters()
