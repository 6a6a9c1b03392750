"""Every group-membership request the consumer builds and every response it reads — JoinGroup,
SyncGroup, Heartbeat, LeaveGroup (the classic protocol), ConsumerGroupHeartbeat (KIP-848),
DescribeGroups, ConsumerGroupDescribe and ListGroups (for ``groups describe``) — and the
ConsumerProtocol subscription and assignment the classic protocol embeds as bytes, from Kafka's
own ``ConsumerProtocolSubscription``/``ConsumerProtocolAssignment`` specs.

The one place that touches the generated group messages, as :mod:`kafkaproto.consumer.requests`
is for fetching and offsets: the rest of the group code works on the plain values here
(:class:`Subscription`, :class:`JoinGroupResult`, :class:`HeartbeatResult` ...). Requests are
built through the classes' field tables, so a field a version lacks is left out and one code
path serves every version. This module must never do I/O or keep state.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

from kafkaproto.consumer.record import TopicPartition
from kafkaproto.errors import DecodeError
from kafkaproto.message import ApiMessage, Struct
from kafkaproto.messages.consumer_protocol_assignment import (
    ConsumerProtocolAssignmentTopicPartitionV3,
    ConsumerProtocolAssignmentV0,
    ConsumerProtocolAssignmentV1,
    ConsumerProtocolAssignmentV2,
    ConsumerProtocolAssignmentV3,
)
from kafkaproto.messages.consumer_protocol_subscription import (
    ConsumerProtocolSubscriptionTopicPartitionV3,
    ConsumerProtocolSubscriptionV0,
    ConsumerProtocolSubscriptionV1,
    ConsumerProtocolSubscriptionV2,
    ConsumerProtocolSubscriptionV3,
)

__all__ = [
    "CONSUMER_GROUP_DESCRIBE",
    "CONSUMER_GROUP_HEARTBEAT",
    "CONSUMER_PROTOCOL_TYPE",
    "DESCRIBE_GROUPS",
    "HEARTBEAT",
    "JOIN_GROUP",
    "LEAVE_GROUP",
    "LIST_GROUPS",
    "SYNC_GROUP",
    "Assignment",
    "ClassicGroupDescription",
    "ConsumerGroupDescription",
    "HeartbeatResult",
    "JoinGroupResult",
    "Subscription",
    "decode_assignment",
    "decode_subscription",
    "encode_assignment",
    "encode_subscription",
]

JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP, DESCRIBE_GROUPS, LIST_GROUPS = (
    11,
    12,
    13,
    14,
    15,
    16,
)
CONSUMER_GROUP_HEARTBEAT, CONSUMER_GROUP_DESCRIBE = 68, 69
#: Java's ``ConsumerProtocol.PROTOCOL_TYPE``.
CONSUMER_PROTOCOL_TYPE: Final = "consumer"
_ZERO_UUID: Final = UUID(int=0)
_VERSION = struct.Struct(">h")
# ConsumerProtocolSubscription/Assignment: versions 0-3 (Java checks both stay in step).
_SUBSCRIPTIONS: Final = (
    ConsumerProtocolSubscriptionV0,
    ConsumerProtocolSubscriptionV1,
    ConsumerProtocolSubscriptionV2,
    ConsumerProtocolSubscriptionV3,
)
_ASSIGNMENTS: Final = (
    ConsumerProtocolAssignmentV0,
    ConsumerProtocolAssignmentV1,
    ConsumerProtocolAssignmentV2,
    ConsumerProtocolAssignmentV3,
)
_HIGHEST: Final = len(_SUBSCRIPTIONS) - 1
# KIP-800: a reason is truncated to 255 characters (Java's JoinGroupRequest.maybeTruncateReason).
_MAX_REASON = 255


def _fields(cls: type[Struct]) -> dict[str, Any]:
    return {f.attr: f for f in cls._fields_}


def _build(cls: type[Struct], **values: Any) -> Any:
    attrs = _fields(cls)
    return cls(**{k: v for k, v in values.items() if k in attrs})


def _sub(cls: type[Struct], attr: str) -> type[Struct]:
    sub = _fields(cls)[attr].cls
    assert sub is not None, f"{cls.__name__}.{attr} is not a struct array"
    return sub  # type: ignore[no-any-return]


def _reason(reason: str | None) -> str | None:
    return None if reason is None else reason[:_MAX_REASON]


# --- ConsumerProtocol: the classic protocol's embedded subscription and assignment --------------


@dataclass(frozen=True, slots=True)
class Subscription:
    """One member's subscription as the group leader's assignor sees it (Java's
    ``ConsumerPartitionAssignor.Subscription``): ``generation_id`` is None before v2 and
    ``rack_id`` None before v3 or when empty; ``group_instance_id`` comes from the JoinGroup
    member, not from the bytes."""

    topics: tuple[str, ...]
    user_data: bytes | None = None
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation_id: int | None = None
    rack_id: str | None = None
    group_instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the leader hands one member (Java's ``ConsumerPartitionAssignor.Assignment``)."""

    partitions: tuple[TopicPartition, ...]
    user_data: bytes | None = None


