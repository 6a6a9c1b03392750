"""Every group-membership request the consumer builds and every response it reads — JoinGroup,
SyncGroup, Heartbeat, LeaveGroup (the classic protocol), ConsumerGroupHeartbeat (KIP-848),
DescribeGroups, ConsumerGroupDescribe and ListGroups (for ``groups describe``) — and the
ConsumerProtocol subscription and assignment the classic protocol embeds as bytes, from Kafka's
own ``ConsumerProtocolSubscription``/``ConsumerProtocolAssignment`` specs.

The one place that touches the generated group messages, as
:mod:`kafkaproto.consumer._internals.requests` is for fetching and offsets: the rest of the group
code works on the plain values here (:class:`Subscription`, :class:`JoinGroupResult`,
:class:`HeartbeatResult` ...). One class serves every version of a message: each builder takes the
version the request will be sent at and sets only what that version carries (fields a version lacks
and Kafka ignores are simply not written), each reader the version the response was read at. This
module must never do I/O or keep state."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from uuid import UUID

from kafkaproto.consumer.record import TopicPartition
from kafkaproto.error_codes import UnsupportedVersionError
from kafkaproto.errors import DecodeError
from kafkaproto.messages import ApiKey
from kafkaproto.messages.consumer_group_describe import (
    ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse,
    ConsumerGroupDescribeResponseTopicPartitions,
)
from kafkaproto.messages.consumer_group_heartbeat import (
    ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatRequestTopicPartitions,
    ConsumerGroupHeartbeatResponse,
)
from kafkaproto.messages.consumer_protocol_assignment import (
    ConsumerProtocolAssignment,
    ConsumerProtocolAssignmentTopicPartition,
)
from kafkaproto.messages.consumer_protocol_subscription import (
    ConsumerProtocolSubscription,
    ConsumerProtocolSubscriptionTopicPartition,
)
from kafkaproto.messages.describe_groups import DescribeGroupsRequest, DescribeGroupsResponse
from kafkaproto.messages.heartbeat import HeartbeatRequest, HeartbeatResponse
from kafkaproto.messages.join_group import (
    JoinGroupRequest,
    JoinGroupRequestProtocol,
    JoinGroupResponse,
)
from kafkaproto.messages.leave_group import (
    LeaveGroupRequest,
    LeaveGroupRequestMemberIdentity,
    LeaveGroupResponse,
)
from kafkaproto.messages.list_groups import ListGroupsRequest, ListGroupsResponse
from kafkaproto.messages.sync_group import (
    SyncGroupRequest,
    SyncGroupRequestAssignment,
    SyncGroupResponse,
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
    "REGEX_RESOLUTION_NOT_SUPPORTED_MSG",
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

JOIN_GROUP: Final = ApiKey.JOIN_GROUP
HEARTBEAT: Final = ApiKey.HEARTBEAT
LEAVE_GROUP: Final = ApiKey.LEAVE_GROUP
SYNC_GROUP: Final = ApiKey.SYNC_GROUP
DESCRIBE_GROUPS: Final = ApiKey.DESCRIBE_GROUPS
LIST_GROUPS: Final = ApiKey.LIST_GROUPS
CONSUMER_GROUP_HEARTBEAT: Final = ApiKey.CONSUMER_GROUP_HEARTBEAT
CONSUMER_GROUP_DESCRIBE: Final = ApiKey.CONSUMER_GROUP_DESCRIBE
#: Java's ``ConsumerProtocol.PROTOCOL_TYPE``.
CONSUMER_PROTOCOL_TYPE: Final = "consumer"
_VERSION = struct.Struct(">h")
# ConsumerProtocolSubscription and ...Assignment have the same versions (Java checks it).
_HIGHEST: Final = ConsumerProtocolSubscription.max_version
# KIP-800: a reason is truncated to 255 characters (Java's JoinGroupRequest.maybeTruncateReason).
_MAX_REASON = 255
# The first versions with a group instance id (KIP-345): JoinGroup, SyncGroup and Heartbeat;
# LeaveGroup by member list; the KIP-848 heartbeat's broker-side regex.
_JOIN_STATIC: Final = 5
_SYNC_HEARTBEAT_STATIC: Final = 3
_LEAVE_MEMBERS: Final = 3
_HEARTBEAT_REGEX: Final = 1
REGEX_RESOLUTION_NOT_SUPPORTED_MSG: Final = (
    "The cluster does not support regular expressions resolution on ConsumerGroupHeartbeat API "
    "version 0. It must be upgraded to use ConsumerGroupHeartbeat API version >= 1 to allow to "
    "subscribe to a SubscriptionPattern."
)


def _static(version: int, first: int, api: str, group_instance_id: str | None) -> str | None:
    """The instance id where the version has one; Java's UnsupportedVersionException else."""
    if group_instance_id is not None and version < first:
        raise UnsupportedVersionError(
            f"{api} v{version} cannot carry group.instance.id {group_instance_id!r} (static "
            f"membership needs v{first}): unset group.instance.id or upgrade the broker"
        )
    return group_instance_id


