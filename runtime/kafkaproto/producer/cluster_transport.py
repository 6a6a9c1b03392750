"""The producer's transport over the real cluster client: :class:`ProducerTransport` implemented
on :class:`kafkaproto.cluster.ClusterClient`.

It translates, nothing more: the client's metadata snapshot into the engine's
:class:`ClusterSnapshot`, the engine's sends into requests on the client's one connection per
broker, and the negotiated versions. Retries, timeouts and ordering stay the engine's.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from kafkaproto.cluster import ClientConfig, ClusterClient, ClusterMetadata
from kafkaproto.errors import UnsupportedVersionError
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import ApiKey
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.metadata import (
    NO_LEADER,
    ZERO_UUID,
    ClusterSnapshot,
    PartitionMetadata,
    TopicMetadata,
)

__all__ = ["ClusterTransport", "client_config_for"]

R = TypeVar("R", bound=ApiResponse)


def client_config_for(config: ProducerConfig) -> ClientConfig:
    """The cluster client's settings from the producer's (Java's names, Java's values)."""
    return ClientConfig(
        client_id=config.client_id,
        request_timeout_ms=config.request_timeout_ms,
        socket_connection_setup_timeout_ms=config.socket_connection_setup_timeout_ms,
        socket_connection_setup_timeout_max_ms=config.socket_connection_setup_timeout_max_ms,
        reconnect_backoff_ms=config.reconnect_backoff_ms,
        reconnect_backoff_max_ms=config.reconnect_backoff_max_ms,
        retry_backoff_ms=config.retry_backoff_ms,
        retry_backoff_max_ms=config.retry_backoff_max_ms,
        metadata_max_age_ms=config.metadata_max_age_ms,
        max_in_flight_requests_per_connection=config.max_in_flight_requests_per_connection,
        # Java's producer asks brokers to create topics it does not know (if they allow it).
        allow_auto_topic_creation=True,
    )


class ClusterTransport:
    """:class:`ProducerTransport` over a :class:`ClusterClient` (started on first use)."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client
        self._started = False
        self._start_attempted = False
        self._versions: dict[int, int | None] = {}

    @classmethod
    def for_config(cls, config: ProducerConfig) -> ClusterTransport:
        return cls(ClusterClient(config.bootstrap_servers, client_config_for(config)))

    async def _start(self) -> None:
        if not self._started:
            # Set before awaiting: a close() while the first start is still connecting must
            # close the client too, or its connection attempt outlives the producer's loop.
            self._start_attempted = True
            await self.client.start()
            self._started = True

    async def close(self) -> None:
        if self._start_attempted:
            await self.client.close()
            self._started = self._start_attempted = False

    async def metadata_for(self, topics: Collection[str]) -> ClusterSnapshot:
        await self._start()
        metadata = await self.client.refresh_metadata(topics)
        await self._learn_versions()
        return snapshot_of(metadata, topics)

    async def send(
        self,
        node_id: int | None,
        request: ApiRequest[R],
        version: int,
        *,
        expect_response: bool = True,
    ) -> R | None:
        await self._start()
        if node_id is None:
            conn = await self.client.any_connection()
        else:
            conn = await self.client.connection(node_id)
        if not expect_response:
            await conn.send_no_response(request, version=version)
            return None
        return await conn.request(request, version=version)

    async def api_version(self, api_key: int) -> int | None:
        await self._start()
        await self._learn_versions()
        return self._versions.get(api_key)

    async def _learn_versions(self) -> None:
        # Every broker of a cluster runs one version in practice; the connection the metadata
        # came over answers for all (Java's NodeApiVersions is per node, used the same way).
        if self._versions:
            return
        conn = await self.client.any_connection()
        for key in (ApiKey.PRODUCE, ApiKey.METADATA, ApiKey.INIT_PRODUCER_ID):
            try:
                self._versions[key] = conn.version_for(key)
            except UnsupportedVersionError:
                self._versions[key] = None


def snapshot_of(metadata: ClusterMetadata, topics: Collection[str]) -> ClusterSnapshot:
    """The engine's view of the client's metadata for ``topics``."""
    out = []
    for name in topics:
        t = metadata.topics.get(name)
        if t is None:
            out.append(TopicMetadata(name))
            continue
        partitions = []
        for index in sorted(t.partitions):
            p = t.partitions[index]
            leader = p.leader if p.leader >= 0 and p.leader in metadata.brokers else NO_LEADER
            rack = metadata.brokers[leader].rack if leader != NO_LEADER else None
            partitions.append(PartitionMetadata(index, leader, p.leader_epoch, rack))
        out.append(TopicMetadata(name, tuple(partitions), t.topic_id or ZERO_UUID, t.error))
    return ClusterSnapshot.of(out)
