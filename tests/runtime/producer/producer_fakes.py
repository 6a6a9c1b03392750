"""An in-memory ProducerTransport for the engine's tests: a pretend cluster that keeps what it
was sent, checks idempotent sequences like a broker, and answers from a script of errors.

Requests and responses go through their real encoders and decoders, so the engine is tested
against the wire classes it will really use. Not a broker: the real one is in tests/integration.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

from kafkaproto.error_codes import UnknownTopicOrPartitionError
from kafkaproto.message import ApiRequest, ApiResponse
from kafkaproto.messages.add_offsets_to_txn import AddOffsetsToTxnRequest, AddOffsetsToTxnResponse
from kafkaproto.messages.add_partitions_to_txn import (
    AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse,
    AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult,
    AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
)
from kafkaproto.messages.end_txn import EndTxnRequest, EndTxnResponse
from kafkaproto.messages.find_coordinator import (
    FindCoordinatorRequest,
    FindCoordinatorResponse,
    FindCoordinatorResponseCoordinator,
)
from kafkaproto.messages.init_producer_id import InitProducerIdRequest, InitProducerIdResponse
from kafkaproto.messages.produce import (
    ProduceRequest,
    ProduceResponse,
    ProduceResponsePartitionProduceResponse,
    ProduceResponseTopicProduceResponse,
)
from kafkaproto.messages.txn_offset_commit import (
    TxnOffsetCommitRequest,
    TxnOffsetCommitResponse,
    TxnOffsetCommitResponsePartition,
    TxnOffsetCommitResponseTopic,
)
from kafkaproto.producer.metadata import ClusterSnapshot, PartitionInfo, TopicInfo
from kafkaproto.records.reader import read_batches

R = TypeVar("R", bound=ApiResponse)


#: Bound, in seconds, on every wait of the producer's unit tests.
T = 5.0


def run(fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run the coroutine ``fn()`` in a new loop, failing it after ``T`` seconds."""

    async def bounded() -> Any:
        return await asyncio.wait_for(fn(), T)

    return asyncio.run(bounded())


async def until(condition: Callable[[], bool]) -> None:
    """Wait, a few milliseconds at a time, until ``condition()`` holds (``run`` bounds it)."""
    while not condition():
        await asyncio.sleep(0.005)


