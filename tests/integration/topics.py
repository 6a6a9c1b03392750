"""Helpers for the producer proofs: create a topic with CreateTopics (explicit partitions and
replication factor) and read whole partitions back with our fetcher. Everything is bounded."""

from __future__ import annotations

import asyncio
import uuid

from kafkaproto.cluster import ClusterClient
from kafkaproto.errors import KafkaProtoError
from kafkaproto.fetcher import EARLIEST, fetch_partition
from kafkaproto.messages.create_topics import (
    CreateTopicsRequest,
    CreateTopicsRequestCreatableTopic,
    CreateTopicsRequestCreatableTopicConfig,
)
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
            topic = CreateTopicsRequestCreatableTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=replication_factor,
                configs=[
                    CreateTopicsRequestCreatableTopicConfig(name=k, value=v)
                    for k, v in (configs or {}).items()
                ],
            )
            response = await conn.request(
                CreateTopicsRequest(topics=[topic], timeout_ms=int(timeout * 1000 / 2))
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


async def wait_fully_replicated(bootstrap: str, nodes: int, timeout: float = 120.0) -> None:
    """Until a new topic with replication factor ``nodes`` has every replica in sync: every
    broker registered, unfenced and replicating. After nodes were restarted, their old
    registrations can still be listed while the new ones wait out the broker session; tests
    that stop and start nodes next must not begin in that state."""
    name = f"health-{uuid.uuid4().hex[:10]}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: BaseException | None = None
    while loop.time() < deadline:
        try:
            await create_topic(bootstrap, name, 1, replication_factor=nodes, timeout=30)
            break
        except (AssertionError, KafkaProtoError, OSError, TimeoutError) as exc:
            last = exc
            await asyncio.sleep(1)
    else:
        raise TimeoutError(f"could not create {name} with RF={nodes}: {last!r}")
    async with ClusterClient(bootstrap) as client:
        while loop.time() < deadline:
            await client.refresh_metadata([name])
            topic = client.metadata.topics.get(name)
            if topic is not None and len(topic.partitions[0].isr) == nodes:
                return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"{name}: ISR never reached {nodes} replicas")
