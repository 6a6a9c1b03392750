"""The classic group protocol for a consumer (``group.protocol=classic``): Java's
``AbstractCoordinator`` and ``ConsumerCoordinator`` membership — JoinGroup/SyncGroup with the
ConsumerProtocol subscription and assignment, the leader running the chosen assignor, Heartbeat,
LeaveGroup, static membership (KIP-345), EAGER and COOPERATIVE (KIP-429) rebalancing.

Two tasks run it. The heartbeat task is Java's heartbeat thread: once joined it heartbeats every
``heartbeat.interval.ms``, treats a missing answer for ``session.timeout.ms`` as a lost
coordinator, notices a rebalance (``REBALANCE_IN_PROGRESS``) or that the member was fenced
(``UNKNOWN_MEMBER_ID``/``ILLEGAL_GENERATION``: it rejoins; ``FENCED_INSTANCE_ID``: fatal), and
leaves the group when the application has not polled for ``max.poll.interval.ms``. The join
task is started by ``poll`` when a rejoin is needed and runs Java's ``joinGroupIfNeeded``:
before joining, inside the application's call
(:class:`~kafkaproto.consumer._internals.membership.AppQueue`),
the consumed positions are committed (auto commit) and the listener is told what is revoked
(EAGER: everything; COOPERATIVE: only topics no longer subscribed) or lost (the generation was
reset); after SyncGroup, again inside the call, the assignment is applied, COOPERATIVE
revocations are told and followed by a second rebalance, and ``on_partitions_assigned`` runs.

Error handling is Java's, response by response (``MEMBER_ID_REQUIRED`` rejoins with the
broker's member id, ``UNKNOWN_MEMBER_ID`` resets it, ``REBALANCE_IN_PROGRESS`` and
``ILLEGAL_GENERATION`` rejoin at once, a lost coordinator is looked up again after the retry
backoff, ``FENCED_INSTANCE_ID``, authorization and protocol errors are raised by ``poll``). This
module does its I/O through the coordinator's connection; it must never import the engine or
touch fetch state other than through the subscription state.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.consumer._internals import group_requests as gr
from kafkaproto.consumer._internals.assignors import (
    AbstractPartitionAssignor,
    PartitionInfo,
    RebalanceProtocol,
    assignors_for,
    rebalance_protocol,
)
from kafkaproto.consumer._internals.coordinator import CommitIdentity
from kafkaproto.consumer._internals.membership import GroupHost, ListenerMethod, sorted_partitions
from kafkaproto.consumer.errors import CommitFailedError, ConsumerError, PartitionAssignmentError
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.error_codes import (
    FencedInstanceIdError,
    GroupAuthorizationFailedError,
    GroupMaxSizeReachedError,
    InconsistentGroupProtocolError,
    KafkaError,
    RebalanceInProgressError,
    error_for_code,
)
from kafkaproto.errors import DecodeError, KafkaConnectionError, RequestTimeoutError

__all__ = ["ClassicMembership", "Generation", "HeartbeatTimers", "MemberState"]

log = logging.getLogger(__name__)

_NONE, _COORDINATOR_LOAD_IN_PROGRESS, _COORDINATOR_NOT_AVAILABLE, _NOT_COORDINATOR = 0, 14, 15, 16
_ILLEGAL_GENERATION, _INCONSISTENT_GROUP_PROTOCOL, _INVALID_GROUP_ID = 22, 23, 24
_UNKNOWN_MEMBER_ID, _INVALID_SESSION_TIMEOUT, _REBALANCE_IN_PROGRESS = 25, 26, 27
_GROUP_AUTHORIZATION_FAILED, _UNSUPPORTED_VERSION = 30, 35
_MEMBER_ID_REQUIRED, _GROUP_MAX_SIZE_REACHED, _FENCED_INSTANCE_ID = 79, 81, 82
# Java's JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup may wait the rebalance timeout, plus this.
_JOIN_GROUP_TIMEOUT_LAPSE_MS: Final = 5000
_FATAL_JOIN_ERRORS: Final = frozenset(
    {
        _INCONSISTENT_GROUP_PROTOCOL,
        _INVALID_SESSION_TIMEOUT,
        _INVALID_GROUP_ID,
        _GROUP_AUTHORIZATION_FAILED,
        _GROUP_MAX_SIZE_REACHED,
        _FENCED_INSTANCE_ID,
        _UNSUPPORTED_VERSION,
    }
)


class MemberState(enum.Enum):
    """Java's ``AbstractCoordinator.MemberState``."""

    UNJOINED = "unjoined"  # not in the group (or the generation was reset)
    PREPARING_REBALANCE = "preparing_rebalance"  # JoinGroup sent
    COMPLETING_REBALANCE = "completing_rebalance"  # joined, SyncGroup not answered yet
    STABLE = "stable"  # SyncGroup answered: heartbeating with this generation

    @property
    def has_not_joined(self) -> bool:
        return self in (MemberState.UNJOINED, MemberState.PREPARING_REBALANCE)


@dataclass(frozen=True, slots=True)
class Generation:
    """Java's ``AbstractCoordinator.Generation``."""

    generation_id: int = -1
    member_id: str = ""
    protocol_name: str | None = None

    @property
    def reset(self) -> bool:
        # The member id may survive ILLEGAL_GENERATION: only the generation and protocol count.
        return self.generation_id == -1 and self.protocol_name is None


