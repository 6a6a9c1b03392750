"""The transactional producer's requests and responses, built and read in one place:
FindCoordinator, InitProducerId (with a transactional id), AddPartitionsToTxn, AddOffsetsToTxn,
TxnOffsetCommit and EndTxn, plus the version rules Java's request builders apply
(``AddPartitionsToTxnRequest.Builder.forClient``, ``EndTxnRequest.Builder``,
``TxnOffsetCommitRequest.Builder.forTopicNames/forTopicIdsOrNames``, ``ProduceRequest.builder``).

The transaction manager speaks plain values (partitions as ``(topic, partition)``, offsets,
error codes); this module turns them into generated messages at the version the broker and the
transaction version allow, and turns responses back into plain values. It is the only producer
module that knows these messages' field names, so a change to the generated classes lands here
alone. It must never hold state, do I/O or decide what an error means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, NamedTuple
from uuid import UUID

from kafkaproto.error_codes import UnsupportedVersionError
from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
from kafkaproto.messages import ApiKey
from kafkaproto.messages.add_offsets_to_txn import AddOffsetsToTxnRequest
from kafkaproto.messages.add_partitions_to_txn import (
    AddPartitionsToTxnRequest,
    AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
    AddPartitionsToTxnResponse,
)
from kafkaproto.messages.end_txn import EndTxnRequest, EndTxnResponse
from kafkaproto.messages.find_coordinator import FindCoordinatorRequest, FindCoordinatorResponse
from kafkaproto.messages.init_producer_id import InitProducerIdRequest
from kafkaproto.messages.txn_offset_commit import (
    TxnOffsetCommitRequest,
    TxnOffsetCommitRequestPartition,
    TxnOffsetCommitRequestTopic,
    TxnOffsetCommitResponse,
)

__all__ = [
    "ADD_OFFSETS_TO_TXN",
    "ADD_PARTITIONS_TO_TXN",
    "COORDINATOR_GROUP",
    "COORDINATOR_TRANSACTION",
    "END_TXN",
    "FIND_COORDINATOR",
    "INIT_PRODUCER_ID",
    "TXN_OFFSET_COMMIT",
    "Coordinator",
    "add_offsets_to_txn",
    "add_partitions_to_txn",
    "end_txn",
    "find_coordinator",
    "init_producer_id",
    "max_version",
    "produce_max_version",
    "read_add_partitions_to_txn",
    "read_end_txn",
    "read_find_coordinator",
    "read_txn_offset_commit",
    "txn_offset_commit",
]

FIND_COORDINATOR: Final = ApiKey.FIND_COORDINATOR
INIT_PRODUCER_ID: Final = ApiKey.INIT_PRODUCER_ID
ADD_PARTITIONS_TO_TXN: Final = ApiKey.ADD_PARTITIONS_TO_TXN
ADD_OFFSETS_TO_TXN: Final = ApiKey.ADD_OFFSETS_TO_TXN
END_TXN: Final = ApiKey.END_TXN
TXN_OFFSET_COMMIT: Final = ApiKey.TXN_OFFSET_COMMIT

#: ``FindCoordinatorRequest.CoordinatorType`` ids.
COORDINATOR_GROUP: Final = 0
COORDINATOR_TRANSACTION: Final = 1

# Java's caps. AddPartitionsToTxn v4+ is the broker-to-broker batched form (KIP-890 part 1):
# clients stop at v3. The *_V1 caps are LAST_STABLE_VERSION_BEFORE_TRANSACTION_V2: a version
# above them tells the broker the transaction is a KIP-890 part 2 (transaction.version 2) one.
_ADD_PARTITIONS_CLIENT_MAX: Final = 3
_END_TXN_V1_MAX: Final = 4
_TXN_OFFSET_COMMIT_V1_MAX: Final = 4
_TXN_OFFSET_COMMIT_BY_NAME_MAX: Final = 5  # v6 names topics by id
_PRODUCE_V1_MAX: Final = 11  # v12: the broker adds the partition to the transaction itself
_INIT_PRODUCER_ID_MAX: Final = 5  # v6 is KIP-939's two-phase commit, unstable in 4.4
_FIND_COORDINATOR_BATCHED: Final = 4  # KIP-699: v4+ looks up a list of keys


def max_version(api_key: int, *, tv2: bool, topic_ids_known: bool = False) -> int:
    """The highest version the client may use for ``api_key`` under the transaction version in
    use (``tv2``); the broker's own maximum caps it further."""
    if api_key == ADD_PARTITIONS_TO_TXN:
        return _ADD_PARTITIONS_CLIENT_MAX
    if api_key == END_TXN:
        return 1_000 if tv2 else _END_TXN_V1_MAX
    if api_key == TXN_OFFSET_COMMIT:
        if not tv2:
            return _TXN_OFFSET_COMMIT_V1_MAX
        return 1_000 if topic_ids_known else _TXN_OFFSET_COMMIT_BY_NAME_MAX
    if api_key == INIT_PRODUCER_ID:
        return _INIT_PRODUCER_ID_MAX
    return 1_000


