"""The cluster client on the three-node cluster: all brokers in the metadata, one connection per
broker, and a new leader found after the old leader's node is killed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kafka_cluster import KafkaCluster
from kafkaproto.cluster import ClusterClient
from kafkaproto.errors import KafkaConnectionError
from kafkaproto.messages.create_topics import CreateTopicsRequest, CreateTopicsRequestCreatableTopic
from kafkaproto.messages.metadata import MetadataRequest

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]


def test_leader_moves_when_its_node_dies(kafka_cluster: KafkaCluster, cluster: str) -> None:
    name = f"kp-failover-{uuid.uuid4().hex[:10]}"

    async def main() -> None:
        async with ClusterClient(
            cluster, request_timeout_ms=5000, metadata_max_age_ms=60000, retry_backoff_ms=100
        ) as client:
            assert set(client.metadata.brokers) == {1, 2, 3}
            conn = await client.any_connection()
            response = await conn.request(
                CreateTopicsRequest(
                    topics=[
                        CreateTopicsRequestCreatableTopic(
                            name=name, num_partitions=1, replication_factor=3
                        )
                    ],
                    timeout_ms=30000,
                )
            )
            assert response.topics[0].error_code == 0, response
            old = await client.leader_for(name, 0, timeout=60)
            leader_conn = await client.connection(old.node_id)
            # One connection per broker, reused.
            assert await client.connection(old.node_id) is leader_conn

            kafka_cluster.stop_node(old.node_id, hard=True)
            await asyncio.wait_for(leader_conn.wait_closed(), 30)
            with pytest.raises(KafkaConnectionError):
                await client.request(old.node_id, MetadataRequest())  # reconnect refused
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            new = old
            while new.node_id == old.node_id and loop.time() < deadline:
                await asyncio.sleep(0.5)
                try:
                    await client.refresh_metadata()
                except KafkaConnectionError:
                    continue
                new = client.metadata.leader_for(name, 0) or old
            assert new.node_id != old.node_id
            assert client.metadata.topics[name].partitions[0].leader == new.node_id

    try:
        asyncio.run(asyncio.wait_for(main(), 240))
    finally:
        for node_id in (1, 2, 3):
            if not kafka_cluster.node_up(node_id):
                kafka_cluster.start_node(node_id)
