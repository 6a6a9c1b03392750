"""``Fetcher``: what to fetch from which broker, and the records a poll gets — Java's
``AbstractFetch`` (request planning and response handling), ``FetchBuffer`` and
``FetchCollector`` in one sans-I/O class.

Planning (``prepare_fetches``): every fetchable partition (assigned, not paused, with a valid
position) that has no data waiting in the buffer is fetched from its preferred read replica
(KIP-392, while that hint is fresh) or its leader, at most one request in flight per broker, at
``max.partition.fetch.bytes`` per partition, through that broker's incremental fetch session
(KIP-227). A broker from which a fetchable partition still has data waiting gets no request
until that data is taken (Java since KAFKA-17182): a request then covers all of the broker's
partitions at once, instead of one partition whose log end makes the broker hold the request
for ``fetch.max.wait.ms`` while the others run dry behind it, and the session keeps its
partitions instead of forgetting and re-adding them on every request.

Responses (``handle_response``) become one ``CompletedFetch`` per partition in the buffer; the
partition-level errors are acted on when a poll reaches them (``collect``), as Java does:
leadership errors ask for fresh metadata (and KIP-951 leader hints are returned to the engine),
``OFFSET_OUT_OF_RANGE`` resets the position (or raises ``PositionOutOfRangeError`` under
``auto.offset.reset=none``), authorization and corruption errors are raised. A fetch whose
offset no longer matches the position (the user seeked) is dropped.

This module is sans-I/O: no sockets, no event loop, no request objects (those are
:mod:`kafkaproto.consumer._internals.requests`'s); it must never import the engine.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from kafkaproto.consumer._internals.completed_fetch import CompletedFetch
from kafkaproto.consumer._internals.fetch_session import (
    FetchRequestData,
    FetchSessionHandler,
    PartitionData,
)
from kafkaproto.consumer._internals.subscription_state import (
    FetchPosition,
    LeaderAndEpoch,
    SubscriptionState,
    TopicPartitionState,
)
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.errors import PositionOutOfRangeError
from kafkaproto.consumer.record import ConsumerRecord, TopicPartition
from kafkaproto.error_codes import CorruptMessageError, error_for_code

__all__ = ["FetchOutcome", "Fetcher", "PartitionResponse"]

log = logging.getLogger(__name__)

# Error codes (Kafka's Errors) the fetcher acts on.
_NONE = 0
_OFFSET_OUT_OF_RANGE = 1
_CORRUPT_MESSAGE = 2
_UNKNOWN_TOPIC_OR_PARTITION = 3
_NOT_LEADER_OR_FOLLOWER = 6
_REPLICA_NOT_AVAILABLE = 9
_UNKNOWN_SERVER_ERROR = -1
_TOPIC_AUTHORIZATION_FAILED = 29
_KAFKA_STORAGE_ERROR = 56
_FENCED_LEADER_EPOCH = 74
_UNKNOWN_LEADER_EPOCH = 75
_OFFSET_NOT_AVAILABLE = 78
_UNKNOWN_TOPIC_ID = 100
_FETCH_SESSION_TOPIC_ID_ERROR = 106
_INCONSISTENT_TOPIC_ID = 103
_METADATA_ERRORS = frozenset(
    {
        _REPLICA_NOT_AVAILABLE,
        _NOT_LEADER_OR_FOLLOWER,
        _FENCED_LEADER_EPOCH,
        _KAFKA_STORAGE_ERROR,
        _OFFSET_NOT_AVAILABLE,
        _UNKNOWN_TOPIC_OR_PARTITION,
        _UNKNOWN_TOPIC_ID,
        _INCONSISTENT_TOPIC_ID,
    }
)
_RETRY_QUIETLY = frozenset({_UNKNOWN_LEADER_EPOCH, _UNKNOWN_SERVER_ERROR})


@dataclass(slots=True)
class PartitionResponse:
    """One partition of a Fetch response, whatever the version (absent fields at their Java
    defaults). ``current_leader``: KIP-951's hint (leader id, epoch) or None."""

    error_code: int
    high_watermark: int = -1
    last_stable_offset: int = -1
    log_start_offset: int = -1
    current_leader: tuple[int, int] | None = None
    aborted: list[tuple[int, int]] | None = None
    preferred_read_replica: int = -1
    records: bytes | memoryview | None = None


