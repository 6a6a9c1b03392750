"""Hand-built Kafka requests for the test harness itself: readiness probes and broker smoke tests.

This module exists so the broker management (kafka_cluster.py) and the integration tests can talk
to a real broker *before* the generated message classes exist, and independently of them: if the
generated code is wrong, these probes must still say whether the broker is up. It must stay
standard library only and must never import kafkaproto. Every socket operation has a timeout.

Only the few (api, version) pairs the tests need are written here, each straight from the JSON spec:
ApiVersions v0/v3, Metadata v12, CreateTopics v7, ListOffsets v1.
"""

from __future__ import annotations

import socket
import struct
import time
import uuid
from dataclasses import dataclass, field

API_LIST_OFFSETS = 2
API_METADATA = 3
API_API_VERSIONS = 18
API_CREATE_TOPICS = 19

CLIENT_ID = "kafkaproto-tests"


class WireError(Exception):
    """The broker closed the connection or answered with something we cannot parse."""


# -- encoding -----------------------------------------------------------------------------------


def uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def compact_string(value: str | None) -> bytes:
    # Compact lengths are stored plus one so that 0 can mean null (KIP-482).
    if value is None:
        return uvarint(0)
    raw = value.encode()
    return uvarint(len(raw) + 1) + raw


def compact_array_len(count: int | None) -> bytes:
    return uvarint(0 if count is None else count + 1)


NO_TAGS = uvarint(0)


def request_header(api_key: int, version: int, correlation_id: int, flexible: bool) -> bytes:
    """Request header v1 (non-flexible) or v2 (flexible); the client id stays a classic string."""
    head = struct.pack(">hhi", api_key, version, correlation_id) + string(CLIENT_ID)
    return head + NO_TAGS if flexible else head


def frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


# -- decoding -----------------------------------------------------------------------------------


