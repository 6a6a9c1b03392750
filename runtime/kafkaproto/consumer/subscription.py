"""``SubscriptionState``: which partitions this consumer reads and, per partition, where it
stands — Java's ``SubscriptionState`` and its ``TopicPartitionState``/``FetchState``.

Per assigned partition: the fetch state (``INITIALIZING`` until a position is known,
``FETCHING``, ``AWAIT_RESET`` while ``auto.offset.reset`` or a seek-to is pending,
``AWAIT_VALIDATION`` while KIP-320 checks the position against a new leader), the position
(offset, the epoch of the last record consumed, and the leader it was validated against), the
partition's high watermark / last stable offset / log start offset from the last fetch, whether
the user paused it, the preferred read replica (KIP-392) and the backoff of a pending reset or
validation.

Assignment comes from one place at a time: ``assign`` by the user today; group management
(``subscribe``, issue 12) will assign through ``assign_from_subscribed`` with the same per-
partition state, as Java's coordinator does. This module is sans-I/O: no sockets, no event loop,
no clock of its own (callers pass ``now`` in ms); it must never import the engine.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kafkaproto.consumer.config import OffsetResetStrategy
from kafkaproto.consumer.errors import UnassignedPartitionError
from kafkaproto.consumer.record import TopicPartition

__all__ = [
    "FetchPosition",
    "FetchState",
    "LeaderAndEpoch",
    "SubscriptionState",
    "SubscriptionType",
    "TopicPartitionState",
]


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
    NONE = "none"
    USER_ASSIGNED = "user_assigned"
    # AUTO_TOPICS / AUTO_PATTERN join with group management (issue 12).


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
        "end_offset_requested",
        "fetch_state",
        "high_watermark",
        "last_stable_offset",
        "log_start_offset",
        "next_retry_ms",
        "paused",
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

    @property
    def has_valid_position(self) -> bool:
        return self.fetch_state is FetchState.FETCHING

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

    # --- assignment ----------------------------------------------------------------------------

    def assign_from_user(self, partitions: Iterable[TopicPartition]) -> bool:
        """Java's ``assignFromUser``: replace the assignment; partitions kept keep their state.
        Returns whether it changed."""
        wanted = list(dict.fromkeys(partitions))
        self.type = SubscriptionType.USER_ASSIGNED if wanted else SubscriptionType.NONE
        if list(self._assignment) == wanted:
            return False
        old = self._assignment
        self._assignment = {tp: old.get(tp) or TopicPartitionState() for tp in wanted}
        self.assignment_id += 1
        return True

    def unsubscribe(self) -> None:
        self._assignment = {}
        self.type = SubscriptionType.NONE
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
            if state.fetch_state is FetchState.INITIALIZING:
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
        return [
            tp for tp, s in self._assignment.items() if s.fetch_state is FetchState.INITIALIZING
        ]

    def has_all_fetch_positions(self) -> bool:
        return all(s.has_valid_position for s in self._assignment.values())

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
        return s is not None and not s.paused and s.fetch_state is FetchState.FETCHING

    def fetchable_partitions(self) -> list[TopicPartition]:
        return [
            tp
            for tp, s in self._assignment.items()
            if not s.paused and s.fetch_state is FetchState.FETCHING
        ]