@dataclass(slots=True)
class FetchOutcome:
    """What a response means beyond its records: metadata is worth refreshing, and the KIP-951
    leader hints it carried."""

    metadata_update: bool = False
    leader_hints: dict[TopicPartition, LeaderAndEpoch] = field(default_factory=dict)


class _Pending:
    """A completed fetch before ``collect`` looked at its error code."""

    __slots__ = ("fetch_offset", "response", "tp")

    def __init__(self, tp: TopicPartition, fetch_offset: int, response: PartitionResponse):
        self.tp = tp
        self.fetch_offset = fetch_offset
        self.response = response


class Fetcher:
    """See the module docstring."""

    def __init__(
        self,
        config: ConsumerConfig,
        subscriptions: SubscriptionState,
        *,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
    ) -> None:
        self.config = config
        self.subscriptions = subscriptions
        self.sessions: dict[int, FetchSessionHandler] = {}
        #: Brokers with a fetch in flight (one at a time each, as Java's consumer).
        self.pending_nodes: set[int] = set()
        self._buffer: deque[_Pending | CompletedFetch] = deque()
        self._next_in_line: CompletedFetch | None = None
        self._deferred_error: BaseException | None = None
        self._keys = key_deserializer
        self._values = value_deserializer
        self._read_committed = config.read_committed
        self._check_crcs = config.check_crcs
        self._fetch_size = config.max_partition_fetch_bytes
        self._replica_ttl_ms = config.metadata_max_age_ms
        #: Set when a partition-level error says metadata is stale (the engine clears it).
        self.metadata_update_requested = False

    # --- planning ------------------------------------------------------------------------------

    def buffered_partitions(self) -> set[TopicPartition]:
        out = {c.tp for c in self._buffer}
        nxt = self._next_in_line
        if nxt is not None and not nxt.consumed:
            out.add(nxt.tp)
        return out

    def has_buffered(self) -> bool:
        nxt = self._next_in_line
        return bool(self._buffer) or (nxt is not None and not nxt.consumed)

    def prepare_fetches(
        self,
        now_ms: int,
        topic_id: Callable[[str], UUID | None],
        node_usable: Callable[[int], bool],
    ) -> dict[int, FetchRequestData]:
        """The fetch to send to each broker now (Java's ``prepareFetchRequests``); the caller
        sends each and reports back with ``handle_response`` or ``handle_failure``."""
        buffered = self.buffered_partitions()
        wanted: dict[int, dict[TopicPartition, PartitionData]] = {}
        subscriptions = self.subscriptions
        # Brokers a fetchable partition still has data buffered from (Java's
        # nodesWithBufferedPartitions): paused partitions keep their data without holding up
        # the others.
        busy: set[int] = set()
        for tp in buffered:
            state = subscriptions.get(tp)
            if state is not None and not state.paused and state.has_valid_position:
                node = self._fetch_node(state, now_ms, node_usable)
                if node is not None:
                    busy.add(node)
        for tp, state in subscriptions.items():
            if not state.fetchable or tp in buffered:
                continue
            node = self._fetch_node(state, now_ms, node_usable)
            if node is None:
                self.metadata_update_requested = True
                continue
            if node in self.pending_nodes or node in busy or not node_usable(node):
                continue
            position = state.position
            assert position is not None
            wanted.setdefault(node, {})[tp] = PartitionData(
                topic_id=topic_id(tp.topic),
                fetch_offset=position.offset,
                log_start_offset=-1,
                max_bytes=self._fetch_size,
                current_leader_epoch=position.current_leader.epoch,
                # Consumers leave lastFetchedEpoch unset: KIP-320's check is the
                # OffsetForLeaderEpoch validation, not the replicas' diverging-epoch path.
                last_fetched_epoch=None,
            )
        requests: dict[int, FetchRequestData] = {}
        for node, partitions in wanted.items():
            handler = self.sessions.get(node)
            if handler is None:
                handler = self.sessions[node] = FetchSessionHandler(node)
            # Sessions are asked for on every broker: one whose Fetch version has none (below v7)
            # answers session id 0, which keeps every fetch full.
            requests[node] = handler.build(partitions)
            self.pending_nodes.add(node)
        return requests

    @staticmethod
    def _fetch_node(
        state: TopicPartitionState, now_ms: int, node_usable: Callable[[int], bool]
    ) -> int | None:
        """The broker to fetch the partition from: its preferred read replica while that hint
        is fresh and the broker known (KIP-392), else its leader (None: no leader known)."""
        position = state.position
        assert position is not None
        leader = position.current_leader.leader
        if leader is None:
            return None
        replica = state.preferred_read_replica
        if replica is not None:
            if now_ms >= state.preferred_read_replica_expires_ms or not node_usable(replica):
                state.preferred_read_replica = None  # stale hint: back to the leader
            else:
                return replica
        return leader

    # --- responses -----------------------------------------------------------------------------

    def handle_response(
        self,
        node: int,
        request: FetchRequestData,
        error_code: int,
        session_id: int,
        partitions: list[tuple[TopicPartition, PartitionResponse]],
    ) -> FetchOutcome:
        """A Fetch response from ``node`` for ``request``: its partitions go to the buffer."""
        self.pending_nodes.discard(node)
        outcome = FetchOutcome()
        handler = self.sessions.get(node)
        if handler is None:
            return outcome  # the session was dropped while the request was out
        if not handler.handle_response(error_code, session_id):
            log.debug("fetch session error %s from node %d", error_code, node)
            if error_code == _FETCH_SESSION_TOPIC_ID_ERROR:
                outcome.metadata_update = True
            return outcome
        sent = request.session_partitions
        for tp, data in partitions:
            asked = sent.get(tp)
            if asked is None:
                log.warning("fetch response from node %d names %s, which was not asked", node, tp)
                continue
            code = data.error_code
            if code in (_NOT_LEADER_OR_FOLLOWER, _FENCED_LEADER_EPOCH):
                hint = data.current_leader
                if hint is not None and hint[0] >= 0 and hint[1] >= 0:
                    outcome.leader_hints[tp] = LeaderAndEpoch(hint[0], hint[1])
            if code in _METADATA_ERRORS:
                outcome.metadata_update = True
            self._buffer.append(_Pending(tp, asked.fetch_offset, data))
        return outcome

    def handle_failure(self, node: int) -> None:
        """The fetch to ``node`` failed (connection lost, timeout): the next one is full, and
        preferred-replica hints pointing at it are dropped."""
        self.pending_nodes.discard(node)
        handler = self.sessions.get(node)
        if handler is not None:
            handler.handle_error()
            for tp in handler.session_partitions:
                if self.subscriptions.is_assigned(tp):
                    state = self.subscriptions.state(tp)
                    if state.preferred_read_replica == node:
                        state.preferred_read_replica = None
        self.metadata_update_requested = True

    def forget_node(self, node: int) -> None:
        handler = self.sessions.pop(node, None)
        if handler is not None:
            handler.forget_all()

    def clear_buffered(self, keep: Callable[[TopicPartition], bool] | None = None) -> None:
        """Drop buffered data of partitions ``keep`` refuses (all with None): unassigned or
        seeked ones."""
        self._buffer = deque(c for c in self._buffer if keep is not None and keep(c.tp))
        nxt = self._next_in_line
        if nxt is not None and (keep is None or not keep(nxt.tp)):
            nxt.drain()
            self._next_in_line = None

    # --- collecting ----------------------------------------------------------------------------

    def collect(
        self, max_records: int, now_ms: int
    ) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
        """Up to ``max_records`` records for poll, by partition, advancing positions (Java's
        ``FetchCollector.collectFetch``). Errors are raised when no record precedes them, else
        on the next call."""
        if self._deferred_error is not None:
            error, self._deferred_error = self._deferred_error, None
            raise error
        out: dict[TopicPartition, list[ConsumerRecord[Any, Any]]] = {}
        remaining = max_records
        paused: list[CompletedFetch] = []
        subscriptions = self.subscriptions
        try:
            while remaining > 0:
                nxt = self._next_in_line
                if nxt is None or nxt.consumed:
                    if not self._buffer:
                        break
                    head = self._buffer[0]
                    if isinstance(head, _Pending):
                        completed = self._initialize(head, now_ms)  # may raise
                        self._buffer.popleft()
                        if completed is None:
                            continue
                    else:
                        completed = head
                        self._buffer.popleft()
                    self._next_in_line = completed
                    continue
                tp = nxt.tp
                state = subscriptions.get(tp)
                if state is None or not state.has_valid_position:
                    nxt.drain()
                    continue
                if state.paused:
                    paused.append(nxt)  # keep its data for resume()
                    self._next_in_line = None
                    continue
                if state.pending_revocation or state.awaiting_callback:
                    nxt.drain()  # being revoked / not yet handed over (Java: not fetchable)
                    continue
                position = state.position
                assert position is not None
                if nxt.next_fetch_offset != position.offset:
                    nxt.drain()  # an old fetch: the position moved (seek)
                    continue
                records = nxt.fetch_records(remaining)
                if nxt.next_fetch_offset > position.offset:
                    state.position = FetchPosition(
                        nxt.next_fetch_offset, nxt.last_epoch, position.current_leader
                    )
                if records:
                    got = out.get(tp)
                    if got is None:
                        out[tp] = records
                    else:
                        got.extend(records)
                    remaining -= len(records)
        except Exception as exc:
            if not out:
                raise
            self._deferred_error = exc
        finally:
            if paused:
                self._buffer.extend(paused)
        return out

    def _initialize(self, pending: _Pending, now_ms: int) -> CompletedFetch | None:
        """Java's ``FetchCollector.initialize``: act on the partition's error code; a usable
        fetch becomes a ``CompletedFetch``."""
        tp, data = pending.tp, pending.response
        subscriptions = self.subscriptions
        state = subscriptions.get(tp)
        if state is None or not state.has_valid_position:
            return None
        position = state.position
        assert position is not None
        code = data.error_code
        if code == _NONE:
            if position.offset != pending.fetch_offset:
                return None  # stale
            if data.high_watermark >= 0:
                state.high_watermark = data.high_watermark
            if data.log_start_offset >= 0:
                state.log_start_offset = data.log_start_offset
            if data.last_stable_offset >= 0:
                state.last_stable_offset = data.last_stable_offset
            if data.preferred_read_replica >= 0:
                # KIP-392: fetch from this replica until the metadata would be stale.
                state.preferred_read_replica = data.preferred_read_replica
                state.preferred_read_replica_expires_ms = now_ms + self._replica_ttl_ms
            return CompletedFetch(
                tp,
                pending.fetch_offset,
                data.records,
                high_watermark=data.high_watermark,
                last_stable_offset=data.last_stable_offset,
                log_start_offset=data.log_start_offset,
                aborted=data.aborted,
                read_committed=self._read_committed,
                check_crcs=self._check_crcs,
                key_deserializer=self._keys,
                value_deserializer=self._values,
            )
        if code in _METADATA_ERRORS:
            log.debug("fetch of %s: %s", tp, error_for_code(code))
            self.metadata_update_requested = True
            if code in (_NOT_LEADER_OR_FOLLOWER, _FENCED_LEADER_EPOCH, _REPLICA_NOT_AVAILABLE):
                state.preferred_read_replica = None
            return None
        if code == _OFFSET_OUT_OF_RANGE:
            if state.preferred_read_replica is not None:
                # The follower lags behind: go back to the leader (KIP-392).
                state.preferred_read_replica = None
                return None
            if position.offset != pending.fetch_offset:
                return None
            message = f"Fetch position {position} is out of range for partition {tp}"
            if subscriptions.default_reset.kind == "none":
                raise PositionOutOfRangeError(message, {tp: position.offset})
            log.info("%s, resetting offset", message)
            subscriptions.request_reset(tp)
            return None
        if code in _RETRY_QUIETLY:
            log.debug("fetch of %s at %d: %s", tp, pending.fetch_offset, error_for_code(code))
            return None
        if code == _CORRUPT_MESSAGE:
            raise CorruptMessageError(
                f"Encountered corrupt message when fetching offset {pending.fetch_offset} for "
                f"topic-partition {tp}"
            )
        error = error_for_code(code)
        if code == _TOPIC_AUTHORIZATION_FAILED:
            log.warning("Not authorized to read from partition %s.", tp)
        raise error