def _version_of(data: bytes | memoryview, what: str) -> tuple[memoryview, int]:
    buf = memoryview(data)
    if len(buf) < 2:
        raise DecodeError(
            f"Buffer underflow while parsing consumer protocol's header ({len(buf)} bytes)",
            what=what,
            offset=0,
        )
    (version,) = _VERSION.unpack_from(buf, 0)
    if version < 0:
        raise DecodeError(f"Unsupported {what.split()[-1]} version: {version}", what=what, offset=0)
    # Java's ConsumerProtocol reads a newer version with the newest layout it knows: new
    # versions may only add fields at the end (and the rest is ignored).
    return buf, min(version, _HIGHEST)


def encode_subscription(subscription: Subscription, version: int = _HIGHEST) -> bytes:
    """Java's ``ConsumerProtocol.serializeSubscription``: topics sorted, owned partitions sorted
    and grouped by topic, the generation (-1 when none) and rack (v3), version-prefixed."""
    owned: dict[str, list[int]] = {}
    for tp in sorted(subscription.owned_partitions):
        owned.setdefault(tp.topic, []).append(tp.partition)
    cls = _SUBSCRIPTIONS[version]
    message = _build(
        cls,
        topics=sorted(subscription.topics),
        user_data=subscription.user_data,
        owned_partitions=[
            ConsumerProtocolSubscriptionTopicPartitionV3(topic=t, partitions=ps)
            for t, ps in owned.items()
        ],
        generation_id=-1 if subscription.generation_id is None else subscription.generation_id,
        rack_id=subscription.rack_id,
    )
    return _VERSION.pack(version) + bytes(message.encode())


def decode_subscription(data: bytes | memoryview) -> Subscription:
    """Java's ``ConsumerProtocol.deserializeSubscription``; ``DecodeError`` for bad bytes."""
    buf, version = _version_of(data, "consumer protocol subscription")
    message, _ = _SUBSCRIPTIONS[version].decode_from(buf, 2)
    owned = tuple(
        TopicPartition(t.topic, p)
        for t in getattr(message, "owned_partitions", ())
        for p in t.partitions
    )
    rack = getattr(message, "rack_id", None)
    generation: int = getattr(message, "generation_id", -1)
    return Subscription(
        topics=tuple(message.topics),
        user_data=None if message.user_data is None else bytes(message.user_data),
        owned_partitions=owned,
        # Java's Subscription: a negative generation is none (Optional.empty()).
        generation_id=generation if generation >= 0 else None,
        rack_id=rack or None,
    )


def encode_assignment(assignment: Assignment, version: int = _HIGHEST) -> bytes:
    """Java's ``ConsumerProtocol.serializeAssignment``: partitions grouped by topic in the
    order the assignor listed them, version-prefixed."""
    by_topic: dict[str, list[int]] = {}
    for tp in assignment.partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    message = _ASSIGNMENTS[version](
        assigned_partitions=[
            ConsumerProtocolAssignmentTopicPartitionV3(topic=t, partitions=ps)
            for t, ps in by_topic.items()
        ],
        user_data=assignment.user_data,
    )
    return _VERSION.pack(version) + bytes(message.encode())


