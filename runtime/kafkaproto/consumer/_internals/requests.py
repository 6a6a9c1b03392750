"""Every request the consumer builds and every response it reads: Fetch, ListOffsets,
OffsetForLeaderEpoch, FindCoordinator, OffsetCommit and OffsetFetch, at whatever version the
connection negotiated.

The one module of the consumer that touches generated message classes: the rest of the consumer
works on plain values (:class:`FetchRequestData`, :class:`PartitionResponse`, tuples), so a change
in the generated API changes only this file. One class serves every version of a message: each
builder takes the version the request will be sent at and leaves out what that version cannot
carry (a ``topic_id`` before Fetch v13 is ignorable and simply not written; a value Kafka would
refuse is not set), and each reader takes the version the response was read at. This module must
never do I/O or keep state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final
from uuid import UUID

from kafkaproto.consumer._internals.fetch_session import FetchRequestData
from kafkaproto.consumer._internals.fetcher import PartitionResponse
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.messages import ApiKey
from kafkaproto.messages.fetch import (
    FetchRequest,
    FetchRequestFetchPartition,
    FetchRequestFetchTopic,
    FetchRequestForgottenTopic,
    FetchResponse,
)
from kafkaproto.messages.find_coordinator import FindCoordinatorRequest, FindCoordinatorResponse
from kafkaproto.messages.list_offsets import (
    ListOffsetsRequest,
    ListOffsetsRequestListOffsetsPartition,
    ListOffsetsRequestListOffsetsTopic,
    ListOffsetsResponse,
)
from kafkaproto.messages.offset_commit import (
    OffsetCommitRequest,
    OffsetCommitRequestPartition,
    OffsetCommitRequestTopic,
    OffsetCommitResponse,
)
from kafkaproto.messages.offset_fetch import (
    OffsetFetchRequest,
    OffsetFetchRequestGroup,
    OffsetFetchRequestTopic,
    OffsetFetchRequestTopics,
    OffsetFetchResponse,
)
from kafkaproto.messages.offset_for_leader_epoch import (
    OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochRequestOffsetForLeaderPartition,
    OffsetForLeaderEpochRequestOffsetForLeaderTopic,
    OffsetForLeaderEpochResponse,
)

__all__ = [
    "FETCH",
    "FIND_COORDINATOR",
    "LIST_OFFSETS",
    "OFFSET_COMMIT",
    "OFFSET_FETCH",
    "OFFSET_FOR_LEADER_EPOCH",
    "fetch_request",
    "find_coordinator_request",
    "list_offsets_request",
    "offset_commit_request",
    "offset_fetch_request",
    "offset_for_leader_epoch_request",
    "read_fetch_response",
    "read_find_coordinator_response",
    "read_list_offsets_response",
    "read_offset_commit_response",
    "read_offset_fetch_response",
    "read_offset_for_leader_epoch_response",
]

FETCH: Final = ApiKey.FETCH
LIST_OFFSETS: Final = ApiKey.LIST_OFFSETS
OFFSET_COMMIT: Final = ApiKey.OFFSET_COMMIT
OFFSET_FETCH: Final = ApiKey.OFFSET_FETCH
FIND_COORDINATOR: Final = ApiKey.FIND_COORDINATOR
OFFSET_FOR_LEADER_EPOCH: Final = ApiKey.OFFSET_FOR_LEADER_EPOCH
_ZERO_UUID: Final = UUID(int=0)
# The first versions that name topics by id instead of by name.
TOPIC_ID_VERSIONS: Final = {FETCH: 13, OFFSET_COMMIT: 10, OFFSET_FETCH: 10}
# First versions with: fetch sessions (and forgotten topics), the last fetched epoch, KIP-951's
# leader hints; ListOffsets' isolation level; OffsetCommit's group instance id; OffsetFetch's
# require_stable and batched groups; FindCoordinator's batched keys.
_FETCH_SESSIONS: Final = 7
_FETCH_LAST_FETCHED_EPOCH: Final = 12
_FETCH_CURRENT_LEADER: Final = 12
_LIST_OFFSETS_ISOLATION: Final = 2
_COMMIT_GROUP_INSTANCE: Final = 7
_OFFSET_FETCH_GROUPS: Final = 8
_REQUIRE_STABLE: Final = 7
# KIP-848 members name themselves in OffsetFetch from v9.
_OFFSET_FETCH_MEMBER: Final = 9
_FIND_COORDINATOR_BATCHED: Final = 4


def _epoch(value: int | None) -> int:
    return -1 if value is None else value


def _by_topic(items: Iterable[TopicPartition]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for tp in items:
        out.setdefault(tp.topic, []).append(tp.partition)
    return out


# --- Fetch ---------------------------------------------------------------------------------------


def fetch_request(
    version: int,
    data: FetchRequestData,
    *,
    max_wait_ms: int,
    min_bytes: int,
    max_bytes: int,
    isolation_level: int,
    rack_id: str,
) -> FetchRequest:
    """A consumer's Fetch (replica id -1) for ``data``, to send at ``version``."""
    topics: dict[str, list[FetchRequestFetchPartition]] = {}
    ids: dict[str, UUID | None] = {}
    with_epoch = version >= _FETCH_LAST_FETCHED_EPOCH
    for tp, p in data.to_send.items():
        ids[tp.topic] = p.topic_id
        topics.setdefault(tp.topic, []).append(
            FetchRequestFetchPartition(
                partition=tp.partition,
                current_leader_epoch=_epoch(p.current_leader_epoch),
                fetch_offset=p.fetch_offset,
                last_fetched_epoch=_epoch(p.last_fetched_epoch) if with_epoch else -1,
                log_start_offset=p.log_start_offset,
                partition_max_bytes=p.max_bytes,
            )
        )
    forgotten: tuple[FetchRequestForgottenTopic, ...] = ()
    # Sessions (and so forgotten topics) exist from v7; below, every fetch is full anyway.
    if version >= _FETCH_SESSIONS:
        forgotten_ids = {tp.topic: p.topic_id for tp, p in data.session_partitions.items()}
        forgotten = tuple(
            FetchRequestForgottenTopic(
                topic=t, topic_id=forgotten_ids.get(t) or _ZERO_UUID, partitions=tuple(parts)
            )
            for t, parts in _by_topic(data.to_forget).items()
        )
    return FetchRequest(
        replica_id=-1,
        max_wait_ms=max_wait_ms,
        min_bytes=min_bytes,
        max_bytes=max_bytes,
        isolation_level=isolation_level,
        session_id=data.metadata.session_id,
        session_epoch=data.metadata.epoch,
        topics=tuple(
            FetchRequestFetchTopic(topic=t, topic_id=ids[t] or _ZERO_UUID, partitions=tuple(parts))
            for t, parts in topics.items()
        ),
        forgotten_topics_data=forgotten,
        rack_id=rack_id,
    )


