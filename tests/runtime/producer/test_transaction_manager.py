"""Transactions in the engine, through both faces, against FakeTxnCluster (a pretend transaction
coordinator that checks the wire): which requests go out under transaction version 1 and 2, the
epoch bumps (KIP-360 on version 1, EndTxn's on version 2, the move from 1 to 2), Java's error
classes (state errors, abortable, fatal, fenced), max.block.ms and retrying a timed-out call,
offsets, and close. The real broker proofs are in tests/integration/test_transactions*.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafkaproto.error_codes import (
    ProducerFencedError,
    TopicAuthorizationFailedError,
    TransactionAbortableError,
)
from kafkaproto.group_metadata import ConsumerGroupMetadata, OffsetAndMetadata
from kafkaproto.producer._internals.idempotence import ProducerIdAndEpoch, ProducerState
from kafkaproto.producer._internals.transactions import TransactionManager
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.errors import (
    TransactionAbortedError,
    TransactionAbortRequiredError,
    TransactionStateError,
    TransactionTimeoutError,
)
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.sync_producer import Producer
from kafkaproto.records.reader import read_batches
from producer_fakes import FakeTxnCluster, T, run


def settings(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "bootstrap.servers": "fake:9092",
        "transactional.id": "tx-1",
        "linger_ms": 1,
        "retry_backoff_ms": 5,
        "retry_backoff_max_ms": 20,
    }
    base.update(kw)
    return base


def api_keys(cluster: FakeTxnCluster) -> list[int]:
    return [r.api_key for _, r in cluster.requests]


def produce_requests(cluster: FakeTxnCluster) -> list[Any]:
    return [r for _, r in cluster.requests if r.api_key == 0]


def versions_sent(cluster: FakeTxnCluster, api_key: int) -> list[int]:
    return [v for key, v in cluster.versions if key == api_key]


async def one_transaction(p: AsyncProducer[Any, Any], tag: str, n: int = 4) -> None:
    p.begin_transaction()
    futures = [
        await p.send(ProducerRecord("t", b"%s%d" % (tag.encode(), i), partition=i % 2))
        for i in range(n)
    ]
    await p.commit_transaction()
    for f in futures:
        assert (await f).offset >= 0


def test_version_2_adds_partitions_through_produce_and_takes_the_epoch_from_end_txn() -> None:
    cluster = FakeTxnCluster({"t": 2}, tv=2)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            assert p.transaction_version == 2
            txn = p.engine.transactions
            assert txn is not None
            first = txn.producer_id_and_epoch
            await one_transaction(p, "a")
            assert txn.producer_id_and_epoch == ProducerIdAndEpoch(
                first.producer_id, first.epoch + 1
            )
            await one_transaction(p, "b")
            assert txn.producer_id_and_epoch.epoch == first.epoch + 2

    run(main)
    keys = api_keys(cluster)
    assert 24 not in keys and 25 not in keys  # no AddPartitionsToTxn, no AddOffsetsToTxn
    assert cluster.ended == [(True, 5), (True, 5)]
    assert set(versions_sent(cluster, 0)) == {13}
    for request in produce_requests(cluster):
        assert request.transactional_id == "tx-1"
        for td in request.topic_data:
            for pd in td.partition_data:
                assert all(b.is_transactional for b in read_batches(bytes(pd.records)).batches)
    assert sorted(cluster.records("t", 0) + cluster.records("t", 1)) == sorted(
        b"%s%d" % (t, i) for t in (b"a", b"b") for i in range(4)
    )


def test_version_1_adds_partitions_before_producing_and_keeps_its_epoch() -> None:
    cluster = FakeTxnCluster({"t": 2}, tv=1)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            assert p.transaction_version == 1
            txn = p.engine.transactions
            assert txn is not None
            first = txn.producer_id_and_epoch
            await one_transaction(p, "a")
            await one_transaction(p, "b")
            assert txn.producer_id_and_epoch == first

    run(main)
    keys = api_keys(cluster)
    assert keys.count(24) >= 2
    assert keys.index(24) < keys.index(0)  # FakeTxnCluster also refuses a produce before it
    assert all(v <= 11 for v in versions_sent(cluster, 0))
    assert versions_sent(cluster, 24) == [3] * keys.count(24)
    assert cluster.ended == [(True, 4), (True, 4)]


def test_calls_out_of_order_raise_state_errors_and_queue_nothing() -> None:
    cluster = FakeTxnCluster({"t": 1})

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            with pytest.raises(TransactionStateError, match="init_transactions"):
                p.begin_transaction()
            with pytest.raises(TransactionStateError, match="init_transactions"):
                await p.send(ProducerRecord("t", b"x"))
            await p.init_transactions()
            with pytest.raises(TransactionStateError, match="begin_transaction"):
                await p.send(ProducerRecord("t", b"x"))
            with pytest.raises(TransactionStateError, match="READY"):
                await p.commit_transaction()
            assert not p.engine.accumulator.has_incomplete()
            await one_transaction(p, "ok", 1)  # nothing was poisoned

    run(main)


def test_no_transactional_id_means_no_transactional_methods() -> None:
    async def main() -> None:
        async with AsyncProducer(
            settings(**{"transactional.id": None}), transport=FakeTxnCluster({"t": 1})
        ) as p:
            assert p.transaction_version is None
            with pytest.raises(TransactionStateError, match=r"transactional\.id"):
                await p.init_transactions()

    run(main)


def test_failed_record_makes_the_transaction_abortable_then_abort_and_go_on() -> None:
    cluster = FakeTxnCluster({"t": 2}, tv=2)
    cluster.errors[("t", 0)].append(29)  # TOPIC_AUTHORIZATION_FAILED: not retriable

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            bad = await p.send(ProducerRecord("t", b"bad", partition=0))
            with pytest.raises(TopicAuthorizationFailedError):
                await bad
            with pytest.raises(TransactionAbortRequiredError, match="abort_transaction"):
                await p.commit_transaction()
            with pytest.raises(TransactionAbortRequiredError):
                await p.send(ProducerRecord("t", b"x", partition=1))
            await p.abort_transaction()
            await one_transaction(p, "after")

    run(main)
    assert cluster.ended == [(False, 5), (True, 5)]


def test_version_1_abortable_error_bumps_the_epoch_after_the_abort() -> None:
    # KIP-360: the coordinator speaks InitProducerId v3+, so the client asks for the bump.
    cluster = FakeTxnCluster({"t": 2}, tv=1)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            txn = p.engine.transactions
            assert txn is not None
            first = txn.producer_id_and_epoch
            cluster.errors[("t", 0)].append(29)
            p.begin_transaction()
            bad = await p.send(ProducerRecord("t", b"bad", partition=0))
            with pytest.raises(TopicAuthorizationFailedError):
                await bad  # failed inside the transaction (not while committing)
            with pytest.raises(TransactionAbortRequiredError):
                await p.commit_transaction()
            await p.abort_transaction()
            assert txn.producer_id_and_epoch == ProducerIdAndEpoch(
                first.producer_id, first.epoch + 1
            )
            await one_transaction(p, "after")

    run(main)
    inits = [r for _, r in cluster.requests if r.api_key == 22]
    assert len(inits) == 2
    assert (inits[0].producer_id, inits[0].producer_epoch) == (-1, -1)
    assert (inits[1].producer_id, inits[1].producer_epoch) == (1000, 0)  # "bump my epoch"
    keys = api_keys(cluster)
    end = next(i for i, (_, r) in enumerate(cluster.requests) if r.api_key == 26)
    assert keys.index(22, end) > end  # the bump goes after EndTxn(abort)


def test_moving_to_version_2_between_transactions_bumps_the_epoch() -> None:
    cluster = FakeTxnCluster({"t": 2}, tv=1)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            await p.send(ProducerRecord("t", b"v1", partition=0))
            cluster.tv, cluster.features_epoch = 2, cluster.features_epoch + 1
            await p.commit_transaction()  # ends as version 1, then bumps for version 2
            assert p.transaction_version == 2
            await one_transaction(p, "v2")

    run(main)
    assert cluster.ended == [(True, 4), (True, 5)]
    assert [r.api_key for _, r in cluster.requests].count(22) == 2
    assert versions_sent(cluster, 0)[-1] == 13


def test_fenced_by_the_coordinator_is_fatal() -> None:
    cluster = FakeTxnCluster({"t": 1})
    cluster.txn_errors[26].append(ProducerFencedError.code)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            await p.send(ProducerRecord("t", b"x"))
            with pytest.raises(ProducerFencedError, match="close this producer"):
                await p.commit_transaction()
            with pytest.raises(ProducerFencedError):
                p.begin_transaction()
            with pytest.raises(ProducerFencedError):
                await p.send(ProducerRecord("t", b"y"))
            with pytest.raises(ProducerFencedError):
                await p.abort_transaction()

    run(main)


def test_abort_meeting_transaction_abortable_is_fatal() -> None:
    cluster = FakeTxnCluster({"t": 1})
    cluster.txn_errors[26].append(TransactionAbortableError.code)

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            await p.send(ProducerRecord("t", b"x"))
            await p.flush()
            from kafkaproto.producer.errors import ProducerFatalError

            with pytest.raises(ProducerFatalError, match="Failed to abort"):
                await p.abort_transaction()
            assert p.engine.transactions is not None
            assert p.engine.transactions.state is ProducerState.FATAL_ERROR

    run(main)


def test_retriable_coordinator_errors_are_retried() -> None:
    cluster = FakeTxnCluster({"t": 2})
    cluster.txn_errors[22].extend([15, 51])  # COORDINATOR_NOT_AVAILABLE, CONCURRENT_TRANSACTIONS
    cluster.txn_errors[26].extend([16])  # NOT_COORDINATOR: find it again

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            await one_transaction(p, "a", 2)

    run(main)
    assert api_keys(cluster).count(10) >= 3  # the coordinator looked up again twice


def test_timed_out_commit_is_waited_for_by_calling_it_again() -> None:
    cluster = FakeTxnCluster({"t": 1})

    async def main() -> None:
        async with AsyncProducer(settings(max_block_ms=100), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            await p.send(ProducerRecord("t", b"x"))
            cluster.txn_hold = asyncio.Event()
            with pytest.raises(TransactionTimeoutError, match="EndTxn"):
                await p.commit_transaction()
            with pytest.raises(TransactionStateError, match="timed out and must be retried"):
                p.begin_transaction()
            with pytest.raises(TransactionStateError, match="commitTransaction"):
                await p.abort_transaction()
            cluster.txn_hold.set()
            await p.commit_transaction()  # the same EndTxn, answered now
            await one_transaction(p, "b", 1)

    run(main)
    assert cluster.ended == [(True, 5), (True, 5)]


@pytest.mark.parametrize("tv", [1, 2])
def test_abort_fails_queued_records_with_transaction_aborted(tv: int) -> None:
    cluster = FakeTxnCluster({"t": 1}, tv=tv)

    async def main() -> None:
        async with AsyncProducer(settings(linger_ms=10_000), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            queued = await p.send(ProducerRecord("t", b"never sent"))
            await p.abort_transaction()
            with pytest.raises(TransactionAbortedError):
                await queued

    run(main)
    assert produce_requests(cluster) == []
    # Version 2: the first send starts the transaction (Java's maybeAddPartition), so
    # EndTxn(abort) ends it. Version 1: only once AddPartitionsToTxn went out (the sender may
    # or may not have run before the abort); otherwise there is nothing to end.
    if tv == 2:
        assert cluster.ended == [(False, 5)]
    else:
        assert cluster.ended == ([(False, 4)] if 24 in api_keys(cluster) else [])


@pytest.mark.parametrize("tv", [1, 2])
def test_offsets_join_the_transaction(tv: int) -> None:
    cluster = FakeTxnCluster({"t": 1, "in": 2}, tv=tv)
    group = ConsumerGroupMetadata("g", generation_id=3, member_id="m-1")

    async def main() -> None:
        async with AsyncProducer(settings(), transport=cluster) as p:
            await p.init_transactions()
            p.begin_transaction()
            await p.send(ProducerRecord("t", b"out"))
            await p.send_offsets_to_transaction(
                {("in", 0): 42, ("in", 1): OffsetAndMetadata(7, "meta", leader_epoch=2)}, group
            )
            await p.commit_transaction()

    run(main)
    keys = api_keys(cluster)
    assert (25 in keys) == (tv == 1)  # AddOffsetsToTxn only before KIP-890 part 2
    [commit] = cluster.offsets
    assert versions_sent(cluster, 28) == [4 if tv == 1 else 5]
    assert (commit.group_id, commit.member_id, commit.generation_id_or_member_epoch) == (
        "g",
        "m-1",
        3,
    )
    parts = {p.partition_index: p for t in commit.topics for p in t.partitions}
    assert parts[0].committed_offset == 42 and parts[1].committed_metadata == "meta"
    assert parts[1].committed_leader_epoch == 2
    assert keys.index(28) < keys.index(26)


def test_group_metadata_is_checked_like_java() -> None:
    async def main() -> None:
        async with AsyncProducer(settings(), transport=FakeTxnCluster({"t": 1})) as p:
            await p.init_transactions()
            p.begin_transaction()
            with pytest.raises(ValueError, match=r"member\.id is unknown"):
                await p.send_offsets_to_transaction(
                    {("t", 0): 1}, ConsumerGroupMetadata("g", generation_id=2)
                )

    run(main)


def test_close_aborts_an_open_transaction() -> None:
    cluster = FakeTxnCluster({"t": 1})

    async def main() -> None:
        p = AsyncProducer(settings(), transport=cluster)
        await p.init_transactions()
        p.begin_transaction()
        await (await p.send(ProducerRecord("t", b"x")))
        await p.close()

    run(main)
    assert cluster.ended == [(False, 5)]


def test_sync_face_runs_transactions() -> None:
    cluster = FakeTxnCluster({"t": 2}, tv=1)
    with Producer(settings(), transport=cluster) as p:
        p.init_transactions()
        with pytest.raises(TransactionStateError, match="begin_transaction"):
            p.send(ProducerRecord("t", b"outside"))  # raised, as Java's send throws it
        assert p.transaction_version == 1
        p.begin_transaction()
        futures = [p.send(ProducerRecord("t", b"s%d" % i)) for i in range(5)]
        p.commit_transaction()
        assert all(f.result(timeout=T).offset >= 0 for f in futures)
        p.begin_transaction()
        p.send(ProducerRecord("t", b"gone"))
        p.flush()
        p.abort_transaction()
    assert cluster.ended == [(True, 4), (False, 4)]


def test_invalid_transition_from_the_application_changes_nothing() -> None:
    tm = TransactionManager("x")
    with pytest.raises(TransactionStateError, match="UNINITIALIZED to state IN_TRANSACTION"):
        tm.transition_to(ProducerState.IN_TRANSACTION)
    assert tm.state is ProducerState.UNINITIALIZED
    # From the sender's side the same mistake poisons the state (KAFKA-14831).
    with pytest.raises(TransactionStateError):
        tm.transition_to(ProducerState.IN_TRANSACTION, poison=True)
    assert tm.state is ProducerState.FATAL_ERROR
