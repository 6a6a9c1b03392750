"""Reading one partition on a cluster client the caller already has: ``fetch_partition`` and
``list_offset``, thin helpers over the consumer (:class:`~kafkaproto.consumer.async_consumer.
AsyncConsumer` on that client), for code and tests that hold a :class:`ClusterClient` and want
one partition's records without a consumer of their own.

One reading path: everything here goes through the consumer's engine (its fetcher, sessions,
leader handling and offset lookups). This module must never frame bytes or decode records
itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from kafkaproto.cluster import ClusterClient
from kafkaproto.consumer.async_consumer import AsyncConsumer
from kafkaproto.consumer.record import ConsumerRecord, TopicPartition

__all__ = ["EARLIEST", "LATEST", "fetch_partition", "list_offset"]

# ListOffsets timestamps that mean "the log start" and "the log end" (Kafka's ListOffsetsRequest).
EARLIEST, LATEST = -2, -1


def _consumer(client: ClusterClient, **settings: object) -> AsyncConsumer[bytes, bytes]:
    config: dict[str, object] = {
        "bootstrap.servers": ",".join(f"{host}:{port}" for host, port in client.bootstrap_servers),
        "client.id": client.config.client_id,
        "request.timeout.ms": client.config.request_timeout_ms,
        "allow.auto.create.topics": False,
        **settings,
    }
    return AsyncConsumer(config, client=client)


async def list_offset(client: ClusterClient, topic: str, partition: int, timestamp: int) -> int:
    """The offset ListOffsets gives for ``timestamp`` (EARLIEST, LATEST or a time in ms; -1
    when no record is that recent)."""
    tp = TopicPartition(topic, partition)
    async with _consumer(client) as consumer:
        if timestamp == EARLIEST:
            return (await consumer.beginning_offsets([tp]))[tp]
        if timestamp == LATEST:
            return (await consumer.end_offsets([tp]))[tp]
        found = (await consumer.offsets_for_times({tp: timestamp}))[tp]
        return -1 if found is None else found.offset


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
) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
    """The records of ``topic``/``partition`` from ``offset`` (or EARLIEST/LATEST) on, in
    order; stops after ``max_records`` or, with ``until_end``, at the end offset seen when it
    started."""
    tp = TopicPartition(topic, partition)
    async with _consumer(
        client, **{"fetch.max.wait.ms": max_wait_ms, "max.partition.fetch.bytes": max_bytes}
    ) as consumer:
        consumer.assign([tp])
        if offset == EARLIEST:
            consumer.seek_to_beginning([tp])
        elif offset == LATEST:
            consumer.seek_to_end([tp])
        else:
            consumer.seek(tp, offset)
        end = (await consumer.end_offsets([tp]))[tp] if until_end else None
        yielded = 0
        while max_records is None or yielded < max_records:
            if end is not None and await consumer.position(tp) >= end:
                return
            for record in await consumer.poll(max_wait_ms / 1000 + 1):
                if end is not None and record.offset >= end:
                    return
                yield record
                yielded += 1
                if max_records is not None and yielded >= max_records:
                    return