def produce_max_version(*, transactional: bool, tv2: bool) -> int:
    """``ProduceRequest.builder(data, useTransactionV1Version)``: a transactional producer on
    transaction version 1 stays below v12."""
    return _PRODUCE_V1_MAX if transactional and not tv2 else 1_000


# --- FindCoordinator ---------------------------------------------------------------------------


class Coordinator(NamedTuple):
    error_code: int
    node_id: int
    host: str
    port: int
    error_message: str | None


def find_coordinator(version: int, key_type: int, key: str) -> FindCoordinatorRequest:
    """The request to send at ``version``."""
    if version >= _FIND_COORDINATOR_BATCHED:
        return FindCoordinatorRequest(key_type=key_type, coordinator_keys=(key,))
    if version == 0 and key_type != COORDINATOR_GROUP:
        raise UnsupportedVersionError("FindCoordinator v0 cannot look up a transaction coordinator")
    return FindCoordinatorRequest(key=key, key_type=key_type)


def read_find_coordinator(response: FindCoordinatorResponse, version: int) -> list[Coordinator]:
    """Every coordinator in the response read at ``version`` (Java requires exactly one)."""
    if version < _FIND_COORDINATOR_BATCHED:
        r = response
        return [Coordinator(r.error_code, r.node_id, r.host, r.port, r.error_message)]
    return [
        Coordinator(c.error_code, c.node_id, c.host, c.port, c.error_message)
        for c in response.coordinators
    ]


# --- InitProducerId ------------------------------------------------------------------------


def init_producer_id(
    version: int,
    transactional_id: str | None,
    transaction_timeout_ms: int,
    producer_id: int = -1,
    producer_epoch: int = -1,
) -> InitProducerIdRequest:
    """v3+ carries the current producer id and epoch, which asks the coordinator to bump the
    epoch of that producer instead of fencing it (KIP-360); older versions leave them out."""
    if version < 3:
        producer_id = producer_epoch = -1
    return InitProducerIdRequest(
        transactional_id=transactional_id,
        transaction_timeout_ms=transaction_timeout_ms,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
    )


# --- AddPartitionsToTxn ----------------------------------------------------------------------


def add_partitions_to_txn(
    version: int,
    transactional_id: str,
    producer_id: int,
    producer_epoch: int,
    partitions: Iterable[tuple[str, int]],
) -> AddPartitionsToTxnRequest:
    """The client's v0-3 form (``version`` is at most 3)."""
    del version
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(partitions):
        by_topic.setdefault(topic, []).append(partition)
    return AddPartitionsToTxnRequest(
        v3_and_below_transactional_id=transactional_id,
        v3_and_below_producer_id=producer_id,
        v3_and_below_producer_epoch=producer_epoch,
        v3_and_below_topics=tuple(
            AddPartitionsToTxnRequestAddPartitionsToTxnTopic(name=t, partitions=tuple(p))
            for t, p in by_topic.items()
        ),
    )


