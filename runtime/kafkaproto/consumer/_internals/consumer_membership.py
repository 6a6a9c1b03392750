"""The KIP-848 group protocol for a consumer (``group.protocol=consumer``): Java's
``ConsumerMembershipManager``, ``ConsumerHeartbeatRequestManager`` and the commit rules of its
``CommitRequestManager``.

The broker assigns (``group.remote.assignor`` picks its assignor, null for its default) and
evaluates a ``SubscriptionPattern`` itself. The member chooses its id (KIP-1082), joins with
epoch 0 and heartbeats (ConsumerGroupHeartbeat) at the interval the broker gives, sending only
what changed since the last heartbeat. A new target assignment arrives by topic id; the
member reconciles it inside the application's ``poll`` (Java runs this on the application
thread too): commit the consumed positions (auto commit), revoke what is no longer assigned
(``on_partitions_revoked``), apply the assignment, let ``on_partitions_assigned`` run before
the new partitions are fetched, and acknowledge the result in the next heartbeat. Partitions
that do not move are fetched throughout: there is no stop-the-world rebalance.

Java's member states and transitions (``MemberState``) are kept: ``FENCED_MEMBER_EPOCH`` and
``UNKNOWN_MEMBER_ID`` make the member give its partitions up as lost and rejoin with epoch 0;
a member that does not poll within ``max.poll.interval.ms`` sends a leave heartbeat, becomes
stale, and rejoins at its next poll; ``FENCED_INSTANCE_ID``, ``UNRELEASED_INSTANCE_ID``,
authorization, ``UNSUPPORTED_ASSIGNOR``, ``INVALID_REGULAR_EXPRESSION`` and an unsupported
protocol are fatal and raised by ``poll``. Leaving sends epoch -1, or -2 for a static member
(KIP-345: its partitions wait for it until its session times out). This module does its I/O
through the coordinator's connection; it must never import the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.consumer._internals import group_requests as gr
from kafkaproto.consumer._internals.coordinator import CommitIdentity
from kafkaproto.consumer._internals.membership import GroupHost, ListenerMethod, random_member_id
from kafkaproto.consumer.errors import CommitFailedError, ConsumerError
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
from kafkaproto.error_codes import (
    GroupAuthorizationFailedError,
    KafkaError,
    UnsupportedVersionError,
    error_for_code,
)
from kafkaproto.errors import ApiVersionError, KafkaConnectionError, RequestTimeoutError

__all__ = ["ConsumerMembership", "LocalAssignment", "MemberState"]

log = logging.getLogger(__name__)

JOIN_GROUP_MEMBER_EPOCH: Final = 0
LEAVE_GROUP_MEMBER_EPOCH: Final = -1
LEAVE_GROUP_STATIC_MEMBER_EPOCH: Final = -2
_NONE, _COORDINATOR_LOAD_IN_PROGRESS, _COORDINATOR_NOT_AVAILABLE, _NOT_COORDINATOR = 0, 14, 15, 16
_UNKNOWN_MEMBER_ID, _GROUP_AUTHORIZATION_FAILED, _TOPIC_AUTHORIZATION_FAILED = 25, 30, 29
_GROUP_ID_NOT_FOUND, _FENCED_MEMBER_EPOCH, _STALE_MEMBER_EPOCH = 69, 110, 113
_INVALID_REGULAR_EXPRESSION = 130
CONSUMER_PROTOCOL_NOT_SUPPORTED_MSG: Final = (
    "The cluster does not support the new CONSUMER group protocol. Set group.protocol=classic "
    "on the consumer configs to revert to the CLASSIC protocol until the cluster is upgraded."
)
REGEX_RESOLUTION_NOT_SUPPORTED_MSG: Final = gr.REGEX_RESOLUTION_NOT_SUPPORTED_MSG


class MemberState(enum.Enum):
    """Java's ``MemberState`` (KIP-848)."""

    UNSUBSCRIBED = "unsubscribed"
    JOINING = "joining"
    RECONCILING = "reconciling"
    ACKNOWLEDGING = "acknowledging"
    STABLE = "stable"
    FENCED = "fenced"
    PREPARE_LEAVING = "prepare_leaving"
    LEAVING = "leaving"
    FATAL = "fatal"
    STALE = "stale"