def decode_assignment(data: bytes | memoryview) -> Assignment:
    """Java's ``ConsumerProtocol.deserializeAssignment``; ``DecodeError`` for bad bytes."""
    buf, version = _version_of(data, "consumer protocol assignment")
    message, _ = _ASSIGNMENTS[version].decode_from(buf, 2)
    return Assignment(
        partitions=tuple(
            TopicPartition(t.topic, p) for t in message.assigned_partitions for p in t.partitions
        ),
        user_data=None if message.user_data is None else bytes(message.user_data),
    )


# --- the classic protocol -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinGroupMember:
    member_id: str
    group_instance_id: str | None
    metadata: bytes


@dataclass(frozen=True, slots=True)
class JoinGroupResult:
    """A JoinGroup response as plain values (absent fields at Java's defaults)."""

    error_code: int
    generation_id: int
    protocol_type: str | None
    protocol_name: str | None
    leader: str
    member_id: str
    skip_assignment: bool
    members: tuple[JoinGroupMember, ...]

    @property
    def is_leader(self) -> bool:
        return self.leader == self.member_id


def join_group_request(
    cls: type[ApiMessage],
    *,
    group_id: str,
    session_timeout_ms: int,
    rebalance_timeout_ms: int,
    member_id: str,
    group_instance_id: str | None,
    protocols: Sequence[tuple[str, bytes]],
    reason: str | None,
) -> ApiMessage:
    """JoinGroup for a consumer (protocol type ``consumer``), one protocol per assignor."""
    protocol_cls = _sub(cls, "protocols")
    message: ApiMessage = _build(
        cls,
        group_id=group_id,
        session_timeout_ms=session_timeout_ms,
        rebalance_timeout_ms=rebalance_timeout_ms,
        member_id=member_id,
        group_instance_id=group_instance_id,
        protocol_type=CONSUMER_PROTOCOL_TYPE,
        protocols=[protocol_cls(name=n, metadata=m) for n, m in protocols],  # type: ignore[call-arg]
        reason=_reason(reason),
    )
    return message


def read_join_group_response(response: Any) -> JoinGroupResult:
    return JoinGroupResult(
        error_code=response.error_code,
        generation_id=response.generation_id,
        protocol_type=getattr(response, "protocol_type", None),
        protocol_name=response.protocol_name,
        leader=response.leader,
        member_id=response.member_id,
        skip_assignment=getattr(response, "skip_assignment", False),
        members=tuple(
            JoinGroupMember(m.member_id, getattr(m, "group_instance_id", None), bytes(m.metadata))
            for m in response.members
        ),
    )


def sync_group_request(
    cls: type[ApiMessage],
    *,
    group_id: str,
    generation_id: int,
    member_id: str,
    group_instance_id: str | None,
    protocol_name: str | None,
    assignments: Mapping[str, bytes],
) -> ApiMessage:
    """SyncGroup; a follower sends no assignments, the leader one per member."""
    assignment_cls = _sub(cls, "assignments")
    message: ApiMessage = _build(
        cls,
        group_id=group_id,
        generation_id=generation_id,
        member_id=member_id,
        group_instance_id=group_instance_id,
        protocol_type=CONSUMER_PROTOCOL_TYPE,
        protocol_name=protocol_name,
        assignments=[
            assignment_cls(member_id=m, assignment=a)  # type: ignore[call-arg]
            for m, a in assignments.items()
        ],
    )
    return message


def read_sync_group_response(response: Any) -> tuple[int, str | None, str | None, bytes]:
    """(error code, protocol type, protocol name, this member's assignment bytes)."""
    return (
        response.error_code,
        getattr(response, "protocol_type", None),
        getattr(response, "protocol_name", None),
        bytes(response.assignment),
    )


def heartbeat_request(
    cls: type[ApiMessage],
    *,
    group_id: str,
    generation_id: int,
    member_id: str,
    group_instance_id: str | None,
) -> ApiMessage:
    message: ApiMessage = _build(
        cls,
        group_id=group_id,
        generation_id=generation_id,
        member_id=member_id,
        group_instance_id=group_instance_id,
    )
    return message


