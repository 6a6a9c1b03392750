"""The producer's transport over the real cluster client: :class:`ProducerTransport` implemented
on :class:`kafkaproto.cluster.ClusterClient`.

It translates, nothing more: the client's metadata snapshot into the engine's
:class:`ClusterSnapshot`, the engine's sends into requests on the client's one connection per
broker, and the negotiated versions. Retries, timeouts and ordering stay the engine's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import TypeVar

from kafkaproto.cluster import ClusterClient, ClusterClientConfig, ClusterMetadata
from kafkaproto.cluster_config import inherited_settings
from kafkaproto.connection import Connection
from kafkaproto.error_codes import KafkaError
from kafkaproto.errors import ApiVersionError, KafkaConnectionError
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages import ApiKey
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.metadata import (
    NO_LEADER,
    ZERO_UUID,
    ClusterSnapshot,
    PartitionInfo,
    TopicInfo,
)
from kafkaproto.security.errors import AuthenticationError

__all__ = ["ClusterTransport", "client_config_for"]

R = TypeVar("R", bound=ApiResponse)

_TRANSACTIONAL = (
    ApiKey.FIND_COORDINATOR,
    ApiKey.ADD_PARTITIONS_TO_TXN,
    ApiKey.ADD_OFFSETS_TO_TXN,
    ApiKey.END_TXN,
    ApiKey.TXN_OFFSET_COMMIT,
)


def client_config_for(config: ProducerConfig) -> ClusterClientConfig:
    """The cluster client's settings from the producer's (Java's names, Java's values)."""
    return ClusterClientConfig(
        inherited_settings(config),
        request_timeout_ms=config.request_timeout_ms,
        max_in_flight_requests_per_connection=config.max_in_flight_requests_per_connection,
        # Java's producer asks brokers to create topics it does not know (if they allow it).
        allow_auto_create_topics=True,
    )


class ClusterTransport:
    """:class:`ProducerTransport` over a :class:`ClusterClient` (started on first use)."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client
        self._started = False
        self._start_attempted = False
        self._versions: dict[int, int | None] = {}
        # The highest-epoch finalized features any broker announced (Java's ApiVersions
        # keeps the same across nodes): (epoch, {feature: max version level}).
        self._features: tuple[int, dict[str, int]] = (-1, {})

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
        try:
            await self._start()
            metadata = await self.client.refresh_metadata(topics)
        except AuthenticationError as exc:
            # Java's Metadata.fatalError: an authentication failure fails the records waiting
            # for these topics at once (not after max.block.ms); the error is not retriable.
            # (Every AuthenticationError kafkaproto raises is also a KafkaError.)
            error = exc if isinstance(exc, KafkaError) else KafkaError(str(exc))
            return ClusterSnapshot.of([TopicInfo(name, error=error) for name in topics])
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
        conn = await self._connection(node_id)
        if not expect_response:
            await conn.send_no_response(request, version=version)
            return None
        return await conn.request(request, version=version)

    async def write(self, node_id: int, request: ApiRequest[R], version: int) -> asyncio.Future[R]:
        """:meth:`send` (with a response) up to the moment the request is written: the future
        of its response."""
        conn = await self._connection(node_id)
        return await conn.write_request(request, version=version)

    async def _connection(self, node_id: int | None) -> Connection:
        await self._start()
        if node_id is None:
            conn = await self.client.any_connection()
        else:
            try:
                conn = await self.client.connection(node_id)
            except KafkaConnectionError:
                if node_id in self.client.metadata.brokers:
                    raise
                # A coordinator the metadata has not named yet (the producer may not have
                # asked for any topic): learn the brokers, then try once more.
                await self.client.refresh_metadata(())
                conn = await self.client.connection(node_id)
        self._note_features(conn)
        return conn

    def send_nowait(
        self, node_id: int, request: ApiRequest[R], version: int
    ) -> asyncio.Future[R] | None:
        """:meth:`send` (with a response) when the request can be written now, on an open
        connection to ``node_id`` with a free in-flight slot: the future of its response. None,
        with nothing written, when :meth:`send` would have to wait first."""
        if not self._started:
            return None
        conn = self.client.open_connection(node_id)
        if conn is None:
            return None
        self._note_features(conn)
        return conn.request_nowait(request, version=version)

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
        self._note_features(conn)
        for key in (ApiKey.PRODUCE, ApiKey.METADATA, ApiKey.INIT_PRODUCER_ID, *_TRANSACTIONAL):
            try:
                self._versions[key] = conn.version_for(key)
            except ApiVersionError:
                self._versions[key] = None

    def _note_features(self, conn: Connection) -> None:
        response = conn.api_versions_response
        if response is None:
            return
        epoch = response.finalized_features_epoch
        if epoch > self._features[0]:
            levels = {f.name: f.max_version_level for f in response.finalized_features}
            self._features = (epoch, levels)

    def finalized_features(self) -> tuple[int, dict[str, int]]:
        """The cluster's finalized features as last announced (KIP-584): the features epoch
        and each feature's level, e.g. ``transaction.version`` (-1 and {} before any)."""
        return self._features


def snapshot_of(metadata: ClusterMetadata, topics: Collection[str]) -> ClusterSnapshot:
    """The engine's view of the client's metadata for ``topics``."""
    out = []
    for name in topics:
        t = metadata.topics.get(name)
        if t is None:
            out.append(TopicInfo(name))
            continue
        partitions = []
        for index in sorted(t.partitions):
            p = t.partitions[index]
            leader = p.leader if p.leader >= 0 and p.leader in metadata.brokers else NO_LEADER
            rack = metadata.brokers[leader].rack if leader != NO_LEADER else None
            partitions.append(PartitionInfo(index, leader, p.leader_epoch, rack))
        out.append(TopicInfo(name, tuple(partitions), t.topic_id or ZERO_UUID, t.error))
    return ClusterSnapshot.of(out)