def _reason(reason: str | None) -> str | None:
    return None if reason is None else reason[:_MAX_REASON]


# --- ConsumerProtocol: the classic protocol's embedded subscription and assignment -------------


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
    message = ConsumerProtocolSubscription(
        topics=tuple(sorted(subscription.topics)),
        user_data=subscription.user_data,
        owned_partitions=tuple(
            ConsumerProtocolSubscriptionTopicPartition(topic=t, partitions=tuple(ps))
            for t, ps in owned.items()
        ),
        generation_id=-1 if subscription.generation_id is None else subscription.generation_id,
        rack_id=subscription.rack_id,
    )
    return _VERSION.pack(version) + message.encode(version)


def decode_subscription(data: bytes | memoryview) -> Subscription:
    """Java's ``ConsumerProtocol.deserializeSubscription``; ``DecodeError`` for bad bytes."""
    buf, version = _version_of(data, "consumer protocol subscription")
    message, _ = ConsumerProtocolSubscription.decode_from(buf, 2, version)
    generation = message.generation_id
    return Subscription(
        topics=tuple(message.topics),
        user_data=None if message.user_data is None else bytes(message.user_data),
        owned_partitions=tuple(
            TopicPartition(t.topic, p) for t in message.owned_partitions for p in t.partitions
        ),
        # Java's Subscription: a negative generation is none (Optional.empty()).
        generation_id=generation if generation >= 0 else None,
        rack_id=message.rack_id or None,
    )


def encode_assignment(assignment: Assignment, version: int = _HIGHEST) -> bytes:
    """Java's ``ConsumerProtocol.serializeAssignment``: partitions grouped by topic in the
    order the assignor listed them, version-prefixed."""
    by_topic: dict[str, list[int]] = {}
    for tp in assignment.partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    message = ConsumerProtocolAssignment(
        assigned_partitions=tuple(
            ConsumerProtocolAssignmentTopicPartition(topic=t, partitions=tuple(ps))
            for t, ps in by_topic.items()
        ),
        user_data=assignment.user_data,
    )
    return _VERSION.pack(version) + message.encode(version)


def decode_assignment(data: bytes | memoryview) -> Assignment:
    """Java's ``ConsumerProtocol.deserializeAssignment``; ``DecodeError`` for bad bytes."""
    buf, version = _version_of(data, "consumer protocol assignment")
    message, _ = ConsumerProtocolAssignment.decode_from(buf, 2, version)
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
    version: int,
    *,
    group_id: str,
    session_timeout_ms: int,
    rebalance_timeout_ms: int,
    member_id: str,
    group_instance_id: str | None,
    protocols: Sequence[tuple[str, bytes]],
    reason: str | None,
) -> JoinGroupRequest:
    """JoinGroup for a consumer (protocol type ``consumer``), one protocol per assignor."""
    return JoinGroupRequest(
        group_id=group_id,
        session_timeout_ms=session_timeout_ms,
        rebalance_timeout_ms=rebalance_timeout_ms,
        member_id=member_id,
        group_instance_id=_static(version, _JOIN_STATIC, "JoinGroup", group_instance_id),
        protocol_type=CONSUMER_PROTOCOL_TYPE,
        protocols=tuple(JoinGroupRequestProtocol(name=n, metadata=m) for n, m in protocols),
        reason=_reason(reason),
    )


def read_join_group_response(response: JoinGroupResponse, version: int) -> JoinGroupResult:
    return JoinGroupResult(
        error_code=response.error_code,
        generation_id=response.generation_id,
        protocol_type=response.protocol_type,
        protocol_name=response.protocol_name,
        leader=response.leader,
        member_id=response.member_id,
        skip_assignment=response.skip_assignment,
        members=tuple(
            JoinGroupMember(m.member_id, m.group_instance_id, bytes(m.metadata))
            for m in response.members
        ),
    )


def sync_group_request(
    version: int,
    *,
    group_id: str,
    generation_id: int,
    member_id: str,
    group_instance_id: str | None,
    protocol_name: str | None,
    assignments: Mapping[str, bytes],
) -> SyncGroupRequest:
    """SyncGroup; a follower sends no assignments, the leader one per member."""
    return SyncGroupRequest(
        group_id=group_id,
        generation_id=generation_id,
        member_id=member_id,
        group_instance_id=_static(version, _SYNC_HEARTBEAT_STATIC, "SyncGroup", group_instance_id),
        protocol_type=CONSUMER_PROTOCOL_TYPE,
        protocol_name=protocol_name,
        assignments=tuple(
            SyncGroupRequestAssignment(member_id=m, assignment=a) for m, a in assignments.items()
        ),
    )


def read_sync_group_response(
    response: SyncGroupResponse, version: int
) -> tuple[int, str | None, str | None, bytes]:
    """(error code, protocol type, protocol name, this member's assignment bytes)."""
    return (
        response.error_code,
        response.protocol_type,
        response.protocol_name,
        bytes(response.assignment),
    )


