"""``SubscriptionState``: which partitions this consumer reads and, per partition, where it
stands — Java's ``SubscriptionState`` and its ``TopicPartitionState``/``FetchState``.

Per assigned partition: the fetch state (``INITIALIZING`` until a position is known,
``FETCHING``, ``AWAIT_RESET`` while ``auto.offset.reset`` or a seek-to is pending,
``AWAIT_VALIDATION`` while KIP-320 checks the position against a new leader), the position
(offset, the epoch of the last record consumed, and the leader it was validated against), the
partition's high watermark / last stable offset / log start offset from the last fetch, whether
the user paused it, the preferred read replica (KIP-392) and the backoff of a pending reset or
validation.

Assignment comes from one place at a time (Java's ``SubscriptionType``): ``assign`` by the user,
or group management after ``subscribe`` (topics, a client-side ``re.Pattern``, or a
``SubscriptionPattern`` the broker evaluates, KIP-848), whose coordinator assigns through
``assign_from_subscribed`` keeping the state of partitions kept. A partition being revoked stops
being fetched (``pending_revocation``, so a position cannot move past what is committed before
revocation), and one just assigned by KIP-848 waits for ``on_partitions_assigned`` before it is
fetched or its position looked up (``awaiting_callback``), as in Java. This module is sans-I/O: no
sockets, no event loop, no clock of its own (callers pass ``now`` in ms); it must never import
the engine.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kafkaproto.consumer.config import OffsetResetStrategy
from kafkaproto.consumer.errors import UnassignedPartitionError
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern

__all__ = [
    "FetchPosition",
    "FetchState",
    "LeaderAndEpoch",
    "SubscriptionState",
    "SubscriptionType",
    "TopicPartitionState",
]

_EXCLUSIVE = "Subscription to topics, partitions and pattern are mutually exclusive"


class FetchState(enum.Enum):
    """Java's ``FetchStates``; only ``FETCHING`` partitions are fetched."""

    INITIALIZING = "initializing"
    FETCHING = "fetching"
    AWAIT_RESET = "await_reset"
    AWAIT_VALIDATION = "await_validation"

    @property
    def has_position(self) -> bool:
        return self in (FetchState.FETCHING, FetchState.AWAIT_VALIDATION)


class SubscriptionType(enum.Enum):
    """Java's ``SubscriptionState.SubscriptionType``: where the assignment comes from."""

    NONE = "none"
    AUTO_TOPICS = "auto_topics"  # subscribe(topics): the group assigns
    AUTO_PATTERN = "auto_pattern"  # subscribe(re.Pattern): matched here, the group assigns
    AUTO_PATTERN_RE2J = "auto_pattern_re2j"  # subscribe(SubscriptionPattern): the broker matches
    USER_ASSIGNED = "user_assigned"  # assign(partitions)

    @property
    def auto(self) -> bool:
        return self in _AUTO


_AUTO = frozenset(
    {
        SubscriptionType.AUTO_TOPICS,
        SubscriptionType.AUTO_PATTERN,
        SubscriptionType.AUTO_PATTERN_RE2J,
    }
)


@dataclass(frozen=True, slots=True)
class LeaderAndEpoch:
    """A partition's leader (node id, None when unknown) and its epoch (None when unknown)."""

    leader: int | None
    epoch: int | None

    @staticmethod
    def no_leader() -> LeaderAndEpoch:
        return _NO_LEADER


_NO_LEADER = LeaderAndEpoch(None, None)


@dataclass(frozen=True, slots=True)
class FetchPosition:
    """Where fetching goes on (Java's ``SubscriptionState.FetchPosition``): the next offset,
    the leader epoch of the record before it (KIP-320's ``lastFetchedEpoch``, None when
    unknown) and the leader this position was last validated against."""

    offset: int
    offset_epoch: int | None = None
    current_leader: LeaderAndEpoch = _NO_LEADER


