"""Reading one partition from its leader: Fetch requests at the negotiated version, records
decoded from the returned batches.

The smallest consumer there is (no group, no commits): what the ``fetch`` command and the tests
need to read back what was produced. It builds requests through the generated classes' field
tables, so one code path serves every Fetch/ListOffsets version the broker may choose. It never
frames bytes itself (that is :mod:`kafkaproto.protocol`) and never decodes records itself (that
is :mod:`kafkaproto.records`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from kafkaproto.cluster import ClusterClient
from kafkaproto.error_codes import KafkaError, error_for_code
from kafkaproto.message import Struct
from kafkaproto.records.reader import read_batches
from kafkaproto.records.record_batch import Record

__all__ = ["EARLIEST", "LATEST", "fetch_partition", "list_offset"]

FETCH, LIST_OFFSETS = 1, 2
# ListOffsets timestamps that mean "the log start" and "the log end" (Kafka's ListOffsetsRequest).
EARLIEST, LATEST = -2, -1
_RETRIES = 10


def build(cls: type[Struct], **values: Any) -> Any:
    """An instance of ``cls`` from the values its version has (others are ignored: a version
    without ``topic_id`` simply does not take one)."""
    attrs = {f.attr for f in cls._fields_}
    return cls(**{k: v for k, v in values.items() if k in attrs})


def field_class(cls: type[Struct], attr: str) -> type[Struct]:
    for f in cls._fields_:
        if f.attr == attr and f.cls is not None:
            return f.cls
    raise LookupError(f"{cls.__name__} has no struct field {attr!r}")


async def list_offset(client: ClusterClient, topic: str, partition: int, timestamp: int) -> int:
    """The offset ListOffsets gives for ``timestamp`` (EARLIEST, LATEST or a time in ms)."""
    for attempt in range(_RETRIES):
        leader = await client.leader_for(topic, partition)
        conn = await client.connection(leader.node_id)
        req_cls = conn.request_class(LIST_OFFSETS)
        topic_cls = field_class(req_cls, "topics")
        part_cls = field_class(topic_cls, "partitions")
        request = build(
            req_cls,
            replica_id=-1,
            isolation_level=0,
            topics=[
                build(
                    topic_cls,
                    name=topic,
                    topic_id=client.topic_id(topic),
                    partitions=[
                        build(
                            part_cls,
                            partition_index=partition,
                            current_leader_epoch=-1,
                            timestamp=timestamp,
                        )
                    ],
                )
            ],
        )
        response: Any = await conn.request(request)
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
        conn = await client.connection(leader.node_id)
        req_cls = conn.request_class(FETCH)
        topic_cls = field_class(req_cls, "topics")
        part_cls = field_class(topic_cls, "partitions")
        request = build(
            req_cls,
            replica_id=-1,
            max_wait_ms=max_wait_ms,
            min_bytes=1,
            max_bytes=max_bytes,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            topics=[
                build(
                    topic_cls,
                    topic=topic,
                    topic_id=client.topic_id(topic),
                    partitions=[
                        build(
                            part_cls,
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
            forgotten_topics_data=[],
            rack_id="",
        )
        response: Any = await conn.request(request)
        if getattr(response, "error_code", 0):
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
