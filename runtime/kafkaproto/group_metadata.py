"""What a consumer group member hands a transactional producer (KIP-447): ``ConsumerGroupMetadata``
and ``OffsetAndMetadata``, the arguments of ``send_offsets_to_transaction``.

Java keeps both in ``org.apache.kafka.clients.consumer``; here they live below both clients so
the producer takes them without importing a consumer, and a consumer returns them without
importing the producer. Plain immutable values: this module must never import a client, do I/O
or validate against a broker.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "DEFAULT_GENERATION_ID",
    "UNKNOWN_MEMBER_ID",
    "ConsumerGroupMetadata",
    "OffsetAndMetadata",
]

#: ``JoinGroupRequest.UNKNOWN_GENERATION_ID`` / ``UNKNOWN_MEMBER_ID``: a group metadata built
#: from a group id alone (no member), as Java's ``new ConsumerGroupMetadata(groupId)``.
DEFAULT_GENERATION_ID = -1
UNKNOWN_MEMBER_ID = ""


class ConsumerGroupMetadata(NamedTuple):
    """A group member's identity when it consumed the offsets being committed: the coordinator
    fences a commit from a member that left or rejoined (a zombie), which is what makes
    consume-transform-produce exactly once across rebalances (KIP-447)."""

    group_id: str
    generation_id: int = DEFAULT_GENERATION_ID
    member_id: str = UNKNOWN_MEMBER_ID
    group_instance_id: str | None = None


class OffsetAndMetadata(NamedTuple):
    """The offset to commit for one partition: the offset of the next record to read, an
    optional metadata string, and the leader epoch of the last record read (KIP-320; None when
    unknown)."""

    offset: int
    metadata: str = ""
    leader_epoch: int | None = None