NO_GENERATION: Final = Generation()


class HeartbeatTimers:
    """Java's ``Heartbeat``: the heartbeat, session and poll timers (milliseconds, ``now``
    passed in; sans-I/O)."""

    def __init__(
        self,
        session_timeout_ms: int,
        heartbeat_interval_ms: int,
        max_poll_interval_ms: int,
        retry_backoff: ExponentialBackoff,
        now_ms: float,
    ) -> None:
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.max_poll_interval_ms = max_poll_interval_ms
        self._backoff = retry_backoff
        self._attempts = 0
        self.next_heartbeat = now_ms + heartbeat_interval_ms
        self.session_deadline = now_ms + session_timeout_ms
        self.poll_deadline = now_ms + max_poll_interval_ms
        self.in_flight = False
        self.last_sent = 0.0

    def poll(self, now_ms: float) -> None:
        self.poll_deadline = now_ms + self.max_poll_interval_ms

    def sent(self, now_ms: float) -> None:
        self.last_sent = now_ms
        self.in_flight = True
        self.next_heartbeat = now_ms + self.heartbeat_interval_ms

    def failed(self, now_ms: float) -> None:
        self.in_flight = False
        self.next_heartbeat = now_ms + self._backoff.backoff(self._attempts)
        self._attempts += 1

    def received(self, now_ms: float) -> None:
        self.in_flight = False
        self._attempts = 0
        self.session_deadline = now_ms + self.session_timeout_ms

    def should_heartbeat(self, now_ms: float) -> bool:
        return now_ms >= self.next_heartbeat

    def session_expired(self, now_ms: float) -> bool:
        return now_ms >= self.session_deadline

    def poll_expired(self, now_ms: float) -> bool:
        return now_ms >= self.poll_deadline

    def reset_timeouts(self, now_ms: float) -> None:
        self.session_deadline = now_ms + self.session_timeout_ms
        self.poll_deadline = now_ms + self.max_poll_interval_ms
        self.next_heartbeat = now_ms + self.heartbeat_interval_ms

    def reset_session(self, now_ms: float) -> None:
        self.session_deadline = now_ms + self.session_timeout_ms