class Reader:
    """A cursor over one response body; every read checks bounds."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            have = len(self.data) - self.pos
            raise WireError(f"need {n} bytes at offset {self.pos}, have {have}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def _unpack(self, fmt: str) -> int:
        s = struct.Struct(fmt)
        value: int = s.unpack(self._take(s.size))[0]
        return value

    def int8(self) -> int:
        return self._unpack(">b")

    def int16(self) -> int:
        return self._unpack(">h")

    def int32(self) -> int:
        return self._unpack(">i")

    def int64(self) -> int:
        return self._unpack(">q")

    def boolean(self) -> bool:
        return self._take(1) != b"\x00"

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self._take(16))

    def uvarint(self) -> int:
        result = 0
        for shift in range(0, 35, 7):
            byte = self._take(1)[0]
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
        raise WireError(f"unsigned varint longer than 5 bytes before offset {self.pos}")

    def string(self) -> str | None:
        n = self.int16()
        return None if n < 0 else self._take(n).decode()

    def compact_string(self) -> str | None:
        n = self.uvarint()
        return None if n == 0 else self._take(n - 1).decode()

    def array_len(self) -> int:
        return self.int32()

    def compact_array_len(self) -> int:
        return self.uvarint() - 1

    def skip_tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()  # tag
            self._take(self.uvarint())

    def remaining(self) -> int:
        return len(self.data) - self.pos


# -- one request, one response ------------------------------------------------------------------


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise WireError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def exchange(
    host: str,
    port: int,
    api_key: int,
    version: int,
    body: bytes,
    *,
    flexible: bool,
    timeout: float = 10.0,
    flexible_response_header: bool | None = None,
) -> Reader:
    """Send one request and return a Reader positioned after the response header.

    The response header is v1 (with tagged fields) for flexible versions, except for ApiVersions,
    which always answers with header v0 so that clients can parse it before knowing the versions.
    """
    correlation_id = int(time.monotonic_ns() & 0x7FFFFFFF)
    payload = request_header(api_key, version, correlation_id, flexible) + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(frame(payload))
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        if size < 4 or size > 64 * 1024 * 1024:
            raise WireError(f"implausible response size {size}")
        reader = Reader(_recv_exact(sock, size))
    got = reader.int32()
    if got != correlation_id:
        raise WireError(f"correlation id {got} != {correlation_id}")
    if flexible_response_header is None:
        flexible_response_header = flexible and api_key != API_API_VERSIONS
    if flexible_response_header:
        reader.skip_tags()
    return reader


# -- ApiVersions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiVersionsResult:
    error_code: int
    versions: dict[int, tuple[int, int]]  # api key -> (min, max)
    throttle_time_ms: int = 0
    finalized_features: dict[str, tuple[int, int]] = field(default_factory=dict)


def api_versions_v0(host: str, port: int, timeout: float = 5.0) -> ApiVersionsResult:
    """ApiVersions v0: an empty body; the response is error_code + [api_key, min, max]."""
    r = exchange(host, port, API_API_VERSIONS, 0, b"", flexible=False, timeout=timeout)
    error_code = r.int16()
    versions: dict[int, tuple[int, int]] = {}
    for _ in range(r.array_len()):
        key, lo, hi = r.int16(), r.int16(), r.int16()
        versions[key] = (lo, hi)
    if r.remaining():
        raise WireError(f"{r.remaining()} bytes left after ApiVersions v0 response")
    return ApiVersionsResult(error_code, versions)


def api_versions_v3(host: str, port: int, timeout: float = 5.0) -> ApiVersionsResult:
    """ApiVersions v3: flexible request body, response header v0, body with tagged features."""
    body = compact_string("kafkaproto-tests") + compact_string("0.1.0") + NO_TAGS
    r = exchange(host, port, API_API_VERSIONS, 3, body, flexible=True, timeout=timeout)
    error_code = r.int16()
    versions: dict[int, tuple[int, int]] = {}
    for _ in range(r.compact_array_len()):
        key, lo, hi = r.int16(), r.int16(), r.int16()
        r.skip_tags()
        versions[key] = (lo, hi)
    throttle = r.int32()
    finalized: dict[str, tuple[int, int]] = {}
    for _ in range(r.uvarint()):
        tag = r.uvarint()
        size = r.uvarint()
        end = r.pos + size
        if tag == 2:  # FinalizedFeatures: [name, max_version_level, min_version_level]
            for _ in range(r.compact_array_len()):
                name = r.compact_string() or ""
                hi, lo = r.int16(), r.int16()
                r.skip_tags()
                finalized[name] = (lo, hi)
        r.pos = end
    if r.remaining():
        raise WireError(f"{r.remaining()} bytes left after ApiVersions v3 response")
    return ApiVersionsResult(error_code, versions, throttle, finalized)


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts a TCP connection on host:port (a TLS or SASL listener, which
    would not answer a plain ApiVersions)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def broker_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when a broker on host:port answers a well-formed ApiVersions v0 response."""
    try:
        return api_versions_v0(host, port, timeout=timeout).error_code == 0
    except (OSError, WireError):
        return False


# -- Metadata v12 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionInfo:
    error_code: int
    index: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline: tuple[int, ...]


@dataclass(frozen=True)
class TopicInfo:
    error_code: int
    name: str | None
    topic_id: uuid.UUID
    partitions: tuple[PartitionInfo, ...]


@dataclass(frozen=True)
class MetadataResult:
    brokers: dict[int, tuple[str, int]]
    cluster_id: str | None
    controller_id: int
    topics: dict[str, TopicInfo]


def _compact_int32s(r: Reader) -> tuple[int, ...]:
    return tuple(r.int32() for _ in range(r.compact_array_len()))


