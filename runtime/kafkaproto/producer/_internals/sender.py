"""The sender: an asyncio task that turns ready batches into Produce requests and their responses
into completed, retried, split or failed batches (Java's ``Sender``).

Each round (``Sender.runOnce``/``sendProducerData``): resolve idempotence state and ask for a
producer id if needed; ask the accumulator which leaders have sendable data; drain at most one
batch per partition for every leader with room for another request
(``max.in.flight.requests.per.connection``); expire batches past ``delivery.timeout.ms``; send one
ProduceRequest per broker (v13 with topic ids when the brokers support it and every topic id is
known, else by name), written at once through the transport's ``send_nowait`` when its connection
has room (the response handled in a callback), else by a task that waits for the connection or a
slot (the transport's ``write``); drain and send again while a leader has room and ready batches
(the turns Java's sender would take at once); then sleep until linger, backoff or expiry wakes it,
or until a send, response or metadata update does. Responses follow ``Sender.completeBatch``:
MESSAGE_TOO_LARGE splits, retriable errors are retried with exponential backoff until ``retries``
or the delivery timeout, invalid-metadata errors refresh metadata, DUPLICATE_SEQUENCE_NUMBER is
success, anything else fails the batch's records with the typed ``KafkaError``.

All network access goes through ``ProducerTransport``; this module must never open sockets or
block the loop, and all engine state is touched from the loop's thread only.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TypeVar

from kafkaproto.error_codes import (
    UnsupportedVersionError,
    error_for_code,
)
from kafkaproto.errors import KafkaProtoError
from kafkaproto.message import ApiResponse
from kafkaproto.producer._internals import txn_requests
from kafkaproto.producer._internals.batch import INVALID_OFFSET, ProducerBatch
from kafkaproto.producer._internals.idempotence import InitProducerIdOutcome
from kafkaproto.producer._internals.sender_core import (
    IDLE_MS,
    INIT_PRODUCER_ID_API_KEY,
    INT_MAX,
    PRODUCE_API_KEY,
    SenderCore,
    SenderSettings,
)
from kafkaproto.producer._internals.transactions import TxnRequestHandler
from kafkaproto.producer.record import NO_TIMESTAMP

__all__ = ["PRODUCE_API_KEY", "Sender", "SenderSettings"]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=ApiResponse)


class Sender(SenderCore):
    """See the module docstring. ``run()`` is the loop; ``stop()``/``force_close()`` end it.
    The synchronous steps (draining, building requests, completing batches) are
    ``SenderCore``'s, compiled; the coroutines are here."""

    async def run(self) -> None:
        self.running = True
        loop = asyncio.get_running_loop()
        metadata_task = loop.create_task(self._metadata_loop())
        wakeup = self._wakeup
        try:
            while self.running:
                wakeup.clear()
                delay_ms = self._run_once()
                if self._deadlines:
                    left = self._expire_requests(loop.time())
                    if left is not None:
                        delay_ms = min(delay_ms, math.ceil(left * 1000))
                if delay_ms <= 0 or wakeup.is_set():
                    await asyncio.sleep(0)  # let the loop run once (responses, sends), then go on
                    continue
                # Sleep until woken or the delay has passed: a timer that sets the event. (An
                # asyncio.timeout costs a context manager per turn and, when it expires, as the
                # linger.ms wake-ups do, a cancellation raised through this coroutine.)
                timer = loop.call_later(delay_ms / 1000, wakeup.set) if delay_ms < IDLE_MS else None
                try:
                    await wakeup.wait()
                finally:
                    if timer is not None:
                        timer.cancel()
        finally:
            metadata_task.cancel()
            for task in list(self._tasks):
                task.cancel()

    async def _metadata_loop(self) -> None:
        backoff = self.settings.retry_backoff_ms / 1000
        while True:
            await self._metadata_wanted.wait()
            self._metadata_wanted.clear()
            topics = sorted(self.topics)
            try:
                async with asyncio.timeout(self.settings.request_timeout_ms / 1000):
                    snapshot = await self.transport.metadata_for(topics)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the transport's failure: try again after the backoff
                log.warning("metadata request for %s failed: %r", topics, exc)
                self.metadata_error = exc
                self._metadata_wanted.set()
            else:
                self.cluster = snapshot
                self.metadata_error = None
                self._metadata_updated_ms = self.now_ms()
                if self._produce_version is None:
                    await self._learn_produce_version()
                self.on_metadata()
                self.wakeup()
            await asyncio.sleep(backoff)

    async def _learn_produce_version(self) -> None:
        # Known before the first Produce request, it lets that request be written at once.
        # Nothing here may hold back the metadata just fetched (a failure, e.g. an
        # authentication error, is the first request's to report: its task asks again).
        try:
            async with asyncio.timeout(self.settings.request_timeout_ms / 1000):
                self._produce_version = await self.transport.api_version(PRODUCE_API_KEY)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("the Produce version is not known yet: %r", exc)

    async def _init_producer_id(self) -> None:
        idem = self.idempotence
        assert idem is not None
        try:
            # Inside the try: api_version connects first, and a failed connection must send the
            # producer back to UNINITIALIZED to retry (it used to end this task and leave the
            # producer INITIALIZING, never sending again).
            version = await self.transport.api_version(INIT_PRODUCER_ID_API_KEY)
            if version is None:
                idem.transition_to_fatal(UnsupportedVersionError("InitProducerId is not supported"))
                self.wakeup()
                return
            # bumpIdempotentEpochAndResetIdIfNeeded: no transactional id, MAX_VALUE timeout.
            version = min(version, txn_requests.max_version(INIT_PRODUCER_ID_API_KEY, tv2=False))
            request = txn_requests.init_producer_id(version, None, INT_MAX)
            async with asyncio.timeout(self.settings.request_timeout_ms / 1000):
                response = await self.transport.send(None, request, version, expect_response=True)
            if response is None:
                raise AssertionError("the transport answered a request with no response")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("InitProducerId failed: %r; retrying", exc)
            await asyncio.sleep(self.settings.retry_backoff_ms / 1000)
            idem.init_producer_id_failed(exc)
            self.wakeup()
            return
        outcome = idem.handle_init_producer_id(
            response.error_code, response.producer_id, response.producer_epoch
        )
        if outcome is InitProducerIdOutcome.RETRY:
            await asyncio.sleep(self.settings.retry_backoff_ms / 1000)
            idem.init_producer_id_failed(error_for_code(response.error_code))
        elif outcome is InitProducerIdOutcome.ABORT_BATCHES:
            assert idem.last_error is not None
            self.abort_all(idem.last_error)
        self.wakeup()

    async def _send_transactional(self, handler: TxnRequestHandler[R], node: int | None) -> None:
        tm = self.transactions
        assert tm is not None
        lock = self.accumulator.lock
        try:
            if handler.is_retry:
                await asyncio.sleep(handler.retry_backoff_ms() / 1000)
            version = await self.transport.api_version(handler.api_key)
            if version is None:
                with lock:
                    tm.in_flight = None
                    handler.fatal_error(
                        UnsupportedVersionError(
                            f"the brokers do not support API {handler.api_key} "
                            f"({type(handler).__name__})"
                        )
                    )
                return
            if handler.coordinator_type() == txn_requests.COORDINATOR_TRANSACTION:
                tm.handle_coordinator_ready(
                    await self.transport.api_version(txn_requests.INIT_PRODUCER_ID)
                )
            version = min(version, handler.max_version())
            with lock:
                request = handler.build(version)
            async with asyncio.timeout(self.settings.request_timeout_ms / 1000):
                response = await self.transport.send(node, request, version, expect_response=True)
            if response is None:
                raise AssertionError("the transport answered a request with no response")
        except asyncio.CancelledError:
            raise
        except UnsupportedVersionError as exc:
            with lock:
                tm.in_flight = None
                handler.fatal_error(exc)
        except Exception as exc:
            # Disconnected or timed out: find the coordinator again and retry (Java's
            # onComplete for wasDisconnected).
            log.debug("transactional request %r failed: %r; retrying", handler, exc)
            with lock:
                tm.in_flight = None
                if handler.needs_coordinator:
                    kind = handler.coordinator_type()
                    assert kind is not None
                    tm.lookup_coordinator(kind, handler.coordinator_key())
                handler.reenqueue()
        else:
            with lock:
                tm.in_flight = None
                try:
                    handler.handle_response(response)
                except Exception as exc:  # an invalid transition poisoned the state
                    log.error("transactional response handling failed: %r", exc)
                    if not handler.result.completed:
                        handler.result.fail(exc)
        finally:
            self.wakeup()

    async def _produce(self, node: int, batches: list[ProducerBatch]) -> None:
        expect = self.settings.acks != 0
        task = asyncio.current_task()
        assert task is not None
        try:
            try:
                # Bounded by request.timeout.ms from when it was drained (_expire_requests).
                negotiated = await self.transport.api_version(PRODUCE_API_KEY)
                self._produce_version = negotiated  # later requests may go at once
                request, version = self._build_request(batches, negotiated)
                write = self._write
                if expect and write is not None:
                    pending = await write(node, request, version)
                    self._written(node, task)  # later ones may go at once
                    response = await pending
                else:
                    response = await self.transport.send(
                        node, request, version, expect_response=expect
                    )
            except asyncio.CancelledError:
                if task not in self._timed_out:  # (its done-callback takes it out)
                    raise
                task.uncancel()  # the timeout is handled here
                self._request_timed_out(node, batches)
                return
            except (OSError, ConnectionError, KafkaProtoError) as exc:
                self._request_failed(node, batches, exc)
                return
            if response is None:
                # acks=0: done once written; no offset (Sender.handleProduceResponse).
                for batch in batches:
                    self.complete_batch(batch, 0, INVALID_OFFSET, NO_TIMESTAMP)
                return
            self._handle_response(response, batches)
        finally:
            self._request_ended(node)