class _JoinFailed(Exception):
    """A join attempt failed; ``error`` says how (Java's RequestFuture failure)."""

    def __init__(self, error: BaseException, retriable: bool, immediate: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.retriable = retriable
        self.immediate = immediate  # rejoin without the retry backoff


class ClassicMembership:
    """See the module docstring. One per consumer that subscribes with the classic protocol."""

    def __init__(self, host: GroupHost, group_id: str) -> None:
        c = host.config
        self.host = host
        self.group_id = group_id
        self.group_instance_id = c.group_instance_id
        self.rack_id = c.client_rack or None
        self.session_timeout_ms = c.session_timeout_ms
        self.rebalance_timeout_ms = c.max_poll_interval_ms
        self.assignors: list[AbstractPartitionAssignor] = assignors_for(
            c.partition_assignment_strategy
        )
        self.protocol = rebalance_protocol(self.assignors)
        self.state = MemberState.UNJOINED
        self.generation = NO_GENERATION
        #: Java's ConsumerGroupMetadata generation/member: updated when a join completes.
        self.group_generation = -1
        self.group_member_id = ""
        self.rejoin_needed = True
        self.rejoin_reason = ""
        self.needs_join_prepare = True
        self.is_leader = False
        self.joined_subscription: frozenset[str] | None = None
        self.assignment_snapshot: dict[str, tuple[tuple[int, frozenset[str]], ...]] | None = None
        self._backoff = ExponentialBackoff(c.retry_backoff_ms, 2, c.retry_backoff_max_ms)
        self._join_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._heartbeat_wake = asyncio.Event()
        self._requests: set[asyncio.Task[None]] = set()
        self.timers: HeartbeatTimers | None = None
        self._discoveries_seen = 0
        self.closed = False

    # --- what the engine asks ---------------------------------------------------------------

    @property
    def coordinator(self) -> Any:
        coordinator = self.host.coordinator
        assert coordinator is not None
        return coordinator

    def _now_ms(self) -> float:
        return asyncio.get_running_loop().time() * 1000

    def _timers(self) -> HeartbeatTimers:
        if self.timers is None:
            c = self.host.config
            self.timers = HeartbeatTimers(
                c.session_timeout_ms,
                c.heartbeat_interval_ms,
                c.max_poll_interval_ms,
                ExponentialBackoff(c.retry_backoff_ms, 2, c.retry_backoff_max_ms),
                self._now_ms(),
            )
        return self.timers

    @property
    def stable(self) -> bool:
        return self.state is MemberState.STABLE

    @property
    def active(self) -> bool:
        """Whether background work goes on (the blocking face keeps its loop running)."""
        return not self.closed

    def on_poll(self) -> None:
        """At the top of every ``poll`` (Java's ``ConsumerCoordinator.poll``): note the poll
        (``max.poll.interval.ms``), and start a rejoin if one is needed. A fatal error ends the
        join; the next poll tries again, and raises it again if it stays (as Java's)."""
        if self.protocol is None:
            raise ConsumerError(
                "User configured partition.assignment.strategy to empty while trying to "
                "subscribe for group protocol to auto assign partitions"
            )
        timers = self._timers()
        timers.poll(self._now_ms())
        if self._heartbeat_task is None or self._heartbeat_task.done():
            self._heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeat_loop())
        if self._rejoin_needed_or_pending() and (self._join_task is None or self._join_task.done()):
            self._join_task = asyncio.get_running_loop().create_task(self._join_group_if_needed())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    def request_rejoin(self, reason: str) -> None:
        log.info("group %s: request joining group due to: %s", self.group_id, reason)
        self.rejoin_reason = reason
        self.rejoin_needed = True

    def _rejoin_needed_or_pending(self) -> bool:
        """Java's ``rejoinNeededOrPending`` less the pending join (the join task itself)."""
        subs = self.host.subscriptions
        if not subs.has_auto_assigned_partitions:
            return False
        if self.assignment_snapshot is not None and self.assignment_snapshot != self._snapshot():
            if not self.rejoin_needed:
                self.request_rejoin("cached metadata has changed")
            return True
        if self.joined_subscription is not None and self.joined_subscription != subs.subscription:
            if not self.rejoin_needed:
                self.request_rejoin("subscription has changed")
            return True
        return self.rejoin_needed

    def _snapshot(self) -> dict[str, tuple[tuple[int, frozenset[str]], ...]]:
        """Java's ``MetadataSnapshot``: partitions (and, with ``client.rack``, their racks)
        of every topic the leader watches."""
        meta = self.host.client.metadata
        subs = self.host.subscriptions
        out = {}
        for topic in subs.group_subscription | subs.subscription:
            t = meta.topics.get(topic)
            if t is None or t.error is not None:
                continue
            out[topic] = tuple(
                (
                    p,
                    frozenset(
                        r
                        for n in t.partitions[p].replicas
                        if (b := meta.brokers.get(n)) is not None and (r := b.rack) is not None
                    )
                    if self.rack_id
                    else frozenset(),
                )
                for p in sorted(t.partitions)
            )
        return out

    # --- commits ------------------------------------------------------------------------------

    def commit_identity(self) -> CommitIdentity:
        """Java's ``sendOffsetCommitRequest``: only a stable member commits."""
        if self.state is not MemberState.STABLE:
            if self.state in (MemberState.PREPARING_REBALANCE, MemberState.COMPLETING_REBALANCE):
                raise RebalanceInProgressError(
                    "Offset commit cannot be completed since the consumer is undergoing a "
                    "rebalance for auto partition assignment. You can try completing the "
                    "rebalance by calling poll() and then retry the operation."
                )
            raise CommitFailedError(
                "Offset commit cannot be completed since the consumer is not part of an active "
                "group for auto partition assignment; it is likely that the consumer was kicked "
                "out of the group."
            )
        return (self.generation.generation_id, self.generation.member_id, self.group_instance_id)

    def fetch_identity(self) -> tuple[str | None, int]:
        return (None, -1)  # Java's classic OffsetFetch names no member

    def commit_error(self, code: int, sent: CommitIdentity, retry: bool) -> BaseException | None:
        """Java's ``OffsetCommitResponseHandler`` for the membership errors."""
        unchanged = sent[:2] == (self.generation.generation_id, self.generation.member_id)
        if code == _REBALANCE_IN_PROGRESS:
            self.request_rejoin("offset commit failed since group is already rebalancing")
            return RebalanceInProgressError(
                "Offset commit cannot be completed since the consumer group is executing a "
                "rebalance at the moment. You can try completing the rebalance by calling poll() "
                "and then retry commit again"
            )
        if code == _FENCED_INSTANCE_ID:
            if unchanged:
                return error_for_code(code)
            if self.state is MemberState.PREPARING_REBALANCE:
                return RebalanceInProgressError(
                    "Offset commit cannot be completed since the consumer member's old "
                    "generation is fenced by its group instance id"
                )
            return CommitFailedError()
        if code in (_UNKNOWN_MEMBER_ID, _ILLEGAL_GENERATION):
            if not unchanged and self.state is MemberState.PREPARING_REBALANCE:
                return RebalanceInProgressError(
                    "Offset commit cannot be completed since the consumer member's generation "
                    "is already stale, meaning it has already participated another rebalance "
                    "and got a new generation. You can try completing the rebalance by calling "
                    "poll() and then retry commit again"
                )
            self._reset_state_and_rejoin(
                f"encountered {error_for_code(code).name} from OFFSET_COMMIT response",
                reset_member_id=code != _ILLEGAL_GENERATION,
            )
            return CommitFailedError()
        return error_for_code(code)

    # --- state --------------------------------------------------------------------------------

    def _reset_state_and_rejoin(self, reason: str, *, reset_member_id: bool) -> None:
        """Java's ``resetStateAndRejoin``."""
        log.info(
            "group %s: resetting generation %sdue to: %s",
            self.group_id,
            "and member id " if reset_member_id else "",
            reason,
        )
        self.state = MemberState.UNJOINED
        if reset_member_id:
            self.generation = NO_GENERATION
        else:
            self.generation = Generation(-1, self.generation.member_id, None)
        self.request_rejoin(reason)
        self.needs_join_prepare = True

    # --- joining --------------------------------------------------------------------------------

    async def _join_group_if_needed(self) -> None:
        """Java's ``joinGroupIfNeeded``, run until the member is stable (or a fatal error)."""
        attempts = 0
        try:
            while self._rejoin_needed_or_pending() and not self.closed:
                if self.needs_join_prepare:
                    # Set first: a failing listener must not make the next join prepare again.
                    self.needs_join_prepare = False
                    await self._on_join_prepare(
                        self.generation.generation_id, self.generation.member_id
                    )
                try:
                    assignment = await self._join_and_sync()
                except _JoinFailed as failed:
                    error = failed.error
                    if not failed.immediate:
                        log.info("group %s: rebalance failed: %s", self.group_id, error)
                    if not failed.retriable:
                        self.request_rejoin(f"rebalance failed due to {type(error).__name__}")
                        raise error from None
                    if failed.immediate:
                        continue
                    await asyncio.sleep(self._backoff.backoff(attempts) / 1000)
                    attempts += 1
                    continue
                generation = self.generation
                if not generation.reset and self.state is MemberState.STABLE:
                    await self._on_join_complete(generation, assignment)
                    self.needs_join_prepare = True
                else:
                    self._reset_state_and_rejoin(
                        "rebalance failed since the generation/state was modified by heartbeat "
                        "thread before the rebalance callback triggered",
                        reset_member_id=True,
                    )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # raised by poll; the next poll joins again
            self.host.report(exc)
        finally:
            self.host.wake()

    async def _join_and_sync(self) -> bytes:
        """One JoinGroup (and, if joined, SyncGroup): this member's assignment bytes."""
        try:
            conn = await self.coordinator.connection()
        except (KafkaConnectionError, RequestTimeoutError, KafkaError) as exc:
            retriable = not isinstance(exc, KafkaError) or exc.retriable
            raise _JoinFailed(exc, retriable) from exc
        self.state = MemberState.PREPARING_REBALANCE
        sent = self.generation
        subs = self.host.subscriptions
        self.joined_subscription = subs.subscription
        protocols = []
        for assignor in self.assignors:
            subscription = gr.Subscription(
                topics=tuple(sorted(self.joined_subscription)),
                user_data=assignor.subscription_user_data(self.joined_subscription),
                owned_partitions=tuple(subs.assigned_partitions()),
                generation_id=self.generation.generation_id,
                rack_id=self.rack_id,
            )
            protocols.append((assignor.name, gr.encode_subscription(subscription)))
        version = conn.version_for(gr.JOIN_GROUP)
        try:
            request = gr.join_group_request(
                version,
                group_id=self.group_id,
                session_timeout_ms=self.session_timeout_ms,
                rebalance_timeout_ms=self.rebalance_timeout_ms,
                member_id=self.generation.member_id,
                group_instance_id=self.group_instance_id,
                protocols=protocols,
                reason=self.rejoin_reason,
            )
        except KafkaError as exc:  # static membership on a broker without it
            raise _JoinFailed(exc, False) from exc
        log.info("group %s: (re-)joining group", self.group_id)
        timeout_ms = max(
            self.host.config.request_timeout_ms,
            self.rebalance_timeout_ms + _JOIN_GROUP_TIMEOUT_LAPSE_MS,
        )
        try:
            response = gr.read_join_group_response(
                await conn.request(request, version=version, timeout=timeout_ms / 1000), version
            )
        except (KafkaConnectionError, RequestTimeoutError) as exc:
            self.coordinator.coordinator_unknown(str(exc), disconnected=True)
            raise _JoinFailed(exc, True) from exc
        code = response.error_code
        if code == _NONE:
            if response.protocol_type not in (None, gr.CONSUMER_PROTOCOL_TYPE):
                raise _JoinFailed(error_for_code(_INCONSISTENT_GROUP_PROTOCOL), False)
            if self.state is not MemberState.PREPARING_REBALANCE:
                raise _JoinFailed(ConsumerError("the member left the group during the join"), True)
            self.state = MemberState.COMPLETING_REBALANCE
            self.generation = Generation(
                response.generation_id, response.member_id, response.protocol_name
            )
            now = self._now_ms()
            self._timers().reset_timeouts(now)  # Java enables the heartbeat thread here
            self._heartbeat_wake.set()
            log.info(
                "group %s: successfully joined group with generation %d (member %s%s)",
                self.group_id,
                response.generation_id,
                response.member_id,
                ", leader" if response.is_leader else "",
            )
            if response.is_leader:
                assignments = await self._on_leader_elected(response)
            else:
                assignments = {}
            return await self._sync(conn, assignments)
        if code == _MEMBER_ID_REQUIRED:
            # KIP-394: join again with the member id the broker chose.
            self.generation = Generation(-1, response.member_id, None)
            self.request_rejoin(f"need to re-join with the given member-id: {response.member_id}")
            raise _JoinFailed(error_for_code(code), True, immediate=True)
        if code == _UNKNOWN_MEMBER_ID:
            if self.generation == sent:
                self._reset_state_and_rejoin(
                    "encountered UNKNOWN_MEMBER_ID from JOIN_GROUP response", reset_member_id=True
                )
            raise _JoinFailed(error_for_code(code), True, immediate=True)
        if code == _REBALANCE_IN_PROGRESS:
            raise _JoinFailed(error_for_code(code), True, immediate=True)
        if code in (_COORDINATOR_NOT_AVAILABLE, _NOT_COORDINATOR):
            self.coordinator.coordinator_unknown(error_for_code(code).name)
            raise _JoinFailed(error_for_code(code), True)
        if code == _COORDINATOR_LOAD_IN_PROGRESS:
            raise _JoinFailed(error_for_code(code), True)
        if code == _GROUP_MAX_SIZE_REACHED:
            raise _JoinFailed(
                GroupMaxSizeReachedError(
                    f"Consumer group {self.group_id} already has the configured maximum number "
                    "of members."
                ),
                False,
            )
        if code == _GROUP_AUTHORIZATION_FAILED:
            raise _JoinFailed(
                GroupAuthorizationFailedError(f"Not authorized to access group: {self.group_id}"),
                False,
            )
        if code == _FENCED_INSTANCE_ID:
            log.error(
                "group %s: JoinGroup failed: the group instance id %s has been fenced by another "
                "instance",
                self.group_id,
                self.group_instance_id,
            )
            raise _JoinFailed(
                FencedInstanceIdError(
                    f"group.instance.id {self.group_instance_id} was fenced by another member "
                    f"of group {self.group_id} with the same instance id"
                ),
                False,
            )
        if code in _FATAL_JOIN_ERRORS:
            raise _JoinFailed(error_for_code(code), False)
        raise _JoinFailed(
            ConsumerError(f"Unexpected error in join group response: {error_for_code(code)}"),
            False,
        )

    async def _sync(self, conn: Any, assignments: Mapping[str, bytes]) -> bytes:
        sent = self.generation
        version = conn.version_for(gr.SYNC_GROUP)
        request = gr.sync_group_request(
            version,
            group_id=self.group_id,
            generation_id=sent.generation_id,
            member_id=sent.member_id,
            group_instance_id=self.group_instance_id,
            protocol_name=sent.protocol_name,
            assignments=assignments,
        )
        try:
            code, protocol_type, protocol_name, assignment = gr.read_sync_group_response(
                await conn.request(request, version=version), version
            )
        except (KafkaConnectionError, RequestTimeoutError) as exc:
            self.coordinator.coordinator_unknown(str(exc), disconnected=True)
            raise _JoinFailed(exc, True) from exc
        if code == _NONE:
            if protocol_type not in (None, gr.CONSUMER_PROTOCOL_TYPE) or (
                protocol_name is not None and protocol_name != sent.protocol_name
            ):
                raise _JoinFailed(
                    InconsistentGroupProtocolError("SyncGroup: inconsistent protocol"), False
                )
            if self.generation.reset or self.state is not MemberState.COMPLETING_REBALANCE:
                # The heartbeat task reset the generation meanwhile: rejoin at once.
                raise _JoinFailed(error_for_code(_ILLEGAL_GENERATION), True, immediate=True)
            log.info(
                "group %s: successfully synced group in generation %d",
                self.group_id,
                sent.generation_id,
            )
            self.state = MemberState.STABLE
            self.rejoin_reason = ""
            self.rejoin_needed = False
            return assignment
        if code == _GROUP_AUTHORIZATION_FAILED:
            raise _JoinFailed(
                GroupAuthorizationFailedError(f"Not authorized to access group: {self.group_id}"),
                False,
            )
        if code == _REBALANCE_IN_PROGRESS:
            raise _JoinFailed(error_for_code(code), True, immediate=True)
        if code == _FENCED_INSTANCE_ID:
            raise _JoinFailed(error_for_code(code), False)
        if code in (_UNKNOWN_MEMBER_ID, _ILLEGAL_GENERATION):
            if self.generation == sent:
                self._reset_state_and_rejoin(
                    f"encountered {error_for_code(code).name} from SYNC_GROUP response",
                    reset_member_id=code != _ILLEGAL_GENERATION,
                )
            raise _JoinFailed(error_for_code(code), True, immediate=True)
        if code in (_COORDINATOR_NOT_AVAILABLE, _NOT_COORDINATOR):
            self.coordinator.coordinator_unknown(error_for_code(code).name)
            raise _JoinFailed(error_for_code(code), True)
        raise _JoinFailed(
            ConsumerError(f"Unexpected error from SyncGroup: {error_for_code(code)}"), False
        )

    def _assignor(self, name: str | None) -> AbstractPartitionAssignor:
        for assignor in self.assignors:
            if assignor.name == name:
                return assignor
        raise PartitionAssignmentError(f"Coordinator selected invalid assignment protocol: {name}")

    async def _on_leader_elected(self, response: gr.JoinGroupResult) -> dict[str, bytes]:
        """Java's ``ConsumerCoordinator.onLeaderElected``: decode every member's subscription,
        fetch metadata for all their topics, run the chosen assignor."""
        try:
            assignor = self._assignor(response.protocol_name)
            subscriptions: dict[str, gr.Subscription] = {}
            owned: dict[str, tuple[TopicPartition, ...]] = {}
            topics: set[str] = set()
            for member in response.members:
                decoded = gr.decode_subscription(member.metadata)
                subscription = gr.Subscription(
                    decoded.topics,
                    decoded.user_data,
                    decoded.owned_partitions,
                    decoded.generation_id,
                    decoded.rack_id,
                    member.group_instance_id,
                )
                subscriptions[member.member_id] = subscription
                topics.update(subscription.topics)
                owned[member.member_id] = subscription.owned_partitions
        except (DecodeError, PartitionAssignmentError) as exc:
            raise _JoinFailed(exc, False) from exc
        subs = self.host.subscriptions
        subs.group_subscribe(topics)
        self.is_leader = True
        try:
            await self.host.client.refresh_metadata(sorted(topics))
        except (KafkaConnectionError, RequestTimeoutError, KafkaError) as exc:
            raise _JoinFailed(exc, True) from exc
        if response.skip_assignment:
            # KIP-814: a static leader that rejoined keeps its assignment; the others too.
            log.info(
                "group %s: skipped assignment for returning static leader at generation %d",
                self.group_id,
                self.generation.generation_id,
            )
            self.assignment_snapshot = self._snapshot()
            return {}
        meta = self.host.client.metadata
        partitions: dict[str, list[PartitionInfo]] = {}
        for topic in topics:
            t = meta.topics.get(topic)
            if t is None or t.error is not None or not t.partitions:
                log.debug("skipping assignment for topic %s since no metadata is available", topic)
                continue
            partitions[topic] = [
                PartitionInfo(
                    topic,
                    p,
                    tuple(
                        b.rack if (b := meta.brokers.get(n)) is not None else None
                        for n in t.partitions[p].replicas
                    ),
                )
                for p in sorted(t.partitions)
            ]
        try:
            assignments = assignor.assign(partitions, subscriptions)
            if (
                self.protocol is RebalanceProtocol.COOPERATIVE
                and assignor.name != "cooperative-sticky"
            ):
                _validate_cooperative(owned, assignments)
        except PartitionAssignmentError as exc:
            raise _JoinFailed(exc, False) from exc
        self.assignment_snapshot = self._snapshot()
        log.info(
            "group %s: finished assignment for generation %d: %s",
            self.group_id,
            self.generation.generation_id,
            {m: [str(tp) for tp in a.partitions] for m, a in assignments.items()},
        )
        return {m: gr.encode_assignment(a) for m, a in assignments.items()}

    async def _on_join_prepare(self, generation: int, member_id: str) -> None:
        """Java's ``onJoinPrepare``, in the application's call: commit what was consumed
        (auto commit; EAGER stops fetching first), then tell the listener what is revoked or
        lost and take it away."""
        host = self.host
        subs = host.subscriptions
        deadline = asyncio.get_running_loop().time() + self.rebalance_timeout_ms / 1000

        async def commit() -> None:
            if self.protocol is RebalanceProtocol.EAGER:
                subs.mark_pending_revocation(subs.assigned_partitions())
            await host.commit_before_revocation(deadline)

        await host.app.run(commit)
        error: BaseException | None = None
        if generation == -1 or member_id == "":
            lost = subs.assigned_partitions()
            if lost:
                log.info(
                    "group %s: giving away all assigned partitions as lost since generation/"
                    "memberID has been reset, indicating that consumer is in old state or no "
                    "longer part of the group",
                    self.group_id,
                )
                error = await host.app.listener_call(ListenerMethod.LOST, lost)
                await host.app.run(lambda: self._assign([]))
        elif self.protocol is RebalanceProtocol.EAGER:
            revoked = subs.assigned_partitions()
            error = await host.app.listener_call(ListenerMethod.REVOKED, revoked)
            await host.app.run(lambda: self._assign([]))
        else:
            owned = subs.assigned_partitions()
            revoked = [tp for tp in owned if tp.topic not in subs.subscription]
            if revoked:
                error = await host.app.listener_call(ListenerMethod.REVOKED, revoked)
                await host.app.run(lambda: self._assign([tp for tp in owned if tp not in revoked]))
        self.is_leader = False
        subs.reset_group_subscription()
        if error is not None:
            host.report(ConsumerError(f"User rebalance callback throws an error: {error!r}"))

    def _assign(self, partitions: Sequence[TopicPartition]) -> None:
        self.host.subscriptions.assign_from_subscribed(partitions)
        self.host.assignment_changed()

    async def _on_join_complete(self, generation: Generation, assignment_bytes: bytes) -> None:
        """Java's ``ConsumerCoordinator.onJoinComplete``, in the application's call."""
        host = self.host
        subs = host.subscriptions
        if not self.is_leader:
            self.assignment_snapshot = None
        assignor = self._assignor(generation.protocol_name)
        self.group_generation = generation.generation_id
        self.group_member_id = generation.member_id
        if len(assignment_bytes) < 2:
            raise PartitionAssignmentError(
                "There are insufficient bytes available to read assignment from the sync-group "
                f"response (actual byte size {len(assignment_bytes)}), this is not expected; it "
                "is possible that the leader's assign function is buggy and did not return any "
                "assignment for this member, or because static member is configured and the "
                "protocol is buggy hence did not get the assignment for this member"
            )
        assignment = gr.decode_assignment(assignment_bytes)
        assigned = sorted_partitions(assignment.partitions)
        if not subs.assignment_matches_subscription(assigned):
            self.request_rejoin("received assignment does not match the current subscription")
            return
        owned = sorted_partitions(subs.assigned_partitions())
        added = [tp for tp in assigned if tp not in set(owned)]
        log.info(
            "group %s: assigned partitions %s (added %s)",
            self.group_id,
            [str(tp) for tp in assigned],
            [str(tp) for tp in added],
        )
        first_error: BaseException | None = None
        if self.protocol is RebalanceProtocol.COOPERATIVE:
            revoked = [tp for tp in owned if tp not in set(assigned)]
            if revoked:
                # Revoke first (the listener still sees them assigned), then rejoin so the
                # partitions can go to their new owner (KIP-429).
                first_error = await host.app.listener_call(ListenerMethod.REVOKED, revoked)
                self.request_rejoin("need to revoke partitions and re-join")

        def apply() -> None:
            if subs.has_auto_assigned_partitions:
                if subs.pattern is not None and subs.type.value == "auto_pattern":
                    extra = {tp.topic for tp in assigned} - (self.joined_subscription or set())
                    if extra:
                        subs.subscribe_from_pattern(subs.subscription | extra)
                assignor.on_assignment(assignment, generation.generation_id)
                host.reset_auto_commit_timer()
                self._assign(assigned)

        await host.app.run(apply)
        error = await host.app.listener_call(ListenerMethod.ASSIGNED, added)
        first_error = first_error or error
        if first_error is not None:
            host.report(ConsumerError(f"User rebalance callback throws an error: {first_error!r}"))

    # --- heartbeats -----------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        """Java's ``HeartbeatThread.run``."""
        loop = asyncio.get_running_loop()
        retry_s = self.host.config.retry_backoff_ms / 1000
        try:
            while not self.closed:
                if self.state.has_not_joined:
                    self._heartbeat_wake.clear()
                    await self._heartbeat_wake.wait()
                    continue
                timers = self._timers()
                now = loop.time() * 1000
                if self.host.polling:
                    timers.poll(now)  # inside poll (a long one, or a rebalance callback)
                coordinator = self.coordinator
                if coordinator.coordinator is None:
                    try:
                        await coordinator.lookup()
                    except (KafkaConnectionError, RequestTimeoutError, KafkaError) as exc:
                        if isinstance(exc, KafkaError) and not exc.retriable:
                            raise
                        await asyncio.sleep(retry_s)
                elif coordinator.discoveries != self._discoveries_seen:
                    # Java's FindCoordinator handler: a newly found coordinator gets a whole
                    # session. Without it a session that expired while the loop was blocked
                    # drops each new coordinator connection at once, with the commits on it.
                    self._discoveries_seen = coordinator.discoveries
                    timers.reset_session(now)
                elif timers.session_expired(now):
                    coordinator.coordinator_unknown(
                        "session timed out without receiving a heartbeat response"
                    )
                elif timers.poll_expired(now):
                    log.warning(
                        "group %s: consumer poll timeout has expired. This means the time "
                        "between subsequent calls to poll() was longer than the configured "
                        "max.poll.interval.ms, which typically implies that the poll loop is "
                        "spending too much time processing messages. You can address this either "
                        "by increasing max.poll.interval.ms or by reducing the maximum size of "
                        "batches returned in poll() with max.poll.records.",
                        self.group_id,
                    )
                    await self.maybe_leave_group("consumer poll timeout has expired.")
                elif not timers.should_heartbeat(now) or timers.in_flight:
                    wait = min(
                        timers.next_heartbeat - now,
                        timers.session_deadline - now,
                        timers.poll_deadline - now,
                    )
                    self._heartbeat_wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(
                            max(wait, 1) / 1000 if not timers.in_flight else retry_s
                        ):
                            await self._heartbeat_wake.wait()
                else:
                    timers.sent(now)
                    self._spawn(self._send_heartbeat())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # raised by the next poll, which starts heartbeating again
            self.host.report(exc)

    async def _send_heartbeat(self) -> None:
        """One Heartbeat and Java's ``HeartbeatResponseHandler``."""
        sent = self.generation
        timers = self._timers()
        loop = asyncio.get_running_loop()
        try:
            conn = await self.coordinator.connection()
            version = conn.version_for(gr.HEARTBEAT)
            request = gr.heartbeat_request(
                version,
                group_id=self.group_id,
                generation_id=sent.generation_id,
                member_id=sent.member_id,
                group_instance_id=self.group_instance_id,
            )
            code = gr.read_heartbeat_response(await conn.request(request, version=version), version)
        except asyncio.CancelledError:
            raise
        except (KafkaConnectionError, RequestTimeoutError, KafkaError) as exc:
            if isinstance(exc, (KafkaConnectionError, RequestTimeoutError)):
                self.coordinator.coordinator_unknown(str(exc), disconnected=True)
            timers.failed(loop.time() * 1000)
            self._heartbeat_wake.set()
            return
        now = loop.time() * 1000
        if code == _NONE:
            timers.received(now)
        elif code in (_COORDINATOR_NOT_AVAILABLE, _NOT_COORDINATOR):
            self.coordinator.coordinator_unknown(error_for_code(code).name)
            timers.failed(now)
        elif code == _REBALANCE_IN_PROGRESS:
            # Keep heartbeating through a rebalance: the coordinator keeps us in the group.
            if self.state is MemberState.STABLE:
                self.request_rejoin("group is already rebalancing")
                self.host.wake()
            timers.received(now)
        elif code in (_ILLEGAL_GENERATION, _UNKNOWN_MEMBER_ID, _FENCED_INSTANCE_ID):
            if self.generation == sent:
                log.info(
                    "group %s: attempt to heartbeat with generation %d failed due to %s, "
                    "resetting generation",
                    self.group_id,
                    sent.generation_id,
                    error_for_code(code).name,
                )
                self._reset_state_and_rejoin(
                    f"encountered {error_for_code(code).name} from HEARTBEAT response",
                    reset_member_id=code != _ILLEGAL_GENERATION,
                )
                if code == _FENCED_INSTANCE_ID:
                    self.host.report(
                        FencedInstanceIdError(
                            f"group.instance.id {self.group_instance_id} was fenced by another "
                            f"member of group {self.group_id}"
                        )
                    )
                timers.failed(now)
                self.host.wake()
            else:
                timers.received(now)
        elif code == _GROUP_AUTHORIZATION_FAILED:
            self.host.report(
                GroupAuthorizationFailedError(f"Not authorized to access group: {self.group_id}")
            )
            timers.failed(now)
        else:
            self.host.report(
                ConsumerError(f"Unexpected error in heartbeat response: {error_for_code(code)}")
            )
            timers.failed(now)
        self._heartbeat_wake.set()

    # --- leaving ---------------------------------------------------------------------------------

    async def maybe_leave_group(self, reason: str) -> None:
        """Java's ``maybeLeaveGroup`` (DEFAULT operation): a dynamic member that is in the group
        sends LeaveGroup; a static one stays (KIP-345) until its session times out. Either way
        the generation is reset, so the next poll rejoins."""
        generation = self.generation
        coordinator = self.coordinator
        if (
            coordinator.coordinator is not None
            and self.state is not MemberState.UNJOINED
            and generation.member_id
            and self.group_instance_id is None
        ):
            log.info(
                "group %s: member %s sending LeaveGroup request to coordinator %d due to %s",
                self.group_id,
                generation.member_id,
                coordinator.coordinator,
                reason,
            )
            try:
                conn = await coordinator.connection()
                version = conn.version_for(gr.LEAVE_GROUP)
                request = gr.leave_group_request(
                    version,
                    group_id=self.group_id,
                    member_id=generation.member_id,
                    group_instance_id=self.group_instance_id,
                    reason=reason,
                )
                code = gr.read_leave_group_response(
                    await conn.request(request, version=version), version
                )
                if code:
                    log.error(
                        "group %s: LeaveGroup request failed with error: %s",
                        self.group_id,
                        error_for_code(code),
                    )
            except (KafkaConnectionError, RequestTimeoutError, KafkaError) as exc:
                log.info("group %s: LeaveGroup request failed: %s", self.group_id, exc)
        self._reset_state_and_rejoin(
            "consumer pro-actively leaving the group", reset_member_id=True
        )

    async def prepare_leave(self) -> None:
        """Java's ``onLeavePrepare`` (close, unsubscribe), in the application's call: the
        listener gets the partitions as revoked, or as lost when the member is not stable."""
        subs = self.host.subscriptions
        dropped = subs.assigned_partitions()
        if subs.has_auto_assigned_partitions and dropped:
            generation = self.generation
            if (
                generation.generation_id == -1
                or generation.member_id == ""
                or self.state in (MemberState.PREPARING_REBALANCE, MemberState.COMPLETING_REBALANCE)
            ):
                error = await self.host.app.listener_call(ListenerMethod.LOST, dropped)
            else:
                error = await self.host.app.listener_call(ListenerMethod.REVOKED, dropped)
            await self.host.app.run(lambda: self._assign([]))
            if error is not None:
                raise ConsumerError(f"User rebalance callback throws an error: {error!r}")

    async def leave(self, reason: str) -> None:
        """Stop joining and heartbeating, then leave the group (``close``/``unsubscribe``)."""
        for task in (self._join_task, self._heartbeat_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self._join_task = self._heartbeat_task = None
        await self.maybe_leave_group(reason)
        self.joined_subscription = None
        self.assignment_snapshot = None

    async def close(self) -> None:
        self.closed = True
        for task in (self._join_task, self._heartbeat_task, *self._requests):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


def _validate_cooperative(
    owned: Mapping[str, Sequence[TopicPartition]], assignments: Mapping[str, gr.Assignment]
) -> None:
    """Java's ``validateCooperativeAssignment``: a COOPERATIVE assignor may not hand a partition
    to a new owner while another member still owns it."""
    added: set[TopicPartition] = set()
    revoked: set[TopicPartition] = set()
    for member, assignment in assignments.items():
        mine = set(owned.get(member, ()))
        added |= set(assignment.partitions) - mine
        revoked |= mine - set(assignment.partitions)
    if added & revoked:
        raise PartitionAssignmentError(
            "Assignor supporting the COOPERATIVE protocol violates its requirements: "
            f"{sorted(map(str, added & revoked))} reassigned while still owned"
        )