def heartbeat_request(
    version: int,
    *,
    group_id: str,
    generation_id: int,
    member_id: str,
    group_instance_id: str | None,
) -> HeartbeatRequest:
    return HeartbeatRequest(
        group_id=group_id,
        generation_id=generation_id,
        member_id=member_id,
        group_instance_id=_static(version, _SYNC_HEARTBEAT_STATIC, "Heartbeat", group_instance_id),
    )


def read_heartbeat_response(response: HeartbeatResponse, version: int) -> int:
    return response.error_code


def leave_group_request(
    version: int,
    *,
    group_id: str,
    member_id: str,
    group_instance_id: str | None,
    reason: str | None,
) -> LeaveGroupRequest:
    """LeaveGroup for one member: ``member_id`` at the top before v3, a member list from v3
    (KIP-345, which lets a static member leave by instance id)."""
    if version >= _LEAVE_MEMBERS:
        return LeaveGroupRequest(
            group_id=group_id,
            members=(
                LeaveGroupRequestMemberIdentity(
                    member_id=member_id,
                    group_instance_id=group_instance_id,
                    reason=_reason(reason),
                ),
            ),
        )
    return LeaveGroupRequest(group_id=group_id, member_id=member_id)


def read_leave_group_response(response: LeaveGroupResponse, version: int) -> int:
    """The first error: top-level, else the member's."""
    if response.error_code:
        return response.error_code
    for m in response.members:
        if m.error_code:
            return m.error_code
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
    version: int,
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
) -> ConsumerGroupHeartbeatRequest:
    """ConsumerGroupHeartbeat; None (or -1) fields tell the broker "unchanged since the last
    heartbeat". A regex needs v1: ``UnsupportedVersionError`` below (Java's message)."""
    if subscribed_topic_regex is not None and version < _HEARTBEAT_REGEX:
        raise UnsupportedVersionError(REGEX_RESOLUTION_NOT_SUPPORTED_MSG)
    return ConsumerGroupHeartbeatRequest(
        group_id=group_id,
        member_id=member_id,
        member_epoch=member_epoch,
        instance_id=instance_id,
        rack_id=rack_id,
        rebalance_timeout_ms=rebalance_timeout_ms,
        subscribed_topic_names=None
        if subscribed_topic_names is None
        else tuple(sorted(subscribed_topic_names)),
        subscribed_topic_regex=subscribed_topic_regex,
        server_assignor=server_assignor,
        topic_partitions=None
        if topic_partitions is None
        else tuple(
            ConsumerGroupHeartbeatRequestTopicPartitions(topic_id=t, partitions=tuple(sorted(ps)))
            for t, ps in topic_partitions.items()
        ),
    )


def read_consumer_group_heartbeat_response(
    response: ConsumerGroupHeartbeatResponse, version: int
) -> HeartbeatResult:
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


def describe_groups_request(version: int, group_ids: Sequence[str]) -> DescribeGroupsRequest:
    return DescribeGroupsRequest(groups=tuple(group_ids))


def read_describe_groups_response(
    response: DescribeGroupsResponse, version: int
) -> list[ClassicGroupDescription]:
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
                    group_instance_id=m.group_instance_id,
                    client_id=m.client_id,
                    client_host=m.client_host,
                    assignment=assigned,
                )
            )
        out.append(
            ClassicGroupDescription(
                error_code=g.error_code,
                error_message=g.error_message,
                group_id=g.group_id,
                state=g.group_state,
                protocol_type=g.protocol_type,
                protocol=g.protocol_data,
                members=tuple(members),
            )
        )
    return out


def consumer_group_describe_request(
    version: int, group_ids: Sequence[str]
) -> ConsumerGroupDescribeRequest:
    return ConsumerGroupDescribeRequest(group_ids=tuple(group_ids))


def _named(
    topic_partitions: Iterable[ConsumerGroupDescribeResponseTopicPartitions],
) -> tuple[TopicPartition, ...]:
    return tuple(
        TopicPartition(t.topic_name, p) for t in topic_partitions for p in sorted(t.partitions)
    )


def read_consumer_group_describe_response(
    response: ConsumerGroupDescribeResponse, version: int
) -> list[ConsumerGroupDescription]:
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
                subscribed_regex=m.subscribed_topic_regex,
                target_assignment=_named(m.target_assignment.topic_partitions),
                # MemberType (v1+): 0 classic, 1 consumer; -1 unknown (v0).
                classic=m.member_type == 0,
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


def list_groups_request(version: int) -> ListGroupsRequest:
    return ListGroupsRequest()


def read_list_groups_response(
    response: ListGroupsResponse, version: int
) -> tuple[int, list[tuple[str, str, str, str]]]:
    """(error code, [(group id, protocol type, state, type)])."""
    return response.error_code, [
        (g.group_id, g.protocol_type, g.group_state, g.group_type) for g in response.groups
    ]