def read_fetch_response(
    response: FetchResponse, version: int, topic_names: Mapping[UUID, str]
) -> tuple[int, int, list[tuple[TopicPartition, PartitionResponse]]]:
    """(top-level error code, session id, per-partition data) of a response read at
    ``version``. Topics named by an id ``topic_names`` does not know are skipped (a deleted
    topic)."""
    out: list[tuple[TopicPartition, PartitionResponse]] = []
    by_id = version >= TOPIC_ID_VERSIONS[FETCH]
    hints = version >= _FETCH_CURRENT_LEADER
    for t in response.responses:
        if by_id:
            found = topic_names.get(t.topic_id)
            if found is None:
                continue
            name = found
        else:
            name = t.topic
        for p in t.partitions:
            leader = p.current_leader
            aborted = p.aborted_transactions
            out.append(
                (
                    TopicPartition(name, p.partition_index),
                    PartitionResponse(
                        error_code=p.error_code,
                        high_watermark=p.high_watermark,
                        last_stable_offset=p.last_stable_offset,
                        log_start_offset=p.log_start_offset,
                        current_leader=(leader.leader_id, leader.leader_epoch) if hints else None,
                        aborted=[(a.producer_id, a.first_offset) for a in aborted]
                        if aborted
                        else None,
                        preferred_read_replica=p.preferred_read_replica,
                        records=p.records,
                    ),
                )
            )
    return response.error_code, response.session_id, out


# --- ListOffsets ---------------------------------------------------------------------------------