def settings(**kw: Any) -> dict[str, Any]:
    """A producer's settings for the fake cluster: quick retries, ``kw`` on top."""
    base: dict[str, Any] = {
        "bootstrap.servers": "fake:9092",
        "linger_ms": 1,
        "retry_backoff_ms": 5,
        "retry_backoff_max_ms": 20,
    }
    base.update(kw)
    return base


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
        self.requests: list[tuple[int | None, ApiRequest[ApiResponse]]] = []
        self.versions: list[tuple[int, int]] = []  # (api key, version) of each request
        self.errors: dict[tuple[str, int], deque[int]] = defaultdict(deque)
        self.metadata_calls = 0
        self.hold: asyncio.Event | None = None  # when set, produce requests wait for it
        # send_nowait takes produce requests (as the cluster transport does once connected);
        # ``nowait_sends`` counts them. (SendOnly hides it and write.)
        self.nowait_sends = 0
        # The next N send_nowait calls answer None (no free slot), and while ``slot`` is set
        # (an unset Event), send and write wait on it before the request is written: the
        # connection's wait for a free in-flight slot. ``slot_waits`` counts those waiting,
        # ``writes`` the requests write took.
        self.refuse_nowait = 0
        self.slot: asyncio.Event | None = None
        self.slot_waits = 0
        self.writes = 0
        self._past_slot: set[int] = set()  # ids of requests written by send_nowait or write
        self.fail_connections = 0  # next N produce sends raise ConnectionError
        self.next_producer_id = 1000
        self.expected_seq: dict[tuple[int, tuple[str, int]], int] = {}
        # Kafka 4.4's leader takes any first sequence from a producer it has no state for
        # (the KAFKA-15591 window); off, the fake insists on sequence 0.
        self.any_first_sequence = False
        self.epochs: dict[tuple[int, tuple[str, int]], int] = {}
        self.written_seqs: dict[tuple[int, tuple[str, int]], set[int]] = defaultdict(set)
        self.concurrent = 0
        self.max_concurrent = 0

    def take_slots(self, refuse: int = 1) -> None:
        """The connection has no free in-flight slot from now on: the next ``refuse``
        send_nowait calls answer None, and send and write wait until :meth:`open_slots`."""
        self.refuse_nowait = refuse
        self.slot = asyncio.Event()

    def open_slots(self) -> None:
        slot, self.slot = self.slot, None
        if slot is not None:
            slot.set()

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

    def send_nowait(
        self, node_id: int, request: ApiRequest[R], version: int
    ) -> asyncio.Future[R | None] | None:
        if self.refuse_nowait:
            self.refuse_nowait -= 1
            return None
        self.nowait_sends += 1
        self._past_slot.add(id(request))
        return asyncio.ensure_future(self.send(node_id, request, version))

    async def write(
        self, node_id: int, request: ApiRequest[R], version: int
    ) -> asyncio.Future[R | None]:
        await self._wait_for_slot()
        self.writes += 1
        self._past_slot.add(id(request))
        return asyncio.ensure_future(self.send(node_id, request, version))

    async def _wait_for_slot(self) -> None:
        if self.slot is not None:
            self.slot_waits += 1
            try:
                await self.slot.wait()
            finally:
                self.slot_waits -= 1

    async def send(
        self,
        node_id: int | None,
        request: ApiRequest[R],
        version: int,
        *,
        expect_response: bool = True,
    ) -> R | None:
        if id(request) in self._past_slot:
            self._past_slot.discard(id(request))
        else:
            await self._wait_for_slot()
        request = type(request).decode(request.encode(version), version)  # the wire round trip
        self.requests.append((node_id, request))
        self.versions.append((request.api_key, version))
        if request.api_key == 22:
            pid = self.next_producer_id
            self.next_producer_id += 1
            answer = InitProducerIdResponse(producer_id=pid, producer_epoch=0)
            return answer.decode(answer.encode(version), version)  # type: ignore[return-value]
        assert isinstance(request, ProduceRequest)
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
            response = self._produce(node_id, request, version)
        finally:
            self.concurrent -= 1
        if not expect_response:
            return None
        return response.decode(response.encode(version), version)  # type: ignore[return-value]

    # --- broker behaviour --------------------------------------------------------------------

    def _produce(self, node_id: int | None, request: ProduceRequest, v: int) -> ProduceResponse:
        by_id = {i: t for t, i in self.topic_ids.items()}
        topics = []
        for td in request.topic_data:
            name = by_id[td.topic_id] if v >= 13 else td.name
            parts = []
            for pd in td.partition_data:
                parts.append(self._append(name, pd.index, bytes(pd.records), node_id))
            topics.append(
                ProduceResponseTopicProduceResponse(
                    name=name, topic_id=td.topic_id, partition_responses=tuple(parts)
                )
            )
        return ProduceResponse(responses=tuple(topics))

    def _append(
        self, topic: str, partition: int, data: bytes, node_id: int | None
    ) -> ProduceResponsePartitionProduceResponse:
        part = ProduceResponsePartitionProduceResponse
        tp = (topic, partition)
        scripted = self.errors[tp]
        if scripted:
            code = scripted.popleft()
            return part(index=partition, error_code=code, base_offset=-1, log_start_offset=0)
        assert node_id == self.leader(partition), "sent to a broker that is not the leader"
        [batch] = read_batches(data).batches
        if batch.producer_id >= 0:
            key = (batch.producer_id, tp)
            if key not in self.expected_seq and self.any_first_sequence:
                self.expected_seq[key] = batch.base_sequence
            elif self.epochs.get(key, batch.producer_epoch) != batch.producer_epoch:
                self.expected_seq[key] = 0  # a new epoch starts at sequence 0
                self.written_seqs[key].clear()
            self.epochs[key] = batch.producer_epoch
            expected = self.expected_seq.get(key, 0)
            if batch.base_sequence < expected and batch.base_sequence in self.written_seqs[key]:
                return part(index=partition, error_code=46, base_offset=-1)  # DUPLICATE
            if batch.base_sequence != expected:
                return part(index=partition, error_code=45, base_offset=-1, log_start_offset=0)
            self.written_seqs[key].add(batch.base_sequence)
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


