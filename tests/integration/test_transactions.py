"""Transactions against the real broker, under both transaction protocols: the cluster's
finalized ``transaction.version`` is set to 1 and to 2 through Kafka's admin API
(``kafka-features``) and the producer must use the matching protocol (KIP-890 part 2 or not).

- Committed records are visible to read_committed readers — kcat (librdkafka) and Kafka's Java
  console consumer — aborted ones never are, and read_uncommitted sees both; on both faces.
- Offsets sent to a transaction (KIP-447) are the group's committed offsets once it commits, and
  not after an abort (read back with Kafka's kafka-consumer-groups).
- Zombie fencing: a second producer with the same transactional.id fences the first, whose next
  operation fails with the fenced error; nothing the first sends afterwards becomes visible.

Marked `broker`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kafkaproto import AsyncProducer, Producer, ProducerRecord
from kafkaproto.error_codes import InvalidProducerEpochError, ProducerFencedError
from kafkaproto.group_metadata import ConsumerGroupMetadata
from kafkaproto.producer.errors import TransactionAbortRequiredError, TransactionStateError
from topics import create_topic
from txn_checks import (
    committed_offsets,
    finalized_transaction_version,
    java_values,
    kcat_values,
    set_transaction_version,
)

pytestmark = pytest.mark.broker

PARTITIONS = 3
PER_TXN = 30


@pytest.fixture(scope="module")
def restore_transaction_version(broker: str) -> Iterator[None]:
    """Put the cluster's transaction.version back as it was once the module is done."""
    before = asyncio.run(finalized_transaction_version(broker))
    yield
    if before is not None:
        set_transaction_version(broker, before)


def new_topic(broker: str, what: str) -> str:
    name = f"kafkaproto-txn-{what}-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, name, PARTITIONS))
    return name


def records(topic: str, tag: str) -> list[ProducerRecord[Any]]:
    return [
        ProducerRecord(topic, f"{tag}-{i}".encode(), key=f"k{i}".encode()) for i in range(PER_TXN)
    ]


def check_visibility(broker: str, topic: str, committed: list[str], aborted: list[str]) -> None:
    assert sorted(kcat_values(broker, topic, "read_committed")) == sorted(committed)
    assert sorted(kcat_values(broker, topic, "read_uncommitted")) == sorted(committed + aborted)
    java = java_values(broker, topic, "read_committed", len(committed))
    assert sorted(java) == sorted(committed)


@pytest.mark.parametrize(("level", "face"), [(1, "sync"), (2, "async")])
def test_committed_visible_aborted_never(
    broker: str, restore_transaction_version: None, level: int, face: str
) -> None:
    set_transaction_version(broker, level)
    topic = new_topic(broker, f"vis{level}")
    tid = f"kafkaproto-vis-{uuid.uuid4().hex[:8]}"
    plan = [("c1", True), ("a2", False), ("c3", True)]

    if face == "sync":
        with Producer(bootstrap_servers=broker, transactional_id=tid, linger_ms=5) as producer:
            producer.init_transactions()
            assert producer.transaction_version == level
            for tag, commit in plan:
                producer.begin_transaction()
                futures = [producer.send(r) for r in records(topic, tag)]
                if commit:
                    producer.commit_transaction()
                else:
                    producer.flush()  # in the log, then aborted: read_uncommitted sees them
                    producer.abort_transaction()
                assert all(f.result(timeout=30).offset >= 0 for f in futures)
    else:

        async def run() -> None:
            async with AsyncProducer(
                bootstrap_servers=broker, transactional_id=tid, linger_ms=5
            ) as producer:
                await producer.init_transactions()
                assert producer.transaction_version == level
                for tag, commit in plan:
                    producer.begin_transaction()
                    futures = [await producer.send(r) for r in records(topic, tag)]
                    if commit:
                        await producer.commit_transaction()
                    else:
                        await producer.flush()
                        await producer.abort_transaction()
                    for f in futures:
                        assert (await f).offset >= 0

        asyncio.run(run())
    committed = [f"{t}-{i}" for t in ("c1", "c3") for i in range(PER_TXN)]
    aborted = [f"a2-{i}" for i in range(PER_TXN)]
    check_visibility(broker, topic, committed, aborted)


@pytest.mark.parametrize("level", [1, 2])
def test_zombie_is_fenced(broker: str, restore_transaction_version: None, level: int) -> None:
    set_transaction_version(broker, level)
    topic = new_topic(broker, f"zombie{level}")
    tid = f"kafkaproto-zombie-{uuid.uuid4().hex[:8]}"

    async def run() -> None:
        zombie = AsyncProducer(bootstrap_servers=broker, transactional_id=tid, linger_ms=5)
        successor = AsyncProducer(bootstrap_servers=broker, transactional_id=tid, linger_ms=5)
        try:
            await zombie.init_transactions()
            zombie.begin_transaction()
            before = await zombie.send(ProducerRecord(topic, b"zombie-before", partition=0))
            await zombie.flush()
            assert (await before).offset >= 0  # written, in the zombie's open transaction

            await successor.init_transactions()  # fences the zombie, aborts its transaction
            successor.begin_transaction()
            await successor.send(ProducerRecord(topic, b"successor", partition=0))
            await successor.commit_transaction()

            # The zombie's next operations: the send is refused by the broker, the commit fails
            # with the fenced error (Java: InvalidProducerEpochException for a produce with the
            # old epoch, ProducerFencedException from the coordinator).
            fenced = (ProducerFencedError, InvalidProducerEpochError)
            after = await zombie.send(ProducerRecord(topic, b"zombie-after", partition=1))
            with pytest.raises(fenced):
                await after
            with pytest.raises(fenced):
                await zombie.commit_transaction()
            with pytest.raises((*fenced, TransactionAbortRequiredError, TransactionStateError)):
                await zombie.send(ProducerRecord(topic, b"zombie-later", partition=2))
            # Aborting asks the coordinator, which names the fencing: fatal from now on.
            with pytest.raises(ProducerFencedError):
                await zombie.abort_transaction()
            with pytest.raises(ProducerFencedError):
                zombie.begin_transaction()
        finally:
            await zombie.close()
            await successor.close()

    asyncio.run(run())
    assert kcat_values(broker, topic, "read_committed") == ["successor"]
    assert "zombie-after" not in kcat_values(broker, topic, "read_uncommitted")


@pytest.mark.parametrize("level", [1, 2])
def test_offsets_are_committed_with_the_transaction_only(
    broker: str, restore_transaction_version: None, level: int
) -> None:
    set_transaction_version(broker, level)
    topic = new_topic(broker, f"offsets{level}")
    group = f"kafkaproto-txn-group-{uuid.uuid4().hex[:8]}"

    async def run() -> None:
        async with AsyncProducer(
            bootstrap_servers=broker,
            transactional_id=f"kafkaproto-offsets-{uuid.uuid4().hex[:8]}",
            linger_ms=5,
        ) as producer:
            await producer.init_transactions()
            assert producer.transaction_version == level
            for next_offset, commit in ((5, True), (9, False)):
                producer.begin_transaction()
                await producer.send(ProducerRecord(topic, b"out-%d" % next_offset, partition=0))
                await producer.send_offsets_to_transaction(
                    {(topic, 1): next_offset}, ConsumerGroupMetadata(group)
                )
                if commit:
                    await producer.commit_transaction()
                else:
                    await producer.abort_transaction()

    asyncio.run(run())
    assert committed_offsets(broker, group) == {(topic, 1): 5}
    assert kcat_values(broker, topic, "read_committed") == ["out-5"]