def list_offsets_request(
    version: int,
    partitions: Mapping[TopicPartition, tuple[int | None, int]],
    *,
    isolation_level: int,
    timeout_ms: int,
) -> ListOffsetsRequest:
    """ListOffsets for ``partitions``: tp -> (current leader epoch, timestamp; -2 earliest,
    -1 latest), to send at ``version`` (v1 has no isolation level: it reads uncommitted)."""
    topics: dict[str, list[ListOffsetsRequestListOffsetsPartition]] = {}
    for tp, (epoch, timestamp) in partitions.items():
        topics.setdefault(tp.topic, []).append(
            ListOffsetsRequestListOffsetsPartition(
                partition_index=tp.partition,
                current_leader_epoch=_epoch(epoch),
                timestamp=timestamp,
            )
        )
    return ListOffsetsRequest(
        replica_id=-1,
        isolation_level=isolation_level if version >= _LIST_OFFSETS_ISOLATION else 0,
        topics=tuple(
            ListOffsetsRequestListOffsetsTopic(name=t, partitions=tuple(parts))
            for t, parts in topics.items()
        ),
        timeout_ms=timeout_ms,
    )


def read_list_offsets_response(
    response: ListOffsetsResponse,
) -> dict[TopicPartition, tuple[int, int, int, int | None]]:
    """tp -> (error code, offset, timestamp, leader epoch or None)."""
    out: dict[TopicPartition, tuple[int, int, int, int | None]] = {}
    for t in response.topics:
        for p in t.partitions:
            epoch = p.leader_epoch
            out[TopicPartition(t.name, p.partition_index)] = (
                p.error_code,
                p.offset,
                p.timestamp,
                None if epoch < 0 else epoch,
            )
    return out


# --- OffsetForLeaderEpoch ------------------------------------------------------------------------


def offset_for_leader_epoch_request(
    partitions: Mapping[TopicPartition, tuple[int | None, int]],
) -> OffsetForLeaderEpochRequest:
    """OffsetForLeaderEpoch for ``partitions``: tp -> (current leader epoch, epoch to look
    up); the same request at every version."""
    topics: dict[str, list[OffsetForLeaderEpochRequestOffsetForLeaderPartition]] = {}
    for tp, (current, epoch) in partitions.items():
        topics.setdefault(tp.topic, []).append(
            OffsetForLeaderEpochRequestOffsetForLeaderPartition(
                partition=tp.partition,
                current_leader_epoch=_epoch(current),
                leader_epoch=epoch,
            )
        )
    return OffsetForLeaderEpochRequest(
        replica_id=-1,  # a consumer (Java's CONSUMER_REPLICA_ID)
        topics=tuple(
            OffsetForLeaderEpochRequestOffsetForLeaderTopic(topic=t, partitions=tuple(parts))
            for t, parts in topics.items()
        ),
    )


def read_offset_for_leader_epoch_response(
    response: OffsetForLeaderEpochResponse,
) -> dict[TopicPartition, tuple[int, int, int]]:
    """tp -> (error code, leader epoch, end offset)."""
    return {
        TopicPartition(t.topic, p.partition): (p.error_code, p.leader_epoch, p.end_offset)
        for t in response.topics
        for p in t.partitions
    }


# --- group coordinator ---------------------------------------------------------------------------


def find_coordinator_request(version: int, group_id: str) -> FindCoordinatorRequest:
    """FindCoordinator for a group (key type 0) at ``version``; batched keys from v4."""
    if version >= _FIND_COORDINATOR_BATCHED:
        return FindCoordinatorRequest(key_type=0, coordinator_keys=(group_id,))
    return FindCoordinatorRequest(key=group_id, key_type=0)


def read_find_coordinator_response(
    response: FindCoordinatorResponse, version: int
) -> tuple[int, int, str, int, str | None]:
    """(error code, node id, host, port, error message)."""
    if version >= _FIND_COORDINATOR_BATCHED and response.coordinators:
        c = response.coordinators[0]
        return c.error_code, c.node_id, c.host, c.port, c.error_message
    r = response
    return r.error_code, r.node_id, r.host, r.port, r.error_message


