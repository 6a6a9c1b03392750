"""``describe_group``: a consumer group as Java's ``kafka-consumer-groups --describe`` shows it —
its state, members (id, instance id, client id, host, assignment), and per partition the
committed offset, the log end offset and the lag.

As Java's admin client does, a group is first described with ConsumerGroupDescribe (KIP-848
groups, which may hold classic members too) and, when the broker says it is not such a group
(``GROUP_ID_NOT_FOUND``) or does not know that API, with DescribeGroups (classic groups, whose
assignments are decoded from the ConsumerProtocol bytes). Committed offsets come from OffsetFetch
for every partition of the group, log end offsets from the consumer's ``end_offsets``. This
module must never change a group: it only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from kafkaproto.consumer._internals import group_requests as gr
from kafkaproto.consumer._internals import requests
from kafkaproto.consumer._internals.coordinator import ConsumerCoordinator
from kafkaproto.consumer.async_consumer import AsyncConsumer
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.error_codes import error_for_code
from kafkaproto.errors import ApiVersionError

__all__ = ["GroupDescription", "PartitionOffsets", "describe_group"]

_GROUP_ID_NOT_FOUND: Final = 69
_UNSUPPORTED_VERSION: Final = 35


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    """One partition of the group: committed offset (None: none), log end, lag, owner."""

    partition: TopicPartition
    committed: int | None
    log_end: int | None
    member: gr.MemberDescription | None

    @property
    def lag(self) -> int | None:
        if self.committed is None or self.log_end is None:
            return None
        return max(self.log_end - self.committed, 0)


@dataclass(frozen=True, slots=True)
class GroupDescription:
    group_id: str
    #: "consumer" (KIP-848) or "classic".
    group_type: str
    state: str
    #: The broker's assignor (consumer groups) or the members' chosen protocol (classic).
    assignor: str
    members: tuple[gr.MemberDescription, ...]
    partitions: tuple[PartitionOffsets, ...]
    epoch: int | None = None


async def describe_group(
    consumer: AsyncConsumer[bytes, bytes], group_id: str, timeout: float | None = None
) -> GroupDescription:
    """Describe ``group_id`` through ``consumer``'s connections (a consumer with no group of
    its own). Raises the broker's typed error (authorization, a coordinator that cannot be
    found in time)."""
    client = consumer.engine.client
    await client.start()
    # OffsetFetch v10 names topics by id: know every topic's name.
    await client.refresh_metadata(all_topics=True)
    coordinator = ConsumerCoordinator(
        client,
        group_id,
        topic_ids=lambda: {
            n: t.topic_id for n, t in client.metadata.topics.items() if t.topic_id is not None
        },
    )
    conn = await coordinator.connection()
    description: GroupDescription | None = None
    try:
        version: int | None = conn.version_for(gr.CONSUMER_GROUP_DESCRIBE)
    except ApiVersionError:
        version = None
    if version is not None:
        (group,) = gr.read_consumer_group_describe_response(
            await conn.request(
                gr.consumer_group_describe_request(version, [group_id]), version=version
            ),
            version,
        )
        if group.error_code not in (0, _GROUP_ID_NOT_FOUND, _UNSUPPORTED_VERSION):
            raise error_for_code(group.error_code, group.error_message)
        if group.error_code == 0:
            description = GroupDescription(
                group_id=group_id,
                group_type="consumer",
                state=group.state,
                assignor=group.assignor,
                members=group.members,
                partitions=(),
                epoch=group.group_epoch,
            )
    if description is None:
        version = conn.version_for(gr.DESCRIBE_GROUPS)
        (classic,) = gr.read_describe_groups_response(
            await conn.request(gr.describe_groups_request(version, [group_id]), version=version),
            version,
        )
        if classic.error_code:
            raise error_for_code(classic.error_code, classic.error_message)
        description = GroupDescription(
            group_id=group_id,
            group_type="classic",
            state=classic.state,
            assignor=classic.protocol,
            members=classic.members,
            partitions=(),
        )
    committed = await _committed(coordinator, group_id)
    owners = {tp: m for m in description.members for tp in m.assignment}
    partitions = sorted(set(committed) | set(owners))
    ends = await consumer.end_offsets(partitions, timeout) if partitions else {}
    rows = tuple(
        PartitionOffsets(tp, committed.get(tp), ends.get(tp), owners.get(tp)) for tp in partitions
    )
    return GroupDescription(
        group_id=description.group_id,
        group_type=description.group_type,
        state=description.state,
        assignor=description.assignor,
        members=description.members,
        partitions=rows,
        epoch=description.epoch,
    )


async def _committed(coordinator: ConsumerCoordinator, group_id: str) -> dict[TopicPartition, int]:
    conn = await coordinator.connection()
    client = coordinator.client
    version = conn.version_for(requests.OFFSET_FETCH)
    request = requests.offset_fetch_request(version, group_id, None, {}, require_stable=False)
    names = {t.topic_id: n for n, t in client.metadata.topics.items() if t.topic_id is not None}
    error, offsets = requests.read_offset_fetch_response(
        await conn.request(request, version=version), version, names
    )
    if error:
        raise error_for_code(error)
    return {tp: o[0] for tp, o in offsets.items() if o[0] >= 0 and not o[3]}