class SendOnly:
    """A FakeCluster behind the ProducerTransport protocol's required methods only, without
    the optional ``send_nowait`` and ``write``: every request goes through ``send``."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster

    async def api_version(self, api_key: int) -> int | None:
        return await self.cluster.api_version(api_key)

    async def metadata_for(self, topics: Collection[str]) -> ClusterSnapshot:
        return await self.cluster.metadata_for(topics)

    async def send(
        self,
        node_id: int | None,
        request: ApiRequest[R],
        version: int,
        *,
        expect_response: bool = True,
    ) -> R | None:
        return await self.cluster.send(node_id, request, version, expect_response=expect_response)


def count_lane_appends(monkeypatch: Any) -> Callable[[], int]:
    """Count the records the producer's fast lane takes in producers made from now on: through
    ``RecordAccumulator.lane_append`` (the thread-safe face, and any face's full ``send``) or
    ``futures.lane_send`` and ``SyncSend.send`` (the faces' ``send``, which call the former
    without a Python call when compiled, and through it when not: counted once either way). The
    returned function reads the count."""
    from kafkaproto.producer import async_producer, sync_producer
    from kafkaproto.producer._internals.accumulator import RecordAccumulator

    count = 0
    inside_send = False
    real_append = RecordAccumulator.lane_append
    real_send = async_producer.lane_send

    def counting_append(self: RecordAccumulator, topic: str, value: object, timestamp: int) -> Any:
        nonlocal count
        placed = real_append(self, topic, value, timestamp)
        if not inside_send:
            count += placed is not None
        return placed

    def counting_send(accumulator: RecordAccumulator, loop: Any, record: Any) -> Any:
        nonlocal count, inside_send
        inside_send = True
        try:
            future = real_send(accumulator, loop, record)
        finally:
            inside_send = False
        count += future is not None
        return future

    # The thread-safe face's send (SyncSend.send) takes the lane itself, calling it without a
    # Python call when compiled: a record it answers without handing it to _send_full went
    # through the lane. _send_full's own lane appends are counted by counting_append.
    real_sync_send = sync_producer.Producer.send
    real_full = sync_producer.Producer._send_full
    full_calls = 0

    def counting_sync_send(self: Any, record: Any, callback: Any = None) -> Any:
        nonlocal count, inside_send
        before = full_calls
        inside_send = True
        try:
            future = real_sync_send(self, record, callback)
        finally:
            inside_send = False
        count += full_calls == before
        return future

    def counting_full(self: Any, record: Any, callback: Any) -> Any:
        nonlocal full_calls, inside_send
        full_calls += 1
        inside_send = False
        try:
            return real_full(self, record, callback)
        finally:
            inside_send = True

    monkeypatch.setattr(RecordAccumulator, "lane_append", counting_append)
    monkeypatch.setattr(async_producer, "lane_send", counting_send)
    monkeypatch.setattr(sync_producer.Producer, "send", counting_sync_send)
    monkeypatch.setattr(sync_producer.Producer, "_send_full", counting_full)
    return lambda: count


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
        self.offsets: list[TxnOffsetCommitRequest] = []
        self.txn_hold: asyncio.Event | None = None  # when set, EndTxn waits for it

    def finalized_features(self) -> tuple[int, dict[str, int]]:
        return self.features_epoch, {"transaction.version": self.tv}

    async def api_version(self, api_key: int) -> int | None:
        versions = {0: self.produce_version, 10: 6, 22: 5, 24: 5, 25: 4, 26: 5, 28: 5}
        return versions.get(api_key)

    async def send(
        self,
        node_id: int | None,
        request: ApiRequest[R],
        version: int,
        *,
        expect_response: bool = True,
    ) -> R | None:
        if isinstance(request, ProduceRequest) or (
            isinstance(request, InitProducerIdRequest) and request.transactional_id is None
        ):
            if isinstance(request, ProduceRequest):
                self._check_produce(request, version)
            return await super().send(node_id, request, version, expect_response=expect_response)
        request = type(request).decode(request.encode(version), version)
        self.requests.append((node_id, request))
        self.versions.append((request.api_key, version))
        scripted = self.txn_errors[request.api_key]
        code = scripted.popleft() if scripted else 0
        response = await self._answer(node_id, request, version, code)
        return response.decode(response.encode(version), version)  # type: ignore[return-value]

    async def _answer(
        self, node_id: int | None, r: ApiRequest[ApiResponse], v: int, code: int
    ) -> ApiResponse:
        if isinstance(r, FindCoordinatorRequest):
            if v >= 4:
                c = FindCoordinatorResponseCoordinator(
                    key="", node_id=1, host="fake", port=1, error_code=code
                )
                return FindCoordinatorResponse(coordinators=(c,))
            return FindCoordinatorResponse(node_id=1, host="fake", port=1, error_code=code)
        assert node_id == 1, f"api {r.api_key} sent to {node_id}, not the coordinator"
        if isinstance(r, InitProducerIdRequest):
            assert r.transactional_id is not None
            pid, epoch = self.producers.get(r.transactional_id, (self.next_producer_id, -1))
            if code:
                return InitProducerIdResponse(error_code=code, producer_id=-1, producer_epoch=-1)
            self.next_producer_id += pid == self.next_producer_id
            self.producers[r.transactional_id] = (pid, epoch + 1)
            return InitProducerIdResponse(producer_id=pid, producer_epoch=epoch + 1)
        if isinstance(r, AddPartitionsToTxnRequest):
            results = []
            for t in r.v3_and_below_topics:
                for p in t.partitions:
                    if not code:
                        self.in_txn.add((t.name, p))
                    results.append(
                        AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult(
                            name=t.name,
                            results_by_partition=(
                                AddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult(
                                    partition_index=p, partition_error_code=code
                                ),
                            ),
                        )
                    )
            return AddPartitionsToTxnResponse(results_by_topic_v3_and_below=tuple(results))
        if isinstance(r, AddOffsetsToTxnRequest):
            return AddOffsetsToTxnResponse(error_code=code)
        if isinstance(r, TxnOffsetCommitRequest):
            self.offsets.append(r)
            topics = tuple(
                TxnOffsetCommitResponseTopic(
                    name=t.name,
                    partitions=tuple(
                        TxnOffsetCommitResponsePartition(
                            partition_index=p.partition_index, error_code=code
                        )
                        for p in t.partitions
                    ),
                )
                for t in r.topics
            )
            return TxnOffsetCommitResponse(topics=topics)
        assert isinstance(r, EndTxnRequest), r
        if self.txn_hold is not None:
            await self.txn_hold.wait()
        if code:
            return EndTxnResponse(error_code=code)
        self.ended.append((r.committed, v))
        self.in_txn.clear()
        pid, epoch = self.producers[r.transactional_id]
        assert (r.producer_id, r.producer_epoch) == (pid, epoch), "EndTxn with a stale epoch"
        if v >= 5:  # KIP-890: the next transaction's epoch
            self.producers[r.transactional_id] = (pid, epoch + 1)
            return EndTxnResponse(producer_id=pid, producer_epoch=epoch + 1)
        return EndTxnResponse()

    def _check_produce(self, request: ProduceRequest, version: int) -> None:
        if request.transactional_id is None:
            return
        if self.tv >= 2:
            assert version >= 12, "a version-2 transaction must produce at v12+"
            return
        assert version <= 11, "a version-1 transaction must produce below v12"
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
