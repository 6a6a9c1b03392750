"""The cluster client: which brokers exist, which one leads each partition, and one connection to
each broker, shared by everything that talks to it.

It bootstraps from a list of ``host:port``, keeps a :class:`ClusterMetadata` snapshot fresh
(on demand, every ``metadata.max.age.ms``, and soon after someone reports a metadata error or a
connection drops), and opens connections lazily with Kafka's reconnect semantics: after a
disconnect a broker is not dialled again for ``reconnect.backoff.ms``, doubling per failed
attempt up to ``reconnect.backoff.max.ms``, each wait jittered by ±20% (Java's
``ClusterConnectionStates`` over ``ExponentialBackoff``); the TCP setup timeout grows the same
way from ``socket.connection.setup.timeout.ms`` to its ``.max.ms``. Every connection is secured
as ``ClientConfig.security`` says (TLS, SASL; :mod:`kafkaproto.security`); an authentication
failure is fatal for the call that met it (Java's ``AuthenticationException``): it is raised
as it is rather than trying the next broker, and the broker is backed off like a disconnect.

This module must never frame bytes or negotiate versions (that is :mod:`kafkaproto.connection`),
pool several connections per broker, retry a caller's request on its behalf, or decide what a
response's per-partition error codes mean for the caller's data (it only offers
:meth:`ClusterClient.note_error` so the caller can say "my metadata looked wrong").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeVar
from uuid import UUID

from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.cluster_config import ClusterClientConfig
from kafkaproto.connection import Connection
from kafkaproto.error_codes import KafkaError, error_for_code
from kafkaproto.errors import (
    KafkaConnectionError,
    KafkaProtoError,
    MetadataTimeoutError,
    RequestTimeoutError,
)
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)
from kafkaproto.security.channel import ChannelSecurity
from kafkaproto.security.definitions import security_config_of
from kafkaproto.security.errors import AuthenticationError

__all__ = [
    "BrokerMetadata",
    "ClusterClient",
    "ClusterClientConfig",
    "ClusterMetadata",
    "PartitionMetadata",
    "TopicMetadata",
    "parse_bootstrap",
]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=ApiResponse)

_ZERO_UUID: Final = UUID(int=0)
# Connection failures that make a broker unusable for now (and metadata worth refreshing).
_NETWORK_ERRORS = (KafkaConnectionError, RequestTimeoutError)


# -- configuration --------------------------------------------------------------------------------


def parse_bootstrap(servers: str | Iterable[str]) -> tuple[tuple[str, int], ...]:
    """``"h1:9092,h2:9092"`` or ``["h1:9092", ...]`` as ``((host, port), ...)``; IPv6 hosts go
    in brackets (``[::1]:9092``)."""
    items = servers.split(",") if isinstance(servers, str) else list(servers)
    out: list[tuple[str, int]] = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bootstrap server must be host:port, got {text!r}")
        out.append((host.strip("[]"), int(port)))
    if not out:
        raise ValueError("no bootstrap servers given")
    return tuple(out)


# -- metadata -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokerMetadata:
    node_id: int
    host: str
    port: int
    rack: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PartitionMetadata:
    topic: str
    partition: int
    leader: int  # -1: no leader right now
    leader_epoch: int  # -1: unknown
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...]
    error: KafkaError | None = None


@dataclass(frozen=True, slots=True)
class TopicMetadata:
    name: str
    topic_id: UUID | None  # None before Metadata v10 or when the broker has none
    is_internal: bool
    partitions: Mapping[int, PartitionMetadata]
    error: KafkaError | None = None


@dataclass(frozen=True, slots=True)
class ClusterMetadata:
    """One Metadata response, as an immutable snapshot."""

    cluster_id: str | None = None
    controller_id: int = -1
    brokers: Mapping[int, BrokerMetadata] = field(default_factory=lambda: MappingProxyType({}))
    topics: Mapping[str, TopicMetadata] = field(default_factory=lambda: MappingProxyType({}))
    fetched_at: float = -math.inf  # event-loop time of the response; -inf: never

    def leader_for(self, topic: str, partition: int) -> BrokerMetadata | None:
        """The broker leading ``topic``/``partition`` in this snapshot, if known."""
        t = self.topics.get(topic)
        p = t.partitions.get(partition) if t is not None else None
        return self.brokers.get(p.leader) if p is not None else None

    def topic_id(self, topic: str) -> UUID | None:
        t = self.topics.get(topic)
        return t.topic_id if t is not None else None

    def topic_name(self, topic_id: UUID) -> str | None:
        for t in self.topics.values():
            if t.topic_id == topic_id:
                return t.name
        return None


def _error(code: int, message: str | None = None) -> KafkaError | None:
    return error_for_code(code, message) if code else None


def _parse_metadata(response: MetadataResponse, fetched_at: float) -> ClusterMetadata:
    # Fields a version lacks hold Kafka's defaults (rack None, leader epoch -1, no offline
    # replicas, no topic id, controller -1), as Java's MetadataResponse reads them.
    brokers = {
        b.node_id: BrokerMetadata(b.node_id, b.host, b.port, b.rack) for b in response.brokers
    }
    topics: dict[str, TopicMetadata] = {}
    for t in response.topics:
        if t.name is None:
            continue  # only asked-for-by-id topics come back nameless
        partitions = {
            p.partition_index: PartitionMetadata(
                topic=t.name,
                partition=p.partition_index,
                leader=p.leader_id,
                leader_epoch=p.leader_epoch,
                replicas=tuple(p.replica_nodes),
                isr=tuple(p.isr_nodes),
                offline_replicas=tuple(p.offline_replicas),
                error=_error(p.error_code),
            )
            for p in t.partitions
        }
        topics[t.name] = TopicMetadata(
            name=t.name,
            topic_id=None if t.topic_id == _ZERO_UUID else t.topic_id,
            is_internal=t.is_internal,
            partitions=MappingProxyType(partitions),
            error=_error(t.error_code),
        )
    return ClusterMetadata(
        cluster_id=response.cluster_id,
        controller_id=response.controller_id,
        brokers=MappingProxyType(brokers),
        topics=MappingProxyType(topics),
        fetched_at=fetched_at,
    )


def _metadata_request(
    version: int, topics: Sequence[str] | None, allow_auto_topic_creation: bool
) -> MetadataRequest:
    """A MetadataRequest for ``topics`` (None: every topic of the cluster) at ``version``."""
    wanted: tuple[MetadataRequestTopic, ...] | None
    if topics is None:
        # Kafka's MetadataRequest: v0 asks for every topic with an empty list, v1+ with null.
        wanted = None if version >= 1 else ()
    else:
        wanted = tuple(MetadataRequestTopic(name=name) for name in topics)
    # AllowAutoTopicCreation exists from v4 on; below, False cannot be written and the encoder
    # says so (Java's MetadataRequest.Builder refuses it alike).
    return MetadataRequest(topics=wanted, allow_auto_topic_creation=allow_auto_topic_creation)


# -- connections ----------------------------------------------------------------------------------


class _Node:
    """One broker (or bootstrap address) and the state of our connection to it."""

    __slots__ = (
        "connecting",
        "connection",
        "failed_attempts",
        "failed_connect_attempts",
        "host",
        "next_attempt_at",
        "node_id",
        "port",
    )

    def __init__(self, node_id: int, host: str, port: int) -> None:
        self.node_id = node_id
        self.host = host
        self.port = port
        self.connection: Connection | None = None
        self.connecting: asyncio.Task[Connection] | None = None
        self.failed_attempts = 0
        self.failed_connect_attempts = 0
        self.next_attempt_at = -math.inf

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def usable(self) -> Connection | None:
        conn = self.connection
        return conn if conn is not None and not conn.closed else None


class ClusterClient:
    """Metadata and one shared connection per broker.

    ``async with ClusterClient("127.0.0.1:9092") as client:`` bootstraps (first metadata), runs
    the periodic refresh, and closes every connection on exit.
    """

    def __init__(
        self,
        bootstrap_servers: str | Iterable[str],
        config: ClusterClientConfig | None = None,
        **settings: Any,
    ) -> None:
        self.bootstrap_servers = parse_bootstrap(bootstrap_servers)
        unknown = {k for k in settings if k not in ClusterClientConfig.CONFIG}
        if unknown:
            raise TypeError(f"unknown client settings: {', '.join(sorted(unknown))}")
        base = config or ClusterClientConfig()
        if settings:
            base = base.replace(**settings)
        self.config = base
        c = base
        # TLS context and SASL credentials: read once, shared by every connection (a missing
        # trust store or a wrong key password fails here, as Java fails in its constructor).
        self._channel = ChannelSecurity(security_config_of(c))
        self._reconnect_backoff = ExponentialBackoff(
            c.reconnect_backoff_ms, 2, c.reconnect_backoff_max_ms
        )
        self._setup_timeout = ExponentialBackoff(
            c.socket_connection_setup_timeout_ms, 2, c.socket_connection_setup_timeout_max_ms
        )
        self._retry_backoff = ExponentialBackoff(c.retry_backoff_ms, 2, c.retry_backoff_max_ms)
        # Bootstrap addresses get negative ids, as in Java, until metadata names the brokers.
        self._bootstrap = [
            _Node(-1 - i, host, port) for i, (host, port) in enumerate(self.bootstrap_servers)
        ]
        self._nodes: dict[int, _Node] = {}
        # Second connections to group coordinators (Java's Integer.MAX_VALUE - nodeId): a
        # JoinGroup may wait up to the rebalance timeout, and a broker answers one request per
        # connection at a time, so group traffic must not queue behind fetches or the reverse.
        self._coordinator_nodes: dict[int, _Node] = {}
        self._metadata = ClusterMetadata()
        self._topics: set[str] = set()
        self._all_topics = False
        self._refresh_lock = asyncio.Lock()
        self._update_requested = False
        self._failed_refreshes = 0
        self._incomplete_refreshes = 0
        self._last_refresh_attempt = -math.inf
        self._wakeup = asyncio.Event()
        self._refresher: asyncio.Task[None] | None = None
        self._closed = False

    # -- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Fetch the first metadata (brokers and the topics asked for so far) and start the
        periodic refresh."""
        if self._refresher is None:
            await self.refresh_metadata()
            # Two callers can both get here (the producer's metadata and its InitProducerId
            # start the client concurrently): only the first starts the refresher, or the
            # second task would outlive close().
            if self._refresher is None and not self._closed:
                self._refresher = asyncio.create_task(self._refresh_loop())

    async def close(self) -> None:
        """Stop refreshing and close every connection (requests waiting on them fail)."""
        self._closed = True
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(5):
                    await self._refresher
        nodes = [*self._bootstrap, *self._nodes.values(), *self._coordinator_nodes.values()]
        for node in nodes:
            if node.connecting is not None:
                node.connecting.cancel()
            if node.connection is not None:
                node.connection.close()
        for node in nodes:
            if node.connecting is not None:
                with contextlib.suppress(BaseException):
                    await node.connecting
            if node.connection is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5):
                        await node.connection.wait_closed()

    async def __aenter__(self) -> ClusterClient:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- metadata -------------------------------------------------------------------------------

    @property
    def metadata(self) -> ClusterMetadata:
        """The latest metadata snapshot."""
        return self._metadata

    @property
    def topics(self) -> frozenset[str]:
        """The topics every refresh asks about."""
        return frozenset(self._topics)

    async def refresh_metadata(
        self, topics: Iterable[str] | None = None, *, all_topics: bool = False
    ) -> ClusterMetadata:
        """Fetch metadata now, for the tracked topics plus ``topics`` (which become tracked),
        or for every topic of the cluster with ``all_topics``."""
        if topics is not None:
            self._topics.update(topics)
        if all_topics:
            self._all_topics = True
        async with self._refresh_lock:
            self._last_refresh_attempt = asyncio.get_running_loop().time()
            wanted = None if self._all_topics else sorted(self._topics)
            conn = await self._least_loaded_connection()
            version = conn.version_for(MetadataRequest.api_key)
            request = _metadata_request(version, wanted, self.config.allow_auto_create_topics)
            response = await conn.request(request, version=version)
            if response.error_code:  # v10+: a top-level error (e.g. authorization)
                raise error_for_code(response.error_code)
            metadata = _parse_metadata(response, asyncio.get_running_loop().time())
            self._metadata = metadata
            self._update_requested = False
            self._failed_refreshes = 0
            self._sync_nodes(metadata)
            if any(_needs_update(t) for t in metadata.topics.values()):
                # Still incomplete (no leader yet, unknown topic): ask again, backing off
                # exponentially for as long as it stays so.
                self._incomplete_refreshes += 1
                self.request_metadata_update()
            else:
                self._incomplete_refreshes = 0
            return metadata

    def request_metadata_update(self) -> None:
        """Ask the background refresher for fresh metadata soon (after the retry backoff)."""
        self._update_requested = True
        self._wakeup.set()

    def note_error(self, error: BaseException) -> None:
        """Tell the client a request failed with ``error``; metadata is refreshed soon when it
        says the metadata was wrong (``NOT_LEADER_OR_FOLLOWER``, ``UNKNOWN_TOPIC_OR_PARTITION``,
        a lost connection ...)."""
        if (isinstance(error, KafkaError) and error.invalid_metadata) or isinstance(
            error, _NETWORK_ERRORS
        ):
            self.request_metadata_update()

    def retry_backoff_s(self, attempts: int) -> float:
        """Seconds to wait before retry number ``attempts`` + 1 (retry.backoff.ms growing
        exponentially with jitter to retry.backoff.max.ms, as Java's clients do)."""
        return self._retry_backoff.backoff(attempts) / 1000

    def topic_id(self, topic: str) -> UUID | None:
        """The topic's id in the latest metadata."""
        return self._metadata.topic_id(topic)

    async def leader_for(
        self, topic: str, partition: int, *, timeout: float | None = None
    ) -> BrokerMetadata:
        """The broker leading ``topic``/``partition``, refreshing metadata (with the retry
        backoff) until it is known; ``timeout`` defaults to the request timeout. Non-retriable
        topic errors (authorization, invalid name) are raised as they are."""
        loop = asyncio.get_running_loop()
        limit = self.config.request_timeout_ms / 1000 if timeout is None else timeout
        deadline = loop.time() + limit
        attempts = 0
        last: BaseException | None = None
        if topic not in self._topics and not self._all_topics:
            self._topics.add(topic)
        while True:
            metadata = self._metadata
            broker = metadata.leader_for(topic, partition)
            if broker is not None:
                return broker
            t = metadata.topics.get(topic)
            if t is not None and t.error is not None:
                if not t.error.retriable:
                    raise t.error
                last = t.error
            remaining = deadline - loop.time()
            if remaining <= 0:
                reason = f" (last error: {last})" if last is not None else ""
                raise MetadataTimeoutError(
                    f"no leader for {topic}-{partition} in the metadata after {limit:g} s{reason}"
                )
            if attempts:
                pause = self._retry_backoff.backoff(attempts - 1) / 1000
                await asyncio.sleep(min(pause, remaining))
            attempts += 1
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0)):
                    await self.refresh_metadata()
            except TimeoutError:
                continue
            except (KafkaError, *_NETWORK_ERRORS) as exc:
                last = exc

    # -- connections ----------------------------------------------------------------------------

    async def connection(self, node_id: int) -> Connection:
        """The connection to broker ``node_id`` (from the metadata), opened if needed and shared
        by every caller; waits out the reconnect backoff after a failure."""
        node = self._nodes.get(node_id)
        if node is None:
            raise KafkaConnectionError(f"broker {node_id} is not in the cluster metadata")
        return await self._connect(node)

    def open_connection(self, node_id: int) -> Connection | None:
        """The shared connection to broker ``node_id`` if it is open now: :meth:`connection`
        for a caller that cannot wait (None where that would connect or wait out a backoff)."""
        node = self._nodes.get(node_id)
        if self._closed or node is None:
            return None
        return node.usable()

    async def coordinator_connection(self, node_id: int) -> Connection:
        """A connection to broker ``node_id`` of its own, for a group coordinator's requests
        (JoinGroup, heartbeats, commits), opened if needed; the same backoff as the shared
        ones."""
        broker = self._metadata.brokers.get(node_id)
        if broker is None:
            raise KafkaConnectionError(f"broker {node_id} is not in the cluster metadata")
        node = self._coordinator_nodes.get(node_id)
        if node is None or (node.host, node.port) != (broker.host, broker.port):
            if node is not None and node.connection is not None:
                node.connection.close()
            node = self._coordinator_nodes[node_id] = _Node(node_id, broker.host, broker.port)
        return await self._connect(node)

    def close_coordinator_connection(self, node_id: int) -> None:
        """Drop the coordinator connection to ``node_id`` (Java disconnects from a coordinator
        it marks unknown, failing what is in flight on it)."""
        node = self._coordinator_nodes.get(node_id)
        if node is not None and node.connection is not None:
            node.connection.close()

    async def request(
        self,
        node_id: int,
        message: ApiRequest[R],
        *,
        version: int | None = None,
        timeout: float | None = None,
    ) -> R:
        """Send ``message`` to broker ``node_id`` on its shared connection (at ``version``, by
        default the highest both sides support) and return its response."""
        conn = await self.connection(node_id)
        try:
            return await conn.request(message, version=version, timeout=timeout)
        except _NETWORK_ERRORS as exc:
            self.note_error(exc)
            raise

    async def any_connection(self) -> Connection:
        """A connection to the least loaded reachable broker (for requests any broker serves)."""
        return await self._least_loaded_connection()

    async def _connect(self, node: _Node) -> Connection:
        if self._closed:
            raise KafkaConnectionError("the client is closed", broker=node.address)
        conn = node.usable()
        if conn is not None:
            return conn
        if node.connecting is None:
            node.connecting = asyncio.create_task(self._open(node))
        task = node.connecting
        return await asyncio.shield(task)

    async def _open(self, node: _Node) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            wait = node.next_attempt_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            c = self.config
            setup_timeout = self._setup_timeout.backoff(node.failed_connect_attempts) / 1000
            try:
                conn = await Connection.open(
                    node.host,
                    node.port,
                    client_id=c.client_id,
                    connect_timeout=setup_timeout,
                    request_timeout=c.request_timeout_ms / 1000,
                    max_in_flight=c.max_in_flight_requests_per_connection,
                    max_frame_size=c.max_frame_size,
                    security=self._channel,
                    send_buffer_bytes=c.send_buffer_bytes,
                    receive_buffer_bytes=c.receive_buffer_bytes,
                )
            except (KafkaConnectionError, AuthenticationError):
                node.failed_connect_attempts += 1
                self._disconnected(node)
                raise
            node.failed_attempts = 0
            node.failed_connect_attempts = 0
            node.connection = conn
            self._watch(node, conn)
            return conn
        finally:
            node.connecting = None

    def _watch(self, node: _Node, conn: Connection) -> None:
        conn.add_close_callback(lambda _error: self._on_close(node, conn))

    def _disconnected(self, node: _Node) -> None:
        # Java's ClusterConnectionStates.updateReconnectBackoff: backoff(failedAttempts), then +1.
        backoff_ms = self._reconnect_backoff.backoff(node.failed_attempts)
        node.failed_attempts += 1
        node.next_attempt_at = asyncio.get_running_loop().time() + backoff_ms / 1000

    def _on_close(self, node: _Node, conn: Connection) -> None:
        if node.connection is conn:
            node.connection = None
            if not self._closed:
                self._disconnected(node)
                if node.node_id >= 0:
                    self.request_metadata_update()  # as Java does on a broker disconnect

    async def _least_loaded_connection(self) -> Connection:
        """Java's leastLoadedNode: the open connection with the fewest requests in flight, else
        the broker that leaves backoff first. Bootstrap addresses are used until metadata names
        the brokers, and again only when no broker is reachable (Kafka 4's "rebootstrap")."""
        brokers = list(self._nodes.values())
        random.shuffle(brokers)
        open_ = [(conn.in_flight, i) for i, n in enumerate(brokers) if (conn := n.usable())]
        if open_:
            conn = brokers[min(open_)[1]].usable()
            assert conn is not None
            return conn
        now = asyncio.get_running_loop().time()
        brokers.sort(key=lambda n: max(n.next_attempt_at - now, 0))
        errors: list[str] = []
        for group in (brokers, self._bootstrap):
            for node in group:
                try:
                    return await self._connect(node)
                except KafkaConnectionError as exc:
                    errors.append(str(exc))
        raise KafkaConnectionError(f"no broker is reachable: {'; '.join(errors)}")

    def _sync_nodes(self, metadata: ClusterMetadata) -> None:
        """Brokers from the metadata become nodes; a bootstrap connection to one of them is
        adopted as that broker's connection rather than kept as a second one."""
        for node_id, broker in metadata.brokers.items():
            node = self._nodes.get(node_id)
            if node is not None and (node.host, node.port) != (broker.host, broker.port):
                if node.connection is not None:
                    node.connection.close()  # the broker moved
                node = None
            if node is None:
                node = self._nodes[node_id] = _Node(node_id, broker.host, broker.port)
            if node.usable() is None:
                for boot in self._bootstrap:
                    conn = boot.usable()
                    if conn is not None and (boot.host, boot.port) == (broker.host, broker.port):
                        boot.connection = None
                        node.connection = conn
                        self._watch(node, conn)
        for node_id in [n for n in self._nodes if n not in metadata.brokers]:
            gone = self._nodes.pop(node_id)
            if gone.connection is not None:
                gone.connection.close()

    # -- background refresh ---------------------------------------------------------------------

    async def _refresh_loop(self) -> None:
        loop = asyncio.get_running_loop()
        max_age = self.config.metadata_max_age_ms / 1000
        while not self._closed:
            if self._update_requested:
                # Java's Metadata: an update waits retry.backoff.ms after the last attempt,
                # growing exponentially (to retry.backoff.max.ms) while refreshes keep failing.
                attempt = max(self._failed_refreshes, self._incomplete_refreshes, 1) - 1
                due = self._last_refresh_attempt + self._retry_backoff.backoff(attempt) / 1000
            else:
                due = self._metadata.fetched_at + max_age
            wait = due - loop.time()
            if wait > 0:
                self._wakeup.clear()
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wakeup.wait()
                continue  # woken or due: look again
            try:
                await self.refresh_metadata()
            except (KafkaProtoError, OSError) as exc:
                self._failed_refreshes += 1
                self._update_requested = True
                log.warning("metadata refresh failed (attempt %d): %s", self._failed_refreshes, exc)


def _needs_update(topic: TopicMetadata) -> bool:
    """Whether a topic's metadata is worth asking again about soon (Java retries these)."""
    if topic.error is not None:
        return topic.error.invalid_metadata
    return any(
        p.leader < 0 or (p.error is not None and p.error.invalid_metadata)
        for p in topic.partitions.values()
    )