def read_heartbeat_response(response: Any) -> int:
    return int(response.error_code)


def leave_group_request(
    cls: type[ApiMessage],
    *,
    group_id: str,
    member_id: str,
    group_instance_id: str | None,
    reason: str | None,
) -> ApiMessage:
    """LeaveGroup for one member: ``member_id`` at the top before v3, a member list from v3
    (KIP-345, which lets a static member leave by instance id)."""
    fields = _fields(cls)
    if "members" in fields:
        identity = _sub(cls, "members")
        message: ApiMessage = _build(
            cls,
            group_id=group_id,
            members=[
                _build(
                    identity,
                    member_id=member_id,
                    group_instance_id=group_instance_id,
                    reason=_reason(reason),
                )
            ],
        )
        return message
    message = _build(cls, group_id=group_id, member_id=member_id)
    return message


def read_leave_group_response(response: Any) -> int:
    """The first error: top-level, else the member's."""
    if response.error_code:
        return int(response.error_code)
    for m in getattr(response, "members", ()):
        if m.error_code:
            return int(m.error_code)
    return 0


# --- KIP-848: ConsumerGroupHeartbeat --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeartbeatResult:
    """A ConsumerGroupHeartbeat response: ``assignment`` is None when the broker sent none
    (unchanged), else topic id -> sorted partitions."""

    error_code: int
    error_message: str | None
    member_id: str | None
    member_epoch: int
    heartbeat_interval_ms: int
    assignment: dict[UUID, tuple[int, ...]] | None


def consumer_group_heartbeat_request(
    cls: type[ApiMessage],
    *,
    group_id: str,
    member_id: str,
    member_epoch: int,
    instance_id: str | None = None,
    rack_id: str | None = None,
    rebalance_timeout_ms: int = -1,
    subscribed_topic_names: Iterable[str] | None = None,
    subscribed_topic_regex: str | None = None,
    server_assignor: str | None = None,
    topic_partitions: Mapping[UUID, Iterable[int]] | None = None,
) -> ApiMessage:
    """ConsumerGroupHeartbeat; None (or -1) fields tell the broker "unchanged since the last
    heartbeat". The regex needs v1 (the connection's version decides; at v0 it cannot be
    written, which the caller checks first)."""
    tp_cls = _sub(cls, "topic_partitions")
    message: ApiMessage = _build(
        cls,
        group_id=group_id,
        member_id=member_id,
        member_epoch=member_epoch,
        instance_id=instance_id,
        rack_id=rack_id,
        rebalance_timeout_ms=rebalance_timeout_ms,
        subscribed_topic_names=None
        if subscribed_topic_names is None
        else sorted(subscribed_topic_names),
        subscribed_topic_regex=subscribed_topic_regex,
        server_assignor=server_assignor,
        topic_partitions=None
        if topic_partitions is None
        else [
            tp_cls(topic_id=t, partitions=sorted(ps))  # type: ignore[call-arg]
            for t, ps in topic_partitions.items()
        ],
    )
    return message


def supports_regex(cls: type[ApiMessage]) -> bool:
    """Whether this ConsumerGroupHeartbeat version carries a broker-side regex (v1+)."""
    return "subscribed_topic_regex" in _fields(cls)


def read_consumer_group_heartbeat_response(response: Any) -> HeartbeatResult:
    assignment = None
    if response.assignment is not None:
        assignment = {
            t.topic_id: tuple(sorted(t.partitions)) for t in response.assignment.topic_partitions
        }
    return HeartbeatResult(
        error_code=response.error_code,
        error_message=response.error_message,
        member_id=response.member_id,
        member_epoch=response.member_epoch,
        heartbeat_interval_ms=response.heartbeat_interval_ms,
        assignment=assignment,
    )


