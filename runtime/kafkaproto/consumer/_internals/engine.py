"""``ConsumerEngine``: the one consumer engine both faces drive — Java's ``ClassicKafkaConsumer``
minus group membership: the sans-I/O state (:class:`SubscriptionState`, :class:`Fetcher`) and the
asyncio that moves it (the cluster client's connections, one task per request in flight).

Everything happens inside the engine's calls, on the loop that runs them, as in Java's classic
consumer: ``poll`` brings positions up to date (KIP-320 validation after a leader change,
committed offsets for a ``group.id``, ``auto.offset.reset`` through ListOffsets), hands out what
the fetcher has buffered, and before returning sends the next fetches so they travel while the
application works (prefetching). Requests still in flight when a call returns complete during
the next call. Nothing else runs between calls: a blocking face can therefore drive the engine on
a private event loop in the caller's own thread.

Errors found by requests running in the background (an authorization failure on ListOffsets, a
log truncation under ``auto.offset.reset=none``) are kept and raised by the next ``poll``, as
Java does. ``wakeup()`` is the only method safe from another thread: the blocking call in
progress (or the next one) raises ``WakeupError``.

Group membership follows ``subscribe``: a membership of the configured ``group.protocol``
(:mod:`~kafkaproto.consumer._internals.classic_membership` or
:mod:`~kafkaproto.consumer._internals.consumer_membership`) runs its heartbeats and rebalance round
trips as tasks, and hands what must happen inside the application's call — committing the consumed
positions before a revocation, changing the assignment — to :class:`AppQueue`, whose steps ``poll``,
``close`` and ``unsubscribe`` run. Rebalance listener calls go back to the face that called
(``take_listener_calls``), which runs them on the application's thread or task and calls again:
those methods return early when listener calls are waiting. Completed ``commit_async`` callbacks run
in the next ``poll``, ``commit_sync`` or ``close``, as in Java.

This module must never decode records or build request objects (the fetcher,
:mod:`kafkaproto.consumer._internals.requests` and
:mod:`kafkaproto.consumer._internals.group_requests` do) and never block its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Final, TypeVar
from uuid import UUID

from kafkaproto.cluster import ClusterClient, ClusterClientConfig
from kafkaproto.cluster_config import inherited_settings
from kafkaproto.consumer._internals import requests
from kafkaproto.consumer._internals.classic_membership import ClassicMembership
from kafkaproto.consumer._internals.consumer_membership import ConsumerMembership
from kafkaproto.consumer._internals.coordinator import ConsumerCoordinator, require_group
from kafkaproto.consumer._internals.fetch_session import FetchRequestData
from kafkaproto.consumer._internals.fetcher import Fetcher
from kafkaproto.consumer._internals.membership import AppQueue, ListenerCall
from kafkaproto.consumer._internals.subscription_state import (
    FetchPosition,
    FetchState,
    LeaderAndEpoch,
    SubscriptionState,
    SubscriptionType,
)
from kafkaproto.consumer.config import ConsumerConfig, OffsetResetStrategy
from kafkaproto.consumer.errors import (
    ConsumerClosedError,
    ConsumerError,
    ConsumerTimeoutError,
    LogTruncationError,
    NoOffsetForPartitionError,
    WakeupError,
)
from kafkaproto.consumer.record import (
    ConsumerRecords,
    OffsetAndMetadata,
    OffsetAndTimestamp,
    TopicPartition,
)
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
from kafkaproto.error_codes import KafkaError, UnknownTopicOrPartitionError, error_for_code
from kafkaproto.errors import (
    ApiVersionError,
    KafkaConnectionError,
    KafkaProtoError,
    ProtocolError,
    RequestTimeoutError,
)
from kafkaproto.group_metadata import ConsumerGroupMetadata
from kafkaproto.protocol import DEFAULT_MAX_FRAME_SIZE

__all__ = ["CommitCallback", "ConsumerEngine", "client_config_for"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``commit_async``'s callback: the offsets and None, or the offsets and the error.
CommitCallback = Callable[[Mapping[TopicPartition, OffsetAndMetadata], BaseException | None], Any]

EARLIEST_TIMESTAMP: Final = -2
LATEST_TIMESTAMP: Final = -1
_EARLIEST: Final = OffsetResetStrategy("earliest")
_LATEST: Final = OffsetResetStrategy("latest")
_NETWORK_ERRORS: Final = (KafkaConnectionError, RequestTimeoutError)
# OffsetForLeaderEpoch below v3 cannot be sent by a consumer (Java skips validation then).
_MIN_VALIDATION_VERSION: Final = 3


def client_config_for(config: ConsumerConfig) -> ClusterClientConfig:
    """The cluster client's settings from the consumer's (Java's names, Java's values). The
    largest response accepted is above ``fetch.max.bytes``, since one batch may exceed the
    fetch sizes (KIP-74)."""
    return ClusterClientConfig(
        inherited_settings(config),
        request_timeout_ms=max(config.request_timeout_ms, 1),
        allow_auto_create_topics=config.allow_auto_create_topics,
        max_frame_size=max(DEFAULT_MAX_FRAME_SIZE, config.fetch_max_bytes + (1 << 20)),
    )


def _reset_timestamp(strategy: OffsetResetStrategy, now_ms: int) -> int:
    if strategy.kind == "earliest":
        return EARLIEST_TIMESTAMP
    if strategy.kind == "by_duration":
        return now_ms - strategy.duration_ms
    return LATEST_TIMESTAMP


class ConsumerEngine:
    """See the module docstring. ``client`` defaults to a cluster client for
    ``bootstrap.servers``, owned (and closed) by the engine."""

    def __init__(
        self,
        config: ConsumerConfig,
        *,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
        client: ClusterClient | None = None,
    ) -> None:
        self.config = c = config
        self._owns_client = client is None
        self.client = client or ClusterClient(c.bootstrap_servers, client_config_for(c))
        self.subscriptions = SubscriptionState(c.reset_strategy)
        self.fetcher = Fetcher(
            c,
            self.subscriptions,
            key_deserializer=key_deserializer,
            value_deserializer=value_deserializer,
        )
        self.coordinator = (
            ConsumerCoordinator(
                self.client,
                c.group_id,
                topic_ids=self._topic_ids,
                group_instance_id=c.group_instance_id,
            )
            if c.group_id is not None
            else None
        )
        self._isolation_level = 1 if c.read_committed else 0
        self._auto_commit = self.coordinator is not None and c.enable_auto_commit
        self._next_auto_commit = 0.0
        self._pending_auto_commit: dict[TopicPartition, OffsetAndMetadata] = {}
        #: Group membership once ``subscribe`` was called (None: the consumer assigns).
        self.membership: ClassicMembership | ConsumerMembership | None = None
        #: Work for the application's next call (rebalance steps, listener calls).
        self.app = AppQueue(self._signal_progress)
        self._polling = False
        self._completed_commits: deque[
            tuple[CommitCallback, dict[TopicPartition, OffsetAndMetadata], BaseException | None]
        ] = deque()
        self._leave_task: asyncio.Task[None] | None = None
        # The OffsetFetch for positions in flight: (partitions, task).
        self._committed_fetch: (
            tuple[frozenset[TopicPartition], asyncio.Task[dict[TopicPartition, Any]]] | None
        ) = None
        self._close_task: asyncio.Task[None] | None = None
        self._close_deadline: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._progress: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wakeup_pending = False
        self._wakeup_waiters: set[asyncio.Future[None]] = set()
        self._background_errors: list[BaseException] = []
        self._leader_hints: dict[TopicPartition, LeaderAndEpoch] = {}
        self._started = False
        self._tracked_topics: set[str] = set()
        # Metadata snapshots (their fetch times) that found an assigned topic unknown.
        self._unknown_seen: dict[str, set[float]] = {}
        self.closed = False

    # --- loop binding and waiting --------------------------------------------------------------

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._progress = asyncio.Event()
        elif self._loop is not loop:
            raise ConsumerError("a consumer engine runs on the event loop that first used it")
        return loop

    def _now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def _check_open(self) -> None:
        if self.closed:
            raise ConsumerClosedError("This consumer has already been closed.")

    def _maybe_wakeup(self) -> None:
        if self._wakeup_pending:
            self._wakeup_pending = False
            raise WakeupError("the consumer was woken up")

    def wakeup(self) -> None:
        """Make the blocking call in progress (or the next one) raise ``WakeupError``; safe
        from any thread (Java's ``wakeup``)."""
        self._wakeup_pending = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake_waiters)

    def _wake_waiters(self) -> None:
        if self._progress is not None:
            self._progress.set()
        for waiter in self._wakeup_waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _signal_progress(self) -> None:
        if self._progress is not None:
            self._progress.set()

    async def _bounded(self, awaitable: Awaitable[T], deadline: float, what: str) -> T:
        """``awaitable`` until ``deadline`` (loop time): ``ConsumerTimeoutError`` after it,
        ``WakeupError`` on ``wakeup()``."""
        loop = self._bind()
        self._maybe_wakeup()
        task: asyncio.Future[T] = asyncio.ensure_future(awaitable)
        waker: asyncio.Future[None] = loop.create_future()
        self._wakeup_waiters.add(waker)
        try:
            done, _ = await asyncio.wait(
                (task, waker),
                timeout=max(deadline - loop.time(), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            self._wakeup_waiters.discard(waker)
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        self._maybe_wakeup()
        raise ConsumerTimeoutError(f"Timeout expired before {what}")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _deadline(self, timeout_s: float | None) -> float:
        loop = self._bind()
        if timeout_s is None:
            timeout_s = self.config.default_api_timeout_ms / 1000
        if timeout_s < 0:
            raise ValueError(f"The timeout cannot be negative: {timeout_s}")
        return loop.time() + timeout_s

    # --- metadata ------------------------------------------------------------------------------

    def _topic_ids(self) -> dict[str, UUID]:
        return {
            name: t.topic_id
            for name, t in self.client.metadata.topics.items()
            if t.topic_id is not None
        }

    def _topic_id(self, topic: str) -> UUID | None:
        return self.client.metadata.topic_id(topic)

    def leader_of(self, tp: TopicPartition) -> LeaderAndEpoch:
        """The partition's leader from the metadata, or a newer KIP-951 hint from a fetch."""
        meta = self.client.metadata
        t = meta.topics.get(tp.topic)
        p = t.partitions.get(tp.partition) if t is not None else None
        if p is None:
            leader = LeaderAndEpoch.no_leader()
        else:
            leader = LeaderAndEpoch(
                p.leader if p.leader >= 0 else None, p.leader_epoch if p.leader_epoch >= 0 else None
            )
        hint = self._leader_hints.get(tp)
        if hint is not None:
            if (leader.epoch is None or (hint.epoch or -1) > leader.epoch) and (
                hint.leader in meta.brokers
            ):
                return hint
            del self._leader_hints[tp]  # the metadata caught up
        return leader

    async def _ensure_metadata(self, deadline: float) -> None:
        """Start the client and have it track the assigned topics; raise
        ``UnknownTopicOrPartitionError`` for an assigned topic (or partition) that two metadata
        snapshots taken after the assignment did not know."""
        loop = self._bind()
        subs = self.subscriptions
        topics = subs.assigned_topics() | subs.subscription | subs.group_subscription
        # A pattern is matched against every topic: the client-side one here, the broker's
        # (KIP-848) names assigned topics by id only, resolved from the full metadata too.
        everything = subs.pattern is not None and "*" not in self._tracked_topics
        new = topics - self._tracked_topics
        if not self._started or new or everything:
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0)):
                    if not self._started:
                        await self.client.start()
                        self._started = True
                    await self.client.refresh_metadata(topics, all_topics=everything)
                self._tracked_topics |= topics
                if everything:
                    self._tracked_topics.add("*")
            except TimeoutError:
                return
            except (*_NETWORK_ERRORS, KafkaError) as exc:
                log.debug("metadata not available yet: %s", exc)
                return
        self._check_unknown_topics()

    def _check_unknown_topics(self) -> None:
        meta = self.client.metadata
        if self.subscriptions.type is not SubscriptionType.USER_ASSIGNED:
            # A group's partitions of a deleted topic go away in the next rebalance.
            return
        for tp in self.subscriptions.assigned_partitions():
            t = meta.topics.get(tp.topic)
            unknown = t is None or (
                isinstance(t.error, UnknownTopicOrPartitionError)
                or (t.error is None and tp.partition not in t.partitions)
            )
            if not unknown or tp.topic not in self._tracked_topics:
                self._unknown_seen.pop(tp.topic, None)
                continue
            seen = self._unknown_seen.setdefault(tp.topic, set())
            seen.add(meta.fetched_at)
            if len(seen) >= 2:
                if t is None or t.error is not None:
                    raise UnknownTopicOrPartitionError(
                        f"topic {tp.topic!r} does not exist (assigned partition {tp})"
                    )
                raise UnknownTopicOrPartitionError(
                    f"topic {tp.topic!r} has {len(t.partitions)} partitions; {tp} does not exist"
                )
            self.client.request_metadata_update()
        if meta.topics:
            for name, t in meta.topics.items():
                if name in self._tracked_topics and t.error is not None and not t.error.retriable:
                    raise t.error  # e.g. TOPIC_AUTHORIZATION_FAILED

    def _update_leaders(self) -> None:
        for tp, state in self.subscriptions.items():
            if state.fetch_state.has_position:
                self.subscriptions.maybe_validate_for_leader(tp, self.leader_of(tp))

    # --- assignment and positions (no I/O) -----------------------------------------------------

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        """Java's ``assign``: exactly these partitions from now on (an empty list unassigns)."""
        self._check_open()
        wanted = []
        for tp in partitions:
            if not isinstance(tp, tuple) or len(tp) != 2:
                raise TypeError(f"assign takes TopicPartition(topic, partition) items, not {tp!r}")
            topic, partition = tp
            if not isinstance(topic, str) or not topic.strip():
                raise ValueError("Topic partitions to assign to cannot have null or empty topic")
            if not isinstance(partition, int) or isinstance(partition, bool) or partition < 0:
                raise ValueError(f"partition must be an int >= 0, not {partition!r} ({topic})")
            wanted.append(TopicPartition(topic, partition))
        if self.subscriptions.type.auto:
            raise ValueError(
                "Subscription to topics, partitions and pattern are mutually exclusive"
            )
        if self._auto_commit:
            # Java's assign commits the consumed positions asynchronously first; the commit
            # goes out with the next call that runs the loop (the blocking face's assign runs
            # none), the positions taken now, before the old partitions are gone.
            self._pending_auto_commit.update(self.consumed_offsets())
        if self.subscriptions.assign_from_user(wanted):
            assigned = set(wanted)
            self.fetcher.clear_buffered(lambda tp: tp in assigned)
            for tp in list(self._leader_hints):
                if tp not in assigned:
                    del self._leader_hints[tp]

    def subscribe(
        self,
        topics: Iterable[str] | re.Pattern[str] | SubscriptionPattern,
        listener: Any = None,
    ) -> None:
        """Java's ``subscribe``: join the group (at the next ``poll``) for ``topics``, the
        topics a client-side ``re.Pattern`` matches, or a ``SubscriptionPattern`` the broker
        matches (KIP-848 only). An empty list unsubscribes."""
        self._check_open()
        coordinator = self._coordinator()  # InvalidGroupIdError without group.id
        protocol = self.config.group_protocol.lower()
        subs = self.subscriptions
        if isinstance(topics, SubscriptionPattern):
            if protocol == "classic":
                raise ConsumerError(
                    "Subscribe to RE2/J pattern is not supported when using the CLASSIC protocol "
                    "defined in config group.protocol"
                )
            subs.subscribe_pattern(topics, listener)
        elif isinstance(topics, re.Pattern):
            if not topics.pattern:
                raise ValueError("Topic pattern to subscribe to cannot be empty")
            subs.subscribe_pattern(topics, listener)
            self.fetcher.clear_buffered()
        else:
            if isinstance(topics, str):
                raise TypeError(
                    "subscribe takes a collection of topic names (or re.compile(...) for a "
                    f"pattern), not the string {topics!r}"
                )
            wanted = list(topics)
            if not wanted:
                self.unsubscribe_local()
                return
            for topic in wanted:
                if not isinstance(topic, str) or not topic.strip():
                    raise ValueError(
                        "Topic collection to subscribe to cannot contain null or empty topic"
                    )
            if subs.subscribe(wanted, listener):
                log.info("Subscribed to topic(s): %s", ", ".join(wanted))
            keep = set(wanted)
            self.fetcher.clear_buffered(lambda tp: tp.topic in keep)
        self.app.listener = listener
        if self.membership is None:
            if protocol == "consumer":
                self.membership = ConsumerMembership(self, coordinator.group_id)
            else:
                self.membership = ClassicMembership(self, coordinator.group_id)
            coordinator.group = self.membership
        if isinstance(self.membership, ConsumerMembership):
            self.membership.subscription_updated()
        self.client.request_metadata_update()

    def subscription(self) -> set[str]:
        """The topics subscribed to (those a pattern matched so far); empty when assigned."""
        return set(self.subscriptions.subscription)

    def unsubscribe_local(self) -> None:
        """Drop the subscription or assignment without telling a group (no membership yet)."""
        self.subscriptions.unsubscribe()
        self.fetcher.clear_buffered()
        self.app.listener = None

    async def unsubscribe(self) -> bool:
        """Java's ``unsubscribe``: a group member tells its listener (revoked, or lost) and
        leaves the group; then nothing is subscribed or assigned. Returns False when listener
        calls wait for the face (call again after running them)."""
        self._check_open()
        membership = self.membership
        if membership is None or not self.subscriptions.has_auto_assigned_partitions:
            self.unsubscribe_local()
            return True
        if self._leave_task is None:
            self._leave_task = self._bind().create_task(
                self._leave(membership, "the consumer unsubscribed from all topics")
            )
        deadline = self._bind().time() + self.config.default_api_timeout_ms / 1000
        if not await self._drive(self._leave_task, deadline):
            return False
        self._leave_task = None
        return True

    async def _leave(self, membership: ClassicMembership | ConsumerMembership, reason: str) -> None:
        try:
            await membership.prepare_leave()
        finally:
            self.unsubscribe_local()
            await membership.leave(reason)

    def assignment(self) -> set[TopicPartition]:
        return set(self.subscriptions.assigned_partitions())

    # --- what a group membership asks (membership.GroupHost) ------------------------------------

    @property
    def polling(self) -> bool:
        return self._polling

    def assignment_changed(self) -> None:
        assigned = set(self.subscriptions.assigned_partitions())
        self.fetcher.clear_buffered(lambda tp: tp in assigned)
        for tp in list(self._leader_hints):
            if tp not in assigned:
                del self._leader_hints[tp]

    async def commit_before_revocation(self, deadline: float) -> None:
        if not self._auto_commit or self.coordinator is None:
            return
        offsets = self.consumed_offsets()
        if not offsets:
            return
        try:
            await self.coordinator.commit(offsets, deadline, retry_stale_epoch=True)
            log.debug("committed %s before the rebalance", offsets)
        except (KafkaProtoError, ValueError) as exc:
            log.warning("Auto-commit of offsets %s failed before the rebalance: %s", offsets, exc)

    def report(self, error: BaseException) -> None:
        self._background_errors.append(error)
        self._signal_progress()

    def wake(self) -> None:
        self._signal_progress()

    def reset_auto_commit_timer(self) -> None:
        if self._loop is not None:
            self._next_auto_commit = self._loop.time() + self.config.auto_commit_interval_ms / 1000

    @property
    def background_active(self) -> bool:
        """Whether tasks must keep running between calls (a group member heartbeats)."""
        return self.membership is not None and self.membership.active and not self.closed

    def take_listener_calls(self) -> list[ListenerCall]:
        """Rebalance listener calls the face runs now, in order, then calls again."""
        return self.app.take_listener_calls()

    @property
    def listener(self) -> Any:
        return self.app.listener

    async def _drive(self, task: asyncio.Future[Any], deadline: float) -> bool:
        """Run the application's queued steps until ``task`` is done (True; its exception is
        raised), listener calls wait for the face (False), or ``deadline`` passes (True)."""
        loop = self._bind()
        progress = self._progress
        assert progress is not None
        task.add_done_callback(lambda _: self._signal_progress())
        previous, self._polling = self._polling, True
        try:
            while True:
                await self.app.run_steps()
                if self.app.has_listener_calls():
                    return False
                if task.done():
                    task.result()
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return True
                progress.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await progress.wait()
        finally:
            self._polling = previous

    def _update_pattern_subscription(self) -> None:
        """Java's ``updatePatternSubscription``: the topics a client-side pattern matches in
        the latest metadata (internal topics left out with ``exclude.internal.topics``)."""
        subs = self.subscriptions
        if subs.type is not SubscriptionType.AUTO_PATTERN:
            return
        meta = self.client.metadata
        exclude = self.config.exclude_internal_topics
        matched = {
            name
            for name, t in meta.topics.items()
            if t.error is None and not (exclude and t.is_internal) and subs.matches_pattern(name)
        }
        if subs.subscribe_from_pattern(matched):
            log.info("Subscribed to topic(s) matching the pattern: %s", ", ".join(sorted(matched)))
            self.client.request_metadata_update()

    def seek(self, tp: TopicPartition, offset: int | OffsetAndMetadata) -> None:
        """Java's ``seek``: the next poll fetches ``tp`` from ``offset`` (an
        ``OffsetAndMetadata`` with a leader epoch is validated first, KIP-320)."""
        self._check_open()
        om = offset if isinstance(offset, OffsetAndMetadata) else OffsetAndMetadata(offset)
        if not isinstance(om.offset, int) or isinstance(om.offset, bool) or om.offset < 0:
            raise ValueError(f"seek offset must not be a negative number: {om.offset!r}")
        tp = TopicPartition(*tp)
        self.subscriptions.state(tp)  # UnassignedPartitionError
        self.subscriptions.seek(tp, FetchPosition(om.offset, om.leader_epoch, self.leader_of(tp)))
        self.fetcher.clear_buffered(lambda other: other != tp)

    def _reset_to(
        self, partitions: Iterable[TopicPartition] | None, strategy: OffsetResetStrategy
    ) -> None:
        self._check_open()
        parts = (
            self.subscriptions.assigned_partitions()
            if partitions is None
            else [TopicPartition(*tp) for tp in partitions]
        )
        for tp in parts:
            self.subscriptions.state(tp)  # UnassignedPartitionError before any change
        for tp in parts:
            self.subscriptions.request_reset(tp, strategy)
        moved = set(parts)
        self.fetcher.clear_buffered(lambda tp: tp not in moved)

    def seek_to_beginning(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """The next poll starts these partitions (all assigned: None) at their log start."""
        self._reset_to(partitions, _EARLIEST)

    def seek_to_end(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """The next poll starts these partitions (all assigned: None) at their log end (the
        last stable offset under read_committed)."""
        self._reset_to(partitions, _LATEST)

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        self._check_open()
        for tp in partitions:
            self.subscriptions.pause(TopicPartition(*tp))

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        self._check_open()
        for tp in partitions:
            self.subscriptions.resume(TopicPartition(*tp))

    def paused(self) -> set[TopicPartition]:
        return self.subscriptions.paused_partitions()

    def current_lag(self, tp: TopicPartition) -> int | None:
        """Records between the position and the end of the log (the last stable offset under
        read_committed) as of the last fetch; None when unknown (Java's ``currentLag``)."""
        state = self.subscriptions.state(TopicPartition(*tp))
        end = state.last_stable_offset if self.config.read_committed else state.high_watermark
        if state.position is None or end is None:
            return None
        return max(end - state.position.offset, 0)

    # --- poll ----------------------------------------------------------------------------------

    async def poll(self, timeout_s: float) -> ConsumerRecords[Any, Any]:
        """Java's ``poll(Duration)``: records as soon as there are some, else an empty
        ``ConsumerRecords`` after ``timeout_s``."""
        self._check_open()
        loop = self._bind()
        subs = self.subscriptions
        if subs.type is SubscriptionType.NONE:
            raise ConsumerError(
                "Consumer is not subscribed to any topics or assigned any partitions"
            )
        deadline = self._deadline(timeout_s)
        progress = self._progress
        assert progress is not None
        max_records = self.config.max_poll_records
        self._polling = True
        try:
            while True:
                self._maybe_wakeup()
                self._raise_background_error()
                self._invoke_completed_commit_callbacks()
                membership = self.membership
                if membership is not None and subs.type.auto:
                    # Java's ConsumerCoordinator.poll: the group first (join, rejoin,
                    # reconcile), then the positions and fetches of what is assigned.
                    await self._ensure_metadata(deadline)
                    self._update_pattern_subscription()
                    membership.on_poll()
                    await self.app.run_steps()
                    if self.app.has_listener_calls():
                        return ConsumerRecords({})  # the face runs them and polls again
                if self._auto_commit and (membership is None or membership.stable):
                    self._maybe_auto_commit()
                await self._update_fetch_positions(deadline)
                if self.app.has_listener_calls():
                    # Queued while the positions were updated: the listener runs before any
                    # record is handed out (nothing awaits between here and the return).
                    return ConsumerRecords({})
                progress.clear()
                records = self.fetcher.collect(max_records, self._now_ms())
                self._send_fetches()
                if records:
                    return ConsumerRecords(records, self._next_offsets(records))
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return ConsumerRecords({})
                if not self.fetcher.pending_nodes and not self._tasks:
                    # Nothing in flight will wake us (no leader yet, backing off): look again
                    # soon.
                    remaining = min(remaining, self.config.retry_backoff_ms / 1000)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await progress.wait()
        finally:
            self._polling = False

    def _next_offsets(
        self, records: Mapping[TopicPartition, Any]
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        """Java's ``ConsumerRecords.nextOffsets``: each partition's position after this poll,
        with the leader epoch of its last record (what to commit for it)."""
        out = {}
        for tp in records:
            state = self.subscriptions.get(tp)
            if state is not None and state.position is not None:
                out[tp] = OffsetAndMetadata(state.position.offset, "", state.position.offset_epoch)
        return out

    def _raise_background_error(self) -> None:
        if self._background_errors:
            error = self._background_errors.pop(0)
            raise error

    def _send_fetches(self) -> None:
        brokers = self.client.metadata.brokers
        requests_by_node = self.fetcher.prepare_fetches(
            self._now_ms(), self._topic_id, lambda node: node in brokers
        )
        for node, data in requests_by_node.items():
            self._spawn(self._fetch(node, data))
        if self.fetcher.metadata_update_requested:
            self.fetcher.metadata_update_requested = False
            self.client.request_metadata_update()

    async def _fetch(self, node: int, data: FetchRequestData) -> None:
        c = self.config
        try:
            conn = await self.client.connection(node)
            version = conn.version_for(requests.FETCH)
            ids = {p.topic_id for p in data.session_partitions.values()}
            if None in ids and version >= requests.TOPIC_ID_VERSIONS[requests.FETCH]:
                version = requests.TOPIC_ID_VERSIONS[requests.FETCH] - 1  # a topic without id
            request = requests.fetch_request(
                version,
                data,
                max_wait_ms=c.fetch_max_wait_ms,
                min_bytes=c.fetch_min_bytes,
                max_bytes=c.fetch_max_bytes,
                isolation_level=self._isolation_level,
                rack_id=c.client_rack,
            )
            response = await conn.request(request, version=version)
            names = {
                p.topic_id: tp.topic for tp, p in data.session_partitions.items() if p.topic_id
            }
            error_code, session_id, partitions = requests.read_fetch_response(
                response, version, names
            )
            outcome = self.fetcher.handle_response(node, data, error_code, session_id, partitions)
            if outcome.leader_hints:
                self._leader_hints.update(outcome.leader_hints)
                self._update_leaders()  # KIP-951: move to the new leader without waiting
            if outcome.metadata_update:
                self.client.request_metadata_update()
        except asyncio.CancelledError:
            self.fetcher.handle_failure(node)
            raise
        except _NETWORK_ERRORS as exc:
            log.debug("fetch from node %d failed: %s", node, exc)
            self.fetcher.handle_failure(node)
            self.client.note_error(exc)
        except (ProtocolError, ApiVersionError) as exc:
            # A response larger than the frame limit, an unusable version: say so on poll.
            self.fetcher.handle_failure(node)
            self._background_errors.append(exc)
        except KafkaError as exc:
            self.fetcher.handle_failure(node)
            if not exc.retriable:
                self._background_errors.append(exc)
        finally:
            self._signal_progress()

    # --- positions: validation, committed offsets, resets --------------------------------------

    async def _update_fetch_positions(self, deadline: float) -> None:
        """Java's ``updateFetchPositions``."""
        await self._ensure_metadata(deadline)
        self._update_leaders()
        now = self._now_ms()
        self._validate_positions(now)
        subs = self.subscriptions
        if subs.has_all_fetch_positions():
            return
        if self.coordinator is not None and subs.initializing_partitions():
            if not await self._refresh_committed(deadline):
                # Java's initWithCommittedOffsetsIfNeeded: no answer yet, so nothing is reset to
                # auto.offset.reset (that would skip or repeat what the group committed).
                self._reset_positions(now)
                return
        subs.reset_initializing_positions()
        self._reset_positions(now)

    async def _refresh_committed(self, deadline: float) -> bool:
        """The committed offsets of the partitions without a position, as their positions;
        False when the answer did not come before ``deadline``. The OffsetFetch goes on after
        that (Java's ``pendingCommittedOffsetRequest``): the next poll waits for the same
        request rather than sending another, however short its timeout."""
        assert self.coordinator is not None
        loop = self._bind()
        parts = frozenset(self.subscriptions.initializing_partitions())
        pending = self._committed_fetch
        if pending is None or pending[0] != parts:
            if pending is not None:
                pending[1].cancel()
            fetch_deadline = loop.time() + self.config.default_api_timeout_ms / 1000
            task = loop.create_task(self.coordinator.fetch_committed(list(parts), fetch_deadline))
            pending = self._committed_fetch = (parts, task)
        task = pending[1]
        try:
            offsets = await self._bounded(
                asyncio.shield(task), deadline, "the committed offsets could be fetched"
            )
        except ConsumerTimeoutError:
            return False  # still in flight (or it gave up: the next poll asks again)
        finally:
            if task.done():
                self._committed_fetch = None
        for tp, om in offsets.items():
            state = self.subscriptions.get(tp)
            if om is None or state is None or state.fetch_state is not FetchState.INITIALIZING:
                continue
            self.subscriptions.seek(
                tp, FetchPosition(om.offset, om.leader_epoch, self.leader_of(tp))
            )
        return True

    def _reset_positions(self, now: int) -> None:
        subs = self.subscriptions
        parts = subs.partitions_needing_reset(now)
        if not parts:
            return
        undefined = [tp for tp in parts if subs.state(tp).reset_strategy in (None, _NONE)]
        if undefined:
            raise NoOffsetForPartitionError(
                "Undefined offset with no reset policy for partitions: "
                + ", ".join(str(tp) for tp in undefined),
                frozenset(undefined),
            )
        by_node: dict[int, dict[TopicPartition, tuple[int | None, int, OffsetResetStrategy]]] = {}
        for tp in parts:
            leader = self.leader_of(tp)
            if leader.leader is None:
                self.client.request_metadata_update()
                continue
            strategy = subs.state(tp).reset_strategy
            assert strategy is not None
            by_node.setdefault(leader.leader, {})[tp] = (
                leader.epoch,
                _reset_timestamp(strategy, now),
                strategy,
            )
        for node, targets in by_node.items():
            subs.set_next_retry(targets, now + self.config.request_timeout_ms)
            self._spawn(self._reset(node, targets))

    async def _reset(
        self, node: int, targets: dict[TopicPartition, tuple[int | None, int, OffsetResetStrategy]]
    ) -> None:
        subs = self.subscriptions
        retry_at = self._now_ms() + self.config.retry_backoff_ms
        try:
            results = await self._list_offsets_on(
                node, {tp: (epoch, ts) for tp, (epoch, ts, _) in targets.items()}
            )
            later = [
                tp for tp, r in results.items() if r[1] < 0 and targets[tp][2].kind == "by_duration"
            ]
            if later:
                # KIP-1106: no record as new as the duration asks for: start at the log end.
                latest = await self._list_offsets_on(
                    node, {tp: (targets[tp][0], LATEST_TIMESTAMP) for tp in later}
                )
                results.update(latest)
            retry: list[TopicPartition] = []
            for tp, (code, offset, _, epoch) in results.items():
                state = subs.get(tp)
                if (
                    tp not in targets
                    or state is None
                    or state.fetch_state is not FetchState.AWAIT_RESET
                    or state.reset_strategy != targets[tp][2]
                ):
                    continue  # the position changed meanwhile (seek, unassign)
                if code:
                    self._partition_failed(tp, error_for_code(code), retry)
                    continue
                log.info("Resetting offset for partition %s to position %d.", tp, offset)
                subs.seek(tp, FetchPosition(offset, epoch, self.leader_of(tp)))
            subs.set_next_retry(retry, retry_at)
        except (*_NETWORK_ERRORS, KafkaError) as exc:
            self._request_failed(exc, targets, retry_at)
        finally:
            self._signal_progress()

    def _partition_failed(
        self, tp: TopicPartition, error: KafkaError, retry: list[TopicPartition]
    ) -> None:
        # A partition's error in a reset or validation answer: retried after the backoff
        # (with fresh metadata when it says the leader moved), else reported by the next call.
        if error.retriable:
            if error.invalid_metadata:
                self.client.request_metadata_update()
            retry.append(tp)
        else:
            self._background_errors.append(error)

    def _request_failed(
        self, exc: Exception, partitions: Iterable[TopicPartition], retry_at: int
    ) -> None:
        # The whole reset or validation request failed: every partition in it retries after
        # the backoff; a lost connection is noted, a non-retriable error reported.
        if isinstance(exc, _NETWORK_ERRORS):
            self.client.note_error(exc)
        self.subscriptions.set_next_retry(partitions, retry_at)
        if isinstance(exc, KafkaError) and not exc.retriable:
            self._background_errors.append(exc)

    async def _list_offsets_on(
        self, node: int, partitions: Mapping[TopicPartition, tuple[int | None, int]]
    ) -> dict[TopicPartition, tuple[int, int, int, int | None]]:
        conn = await self.client.connection(node)
        version = conn.version_for(requests.LIST_OFFSETS)
        request = requests.list_offsets_request(
            version,
            partitions,
            isolation_level=self._isolation_level,
            timeout_ms=self.config.request_timeout_ms,
        )
        return requests.read_list_offsets_response(await conn.request(request, version=version))

    def _validate_positions(self, now: int) -> None:
        subs = self.subscriptions
        parts = subs.partitions_needing_validation(now)
        by_node: dict[int, dict[TopicPartition, FetchPosition]] = {}
        for tp in parts:
            position = subs.state(tp).position
            assert position is not None
            leader = position.current_leader.leader
            if leader is None:
                self.client.request_metadata_update()
                continue
            by_node.setdefault(leader, {})[tp] = position
        for node, positions in by_node.items():
            subs.set_next_retry(positions, now + self.config.request_timeout_ms)
            self._spawn(self._validate(node, positions))

    async def _validate(self, node: int, positions: dict[TopicPartition, FetchPosition]) -> None:
        """KIP-320: ask the leader where each position's epoch ends; a log that ends below the
        position was truncated."""
        subs = self.subscriptions
        retry_at = self._now_ms() + self.config.retry_backoff_ms
        try:
            conn = await self.client.connection(node)
            try:
                version = conn.version_for(requests.OFFSET_FOR_LEADER_EPOCH)
            except ApiVersionError:
                version = -1
            if version < _MIN_VALIDATION_VERSION:
                for tp, position in positions.items():
                    if subs.get(tp) is not None and subs.state(tp).position == position:
                        subs.seek_validated(tp, position)
                return
            request = requests.offset_for_leader_epoch_request(
                {
                    tp: (
                        p.current_leader.epoch,
                        p.offset_epoch if p.offset_epoch is not None else -1,
                    )
                    for tp, p in positions.items()
                },
            )
            response = await conn.request(request, version=version)
            results = requests.read_offset_for_leader_epoch_response(response)
            retry: list[TopicPartition] = []
            for tp, (code, epoch, end_offset) in results.items():
                requested = positions.get(tp)
                state = subs.get(tp)
                if (
                    requested is None
                    or state is None
                    or state.fetch_state is not FetchState.AWAIT_VALIDATION
                    or state.position != requested
                ):
                    continue
                if code:
                    self._partition_failed(tp, error_for_code(code), retry)
                    continue
                self._complete_validation(tp, requested, epoch, end_offset)
            subs.set_next_retry(retry, retry_at)
        except (*_NETWORK_ERRORS, KafkaError) as exc:
            self._request_failed(exc, positions, retry_at)
        finally:
            self._signal_progress()

    def _complete_validation(
        self, tp: TopicPartition, requested: FetchPosition, epoch: int, end_offset: int
    ) -> None:
        """Java's ``SubscriptionState.maybeCompleteValidation``."""
        subs = self.subscriptions
        has_reset = subs.default_reset.kind != "none"
        if epoch < 0 or end_offset < 0:
            if has_reset:
                log.info("Truncation detected for %s with no epoch/offset known; resetting", tp)
                subs.request_reset(tp)
            else:
                self._background_errors.append(
                    LogTruncationError(
                        f"Truncated partition detected: {tp} (no epoch end offset known for "
                        f"position {requested.offset})",
                        {tp: requested.offset},
                        {},
                    )
                )
        elif end_offset < requested.offset:
            if has_reset:
                log.info(
                    "Truncation detected for partition %s at offset %d, resetting offset to the "
                    "first offset known to diverge %d",
                    tp,
                    requested.offset,
                    end_offset,
                )
                subs.seek_validated(tp, FetchPosition(end_offset, epoch, requested.current_leader))
            else:
                self._background_errors.append(
                    LogTruncationError(
                        f"Truncated partition detected: {tp} at offset {requested.offset}, the "
                        f"log diverges from offset {end_offset} (epoch {epoch})",
                        {tp: requested.offset},
                        {tp: OffsetAndMetadata(end_offset, "", epoch)},
                    )
                )
        else:
            subs.seek_validated(tp, requested)

    async def position(self, tp: TopicPartition, timeout_s: float | None = None) -> int:
        """The offset of the next record ``poll`` returns for ``tp``, looking it up (committed
        offset, reset) if needed within ``timeout_s`` (default ``default.api.timeout.ms``)."""
        self._check_open()
        tp = TopicPartition(*tp)
        state = self.subscriptions.state(tp)  # UnassignedPartitionError
        deadline = self._deadline(timeout_s)
        loop = self._bind()
        progress = self._progress
        assert progress is not None
        while True:
            self._maybe_wakeup()
            if state.has_valid_position and state.position is not None:
                return state.position.offset
            self._raise_background_error()
            progress.clear()
            await self._update_fetch_positions(deadline)
            if state.has_valid_position and state.position is not None:
                return state.position.offset
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ConsumerTimeoutError(
                    f"Timeout of {int((timeout_s or 0) * 1000)}ms expired before the position "
                    f"for partition {tp} could be determined"
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, self.config.retry_backoff_ms / 1000)):
                    await progress.wait()

    # --- offsets lookups -----------------------------------------------------------------------

    async def _list_offsets(
        self, timestamps: Mapping[TopicPartition, int], deadline: float
    ) -> dict[TopicPartition, tuple[int, int, int | None]]:
        """ListOffsets for every partition, by leader, retrying retriable errors until
        ``deadline``: tp -> (offset, timestamp, leader epoch)."""
        loop = self._bind()
        await self._ensure_metadata(deadline)
        for topic in {tp.topic for tp in timestamps} - self._tracked_topics:
            with contextlib.suppress(*_NETWORK_ERRORS, KafkaError, TimeoutError):
                async with asyncio.timeout(max(deadline - loop.time(), 0)):
                    await self.client.refresh_metadata([topic])
        out: dict[TopicPartition, tuple[int, int, int | None]] = {}
        remaining = dict(timestamps)
        attempt = 0
        last: BaseException | None = None
        while remaining:
            by_node: dict[int, dict[TopicPartition, tuple[int | None, int]]] = {}
            for tp, ts in remaining.items():
                leader = self.leader_of(tp)
                t = self.client.metadata.topics.get(tp.topic)
                if t is not None and t.error is not None and not t.error.retriable:
                    raise t.error
                if leader.leader is None:
                    self.client.request_metadata_update()
                    continue
                by_node.setdefault(leader.leader, {})[tp] = (leader.epoch, ts)
            for node, parts in by_node.items():
                try:
                    results = await self._list_offsets_on(node, parts)
                except _NETWORK_ERRORS as exc:
                    self.client.note_error(exc)
                    last = exc
                    continue
                for tp, (code, offset, timestamp, epoch) in results.items():
                    if tp not in remaining:
                        continue
                    if code:
                        error = error_for_code(code)
                        if not error.retriable:
                            raise error
                        if error.invalid_metadata:
                            self.client.request_metadata_update()
                        last = error
                        continue
                    out[tp] = (offset, timestamp, epoch)
                    del remaining[tp]
            if not remaining:
                break
            pause = self.client.retry_backoff_s(attempt)
            attempt += 1
            if loop.time() + pause >= deadline:
                raise ConsumerTimeoutError(
                    f"Failed to get offsets by times for partitions {sorted(map(str, remaining))} "
                    f"in time (last error: {last})"
                )
            await asyncio.sleep(pause)
        return out

    async def offsets_for_times(
        self, timestamps: Mapping[TopicPartition, int], timeout_s: float | None = None
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        """Java's ``offsetsForTimes``: per partition the earliest offset whose timestamp is at
        or after the given time (ms), None when there is none."""
        self._check_open()
        for tp, ts in timestamps.items():
            if not isinstance(ts, int) or ts < 0:
                raise ValueError(
                    f"The target time for partition {TopicPartition(*tp)} is {ts}. The target "
                    "time cannot be negative."
                )
        deadline = self._deadline(timeout_s)
        found = await self._bounded(
            self._list_offsets(
                {TopicPartition(*tp): ts for tp, ts in timestamps.items()}, deadline
            ),
            deadline,
            "the offsets by times could be fetched",
        )
        return {
            tp: OffsetAndTimestamp(o, ts, epoch) if o >= 0 else None
            for tp, (o, ts, epoch) in found.items()
        }

    async def beginning_offsets(
        self, partitions: Iterable[TopicPartition], timeout_s: float | None = None
    ) -> dict[TopicPartition, int]:
        """The first offset of each partition (its log start)."""
        return await self._edge_offsets(partitions, EARLIEST_TIMESTAMP, timeout_s)

    async def end_offsets(
        self, partitions: Iterable[TopicPartition], timeout_s: float | None = None
    ) -> dict[TopicPartition, int]:
        """The offset after the last record of each partition (the last stable offset under
        read_committed)."""
        return await self._edge_offsets(partitions, LATEST_TIMESTAMP, timeout_s)

    async def _edge_offsets(
        self, partitions: Iterable[TopicPartition], timestamp: int, timeout_s: float | None
    ) -> dict[TopicPartition, int]:
        self._check_open()
        deadline = self._deadline(timeout_s)
        found = await self._bounded(
            self._list_offsets({TopicPartition(*tp): timestamp for tp in partitions}, deadline),
            deadline,
            "the offsets could be fetched",
        )
        return {tp: o for tp, (o, _, _) in found.items()}

    async def partitions_for(self, topic: str, timeout_s: float | None = None) -> list[int]:
        """The partitions of ``topic``, sorted; empty when the topic does not exist (Java's
        ``partitionsFor``). Waits for leaderless metadata up to ``timeout_s``."""
        self._check_open()
        deadline = self._deadline(timeout_s)
        loop = self._bind()
        attempt = 0
        while True:
            self._maybe_wakeup()
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0)):
                    if not self._started:
                        await self.client.start()
                        self._started = True
                    await self.client.refresh_metadata([topic])
            except (TimeoutError, *_NETWORK_ERRORS, KafkaError) as exc:
                if isinstance(exc, KafkaError) and not exc.retriable:
                    raise
            t = self.client.metadata.topics.get(topic)
            if t is not None:
                if t.error is None and t.partitions:
                    return sorted(t.partitions)
                if isinstance(t.error, UnknownTopicOrPartitionError):
                    return []
                if t.error is not None and not t.error.retriable:
                    raise t.error
            pause = self.client.retry_backoff_s(attempt)
            attempt += 1
            if loop.time() + pause >= deadline:
                raise ConsumerTimeoutError(
                    f"Timeout expired while fetching the partitions of topic {topic}"
                )
            await asyncio.sleep(pause)

    # --- commits -------------------------------------------------------------------------------

    def consumed_offsets(self) -> dict[TopicPartition, OffsetAndMetadata]:
        """What ``commit_sync()`` commits: each assigned partition's position (Java's
        ``allConsumed``)."""
        return {
            tp: OffsetAndMetadata(s.position.offset, "", s.position.offset_epoch)
            for tp, s in self.subscriptions.items()
            if s.has_valid_position and s.position is not None
        }

    def group_metadata(self) -> ConsumerGroupMetadata:
        """Java's ``groupMetadata()``: what a transactional producer's
        ``send_offsets_to_transaction`` takes (KIP-447): the generation (classic) or member epoch
        (KIP-848) and member id of the last completed rebalance. A consumer that assigns its
        own partitions has none."""
        coordinator = self._coordinator()
        membership = self.membership
        if membership is None:
            generation, member_id = coordinator.generation, coordinator.member_id
        else:
            generation, member_id = membership.group_generation, membership.group_member_id
        return ConsumerGroupMetadata(
            coordinator.group_id, generation, member_id, coordinator.group_instance_id
        )

    def _coordinator(self) -> ConsumerCoordinator:
        self._check_open()
        if self.coordinator is None:
            require_group(None)
        assert self.coordinator is not None
        return self.coordinator

    async def commit_sync(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        timeout_s: float | None = None,
    ) -> None:
        """Commit ``offsets`` (default: every position) and wait for the answer."""
        coordinator = self._coordinator()
        deadline = self._deadline(timeout_s)
        self._invoke_completed_commit_callbacks()
        await self._ensure_metadata(deadline)
        chosen = self._offsets_to_commit(offsets)
        try:
            await self._bounded(
                coordinator.commit(chosen, deadline), deadline, "the offsets could be committed"
            )
        finally:
            self._invoke_completed_commit_callbacks()

    def commit_async(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        callback: CommitCallback | None = None,
    ) -> asyncio.Future[None]:
        """Send a commit and return at once; ``callback(offsets, error)`` runs when it is
        answered (inside a later consumer call for the blocking face, as in Java)."""
        coordinator = self._coordinator()
        loop = self._bind()
        chosen = self._offsets_to_commit(offsets)
        done: asyncio.Future[None] = loop.create_future()
        deadline = loop.time() + self.config.default_api_timeout_ms / 1000

        async def run() -> None:
            error: BaseException | None = None
            try:
                await coordinator.commit(chosen, deadline)
            except (KafkaProtoError, ValueError) as exc:
                error = exc
            if callback is not None:
                # Run by the application's next poll/commit_sync/close, as in Java.
                self._completed_commits.append((callback, chosen, error))
            elif error is not None:
                log.warning("asynchronous commit failed: %s", error)
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)
                done.exception()  # retrieved by the callback or logged: never "never retrieved"
            self._signal_progress()

        self._spawn(run())
        return done

    def _invoke_completed_commit_callbacks(self) -> None:
        """Java's ``invokeCompletedOffsetCommitCallbacks``."""
        while self._completed_commits:
            callback, offsets, error = self._completed_commits.popleft()
            try:
                callback(offsets, error)
            except Exception:
                log.exception("commit callback failed")

    def _offsets_to_commit(
        self, offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        if offsets is None:
            return self.consumed_offsets()
        out = {}
        for tp, om in offsets.items():
            value = om if isinstance(om, OffsetAndMetadata) else OffsetAndMetadata(om)
            if not isinstance(value.offset, int) or value.offset < 0:
                raise ValueError(f"Invalid offset {value.offset!r} to commit for {tp}")
            out[TopicPartition(*tp)] = value
        return out

    def _maybe_auto_commit(self) -> None:
        """On the loop: commit the positions every ``auto.commit.interval.ms``, and what an
        ``assign`` left pending at once."""
        loop = self._bind()
        if self.coordinator is None:
            return
        now = loop.time()
        if not self._next_auto_commit:
            self._next_auto_commit = now + self.config.auto_commit_interval_ms / 1000
        if self._pending_auto_commit:
            pending, self._pending_auto_commit = self._pending_auto_commit, {}
            self.commit_async(pending)
        if now >= self._next_auto_commit:
            self._next_auto_commit = now + self.config.auto_commit_interval_ms / 1000
            offsets = self.consumed_offsets()
            if offsets:
                self.commit_async(offsets)

    async def committed(
        self, partitions: Iterable[TopicPartition], timeout_s: float | None = None
    ) -> dict[TopicPartition, OffsetAndMetadata | None]:
        """The group's committed offsets of ``partitions`` (None: nothing committed)."""
        coordinator = self._coordinator()
        deadline = self._deadline(timeout_s)
        await self._ensure_metadata(deadline)
        parts = [TopicPartition(*tp) for tp in partitions]
        return await self._bounded(
            coordinator.fetch_committed(parts, deadline),
            deadline,
            "the committed offsets could be fetched",
        )

    # --- close ---------------------------------------------------------------------------------

    async def close(self, timeout_s: float | None = None) -> bool:
        """Java's ``close``: commit the positions if auto commit is on, tell the listener
        (revoked, or lost), leave the group (a dynamic classic member sends LeaveGroup, a
        KIP-848 member a leave heartbeat) — all within ``timeout_s`` (default 30 s, as Java's)
        — then cancel what is in flight and close the connections. Returns False when
        listener calls wait for the face (it runs them and calls again)."""
        if self.closed:
            return True
        loop = self._bind()
        if self._close_deadline is None:
            self._close_deadline = loop.time() + (30.0 if timeout_s is None else max(timeout_s, 0))
            self._close_task = loop.create_task(self._close_sequence(self._close_deadline))
        task = self._close_task
        assert task is not None
        error: BaseException | None = None
        try:
            done = await self._drive(task, self._close_deadline)
        except (KafkaProtoError, ValueError) as exc:
            error, done = exc, True
        except BaseException:
            await self._shutdown()
            raise
        if not done and loop.time() < self._close_deadline:
            return False  # listener calls: the face runs them and closes again
        await self._shutdown()
        if error is not None:
            raise error
        return True

    async def _close_sequence(self, deadline: float) -> None:
        self._invoke_completed_commit_callbacks()
        if self._auto_commit and self._started and self.coordinator is not None:
            offsets = {**self._pending_auto_commit, **self.consumed_offsets()}
            if offsets:
                try:
                    await self.coordinator.commit(offsets, deadline, retry_stale_epoch=True)
                except (KafkaProtoError, ValueError) as exc:
                    log.warning("auto commit on close failed: %s", exc)
        self._invoke_completed_commit_callbacks()
        membership = self.membership
        if membership is not None and self._started:
            try:
                await membership.prepare_leave()
            finally:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(deadline - self._bind().time(), 0)):
                        await membership.leave("the consumer is being closed")

    async def _shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.membership is not None:
            await self.membership.close()
        self.app.cancel_all()
        tasks = list(self._tasks)
        if self._close_task is not None:
            tasks.append(self._close_task)
        if self._committed_fetch is not None:
            tasks.append(self._committed_fetch[1])
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self.fetcher.clear_buffered()
        if self._owns_client:
            await self.client.close()


_NONE: Final = OffsetResetStrategy("none")