_CAN_HANDLE_NEW_ASSIGNMENT: Final = frozenset(
    {MemberState.STABLE, MemberState.JOINING, MemberState.ACKNOWLEDGING, MemberState.RECONCILING}
)
_NOT_IN_GROUP: Final = frozenset(
    {MemberState.UNSUBSCRIBED, MemberState.FENCED, MemberState.FATAL, MemberState.STALE}
)
_SKIP_HEARTBEAT: Final = _NOT_IN_GROUP


@dataclass(frozen=True, slots=True)
class LocalAssignment:
    """Java's ``LocalAssignment``: an assignment by topic id with a local epoch that changes
    whenever the broker's target changes (so the same partitions can be acknowledged again)."""

    local_epoch: int = -1
    partitions: Mapping[UUID, frozenset[int]] = field(default_factory=dict)

    @property
    def none(self) -> bool:
        return self.local_epoch == -1

    def update_with(self, assignment: Mapping[UUID, frozenset[int]]) -> LocalAssignment | None:
        if not self.none and assignment == self.partitions:
            return None
        return LocalAssignment(self.local_epoch + 1, dict(assignment))


NONE_ASSIGNMENT: Final = LocalAssignment()


@dataclass(slots=True)
class _SentFields:
    """Java's ``HeartbeatState.SentFields``: what the broker already knows."""

    rebalance_timeout_ms: int = -1
    topic_names: frozenset[str] | None = None
    pattern: str | None = None
    server_assignor: str | None = None
    assignment: LocalAssignment | None = None


