"""Reading one partition from its leader: Fetch requests at the negotiated version, records
decoded from the returned batches.

The smallest consumer there is (no group, no commits): what the ``fetch`` command and the tests
need to read back what was produced. One request serves every Fetch/ListOffsets version the
broker may choose: it carries both the topic's name and id, and each version writes the one it
has (Kafka marks both ignorable). It never frames bytes itself (that is
:mod:`kafkaproto.protocol`) and never decodes records itself (that is :mod:`kafkaproto.records`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from kafkaproto.cluster import ClusterClient
from kafkaproto.error_codes import KafkaError, error_for_code
from kafkaproto.messages.fetch import (
    FetchRequest,
    FetchRequestFetchPartition,
    FetchRequestFetchTopic,
)
from kafkaproto.messages.list_offsets import (
    ListOffsetsRequest,
    ListOffsetsRequestListOffsetsPartition,
    ListOffsetsRequestListOffsetsTopic,
)
from kafkaproto.records.reader import read_batches
from kafkaproto.records.record_batch import Record
from kafkaproto.wire import ZERO_UUID

__all__ = ["EARLIEST", "LATEST", "fetch_partition", "list_offset"]

# ListOffsets timestamps that mean "the log start" and "the log end" (Kafka's ListOffsetsRequest).
EARLIEST, LATEST = -2, -1
_RETRIES = 10


async def list_offset(client: ClusterClient, topic: str, partition: int, timestamp: int) -> int:
    """The offset ListOffsets gives for ``timestamp`` (EARLIEST, LATEST or a time in ms)."""
    for attempt in range(_RETRIES):
        leader = await client.leader_for(topic, partition)
        request = ListOffsetsRequest(
            replica_id=-1,
            isolation_level=0,
            topics=[
                ListOffsetsRequestListOffsetsTopic(
                    name=topic,
                    partitions=[
                        ListOffsetsRequestListOffsetsPartition(
                            partition_index=partition, current_leader_epoch=-1, timestamp=timestamp
                        )
                    ],
                )
            ],
        )
        response = await client.request(leader.node_id, request)
        p = response.topics[0].partitions[0]
        error = error_for_code(p.error_code) if p.error_code else None
        if error is None:
            return int(p.offset)
        await _retry_or_raise(client, error, attempt)
    raise AssertionError("unreachable")


async def fetch_partition(
    client: ClusterClient,
    topic: str,
    partition: int,
    offset: int,
    *,
    max_records: int | None = None,
    until_end: bool = True,
    max_wait_ms: int = 500,
    max_bytes: int = 1 << 20,
) -> AsyncIterator[Record]:
    """The records of ``topic``/``partition`` from ``offset`` on, in order; stops after
    ``max_records`` or, with ``until_end``, at the high watermark seen when fetching."""
    if offset in (EARLIEST, LATEST):
        offset = await list_offset(client, topic, partition, offset)
    yielded = 0
    attempt = 0
    while max_records is None or yielded < max_records:
        leader = await client.leader_for(topic, partition)
        request = FetchRequest(
            max_wait_ms=max_wait_ms,
            min_bytes=1,
            max_bytes=max_bytes,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=[
                FetchRequestFetchTopic(
                    topic=topic,
                    topic_id=client.topic_id(topic) or ZERO_UUID,
                    partitions=[
                        FetchRequestFetchPartition(
                            partition=partition,
                            current_leader_epoch=-1,
                            fetch_offset=offset,
                            last_fetched_epoch=-1,
                            log_start_offset=-1,
                            partition_max_bytes=max_bytes,
                        )
                    ],
                )
            ],
        )
        response = await client.request(leader.node_id, request)
        if response.error_code:  # v7+: a top-level error (a fetch session's)
            await _retry_or_raise(client, error_for_code(response.error_code), attempt)
            attempt += 1
            continue
        p = response.responses[0].partitions[0]
        if p.error_code:
            await _retry_or_raise(client, error_for_code(p.error_code), attempt)
            attempt += 1
            continue
        attempt = 0
        high_watermark = int(p.high_watermark)
        read = read_batches(p.records or b"", partition=(topic, partition))
        for batch in read.batches:
            if not batch.is_control:
                for record in batch.records:
                    if record.offset < offset:
                        continue  # a compressed batch starts before the offset asked for
                    yield record
                    yielded += 1
                    if max_records is not None and yielded >= max_records:
                        return
            offset = max(offset, batch.next_offset)
        if until_end and offset >= high_watermark:
            return


async def _retry_or_raise(client: ClusterClient, error: KafkaError, attempt: int) -> None:
    """Raise a non-retriable error (or the last retry's); else refresh metadata if the error
    says it is stale, and back off as the client's retry backoff says."""
    if not error.retriable or attempt + 1 >= _RETRIES:
        raise error
    if error.invalid_metadata:
        client.request_metadata_update()
    await asyncio.sleep(client.retry_backoff_s(attempt))