def read_add_partitions_to_txn(response: AddPartitionsToTxnResponse) -> dict[tuple[str, int], int]:
    """Error code per partition (``AddPartitionsToTxnResponse.errors()`` for the client's
    v0-3 form)."""
    return {
        (t.name, p.partition_index): p.partition_error_code
        for t in response.results_by_topic_v3_and_below
        for p in t.results_by_partition
    }


# --- AddOffsetsToTxn and TxnOffsetCommit -----------------------------------------------------


def add_offsets_to_txn(
    version: int, transactional_id: str, producer_id: int, producer_epoch: int, group_id: str
) -> AddOffsetsToTxnRequest:
    del version
    return AddOffsetsToTxnRequest(
        transactional_id=transactional_id,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        group_id=group_id,
    )


def txn_offset_commit(
    version: int,
    transactional_id: str,
    producer_id: int,
    producer_epoch: int,
    offsets: Mapping[tuple[str, int], OffsetAndMetadata],
    group: ConsumerGroupMetadata,
    topic_ids: Mapping[str, UUID],
) -> TxnOffsetCommitRequest:
    """``TxnOffsetCommitRequest.Builder.build``: group member fields need v3+ (an
    ``UnsupportedVersionError`` below, as Java's); v6+ names topics by id."""
    member_set = (
        group.member_id != "" or group.generation_id != -1 or group.group_instance_id is not None
    )
    if version < 3 and member_set:
        raise UnsupportedVersionError(
            f"Broker doesn't support group metadata commit API on version {version}, minimum "
            "supported request version is 3 which requires brokers to be on version 2.5 or above."
        )
    by_topic: dict[str, list[TxnOffsetCommitRequestPartition]] = {}
    for (topic, partition), om in sorted(offsets.items()):
        by_topic.setdefault(topic, []).append(
            TxnOffsetCommitRequestPartition(
                partition_index=partition,
                committed_offset=om.offset,
                committed_leader_epoch=-1 if om.leader_epoch is None else om.leader_epoch,
                committed_metadata=om.metadata,
            )
        )
    if version >= 6:
        topics = tuple(
            TxnOffsetCommitRequestTopic(topic_id=topic_ids[t], partitions=tuple(p))
            for t, p in by_topic.items()
        )
    else:
        topics = tuple(
            TxnOffsetCommitRequestTopic(name=t, partitions=tuple(p)) for t, p in by_topic.items()
        )
    return TxnOffsetCommitRequest(
        transactional_id=transactional_id,
        group_id=group.group_id,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        generation_id_or_member_epoch=group.generation_id,
        member_id=group.member_id,
        group_instance_id=group.group_instance_id,
        topics=topics,
    )


def read_txn_offset_commit(
    response: TxnOffsetCommitResponse, version: int, topic_names: Mapping[UUID, str]
) -> dict[tuple[str, int], int]:
    """Error code per partition of the response read at ``version`` (v6+ names topics by id)."""
    out: dict[tuple[str, int], int] = {}
    for t in response.topics:
        name = t.name if version < 6 else topic_names.get(t.topic_id, str(t.topic_id))
        for p in t.partitions:
            out[(name, p.partition_index)] = p.error_code
    return out


# --- EndTxn ----------------------------------------------------------------------------------


def end_txn(
    version: int, transactional_id: str, producer_id: int, producer_epoch: int, committed: bool
) -> EndTxnRequest:
    del version
    return EndTxnRequest(
        transactional_id=transactional_id,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        committed=committed,
    )


def read_end_txn(response: EndTxnResponse) -> tuple[int, int, int]:
    """Error code, and the producer id and epoch the next transaction uses (v5+, KIP-890 part
    2: the coordinator bumps the epoch at every EndTxn; the defaults, -1, before v5)."""
    return response.error_code, response.producer_id, response.producer_epoch