class TopicPartitionState:
    """The state of one assigned partition (mutable, owned by :class:`SubscriptionState`)."""

    __slots__ = (
        "awaiting_callback",
        "end_offset_requested",
        "fetch_state",
        "high_watermark",
        "last_stable_offset",
        "log_start_offset",
        "next_retry_ms",
        "paused",
        "pending_revocation",
        "position",
        "preferred_read_replica",
        "preferred_read_replica_expires_ms",
        "reset_strategy",
    )

    def __init__(self) -> None:
        self.fetch_state = FetchState.INITIALIZING
        self.position: FetchPosition | None = None
        self.high_watermark: int | None = None
        self.last_stable_offset: int | None = None
        self.log_start_offset: int | None = None
        self.paused = False
        self.reset_strategy: OffsetResetStrategy | None = None
        self.next_retry_ms = 0  # a reset/validation in flight or backing off until then
        self.preferred_read_replica: int | None = None
        self.preferred_read_replica_expires_ms = 0
        self.end_offset_requested = False
        # Being revoked (auto commit, onPartitionsRevoked in progress): no more fetches.
        self.pending_revocation = False
        # KIP-848: assigned, but onPartitionsAssigned has not returned yet.
        self.awaiting_callback = False

    @property
    def has_valid_position(self) -> bool:
        return self.fetch_state is FetchState.FETCHING

    @property
    def fetchable(self) -> bool:
        """Java's ``isFetchable``: not paused, not being revoked, not waiting for its callback,
        with a valid position."""
        return (
            self.fetch_state is FetchState.FETCHING
            and not self.paused
            and not self.pending_revocation
            and not self.awaiting_callback
        )

    def transition(self, state: FetchState, position: FetchPosition | None) -> None:
        self.fetch_state = state
        self.position = position
        if state is not FetchState.AWAIT_RESET:
            self.reset_strategy = None
        self.next_retry_ms = 0


