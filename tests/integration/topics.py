"""Helpers for the producer proofs: create a topic with CreateTopics (explicit partitions and
replication factor) and read whole partitions back with our fetcher. Everything is bounded."""

from __future__ import annotations

import asyncio
from typing import Any

from kafkaproto.cluster import ClusterClient
from kafkaproto.fetcher import EARLIEST, build, fetch_partition, field_class
from kafkaproto.records.record_batch import Record


async def create_topic(
    bootstrap: str,
    name: str,
    partitions: int,
    replication_factor: int = 1,
    configs: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """CreateTopics, then wait until every partition has a leader."""
    async with asyncio.timeout(timeout):
        async with ClusterClient(bootstrap) as client:
            conn = await client.any_connection()
            create_cls = conn.request_class(19)
            topic_cls = field_class(create_cls, "topics")
            extra: dict[str, Any] = {}
            if configs:
                config_cls = field_class(topic_cls, "configs")
                extra["configs"] = [build(config_cls, name=k, value=v) for k, v in configs.items()]
            response: Any = await conn.request(
                build(
                    create_cls,
                    topics=[
                        build(
                            topic_cls,
                            name=name,
                            num_partitions=partitions,
                            replication_factor=replication_factor,
                            **extra,
                        )
                    ],
                    timeout_ms=int(timeout * 1000 / 2),
                )
            )
            assert response.topics[0].error_code == 0, response
            for p in range(partitions):
                await client.leader_for(name, p, timeout=timeout / 2)


async def read_partitions(
    bootstrap: str, topic: str, partitions: int, timeout: float = 120.0
) -> dict[int, list[Record]]:
    """Every record of each partition, from the earliest offset to the end."""
    async with asyncio.timeout(timeout):
        async with ClusterClient(bootstrap) as client:
            return {
                p: [r async for r in fetch_partition(client, topic, p, EARLIEST)]
                for p in range(partitions)
            }