class ConsumerMembership:
    """See the module docstring. One per consumer that subscribes with the consumer
    protocol."""

    def __init__(self, host: GroupHost, group_id: str) -> None:
        c = host.config
        self.host = host
        self.group_id = group_id
        self.member_id = random_member_id()
        self.member_epoch = JOIN_GROUP_MEMBER_EPOCH
        self.group_instance_id = c.group_instance_id
        self.rack_id = c.client_rack or None
        self.rebalance_timeout_ms = c.max_poll_interval_ms
        self.server_assignor = c.group_remote_assignor
        self.state = MemberState.UNSUBSCRIBED
        self.current = NONE_ASSIGNMENT
        self.target = NONE_ASSIGNMENT
        self._names: dict[UUID, str] = {}
        self._sent = _SentFields()
        self._interval_ms = 0.0
        self._next_send = 0.0
        self._in_flight = False
        self._attempts = 0
        self._backoff = ExponentialBackoff(c.retry_backoff_ms, 2, c.retry_backoff_max_ms)
        self._poll_deadline: float | None = None
        self._poll_timer_expired = False
        self._reconciling = False
        self._rejoined_while_reconciling = False
        self._subscription_updated = False
        self._stale_release: asyncio.Task[None] | None = None
        # Assignment releases (lost partitions) waiting for the application's call.
        self._background: set[asyncio.Task[None]] = set()
        self._reconcile_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._leave_done: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self.closed = False

    # --- what the engine asks ---------------------------------------------------------------

    @property
    def coordinator(self) -> Any:
        coordinator = self.host.coordinator
        assert coordinator is not None
        return coordinator

    @property
    def stable(self) -> bool:
        return self.state is MemberState.STABLE

    @property
    def active(self) -> bool:
        return not self.closed

    @property
    def group_generation(self) -> int:
        return self.member_epoch

    @property
    def group_member_id(self) -> str:
        return self.member_id

    def _now_ms(self) -> float:
        return asyncio.get_running_loop().time() * 1000

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _transition(self, state: MemberState) -> None:
        if state is not self.state:
            log.info(
                "group %s: member %s with epoch %d transitioned from %s to %s",
                self.group_id,
                self.member_id,
                self.member_epoch,
                self.state.name,
                state.name,
            )
            self.state = state
        self._wake.set()
        self.host.wake()

    def subscription_updated(self) -> None:
        """``subscribe`` changed what the member consumes (Java's ``onSubscriptionUpdated``)."""
        self._subscription_updated = True
        self._wake.set()

    def on_poll(self) -> None:
        """At the top of every ``poll`` (Java's poll event): reset the poll timer (a stale
        member rejoins), join after ``subscribe``, and reconcile a new assignment."""
        loop = asyncio.get_running_loop()
        now = self._now_ms()
        if self._poll_deadline is not None and now >= self._poll_deadline:
            log.warning(
                "group %s: time between subsequent calls to poll() was longer than the "
                "configured max.poll.interval.ms, exceeded approximately by %d ms. Member %s "
                "will rejoin the group now.",
                self.group_id,
                now - self._poll_deadline,
                self.member_id,
            )
        self._poll_deadline = now + self.rebalance_timeout_ms
        self._maybe_rejoin_stale_member()
        if self._subscription_updated and self.state is MemberState.UNSUBSCRIBED:
            self._subscription_updated = False
            self._transition_to_joining()
        self._subscription_updated = False
        if self._heartbeat_task is None or self._heartbeat_task.done():
            self._heartbeat_task = loop.create_task(self._heartbeat_loop())
        if (
            self.state is MemberState.RECONCILING
            and (self._reconcile_task is None or self._reconcile_task.done())
            and self.current != self.target
            and not self._reconciling
        ):
            self._reconcile_task = loop.create_task(self._reconcile())

    # --- commits ------------------------------------------------------------------------------

    def commit_identity(self) -> CommitIdentity:
        # Java's CommitRequestManager: the member id always, the epoch while in the group.
        epoch = self.member_epoch if self.member_epoch > 0 else -1
        return (epoch, self.member_id, self.group_instance_id)

    def fetch_identity(self) -> tuple[str | None, int]:
        if self.member_epoch > 0:
            return (self.member_id, self.member_epoch)
        return (None, -1)

    def commit_error(self, code: int, sent: CommitIdentity, retry: bool) -> BaseException | None:
        if code == _UNKNOWN_MEMBER_ID:
            return CommitFailedError(
                "OffsetCommit failed with unknown member ID. " + error_for_code(code).message
            )
        if code == _STALE_MEMBER_EPOCH:
            if retry and self.member_epoch > 0:
                return None  # retried with the newest epoch
            return CommitFailedError(
                "OffsetCommit failed with stale member epoch. " + error_for_code(code).message
            )
        return error_for_code(code)

    # --- heartbeats -----------------------------------------------------------------------------

    def _should_heartbeat_now(self) -> bool:
        return self.state in (MemberState.ACKNOWLEDGING, MemberState.LEAVING, MemberState.JOINING)

    def _should_send_leave_now(self) -> bool:
        return self.state is MemberState.LEAVING

    async def _heartbeat_loop(self) -> None:
        """Java's ``AbstractHeartbeatRequestManager.poll`` as a task."""
        loop = asyncio.get_running_loop()
        coordinator = self.coordinator
        try:
            while not self.closed:
                now = loop.time() * 1000
                if self.host.polling and self._poll_deadline is not None:
                    self._poll_deadline = now + self.rebalance_timeout_ms
                if self.state in _SKIP_HEARTBEAT:
                    await self._sleep(None)
                    continue
                if coordinator.coordinator is None:
                    try:
                        await coordinator.lookup()
                    except (KafkaConnectionError, RequestTimeoutError, KafkaError) as exc:
                        if isinstance(exc, KafkaError) and not exc.retriable:
                            raise
                        if self.state is MemberState.LEAVING:
                            # Java's onHeartbeatRequestSkipped: no coordinator to leave.
                            self._transition(MemberState.UNSUBSCRIBED)
                            self._complete_leave()
                        await self._sleep(self.host.config.retry_backoff_ms)
                    continue
                if (
                    self._poll_deadline is not None
                    and now >= self._poll_deadline
                    and self.state not in (MemberState.PREPARE_LEAVING, MemberState.LEAVING)
                ):
                    log.warning(
                        "group %s: consumer poll timeout has expired. This means the time "
                        "between subsequent calls to poll() was longer than the configured "
                        "max.poll.interval.ms, which typically implies that the poll loop is "
                        "spending too much time processing messages. You can address this either "
                        "by increasing max.poll.interval.ms or by reducing the maximum size of "
                        "batches returned in poll() with max.poll.records.",
                        self.group_id,
                    )
                    self._transition_to_sending_leave(poll_timer_expired=True)
                    request = self._build_request()
                    self._attempts = 0
                    self._sent = _SentFields()
                    self._on_request_generated()
                    self._spawn(self._send(request, ignore_response=True))
                    continue
                now_wanted = self._should_send_leave_now() or (
                    self._should_heartbeat_now() and not self._in_flight
                )
                if not now_wanted and (self._in_flight or now < self._next_send):
                    wait = None if self._in_flight else self._next_send - now
                    if self._poll_deadline is not None:
                        until_poll = self._poll_deadline - now
                        wait = until_poll if wait is None else min(wait, until_poll)
                    await self._sleep(wait)
                    continue
                request = self._build_request()
                self._in_flight = True
                self._next_send = now + self._interval_ms
                self._on_request_generated()
                self._spawn(self._send(request, ignore_response=False))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fatal(exc)

    async def _sleep(self, ms: float | None) -> None:
        self._wake.clear()
        if ms is None:
            await self._wake.wait()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(ms, 1) / 1000):
                await self._wake.wait()

    def _topic_partitions(self) -> dict[UUID, frozenset[int]]:
        return dict(self.current.partitions)

    def _build_request(self) -> dict[str, Any]:
        """Java's ``HeartbeatState.buildRequestData``: all fields when joining, else only what
        changed since the last heartbeat."""
        subs = self.host.subscriptions
        sent = self._sent
        everything = self.state is MemberState.JOINING
        fields: dict[str, Any] = {
            "group_id": self.group_id,
            "member_id": self.member_id,
            "member_epoch": self.member_epoch,
            "instance_id": self.group_instance_id,
        }
        if everything or sent.rebalance_timeout_ms != self.rebalance_timeout_ms:
            fields["rebalance_timeout_ms"] = self.rebalance_timeout_ms
            sent.rebalance_timeout_ms = self.rebalance_timeout_ms
        names = subs.subscription
        if everything or names != sent.topic_names:
            fields["subscribed_topic_names"] = sorted(names)
            sent.topic_names = names
        pattern = subs.pattern.pattern if isinstance(subs.pattern, SubscriptionPattern) else None
        if (everything and pattern is not None) or pattern != sent.pattern:
            fields["subscribed_topic_regex"] = pattern if pattern is not None else ""
            sent.pattern = pattern
        if self.server_assignor is not None and (
            everything or self.server_assignor != sent.server_assignor
        ):
            fields["server_assignor"] = self.server_assignor
            sent.server_assignor = self.server_assignor
        if everything or self.current != sent.assignment:
            fields["topic_partitions"] = self._topic_partitions()
            sent.assignment = self.current
        if everything:
            fields["rack_id"] = self.rack_id
        return fields

    def _on_request_generated(self) -> None:
        """Java's ``onHeartbeatRequestGenerated``."""
        if self.state is MemberState.ACKNOWLEDGING:
            if self.current == self.target:
                self._transition(MemberState.STABLE)
            else:
                self._transition(MemberState.RECONCILING)
        elif self.state is MemberState.LEAVING:
            if self._poll_timer_expired:
                self._transition_to_stale()
            else:
                self._transition(MemberState.UNSUBSCRIBED)

    async def _send(self, fields: dict[str, Any], *, ignore_response: bool) -> None:
        loop = asyncio.get_running_loop()
        try:
            conn = await self.coordinator.connection()
            version = conn.version_for(gr.CONSUMER_GROUP_HEARTBEAT)
            request = gr.consumer_group_heartbeat_request(version, **fields)
            result = gr.read_consumer_group_heartbeat_response(
                await conn.request(request, version=version), version
            )
        except asyncio.CancelledError:
            raise
        except (KafkaConnectionError, RequestTimeoutError) as exc:
            self._in_flight = False
            self.coordinator.coordinator_unknown(str(exc), disconnected=True)
            self._failed_attempt(loop.time() * 1000)
            self._sent = _SentFields()
            log.debug("group %s: heartbeat failed, will retry: %s", self.group_id, exc)
            if self.state is MemberState.UNSUBSCRIBED:
                self._complete_leave()
            self._wake.set()
            return
        except (ApiVersionError, UnsupportedVersionError) as exc:
            self._in_flight = False
            message = (
                REGEX_RESOLUTION_NOT_SUPPORTED_MSG
                if REGEX_RESOLUTION_NOT_SUPPORTED_MSG in str(exc)
                else CONSUMER_PROTOCOL_NOT_SUPPORTED_MSG
            )
            self._fatal(UnsupportedVersionError(message))
            return
        except KafkaError as exc:
            self._in_flight = False
            self._failed_attempt(loop.time() * 1000)
            if not exc.retriable:
                self._fatal(exc)
            self._wake.set()
            return
        self._in_flight = False
        if ignore_response:
            if result.error_code:
                log.error(
                    "group %s: leave heartbeat failed: %s",
                    self.group_id,
                    error_for_code(result.error_code),
                )
            self._complete_leave()
            return
        self._on_response(result, loop.time() * 1000)
        self._wake.set()

    def _failed_attempt(self, now: float) -> None:
        self._next_send = now + self._backoff.backoff(self._attempts)
        self._attempts += 1

    def _on_response(self, result: gr.HeartbeatResult, now: float) -> None:
        code = result.error_code
        if code == _NONE:
            if result.heartbeat_interval_ms != self._interval_ms:
                # Java's updateHeartbeatIntervalMs: a new interval restarts the timer.
                self._interval_ms = result.heartbeat_interval_ms
                self._next_send = now + self._interval_ms
            self._attempts = 0
            self._on_success(result)
            return
        self._sent = _SentFields()  # resend everything after any error
        self._failed_attempt(now)
        message = result.error_message
        if code in (_NOT_COORDINATOR, _COORDINATOR_NOT_AVAILABLE):
            self.coordinator.coordinator_unknown(error_for_code(code).name)
            self._attempts = 0
            self._next_send = now
        elif code == _COORDINATOR_LOAD_IN_PROGRESS:
            pass
        elif code == _GROUP_AUTHORIZATION_FAILED:
            self._fatal(
                GroupAuthorizationFailedError(f"Not authorized to access group: {self.group_id}")
            )
        elif code == _TOPIC_AUTHORIZATION_FAILED:
            self.host.report(error_for_code(code, message))
        elif code in (_FENCED_MEMBER_EPOCH, _UNKNOWN_MEMBER_ID):
            log.info(
                "group %s: heartbeat failed for member %s with epoch %d: %s",
                self.group_id,
                self.member_id,
                self.member_epoch,
                error_for_code(code).name,
            )
            self._attempts = 0
            self._next_send = now
            self.transition_to_fenced()
        elif code == _INVALID_REGULAR_EXPRESSION:
            self._fatal(
                error_for_code(
                    code,
                    "Invalid RE2J SubscriptionPattern provided in the call to subscribe. "
                    + (message or ""),
                )
            )
        elif code == _GROUP_ID_NOT_FOUND and self.state is MemberState.UNSUBSCRIBED:
            log.info("group %s: GROUP_ID_NOT_FOUND while unsubscribed", self.group_id)
        elif code == 35:  # UNSUPPORTED_VERSION
            self._fatal(UnsupportedVersionError(CONSUMER_PROTOCOL_NOT_SUPPORTED_MSG))
        else:
            # INVALID_REQUEST, GROUP_MAX_SIZE_REACHED, UNSUPPORTED_ASSIGNOR,
            # UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_ID_NOT_FOUND ...
            log.error(
                "group %s: ConsumerGroupHeartbeatRequest failed due to %s: %s",
                self.group_id,
                error_for_code(code).name,
                message,
            )
            self._fatal(error_for_code(code, message))
        if self.state is MemberState.UNSUBSCRIBED:
            self._complete_leave()

    def _on_success(self, result: gr.HeartbeatResult) -> None:
        """Java's ``onHeartbeatSuccess``."""
        state = self.state
        if state is MemberState.LEAVING:
            return
        if state is MemberState.UNSUBSCRIBED and result.member_epoch < 0:
            self._complete_leave()
            return
        if state in _NOT_IN_GROUP:
            return
        if result.member_epoch < 0:
            self._complete_leave()
            return
        self.member_epoch = result.member_epoch
        if result.assignment is None:
            return
        if state not in _CAN_HANDLE_NEW_ASSIGNMENT:
            return
        assignment = {t: frozenset(ps) for t, ps in result.assignment.items()}
        updated = self.target.update_with(assignment)
        if updated is not None:
            self.target = updated
        if self.current != self.target:
            self._transition(MemberState.RECONCILING)
        elif state in (MemberState.RECONCILING, MemberState.JOINING):
            self._transition(MemberState.STABLE)

    # --- reconciling ----------------------------------------------------------------------------

    def _resolve(self) -> tuple[dict[UUID, frozenset[int]], list[TopicPartition]]:
        """The part of the target assignment whose topic names are known (metadata, or the
        names of topics assigned before); unknown ones ask for fresh metadata."""
        meta = self.host.client.metadata
        resolved: dict[UUID, frozenset[int]] = {}
        named: list[TopicPartition] = []
        unresolved = False
        for topic_id, partitions in self.target.partitions.items():
            name = meta.topic_name(topic_id) or self._names.get(topic_id)
            if name is None:
                unresolved = True
                continue
            self._names[topic_id] = name
            resolved[topic_id] = partitions
            named.extend(TopicPartition(name, p) for p in partitions)
        if unresolved:
            self.host.client.request_metadata_update()
        return resolved, named

    def _aborted(self) -> bool:
        if self.state is not MemberState.RECONCILING or self._rejoined_while_reconciling:
            log.info(
                "group %s: interrupting reconciliation that is not relevant anymore (%s)",
                self.group_id,
                "re-joined" if self._rejoined_while_reconciling else self.state.name,
            )
            self._reconciling = False
            self._rejoined_while_reconciling = False
            return True
        return False

    async def _reconcile(self) -> None:
        """Java's ``maybeReconcile(canCommit=true)`` and ``revokeAndAssign``, started by poll."""
        host = self.host
        subs = host.subscriptions
        target = self.target
        resolved, assigned = self._resolve()
        if not self.current.none and resolved == dict(self.current.partitions):
            # The resolvable part is what we have: acknowledge it under the new local epoch.
            self.current = LocalAssignment(target.local_epoch, resolved)
            self._transition(MemberState.ACKNOWLEDGING)
            return
        owned = set(subs.assigned_partitions())
        added = sorted(set(assigned) - owned)
        revoked = sorted(owned - set(assigned))
        self._reconciling = True
        self._rejoined_while_reconciling = False
        log.info(
            "group %s: reconciling assignment with local epoch %d: assigned %s, added %s, "
            "revoked %s",
            self.group_id,
            target.local_epoch,
            sorted(map(str, assigned)),
            [str(tp) for tp in added],
            [str(tp) for tp in revoked],
        )
        try:
            deadline = asyncio.get_running_loop().time() + self.rebalance_timeout_ms / 1000

            async def commit() -> None:
                subs.mark_pending_revocation(revoked)
                await host.commit_before_revocation(deadline)

            await host.app.run(commit)
            if self._aborted():
                return
            if revoked:
                error = await host.app.listener_call(ListenerMethod.REVOKED, revoked)
                if error is not None:
                    host.report(
                        ConsumerError(f"User rebalance callback throws an error: {error!r}")
                    )
                if self._aborted():
                    return

            def apply() -> None:
                subs.assign_from_subscribed_awaiting_callback(assigned, added)
                host.assignment_changed()

            await host.app.run(apply)
            error = await host.app.listener_call(ListenerMethod.ASSIGNED, added)
            if error is None:
                subs.enable_partitions_awaiting_callback(assigned)
            else:
                host.report(ConsumerError(f"User rebalance callback throws an error: {error!r}"))
            if self._reconciling and not self._aborted():
                self.current = LocalAssignment(target.local_epoch, resolved)
                host.reset_auto_commit_timer()
                self._transition(MemberState.ACKNOWLEDGING)
        finally:
            self._reconciling = False
            self._rejoined_while_reconciling = False
            host.wake()

    # --- fencing, fatal errors, stale members -------------------------------------------------

    def _reset_epoch(self) -> None:
        self.member_epoch = JOIN_GROUP_MEMBER_EPOCH

    def _transition_to_joining(self) -> None:
        if self.state is MemberState.FATAL:
            log.warning("group %s: not joining: the member is in FATAL state", self.group_id)
            return
        if self._reconciling:
            self._rejoined_while_reconciling = True
        self._reset_epoch()
        self.target = NONE_ASSIGNMENT
        self._names.clear()
        self._transition(MemberState.JOINING)

    async def _release(self, method: ListenerMethod) -> None:
        """Give the assignment up in the application's call: listener, then clear."""
        subs = self.host.subscriptions
        dropped = subs.assigned_partitions()
        if dropped:
            subs.mark_pending_revocation(dropped)
            error = await self.host.app.listener_call(method, dropped)
            if error is not None:
                log.error("group %s: %s failed: %r", self.group_id, method.value, error)
        await self.host.app.run(self._clear_assignment)

    def _clear_assignment(self) -> None:
        subs = self.host.subscriptions
        if subs.has_auto_assigned_partitions:
            subs.assign_from_subscribed([])
            self.host.assignment_changed()
        self.current = NONE_ASSIGNMENT
        self.target = NONE_ASSIGNMENT
        self._names.clear()

    def transition_to_fenced(self) -> None:
        """Java's ``transitionToFenced``: partitions lost, then rejoin with epoch 0."""
        if self.state is MemberState.PREPARE_LEAVING:
            self._transition_to_sending_leave(poll_timer_expired=False)
            self._transition(MemberState.UNSUBSCRIBED)
            self._complete_leave()
            return
        if self.state is MemberState.LEAVING:
            self._transition(MemberState.UNSUBSCRIBED)
            self._complete_leave()
            return
        if self.state is MemberState.UNSUBSCRIBED:
            return
        self._transition(MemberState.FENCED)
        self._reset_epoch()

        async def release_and_rejoin() -> None:
            await self._release(ListenerMethod.LOST)
            if self.state is MemberState.FENCED:
                self._transition_to_joining()

        self._spawn(release_and_rejoin())

    def _fatal(self, error: BaseException) -> None:
        """Java's ``transitionToFatal`` plus the error event for the application."""
        previous = self.state
        self.state = MemberState.FATAL
        log.error(
            "group %s: member %s transitioned to fatal state: %s",
            self.group_id,
            self.member_id,
            error,
        )
        self.host.report(error)
        self._wake.set()
        if previous in (MemberState.UNSUBSCRIBED, MemberState.LEAVING, MemberState.PREPARE_LEAVING):
            self._complete_leave()
            return
        self._spawn(self._release(ListenerMethod.LOST))

    def _transition_to_sending_leave(self, *, poll_timer_expired: bool) -> None:
        if self.state is MemberState.FATAL:
            return
        if self.state is MemberState.UNSUBSCRIBED:
            return
        if poll_timer_expired:
            self._poll_timer_expired = True
            self.state = MemberState.PREPARE_LEAVING
        self.member_epoch = self._leave_epoch()
        self.current = NONE_ASSIGNMENT
        self._transition(MemberState.LEAVING)

    def _leave_epoch(self) -> int:
        if self.group_instance_id is not None:
            return LEAVE_GROUP_STATIC_MEMBER_EPOCH
        return LEAVE_GROUP_MEMBER_EPOCH

    def _transition_to_stale(self) -> None:
        self._transition(MemberState.STALE)
        self._stale_release = self._spawn(self._release(ListenerMethod.LOST))

    def _maybe_rejoin_stale_member(self) -> None:
        self._poll_timer_expired = False
        if self.state is MemberState.STALE:
            release = self._stale_release

            def rejoin(_: object = None) -> None:
                if self.state is MemberState.STALE:
                    self._transition_to_joining()

            if release is None or release.done():
                rejoin()
            else:
                release.add_done_callback(rejoin)

    # --- leaving ----------------------------------------------------------------------------------

    def _complete_leave(self) -> None:
        done = self._leave_done
        if done is not None and not done.done():
            done.set_result(None)

    async def prepare_leave(self) -> None:
        """Java's ``runRebalanceCallbacksOnClose`` (close, unsubscribe), in the application's
        call: revoked while the member has an epoch, else lost."""
        subs = self.host.subscriptions
        dropped = subs.assigned_partitions()
        if subs.has_auto_assigned_partitions and dropped:
            method = ListenerMethod.REVOKED if self.member_epoch > 0 else ListenerMethod.LOST
            error = await self.host.app.listener_call(method, dropped)
            await self.host.app.run(self._clear_assignment)
            if error is not None:
                raise ConsumerError(f"User rebalance callback throws an error: {error!r}")

    async def leave(self, reason: str) -> None:
        """Java's ``leaveGroup``: a leave heartbeat (epoch -1, or -2 for a static member),
        answered or not."""
        if self.state in _NOT_IN_GROUP:
            if self.state is MemberState.FENCED:
                self._clear_assignment()
                self._transition(MemberState.UNSUBSCRIBED)
            return
        if self._leave_done is None or self._leave_done.done():
            self._leave_done = asyncio.get_running_loop().create_future()
        done = self._leave_done
        if self.state not in (MemberState.PREPARE_LEAVING, MemberState.LEAVING):
            log.info(
                "group %s: member %s leaving the group: %s", self.group_id, self.member_id, reason
            )
            self._transition(MemberState.PREPARE_LEAVING)
            self._clear_assignment()
            self._transition_to_sending_leave(poll_timer_expired=False)
        if self._heartbeat_task is None or self._heartbeat_task.done():
            self._heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeat_loop())
        await done

    async def close(self) -> None:
        self.closed = True
        self._wake.set()
        for task in (self._heartbeat_task, self._reconcile_task, *self._background):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