def metadata_v12(
    host: str, port: int, topics: list[str] | None = None, timeout: float = 10.0
) -> MetadataResult:
    """Metadata v12 for the named topics (None: all topics), without auto-creation."""
    if topics is None:
        body = compact_array_len(None)
    else:
        body = compact_array_len(len(topics))
        for wanted in topics:
            body += bytes(16) + compact_string(wanted) + NO_TAGS
    body += b"\x00"  # allow_auto_topic_creation
    body += b"\x00"  # include_topic_authorized_operations
    body += NO_TAGS
    r = exchange(host, port, API_METADATA, 12, body, flexible=True, timeout=timeout)
    r.int32()  # throttle_time_ms
    brokers: dict[int, tuple[str, int]] = {}
    for _ in range(r.compact_array_len()):
        node_id = r.int32()
        broker_host = r.compact_string() or ""
        broker_port = r.int32()
        r.compact_string()  # rack
        r.skip_tags()
        brokers[node_id] = (broker_host, broker_port)
    cluster_id = r.compact_string()
    controller_id = r.int32()
    result_topics: dict[str, TopicInfo] = {}
    for _ in range(r.compact_array_len()):
        error_code = r.int16()
        name = r.compact_string()
        topic_id = r.uuid()
        r.boolean()  # is_internal
        partitions = []
        for _ in range(r.compact_array_len()):
            partitions.append(
                PartitionInfo(
                    error_code=r.int16(),
                    index=r.int32(),
                    leader=r.int32(),
                    leader_epoch=r.int32(),
                    replicas=_compact_int32s(r),
                    isr=_compact_int32s(r),
                    offline=_compact_int32s(r),
                )
            )
            r.skip_tags()
        r.int32()  # topic_authorized_operations
        r.skip_tags()
        result_topics[name or str(topic_id)] = TopicInfo(
            error_code, name, topic_id, tuple(partitions)
        )
    r.skip_tags()
    if r.remaining():
        raise WireError(f"{r.remaining()} bytes left after Metadata v12 response")
    return MetadataResult(brokers, cluster_id, controller_id, result_topics)


# -- CreateTopics v7 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTopicResult:
    name: str
    topic_id: uuid.UUID
    error_code: int
    error_message: str | None
    num_partitions: int
    replication_factor: int


def create_topics_v7(
    host: str,
    port: int,
    topics: dict[str, tuple[int, int]],
    timeout_ms: int = 30000,
) -> dict[str, CreateTopicResult]:
    """CreateTopics v7: topics maps name -> (num_partitions, replication_factor)."""
    body = compact_array_len(len(topics))
    for name, (partitions, rf) in topics.items():
        body += compact_string(name) + struct.pack(">ih", partitions, rf)
        body += compact_array_len(0)  # assignments
        body += compact_array_len(0)  # configs
        body += NO_TAGS
    body += struct.pack(">i", timeout_ms) + b"\x00" + NO_TAGS  # timeout_ms, validate_only
    r = exchange(
        host, port, API_CREATE_TOPICS, 7, body, flexible=True, timeout=timeout_ms / 1000 + 5
    )
    r.int32()  # throttle_time_ms
    results: dict[str, CreateTopicResult] = {}
    for _ in range(r.compact_array_len()):
        topic_name = r.compact_string() or ""
        topic_id = r.uuid()
        error_code = r.int16()
        error_message = r.compact_string()
        num_partitions = r.int32()
        replication_factor = r.int16()
        for _ in range(max(r.compact_array_len(), 0)):  # configs (nullable)
            r.compact_string()
            r.compact_string()
            r.boolean()
            r.int8()
            r.boolean()
            r.skip_tags()
        r.skip_tags()
        results[topic_name] = CreateTopicResult(
            topic_name, topic_id, error_code, error_message, num_partitions, replication_factor
        )
    r.skip_tags()
    if r.remaining():
        raise WireError(f"{r.remaining()} bytes left after CreateTopics v7 response")
    return results


# -- ListOffsets v1 -----------------------------------------------------------------------------

LATEST_TIMESTAMP = -1
EARLIEST_TIMESTAMP = -2


def list_offsets_v1(
    host: str, port: int, topic: str, partition: int, timestamp: int = LATEST_TIMESTAMP
) -> tuple[int, int]:
    """ListOffsets v1 for one partition; returns (error_code, offset). Must go to the leader."""
    body = struct.pack(">i", -1)  # replica_id: a normal client
    body += struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", 1) + struct.pack(">iq", partition, timestamp)
    r = exchange(host, port, API_LIST_OFFSETS, 1, body, flexible=False)
    for _ in range(r.array_len()):
        r.string()
        for _ in range(r.array_len()):
            r.int32()  # partition_index
            error_code = r.int16()
            r.int64()  # timestamp
            offset = r.int64()
            return error_code, offset
    raise WireError("ListOffsets v1 response without partitions")
