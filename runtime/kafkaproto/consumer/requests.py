"""Every request the consumer builds and every response it reads: Fetch, ListOffsets,
OffsetForLeaderEpoch, FindCoordinator, OffsetCommit and OffsetFetch, at whatever version the
connection negotiated.

The one module of the consumer that touches generated message classes: the rest of the consumer
works on plain values (:class:`FetchRequestData`, :class:`PartitionResponse`, tuples), so a change
in the generated API (one class per message across versions) changes only this file. Requests
are built through the classes' field tables: a value a version lacks is left out (``topic_id``
before Fetch v13, ``topic`` from v13), so one code path serves every version. This module must
never do I/O or keep state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final
from uuid import UUID

from kafkaproto.consumer.fetch_session import FetchRequestData
from kafkaproto.consumer.fetcher import PartitionResponse
from kafkaproto.consumer.record import OffsetAndMetadata, TopicPartition
from kafkaproto.message import ApiMessage, Struct
from kafkaproto.messages import request_class

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
    "versioned",
]

FETCH, LIST_OFFSETS, OFFSET_COMMIT, OFFSET_FETCH, FIND_COORDINATOR = 1, 2, 8, 9, 10
OFFSET_FOR_LEADER_EPOCH = 23
_ZERO_UUID: Final = UUID(int=0)
# The first versions that name topics by id instead of by name.
TOPIC_ID_VERSIONS: Final = {FETCH: 13, OFFSET_COMMIT: 10, OFFSET_FETCH: 10}


def versioned(api_key: int, version: int) -> type[ApiMessage]:
    """The request class of ``api_key`` at ``version``."""
    return request_class(api_key, version)


def _fields(cls: type[Struct]) -> dict[str, Any]:
    return {f.attr: f for f in cls._fields_}


def _build(cls: type[Struct], **values: Any) -> Any:
    """An instance of ``cls`` from the values its version has (others are left out)."""
    attrs = _fields(cls)
    return cls(**{k: v for k, v in values.items() if k in attrs})


def _message(cls: type[ApiMessage], **values: Any) -> ApiMessage:
    message: ApiMessage = _build(cls, **values)
    return message


def _sub(cls: type[Struct], attr: str) -> type[Struct]:
    sub = _fields(cls)[attr].cls
    assert sub is not None, f"{cls.__name__}.{attr} is not a struct array"
    return sub  # type: ignore[no-any-return]


def _epoch(value: int | None) -> int:
    return -1 if value is None else value


def _by_topic(items: Iterable[TopicPartition]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for tp in items:
        out.setdefault(tp.topic, []).append(tp.partition)
    return out


# --- Fetch ---------------------------------------------------------------------------------------


def fetch_request(
    cls: type[ApiMessage],
    data: FetchRequestData,
    *,
    max_wait_ms: int,
    min_bytes: int,
    max_bytes: int,
    isolation_level: int,
    rack_id: str,
) -> ApiMessage:
    """A consumer's Fetch (replica id -1) for ``data`` at ``cls``'s version."""
    topic_cls = _sub(cls, "topics")
    part_cls = _sub(topic_cls, "partitions")
    # Sessions (and so forgotten topics) exist from v7; below, every fetch is full anyway.
    forgotten_cls = (
        _sub(cls, "forgotten_topics_data") if "forgotten_topics_data" in _fields(cls) else None
    )
    topics: dict[str, list[Any]] = {}
    ids: dict[str, UUID | None] = {}
    for tp, p in data.to_send.items():
        ids[tp.topic] = p.topic_id
        topics.setdefault(tp.topic, []).append(
            _build(
                part_cls,
                partition=tp.partition,
                current_leader_epoch=_epoch(p.current_leader_epoch),
                fetch_offset=p.fetch_offset,
                last_fetched_epoch=_epoch(p.last_fetched_epoch),
                log_start_offset=p.log_start_offset,
                partition_max_bytes=p.max_bytes,
            )
        )
    forgotten_ids = {tp.topic: p.topic_id for tp, p in data.session_partitions.items()}
    return _message(
        cls,
        replica_id=-1,
        max_wait_ms=max_wait_ms,
        min_bytes=min_bytes,
        max_bytes=max_bytes,
        isolation_level=isolation_level,
        session_id=data.metadata.session_id,
        session_epoch=data.metadata.epoch,
        topics=[
            _build(topic_cls, topic=t, topic_id=ids[t] or _ZERO_UUID, partitions=parts)
            for t, parts in topics.items()
        ],
        forgotten_topics_data=[
            _build(
                forgotten_cls,
                topic=t,
                topic_id=forgotten_ids.get(t) or _ZERO_UUID,
                partitions=parts,
            )
            for t, parts in _by_topic(data.to_forget).items()
        ]
        if forgotten_cls is not None
        else [],
        rack_id=rack_id,
    )


def read_fetch_response(
    response: Any, topic_names: Mapping[UUID, str]
) -> tuple[int, int, list[tuple[TopicPartition, PartitionResponse]]]:
    """(top-level error code, session id, per-partition data). Topics named by an id
    ``topic_names`` does not know are skipped (a deleted topic)."""
    out: list[tuple[TopicPartition, PartitionResponse]] = []
    for t in response.responses:
        name = getattr(t, "topic", None)
        if not name:
            name = topic_names.get(t.topic_id)
            if name is None:
                continue
        for p in t.partitions:
            leader = getattr(p, "current_leader", None)
            aborted = p.aborted_transactions if hasattr(p, "aborted_transactions") else None
            out.append(
                (
                    TopicPartition(name, p.partition_index),
                    PartitionResponse(
                        error_code=p.error_code,
                        high_watermark=p.high_watermark,
                        last_stable_offset=getattr(p, "last_stable_offset", -1),
                        log_start_offset=getattr(p, "log_start_offset", -1),
                        current_leader=(leader.leader_id, leader.leader_epoch)
                        if leader is not None
                        else None,
                        aborted=[(a.producer_id, a.first_offset) for a in aborted]
                        if aborted
                        else None,
                        preferred_read_replica=getattr(p, "preferred_read_replica", -1),
                        records=p.records,
                    ),
                )
            )
    return getattr(response, "error_code", 0), getattr(response, "session_id", 0), out


# --- ListOffsets ---------------------------------------------------------------------------------


def list_offsets_request(
    cls: type[ApiMessage],
    partitions: Mapping[TopicPartition, tuple[int | None, int]],
    *,
    isolation_level: int,
    timeout_ms: int,
) -> ApiMessage:
    """ListOffsets for ``partitions``: tp -> (current leader epoch, timestamp; -2 earliest,
    -1 latest)."""
    topic_cls = _sub(cls, "topics")
    part_cls = _sub(topic_cls, "partitions")
    topics: dict[str, list[Any]] = {}
    for tp, (epoch, timestamp) in partitions.items():
        topics.setdefault(tp.topic, []).append(
            _build(
                part_cls,
                partition_index=tp.partition,
                current_leader_epoch=_epoch(epoch),
                timestamp=timestamp,
                max_num_offsets=1,
            )
        )
    return _message(
        cls,
        replica_id=-1,
        isolation_level=isolation_level,
        topics=[_build(topic_cls, name=t, partitions=parts) for t, parts in topics.items()],
        timeout_ms=timeout_ms,
    )


def read_list_offsets_response(
    response: Any,
) -> dict[TopicPartition, tuple[int, int, int, int | None]]:
    """tp -> (error code, offset, timestamp, leader epoch or None)."""
    out: dict[TopicPartition, tuple[int, int, int, int | None]] = {}
    for t in response.topics:
        for p in t.partitions:
            offset = getattr(p, "offset", None)
            if offset is None:  # v0 answers a list of offsets
                offsets = getattr(p, "old_style_offsets", ())
                offset = offsets[0] if offsets else -1
            epoch = getattr(p, "leader_epoch", -1)
            out[TopicPartition(t.name, p.partition_index)] = (
                p.error_code,
                offset,
                getattr(p, "timestamp", -1),
                None if epoch < 0 else epoch,
            )
    return out


# --- OffsetForLeaderEpoch ------------------------------------------------------------------------


def offset_for_leader_epoch_request(
    cls: type[ApiMessage], partitions: Mapping[TopicPartition, tuple[int | None, int]]
) -> ApiMessage:
    """OffsetForLeaderEpoch for ``partitions``: tp -> (current leader epoch, epoch to look
    up)."""
    topic_cls = _sub(cls, "topics")
    part_cls = _sub(topic_cls, "partitions")
    topics: dict[str, list[Any]] = {}
    for tp, (current, epoch) in partitions.items():
        topics.setdefault(tp.topic, []).append(
            _build(
                part_cls,
                partition=tp.partition,
                current_leader_epoch=_epoch(current),
                leader_epoch=epoch,
            )
        )
    return _message(
        cls,
        replica_id=-1,  # a consumer (Java's CONSUMER_REPLICA_ID)
        topics=[_build(topic_cls, topic=t, partitions=parts) for t, parts in topics.items()],
    )


def read_offset_for_leader_epoch_response(
    response: Any,
) -> dict[TopicPartition, tuple[int, int, int]]:
    """tp -> (error code, leader epoch, end offset)."""
    return {
        TopicPartition(t.topic, p.partition): (
            p.error_code,
            getattr(p, "leader_epoch", -1),
            p.end_offset,
        )
        for t in response.topics
        for p in t.partitions
    }


# --- group coordinator ---------------------------------------------------------------------------


def find_coordinator_request(cls: type[ApiMessage], group_id: str) -> ApiMessage:
    """FindCoordinator for a group (key type 0); batched keys from v4."""
    return _message(cls, key=group_id, key_type=0, coordinator_keys=[group_id])


def read_find_coordinator_response(response: Any) -> tuple[int, int, str, int, str | None]:
    """(error code, node id, host, port, error message)."""
    coordinators = getattr(response, "coordinators", None)
    c = coordinators[0] if coordinators else response
    return c.error_code, c.node_id, c.host, c.port, getattr(c, "error_message", None)


def offset_commit_request(
    cls: type[ApiMessage],
    group_id: str,
    offsets: Mapping[TopicPartition, OffsetAndMetadata],
    topic_ids: Mapping[str, UUID],
    *,
    generation: int = -1,
    member_id: str = "",
    group_instance_id: str | None = None,
) -> ApiMessage:
    """OffsetCommit of ``offsets``; generation -1 and no member: a consumer that assigns its
    own partitions (Java's simple/standalone commit)."""
    topic_cls = _sub(cls, "topics")
    part_cls = _sub(topic_cls, "partitions")
    topics: dict[str, list[Any]] = {}
    for tp, om in offsets.items():
        topics.setdefault(tp.topic, []).append(
            _build(
                part_cls,
                partition_index=tp.partition,
                committed_offset=om.offset,
                committed_leader_epoch=_epoch(om.leader_epoch),
                committed_metadata=om.metadata,
                commit_timestamp=-1,
            )
        )
    return _message(
        cls,
        group_id=group_id,
        generation_id_or_member_epoch=generation,
        generation_id=generation,
        member_id=member_id,
        group_instance_id=group_instance_id,
        retention_time_ms=-1,
        topics=[
            _build(topic_cls, name=t, topic_id=topic_ids.get(t, _ZERO_UUID), partitions=parts)
            for t, parts in topics.items()
        ],
    )


def read_offset_commit_response(
    response: Any, topic_names: Mapping[UUID, str]
) -> dict[TopicPartition, int]:
    """tp -> error code."""
    out: dict[TopicPartition, int] = {}
    for t in response.topics:
        name = getattr(t, "name", None) or topic_names.get(getattr(t, "topic_id", _ZERO_UUID))
        if name is None:
            continue
        for p in t.partitions:
            out[TopicPartition(name, p.partition_index)] = p.error_code
    return out


def offset_fetch_request(
    cls: type[ApiMessage],
    group_id: str,
    partitions: Iterable[TopicPartition] | None,
    topic_ids: Mapping[str, UUID],
    *,
    require_stable: bool,
    member_id: str | None = None,
    member_epoch: int = -1,
) -> ApiMessage:
    """OffsetFetch of ``partitions`` for ``group_id`` (None: every partition the group has
    committed, v2+); batched groups from v8, a KIP-848 member's id and epoch from v9 (None, -1:
    not a member)."""
    by_topic = _by_topic(partitions) if partitions is not None else None
    fields = _fields(cls)
    if "groups" in fields:
        group_cls = _sub(cls, "groups")
        gtopic_cls = _sub(group_cls, "topics")
        return _message(
            cls,
            groups=[
                _build(
                    group_cls,
                    group_id=group_id,
                    member_id=member_id,
                    member_epoch=member_epoch,
                    topics=None
                    if by_topic is None
                    else [
                        _build(
                            gtopic_cls,
                            name=t,
                            topic_id=topic_ids.get(t, _ZERO_UUID),
                            partition_indexes=parts,
                        )
                        for t, parts in by_topic.items()
                    ],
                )
            ],
            require_stable=require_stable,
        )
    topic_cls = _sub(cls, "topics")
    return _message(
        cls,
        group_id=group_id,
        topics=None
        if by_topic is None
        else [_build(topic_cls, name=t, partition_indexes=parts) for t, parts in by_topic.items()],
        require_stable=require_stable,
    )


def read_offset_fetch_response(
    response: Any, topic_names: Mapping[UUID, str]
) -> tuple[int, dict[TopicPartition, tuple[int, int | None, str | None, int]]]:
    """(group error code, tp -> (offset or -1, leader epoch or None, metadata, error code))."""
    groups = getattr(response, "groups", None)
    if groups is not None:
        group = groups[0]
        group_error, topics = group.error_code, group.topics
    else:
        group_error, topics = getattr(response, "error_code", 0), response.topics
    out: dict[TopicPartition, tuple[int, int | None, str | None, int]] = {}
    for t in topics:
        name = getattr(t, "name", None) or topic_names.get(getattr(t, "topic_id", _ZERO_UUID))
        if name is None:
            continue
        for p in t.partitions:
            epoch = getattr(p, "committed_leader_epoch", -1)
            out[TopicPartition(name, p.partition_index)] = (
                p.committed_offset,
                None if epoch < 0 else epoch,
                p.metadata,
                p.error_code,
            )
    return group_error, out
