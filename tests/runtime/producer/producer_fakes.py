"""An in-memory ProducerTransport for the engine's tests: a pretend cluster that keeps what it
was sent, checks idempotent sequences like a broker, and answers from a script of errors.

Requests and responses go through their real encoders and decoders, so the engine is tested
against the wire classes it will really use. Not a broker: the real one is in tests/integration.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Collection
from typing import Any

from kafkaproto.error_codes import UnknownTopicOrPartitionError
from kafkaproto.message import ApiMessage
from kafkaproto.messages import produce, response_class
from kafkaproto.producer.metadata import ClusterSnapshot, PartitionInfo, TopicInfo
from kafkaproto.records.reader import read_batches


class FakeCluster:
    """Topics with ``partitions`` each, led round-robin by ``nodes``."""

    def __init__(
        self,
        topics: dict[str, int],
        *,
        nodes: tuple[int, ...] = (1,),
        produce_version: int = 13,
        latency: float = 0.0,
        log_append_time: bool = False,
    ) -> None:
        self.topics = dict(topics)
        self.nodes = nodes
        self.produce_version = produce_version
        self.latency = latency
        self.log_append_time = log_append_time
        self.topic_ids = {t: uuid.uuid4() for t in topics}
        self.log: dict[tuple[str, int], list[Any]] = defaultdict(list)
        self.requests: list[tuple[int | None, ApiMessage]] = []
        self.errors: dict[tuple[str, int], deque[int]] = defaultdict(deque)
        self.metadata_calls = 0
        self.hold: asyncio.Event | None = None  # when set, produce requests wait for it
        self.fail_connections = 0  # next N produce sends raise ConnectionError
        self.next_producer_id = 1000
        self.expected_seq: dict[tuple[int, tuple[str, int]], int] = {}
        self.concurrent = 0
        self.max_concurrent = 0

    def leader(self, partition: int) -> int:
        return self.nodes[partition % len(self.nodes)]

    def records(self, topic: str, partition: int = 0) -> list[bytes | None]:
        return [r.value for r in self.log[(topic, partition)]]

    # --- ProducerTransport -------------------------------------------------------------------

    async def api_version(self, api_key: int) -> int | None:
        return {0: self.produce_version, 22: 4}.get(api_key)

    async def metadata_for(self, topics: Collection[str]) -> ClusterSnapshot:
        self.metadata_calls += 1
        out = []
        for t in topics:
            if t in self.topics:
                parts = tuple(
                    PartitionInfo(p, leader=self.leader(p)) for p in range(self.topics[t])
                )
                out.append(TopicInfo(t, parts, self.topic_ids[t]))
            else:
                out.append(TopicInfo(t, error=UnknownTopicOrPartitionError()))
        return ClusterSnapshot.of(out)

    async def send(
        self, node_id: int | None, request: ApiMessage, *, expect_response: bool = True
    ) -> ApiMessage | None:
        request = type(request).decode(request.encode())  # the real wire round trip
        self.requests.append((node_id, request))
        if request.api_key == 22:
            pid = self.next_producer_id
            self.next_producer_id += 1
            return response_class(22, request.version)(producer_id=pid, producer_epoch=0)
        assert request.api_key == 0
        if self.fail_connections:
            self.fail_connections -= 1
            raise ConnectionError("connection reset by fake peer")
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            if self.hold is not None:
                await self.hold.wait()
            if self.latency:
                await asyncio.sleep(self.latency)
            response = self._produce(node_id, request)
        finally:
            self.concurrent -= 1
        if not expect_response:
            return None
        return type(response).decode(response.encode())

    # --- broker behaviour --------------------------------------------------------------------

    def _produce(self, node_id: int | None, request: Any) -> ApiMessage:
        v = request.version
        by_id = {i: t for t, i in self.topic_ids.items()}
        topics = []
        for td in request.topic_data:
            name = by_id[td.topic_id] if v >= 13 else td.name
            parts = []
            for pd in td.partition_data:
                parts.append(self._append(name, pd.index, bytes(pd.records), node_id))
            if v >= 13:
                topics.append(
                    produce.ProduceResponseTopicProduceResponseV13(
                        topic_id=td.topic_id, partition_responses=tuple(parts)
                    )
                )
            else:
                topics.append(
                    produce.ProduceResponseTopicProduceResponseV10(
                        name=name, partition_responses=tuple(parts)
                    )
                )
        cls: Any = response_class(0, v)
        return cls(responses=tuple(topics))  # type: ignore[no-any-return]

    def _append(self, topic: str, partition: int, data: bytes, node_id: int | None) -> Any:
        part = produce.ProduceResponsePartitionProduceResponseV10
        tp = (topic, partition)
        scripted = self.errors[tp]
        if scripted:
            code = scripted.popleft()
            return part(index=partition, error_code=code, base_offset=-1, log_start_offset=0)
        assert node_id == self.leader(partition), "sent to a broker that is not the leader"
        [batch] = read_batches(data).batches
        if batch.producer_id >= 0:
            key = (batch.producer_id, tp)
            expected = self.expected_seq.get(key, 0)
            if batch.base_sequence < expected:
                return part(index=partition, error_code=46, base_offset=-1)  # DUPLICATE
            if batch.base_sequence > expected:
                return part(index=partition, error_code=45, base_offset=-1, log_start_offset=0)
            self.expected_seq[key] = expected + len(batch.records)
        base = len(self.log[tp])
        self.log[tp].extend(batch.records)
        return part(
            index=partition,
            error_code=0,
            base_offset=base,
            log_append_time_ms=123 if self.log_append_time else -1,
            log_start_offset=0,
        )


def count_lane_appends(monkeypatch: Any) -> Callable[[], int]:
    """Count the records ``BatchBuilder.append_value`` (the producer's fast lane) takes from now
    on; the returned function reads the count."""
    from kafkaproto.records.batch_builder import BatchBuilder

    count = 0
    real = BatchBuilder.append_value

    def counting(self: BatchBuilder, value: bytes, timestamp: int, limit: int) -> int:
        nonlocal count
        index = real(self, value, timestamp, limit)
        count += index >= 0
        return index

    monkeypatch.setattr(BatchBuilder, "append_value", counting)
    return lambda: count


def build_nested(cls: Any, values: dict[str, Any]) -> Any:
    """An instance of generated ``cls`` from plain values, nested structs given as dicts (or
    lists of dicts); keys the version lacks are left out."""
    kwargs: dict[str, Any] = {}
    for f in cls._fields_:
        if f.attr not in values:
            continue
        value = values[f.attr]
        if f.cls is not None and value is not None:
            value = (
                tuple(build_nested(f.cls, v) for v in value)
                if f.kind == "array"
                else build_nested(f.cls, value)
            )
        kwargs[f.attr] = value
    return cls(**kwargs)


class FakeTxnCluster(FakeCluster):
    """A FakeCluster with a transaction coordinator (node 1) speaking transaction version
    ``tv``: it checks that a version-1 client adds partitions before producing and a version-2
    client does not, bumps the epoch at every EndTxn v5+, and answers from ``txn_errors``
    (api key -> codes to return, one per request) before anything else."""

    def __init__(self, topics: dict[str, int], *, tv: int = 2, **kwargs: Any) -> None:
        super().__init__(topics, **kwargs)
        self.tv = tv
        self.features_epoch = 10
        self.txn_errors: dict[int, deque[int]] = defaultdict(deque)
        self.producers: dict[str, tuple[int, int]] = {}  # transactional id -> (id, epoch)
        self.in_txn: set[tuple[str, int]] = set()
        self.ended: list[tuple[bool, int]] = []  # (committed, version) per EndTxn
        self.offsets: list[Any] = []
        self.txn_hold: asyncio.Event | None = None  # when set, EndTxn waits for it

    def finalized_features(self) -> tuple[int, dict[str, int]]:
        return self.features_epoch, {"transaction.version": self.tv}

    async def api_version(self, api_key: int) -> int | None:
        versions = {0: self.produce_version, 10: 6, 22: 5, 24: 5, 25: 4, 26: 5, 28: 5}
        return versions.get(api_key)

    def _answer(self, api_key: int, version: int, **values: Any) -> ApiMessage:
        response = build_nested(response_class(api_key, version), values)
        return type(response).decode(response.encode())  # type: ignore[no-any-return]

    async def send(
        self, node_id: int | None, request: ApiMessage, *, expect_response: bool = True
    ) -> ApiMessage | None:
        key = request.api_key
        if key == 0 or (key == 22 and getattr(request, "transactional_id", None) is None):
            if key == 0:
                self._check_produce(request)
            return await super().send(node_id, request, expect_response=expect_response)
        request = type(request).decode(request.encode())
        self.requests.append((node_id, request))
        v = request.version
        r: Any = request
        scripted = self.txn_errors[key]
        code = scripted.popleft() if scripted else 0
        if key == 10:
            coordinator = {"key": "", "node_id": 1, "host": "fake", "port": 1, "error_code": code}
            if v >= 4:
                return self._answer(key, v, coordinators=[coordinator])
            return self._answer(key, v, **coordinator)
        assert node_id == 1, f"api {key} sent to {node_id}, not the coordinator"
        if key == 22:
            pid, epoch = self.producers.get(r.transactional_id, (self.next_producer_id, -1))
            if code:
                return self._answer(key, v, error_code=code, producer_id=-1, producer_epoch=-1)
            self.next_producer_id += pid == self.next_producer_id
            self.producers[r.transactional_id] = (pid, epoch + 1)
            return self._answer(key, v, producer_id=pid, producer_epoch=epoch + 1)
        if key == 24:
            results = []
            for t in r.v3_and_below_topics:
                for p in t.partitions:
                    if not code:
                        self.in_txn.add((t.name, p))
                    results.append(
                        {
                            "name": t.name,
                            "results_by_partition": [
                                {"partition_index": p, "partition_error_code": code}
                            ],
                        }
                    )
            return self._answer(key, v, results_by_topic_v3_and_below=results)
        if key == 25:
            return self._answer(key, v, error_code=code)
        if key == 28:
            self.offsets.append(r)
            topics = [
                {
                    "name": t.name,
                    "partitions": [
                        {"partition_index": p.partition_index, "error_code": code}
                        for p in t.partitions
                    ],
                }
                for t in r.topics
            ]
            return self._answer(key, v, topics=topics)
        assert key == 26, key
        if self.txn_hold is not None:
            await self.txn_hold.wait()
        if code:
            return self._answer(key, v, error_code=code)
        self.ended.append((r.committed, v))
        self.in_txn.clear()
        pid, epoch = self.producers[r.transactional_id]
        assert (r.producer_id, r.producer_epoch) == (pid, epoch), "EndTxn with a stale epoch"
        if v >= 5:  # KIP-890: the next transaction's epoch
            self.producers[r.transactional_id] = (pid, epoch + 1)
            return self._answer(key, v, producer_id=pid, producer_epoch=epoch + 1)
        return self._answer(key, v)

    def _check_produce(self, request: Any) -> None:
        if request.transactional_id is None:
            return
        if self.tv >= 2:
            assert request.version >= 12, "a version-2 transaction must produce at v12+"
            return
        assert request.version <= 11, "a version-1 transaction must produce below v12"
        for td in request.topic_data:
            for pd in td.partition_data:
                assert (td.name, pd.index) in self.in_txn, "produced before AddPartitionsToTxn"

    def _append(self, topic: str, partition: int, data: bytes, node_id: int | None) -> Any:
        # A new epoch starts the producer's sequences again at 0, as a broker's does.
        [batch] = read_batches(data).batches
        key = (batch.producer_id, (topic, partition))
        if self._epochs.get(key) != batch.producer_epoch:
            self._epochs[key] = batch.producer_epoch
            self.expected_seq.pop(key, None)
        return super()._append(topic, partition, data, node_id)

    @property
    def _epochs(self) -> dict[tuple[int, tuple[str, int]], int]:
        epochs: dict[tuple[int, tuple[str, int]], int] = self.__dict__.setdefault("_epoch_map", {})
        return epochs