def offset_commit_request(
    version: int,
    group_id: str,
    offsets: Mapping[TopicPartition, OffsetAndMetadata],
    topic_ids: Mapping[str, UUID],
    *,
    generation: int = -1,
    member_id: str = "",
    group_instance_id: str | None = None,
) -> OffsetCommitRequest:
    """OffsetCommit of ``offsets`` at ``version``; generation -1 and no member: a consumer that
    assigns its own partitions (Java's simple/standalone commit). Versions before 7 carry no
    group instance id."""
    topics: dict[str, list[OffsetCommitRequestPartition]] = {}
    for tp, om in offsets.items():
        topics.setdefault(tp.topic, []).append(
            OffsetCommitRequestPartition(
                partition_index=tp.partition,
                committed_offset=om.offset,
                committed_leader_epoch=_epoch(om.leader_epoch),
                committed_metadata=om.metadata,
            )
        )
    return OffsetCommitRequest(
        group_id=group_id,
        generation_id_or_member_epoch=generation,
        member_id=member_id,
        group_instance_id=group_instance_id if version >= _COMMIT_GROUP_INSTANCE else None,
        retention_time_ms=-1,
        topics=tuple(
            OffsetCommitRequestTopic(
                name=t, topic_id=topic_ids.get(t, _ZERO_UUID), partitions=tuple(parts)
            )
            for t, parts in topics.items()
        ),
    )


def read_offset_commit_response(
    response: OffsetCommitResponse, version: int, topic_names: Mapping[UUID, str]
) -> dict[TopicPartition, int]:
    """tp -> error code."""
    by_id = version >= TOPIC_ID_VERSIONS[OFFSET_COMMIT]
    out: dict[TopicPartition, int] = {}
    for t in response.topics:
        name = topic_names.get(t.topic_id) if by_id else t.name
        if name is None:
            continue
        for p in t.partitions:
            out[TopicPartition(name, p.partition_index)] = p.error_code
    return out


def offset_fetch_request(
    version: int,
    group_id: str,
    partitions: Iterable[TopicPartition] | None,
    topic_ids: Mapping[str, UUID],
    *,
    require_stable: bool,
    member_id: str | None = None,
    member_epoch: int = -1,
) -> OffsetFetchRequest:
    """OffsetFetch of ``partitions`` for ``group_id`` at ``version`` (None: every partition the
    group committed, v2+); batched groups from v8, a KIP-848 member's id and epoch from v9
    (None, -1: not a member)."""
    by_topic = _by_topic(partitions) if partitions is not None else None
    if version >= _OFFSET_FETCH_GROUPS:
        group = OffsetFetchRequestGroup(
            group_id=group_id,
            member_id=member_id if version >= _OFFSET_FETCH_MEMBER else None,
            member_epoch=member_epoch if version >= _OFFSET_FETCH_MEMBER else -1,
            topics=None
            if by_topic is None
            else tuple(
                OffsetFetchRequestTopics(
                    name=t, topic_id=topic_ids.get(t, _ZERO_UUID), partition_indexes=tuple(parts)
                )
                for t, parts in by_topic.items()
            ),
        )
        return OffsetFetchRequest(groups=(group,), require_stable=require_stable)
    return OffsetFetchRequest(
        group_id=group_id,
        topics=None
        if by_topic is None
        else tuple(
            OffsetFetchRequestTopic(name=t, partition_indexes=tuple(parts))
            for t, parts in by_topic.items()
        ),
        # Java's builder falls back to an unstable read below v7 (KIP-447 needs v7).
        require_stable=require_stable and version >= _REQUIRE_STABLE,
    )


def read_offset_fetch_response(
    response: OffsetFetchResponse, version: int, topic_names: Mapping[UUID, str]
) -> tuple[int, dict[TopicPartition, tuple[int, int | None, str | None, int]]]:
    """(group error code, tp -> (offset or -1, leader epoch or None, metadata, error code))."""
    out: dict[TopicPartition, tuple[int, int | None, str | None, int]] = {}
    if version < _OFFSET_FETCH_GROUPS:
        for t in response.topics:
            for p in t.partitions:
                epoch = p.committed_leader_epoch
                out[TopicPartition(t.name, p.partition_index)] = (
                    p.committed_offset,
                    None if epoch < 0 else epoch,
                    p.metadata,
                    p.error_code,
                )
        return response.error_code, out
    group = response.groups[0]
    by_id = version >= TOPIC_ID_VERSIONS[OFFSET_FETCH]
    for gt in group.topics:
        name = topic_names.get(gt.topic_id) if by_id else gt.name
        if name is None:
            continue
        for gp in gt.partitions:
            epoch = gp.committed_leader_epoch
            out[TopicPartition(name, gp.partition_index)] = (
                gp.committed_offset,
                None if epoch < 0 else epoch,
                gp.metadata,
                gp.error_code,
            )
    return group.error_code, out
