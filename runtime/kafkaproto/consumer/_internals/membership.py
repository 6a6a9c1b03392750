"""What both group protocols share: the work a membership may only do inside the
application's own consumer call, and the host interface the engine offers them.

A membership (:mod:`~kafkaproto.consumer._internals.classic_membership`,
:mod:`~kafkaproto.consumer._internals.consumer_membership`) runs as background tasks: heartbeats,
JoinGroup/SyncGroup or ConsumerGroupHeartbeat round trips go on while the application works
between two polls (Java's heartbeat thread, or the KIP-848 consumer's network thread). But what
changes what the application sees — committing its consumed positions before partitions are
revoked, changing the assignment, running its ``ConsumerRebalanceListener`` — happens only
inside ``poll``, ``close`` or ``unsubscribe``, as in Java: the positions committed are then
those of records the application has finished with (at-least-once), and the listener runs on
the application's thread. :class:`AppQueue` is that hand-over: a membership task awaits
:meth:`AppQueue.run` or :meth:`AppQueue.listener`; the engine runs queued steps in the
application's next call, and the consumer's face runs listener calls (on the calling thread for
the blocking ``Consumer``, which cannot call back into a running event loop).

This module must never import the engine.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import inspect
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from kafkaproto.cluster import ClusterClient
from kafkaproto.consumer._internals.coordinator import ConsumerCoordinator
from kafkaproto.consumer._internals.subscription_state import SubscriptionState
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.record import TopicPartition

__all__ = [
    "AppQueue",
    "GroupHost",
    "ListenerCall",
    "ListenerMethod",
    "random_member_id",
    "sorted_partitions",
]

log = logging.getLogger(__name__)


class ListenerMethod(enum.Enum):
    REVOKED = "on_partitions_revoked"
    ASSIGNED = "on_partitions_assigned"
    LOST = "on_partitions_lost"


def sorted_partitions(partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
    """Java's ``TopicPartitionComparator`` order (listeners get a SortedSet)."""
    return sorted(set(partitions), key=lambda tp: (tp.topic, tp.partition))


@dataclass(slots=True)
class ListenerCall:
    """One rebalance listener method to run in the application's call; ``done`` is completed
    with the exception it raised (or None)."""

    method: ListenerMethod
    partitions: list[TopicPartition]
    done: asyncio.Future[BaseException | None]

    def run(self, listener: Any) -> Awaitable[Any] | None:
        """Call the method; returns what it returned (a coroutine for async listeners)."""
        method = getattr(listener, self.method.value, None)
        if method is None:
            if self.method is ListenerMethod.LOST:  # Java's default: onPartitionsRevoked
                method = getattr(listener, ListenerMethod.REVOKED.value, None)
            if method is None:
                return None
        log.info("%s(%s)", self.method.value, ", ".join(map(str, self.partitions)) or "none")
        result: Awaitable[Any] | None = method(list(self.partitions))
        return result if inspect.isawaitable(result) else None

    def finish(self, error: BaseException | None) -> None:
        if error is not None:
            log.error(
                "User provided listener %s failed for partitions %s",
                self.method.value,
                [str(tp) for tp in self.partitions],
                exc_info=error,
            )
        if not self.done.done():
            self.done.set_result(error)


@dataclass(slots=True)
class _Step:
    run: Callable[[], Any]
    done: asyncio.Future[Any]


class AppQueue:
    """Steps and listener calls waiting for the application's next consumer call, in order."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._items: deque[_Step | ListenerCall] = deque()
        self._wake = wake
        #: The listener of the current subscription (None: listener calls complete at once).
        self.listener: Any = None

    def __bool__(self) -> bool:
        return bool(self._items)

    async def run(self, step: Callable[[], object]) -> Any:
        """Run ``step`` (a plain or async function) inside the application's next (or current)
        consumer call; returns what it returned."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._items.append(_Step(step, done))
        self._wake()
        return await done

    async def listener_call(
        self, method: ListenerMethod, partitions: Iterable[TopicPartition]
    ) -> BaseException | None:
        """Run the listener's ``method`` in the application's call; returns the exception it
        raised. Nothing happens without a listener."""
        if self.listener is None:
            return None
        done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._items.append(ListenerCall(method, sorted_partitions(partitions), done))
        self._wake()
        return await done

    async def run_steps(self) -> None:
        """Run the queued steps up to the first listener call (the engine, inside a call)."""
        while self._items and isinstance(self._items[0], _Step):
            step = self._items.popleft()
            assert isinstance(step, _Step)
            if step.done.done():
                continue  # the task that queued it was cancelled (the member left)
            try:
                result = step.run()
                if inspect.isawaitable(result):
                    result = await result
            except Exception as exc:  # handed to the task that queued the step
                if not step.done.done():
                    step.done.set_exception(exc)
            else:
                if not step.done.done():
                    step.done.set_result(result)

    def _drop_cancelled(self) -> None:
        while self._items and self._items[0].done.done():
            self._items.popleft()

    def has_listener_calls(self) -> bool:
        self._drop_cancelled()
        return bool(self._items) and isinstance(self._items[0], ListenerCall)

    def take_listener_calls(self) -> list[ListenerCall]:
        """The listener calls at the front of the queue (the face runs them, in order)."""
        out = []
        self._drop_cancelled()
        while self._items and isinstance(self._items[0], ListenerCall):
            call = self._items.popleft()
            assert isinstance(call, ListenerCall)
            if not call.done.done():
                out.append(call)
            self._drop_cancelled()
        return out

    def cancel_all(self) -> None:
        """The consumer closed: whatever waits here will not run."""
        while self._items:
            item = self._items.popleft()
            if not item.done.done():
                item.done.cancel()


class GroupHost(Protocol):
    """What the engine offers a group membership."""

    config: ConsumerConfig
    client: ClusterClient
    subscriptions: SubscriptionState
    app: AppQueue

    @property
    def coordinator(self) -> ConsumerCoordinator | None: ...

    def assignment_changed(self) -> None:
        """The assignment was changed: drop buffered data of partitions no longer owned."""
        ...

    async def commit_before_revocation(self, deadline: float) -> None:
        """Commit every consumed position if ``enable.auto.commit`` (Java's auto commit before a
        rebalance), retrying until ``deadline``; failures are logged, not raised."""
        ...

    def report(self, error: BaseException) -> None:
        """An error for the application: the next ``poll`` raises it."""
        ...

    def wake(self) -> None:
        """Something a waiting ``poll`` may care about happened."""
        ...

    def reset_auto_commit_timer(self) -> None: ...

    @property
    def polling(self) -> bool:
        """Whether the application is inside ``poll`` right now (it is not stalled)."""
        ...


def random_member_id() -> str:
    """Kafka's ``Uuid.randomUuid().toString()``: 16 random bytes, URL-safe base64 without
    padding, never starting with '-' (KIP-1082: KIP-848 members choose their own id)."""
    while True:
        raw = os.urandom(16)
        if raw == bytes(16) or raw == bytes(15) + b"\x01":  # ZERO_UUID, METADATA_TOPIC_ID
            continue
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        if not text.startswith("-"):
            return text