# --- describing groups (``kafkaproto groups describe``) -------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberDescription:
    """One member as either protocol describes it; ``assignment`` by topic name."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    assignment: tuple[TopicPartition, ...]
    rack_id: str | None = None
    member_epoch: int | None = None
    subscribed_topics: tuple[str, ...] = ()
    subscribed_regex: str | None = None
    target_assignment: tuple[TopicPartition, ...] | None = None
    classic: bool = True


@dataclass(frozen=True, slots=True)
class ClassicGroupDescription:
    """A DescribeGroups answer for one group."""

    error_code: int
    error_message: str | None
    group_id: str
    state: str
    protocol_type: str
    protocol: str
    members: tuple[MemberDescription, ...]


@dataclass(frozen=True, slots=True)
class ConsumerGroupDescription:
    """A ConsumerGroupDescribe answer for one group (KIP-848)."""

    error_code: int
    error_message: str | None
    group_id: str
    state: str
    group_epoch: int
    assignment_epoch: int
    assignor: str
    members: tuple[MemberDescription, ...] = field(default=())


def describe_groups_request(cls: type[ApiMessage], group_ids: Sequence[str]) -> ApiMessage:
    message: ApiMessage = _build(cls, groups=list(group_ids), include_authorized_operations=False)
    return message


def read_describe_groups_response(response: Any) -> list[ClassicGroupDescription]:
    """Each group; a consumer group's member assignments decoded (others left empty)."""
    out = []
    for g in response.groups:
        members = []
        for m in g.members:
            assigned: tuple[TopicPartition, ...] = ()
            if g.protocol_type == CONSUMER_PROTOCOL_TYPE and len(m.member_assignment) >= 2:
                try:
                    assigned = decode_assignment(bytes(m.member_assignment)).partitions
                except DecodeError:
                    assigned = ()
            members.append(
                MemberDescription(
                    member_id=m.member_id,
                    group_instance_id=getattr(m, "group_instance_id", None),
                    client_id=m.client_id,
                    client_host=m.client_host,
                    assignment=assigned,
                )
            )
        out.append(
            ClassicGroupDescription(
                error_code=g.error_code,
                error_message=getattr(g, "error_message", None),
                group_id=g.group_id,
                state=g.group_state,
                protocol_type=g.protocol_type,
                protocol=g.protocol_data,
                members=tuple(members),
            )
        )
    return out


def consumer_group_describe_request(cls: type[ApiMessage], group_ids: Sequence[str]) -> ApiMessage:
    message: ApiMessage = _build(
        cls, group_ids=list(group_ids), include_authorized_operations=False
    )
    return message


def _named(topic_partitions: Iterable[Any]) -> tuple[TopicPartition, ...]:
    return tuple(
        TopicPartition(t.topic_name, p) for t in topic_partitions for p in sorted(t.partitions)
    )


def read_consumer_group_describe_response(response: Any) -> list[ConsumerGroupDescription]:
    out = []
    for g in response.groups:
        members = tuple(
            MemberDescription(
                member_id=m.member_id,
                group_instance_id=m.instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                assignment=_named(m.assignment.topic_partitions),
                rack_id=m.rack_id,
                member_epoch=m.member_epoch,
                subscribed_topics=tuple(m.subscribed_topic_names),
                subscribed_regex=getattr(m, "subscribed_topic_regex", None),
                target_assignment=_named(m.target_assignment.topic_partitions),
                # MemberType (v1+): 0 classic, 1 consumer; -1 unknown (v0).
                classic=getattr(m, "member_type", -1) == 0,
            )
            for m in g.members
        )
        out.append(
            ConsumerGroupDescription(
                error_code=g.error_code,
                error_message=g.error_message,
                group_id=g.group_id,
                state=g.group_state,
                group_epoch=g.group_epoch,
                assignment_epoch=g.assignment_epoch,
                assignor=g.assignor_name,
                members=members,
            )
        )
    return out


def list_groups_request(cls: type[ApiMessage]) -> ApiMessage:
    message: ApiMessage = _build(cls, states_filter=[], types_filter=[])
    return message


def read_list_groups_response(response: Any) -> tuple[int, list[tuple[str, str, str, str]]]:
    """(error code, [(group id, protocol type, state, type)])."""
    return response.error_code, [
        (
            g.group_id,
            g.protocol_type,
            getattr(g, "group_state", ""),
            getattr(g, "group_type", ""),
        )
        for g in response.groups
    ]