class SubscriptionState:
    """See the module docstring. ``default_reset`` is ``auto.offset.reset``."""

    def __init__(self, default_reset: OffsetResetStrategy) -> None:
        self.default_reset = default_reset
        self.type = SubscriptionType.NONE
        self._assignment: dict[TopicPartition, TopicPartitionState] = {}
        #: Bumped whenever the assignment changes (fetches sent under an older one are stale).
        self.assignment_id = 0
        #: The topics subscribed to (given, or matched by the pattern here).
        self.subscription: frozenset[str] = frozenset()
        #: The pattern of ``subscribe(re.Pattern)`` or ``subscribe(SubscriptionPattern)``.
        self.pattern: re.Pattern[str] | SubscriptionPattern | None = None
        #: The rebalance listener given to ``subscribe`` (None: none).
        self.listener: Any = None
        #: The leader's view: every topic the group subscribes to (Java's groupSubscription).
        self.group_subscription: frozenset[str] = frozenset()

    # --- subscription --------------------------------------------------------------------------

    def _set_type(self, wanted: SubscriptionType) -> None:
        """Java's ``setSubscriptionType``: one source of assignment at a time."""
        if self.type is SubscriptionType.NONE:
            self.type = wanted
        elif self.type is not wanted:
            raise ValueError(_EXCLUSIVE)

    def subscribe(self, topics: Iterable[str], listener: Any = None) -> bool:
        """Java's ``subscribe(Set<String>, listener)``; returns whether the topics changed."""
        self._set_type(SubscriptionType.AUTO_TOPICS)
        self.listener = listener
        return self._change_subscription(frozenset(topics))

    def subscribe_pattern(
        self, pattern: re.Pattern[str] | SubscriptionPattern, listener: Any = None
    ) -> None:
        """Java's ``subscribe(Pattern | SubscriptionPattern, listener)``."""
        self._set_type(
            SubscriptionType.AUTO_PATTERN_RE2J
            if isinstance(pattern, SubscriptionPattern)
            else SubscriptionType.AUTO_PATTERN
        )
        self.listener = listener
        self.pattern = pattern

    def subscribe_from_pattern(self, topics: Iterable[str]) -> bool:
        """The topics a client-side pattern matches now; returns whether they changed."""
        if self.type is not SubscriptionType.AUTO_PATTERN:
            raise ValueError(
                "Attempt to subscribe from pattern while subscription type set to "
                + self.type.value
            )
        return self._change_subscription(frozenset(topics))

    def matches_pattern(self, topic: str) -> bool:
        """Java's ``matchesSubscribedPattern``: the whole name matches (``Matcher.matches``)."""
        pattern = self.pattern
        return isinstance(pattern, re.Pattern) and pattern.fullmatch(topic) is not None

    def _change_subscription(self, topics: frozenset[str]) -> bool:
        if topics == self.subscription:
            return False
        self.subscription = topics
        return True

    def group_subscribe(self, topics: Iterable[str]) -> bool:
        """The leader tracks every topic the group subscribes to; returns whether it grew."""
        wanted = frozenset(topics) | self.subscription
        changed = wanted != self.group_subscription
        self.group_subscription = wanted
        return changed

    def reset_group_subscription(self) -> None:
        self.group_subscription = frozenset()

    @property
    def has_auto_assigned_partitions(self) -> bool:
        return self.type.auto

    @property
    def has_no_subscription_or_user_assignment(self) -> bool:
        return self.type is SubscriptionType.NONE

    def assignment_matches_subscription(self, partitions: Iterable[TopicPartition]) -> bool:
        """Java's ``checkAssignmentMatchedSubscription``: every partition's topic is
        subscribed (or, for a client-side pattern, matches it)."""
        for tp in partitions:
            if tp.topic in self.subscription:
                continue
            if self.type is SubscriptionType.AUTO_PATTERN and self.matches_pattern(tp.topic):
                continue
            if self.type is SubscriptionType.AUTO_PATTERN_RE2J:
                continue  # the broker matched it
            return False
        return True

    # --- assignment ----------------------------------------------------------------------------

    def assign_from_user(self, partitions: Iterable[TopicPartition]) -> bool:
        """Java's ``assignFromUser``: replace the assignment; partitions kept keep their state.
        Returns whether it changed."""
        wanted = list(dict.fromkeys(partitions))
        if wanted:
            self._set_type(SubscriptionType.USER_ASSIGNED)
        elif self.type is SubscriptionType.USER_ASSIGNED:
            self.type = SubscriptionType.NONE
        return self._replace_assignment(wanted)

    def assign_from_subscribed(self, partitions: Iterable[TopicPartition]) -> bool:
        """Java's ``assignFromSubscribed``: the group's assignment replaces the current one;
        partitions kept keep their state. Returns whether it changed."""
        if not self.type.auto:
            raise ValueError(
                "Attempt to dynamically assign partitions while manual assignment in use"
            )
        return self._replace_assignment(sorted(set(partitions)))

    def assign_from_subscribed_awaiting_callback(
        self, assigned: Iterable[TopicPartition], added: Iterable[TopicPartition]
    ) -> bool:
        """KIP-848 (Java's ``assignFromSubscribedAwaitingCallback``): ``added`` partitions are
        neither fetched nor initialized until :meth:`enable_partitions_awaiting_callback`."""
        changed = self.assign_from_subscribed(assigned)
        for tp in added:
            state = self._assignment.get(tp)
            if state is not None:
                state.awaiting_callback = True
        return changed

    def enable_partitions_awaiting_callback(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            state = self._assignment.get(tp)
            if state is not None:
                state.awaiting_callback = False

    def mark_pending_revocation(self, partitions: Iterable[TopicPartition]) -> None:
        """Stop fetching (and handing out records of) partitions about to be revoked."""
        for tp in partitions:
            state = self._assignment.get(tp)
            if state is not None:
                state.pending_revocation = True

    def _replace_assignment(self, wanted: list[TopicPartition]) -> bool:
        if list(self._assignment) == wanted:
            return False
        old = self._assignment
        self._assignment = {tp: old.get(tp) or TopicPartitionState() for tp in wanted}
        self.assignment_id += 1
        return True

    def unsubscribe(self) -> None:
        self._assignment = {}
        self.type = SubscriptionType.NONE
        self.subscription = frozenset()
        self.group_subscription = frozenset()
        self.pattern = None
        self.listener = None
        self.assignment_id += 1

    def assigned_partitions(self) -> list[TopicPartition]:
        return list(self._assignment)

    def assigned_topics(self) -> set[str]:
        return {tp.topic for tp in self._assignment}

    def is_assigned(self, tp: TopicPartition) -> bool:
        return tp in self._assignment

    def state(self, tp: TopicPartition) -> TopicPartitionState:
        """The partition's state; ``UnassignedPartitionError`` if it is not assigned."""
        state = self._assignment.get(tp)
        if state is None:
            raise UnassignedPartitionError(f"No current assignment for partition {tp}")
        return state

    def get(self, tp: TopicPartition) -> TopicPartitionState | None:
        """The partition's state, None when it is not assigned."""
        return self._assignment.get(tp)

    def items(self) -> Iterator[tuple[TopicPartition, TopicPartitionState]]:
        return iter(self._assignment.items())

    # --- positions -----------------------------------------------------------------------------

    def seek(self, tp: TopicPartition, position: FetchPosition) -> None:
        """Java's ``seekUnvalidated``: fetch from here; KIP-320 validates it against the
        leader when it carries an epoch."""
        state = self.state(tp)
        if position.offset_epoch is not None and position.current_leader.epoch is not None:
            state.transition(FetchState.AWAIT_VALIDATION, position)
        else:
            state.transition(FetchState.FETCHING, position)
        state.end_offset_requested = False

    def seek_validated(self, tp: TopicPartition, position: FetchPosition) -> None:
        """A position that needs no validation (reset results, validated positions)."""
        self.state(tp).transition(FetchState.FETCHING, position)

    def position(self, tp: TopicPartition) -> FetchPosition | None:
        return self.state(tp).position

    def request_reset(
        self, tp: TopicPartition, strategy: OffsetResetStrategy | None = None
    ) -> None:
        """Reset ``tp`` with ``strategy`` (default: ``auto.offset.reset``) before fetching."""
        state = self.state(tp)
        state.transition(FetchState.AWAIT_RESET, None)
        state.reset_strategy = strategy or self.default_reset

    def reset_initializing_positions(self) -> list[TopicPartition]:
        """Java's ``resetInitializingPositions``: partitions still without a position (no
        committed offset) go to the default reset strategy. Returns them."""
        out = []
        for tp, state in self._assignment.items():
            if state.fetch_state is FetchState.INITIALIZING and not state.awaiting_callback:
                state.transition(FetchState.AWAIT_RESET, None)
                state.reset_strategy = self.default_reset
                out.append(tp)
        return out

    def partitions_needing_reset(self, now_ms: int) -> list[TopicPartition]:
        return [
            tp
            for tp, s in self._assignment.items()
            if s.fetch_state is FetchState.AWAIT_RESET and s.next_retry_ms <= now_ms
        ]

    def partitions_needing_validation(self, now_ms: int) -> list[TopicPartition]:
        return [
            tp
            for tp, s in self._assignment.items()
            if s.fetch_state is FetchState.AWAIT_VALIDATION and s.next_retry_ms <= now_ms
        ]

    def initializing_partitions(self) -> list[TopicPartition]:
        """Partitions without a position yet (those waiting for onPartitionsAssigned wait)."""
        return [
            tp
            for tp, s in self._assignment.items()
            if s.fetch_state is FetchState.INITIALIZING and not s.awaiting_callback
        ]

    def has_all_fetch_positions(self) -> bool:
        return all(s.has_valid_position or s.awaiting_callback for s in self._assignment.values())

    def set_next_retry(self, partitions: Iterable[TopicPartition], when_ms: int) -> None:
        for tp in partitions:
            state = self._assignment.get(tp)
            if state is not None:
                state.next_retry_ms = when_ms

    def maybe_validate_for_leader(self, tp: TopicPartition, leader: LeaderAndEpoch) -> bool:
        """Java's ``maybeValidatePositionForCurrentLeader``: a position fetched under an older
        leader epoch is validated (KIP-320) before fetching from a new leader; without epochs
        it just moves to the new leader. Returns whether validation is now needed."""
        state = self._assignment.get(tp)
        if state is None or state.position is None or not state.fetch_state.has_position:
            return False
        pos = state.position
        if leader.leader is None:
            return False
        if pos.current_leader == leader:
            return state.fetch_state is FetchState.AWAIT_VALIDATION
        moved = FetchPosition(pos.offset, pos.offset_epoch, leader)
        if (
            pos.offset_epoch is None
            or leader.epoch is None
            or (pos.current_leader.epoch is not None and leader.epoch <= pos.current_leader.epoch)
        ):
            state.position = moved  # nothing to validate against
            return state.fetch_state is FetchState.AWAIT_VALIDATION
        state.transition(FetchState.AWAIT_VALIDATION, moved)
        return True

    # --- pause / fetchability -----------------------------------------------------------------

    def pause(self, tp: TopicPartition) -> None:
        self.state(tp).paused = True

    def resume(self, tp: TopicPartition) -> None:
        self.state(tp).paused = False

    def paused_partitions(self) -> set[TopicPartition]:
        return {tp for tp, s in self._assignment.items() if s.paused}

    def is_fetchable(self, tp: TopicPartition) -> bool:
        s = self._assignment.get(tp)
        return s is not None and s.fetchable

    def fetchable_partitions(self) -> list[TopicPartition]:
        return [tp for tp, s in self._assignment.items() if s.fetchable]
