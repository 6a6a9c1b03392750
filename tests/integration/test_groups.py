"""Consumer groups against the real broker, both protocols: what the rebalance listener sees and
in which order, static membership, a member that stops polling, a member fenced while its
heartbeats stopped, patterns matched here and by the broker, commits before revocation, and the
typed errors of misuse. The mixed groups with Java consumers and the long runs are in
test_groups_cluster.py."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from kafkaproto import ProducerRecord
from kafkaproto.config import ConfigError
from kafkaproto.consumer.async_consumer import AsyncConsumer
from kafkaproto.consumer.errors import CommitFailedError, ConsumerError
from kafkaproto.consumer.listener import ConsumerRebalanceListener
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
from kafkaproto.consumer.sync_consumer import Consumer
from kafkaproto.error_codes import InvalidGroupIdError
from kafkaproto.producer.sync_producer import Producer
from topics import create_topic

pytestmark = pytest.mark.broker

PROTOCOLS = ("classic", "consumer")


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _protocol_settings(protocol: str, **extra: object) -> dict[str, object]:
    settings: dict[str, object] = {"group_protocol": protocol, "auto_offset_reset": "earliest"}
    if protocol == "classic":
        # The broker's minimum session timeout; heartbeats well inside it.
        settings.update(session_timeout_ms=6000, heartbeat_interval_ms=500)
    settings.update(extra)
    return settings


@dataclass
class Timeline:
    """Every listener call of every member, in the order they happened."""

    events: list[tuple[float, str, str, frozenset[TopicPartition]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, member: str, kind: str, partitions: Iterable[TopicPartition]) -> None:
        with self.lock:
            self.events.append((time.monotonic(), member, kind, frozenset(partitions)))

    def of(self, member: str) -> list[tuple[str, frozenset[TopicPartition]]]:
        with self.lock:
            return [(k, ps) for _, m, k, ps in self.events if m == member]

    def assert_no_double_ownership(self) -> None:
        """A partition handed over by revocation is never owned by two members at once: it is
        revoked by its owner before another member's assigned callback gets it."""
        owner: dict[TopicPartition, str] = {}
        with self.lock:
            for _, member, kind, partitions in self.events:
                for tp in partitions:
                    if kind == "assigned":
                        assert owner.get(tp) in (None, member), (tp, owner.get(tp), member)
                        owner[tp] = member
                    elif owner.get(tp) == member:
                        del owner[tp]


class Recorder(ConsumerRebalanceListener):
    def __init__(self, name: str, timeline: Timeline, also: Callable[[str], None] | None = None):
        self.name = name
        self.timeline = timeline
        self.also = also

    def on_partitions_revoked(self, partitions: list[TopicPartition]) -> None:
        self.timeline.add(self.name, "revoked", partitions)
        if self.also:
            self.also("revoked")

    def on_partitions_assigned(self, partitions: list[TopicPartition]) -> None:
        self.timeline.add(self.name, "assigned", partitions)

    def on_partitions_lost(self, partitions: list[TopicPartition]) -> None:
        self.timeline.add(self.name, "lost", partitions)


class Polling:
    """A blocking Consumer polling in its own thread until stopped (optionally pausing)."""

    def __init__(self, consumer: Consumer[bytes, bytes]) -> None:
        self.consumer = consumer
        #: The assignment after the last poll (one thread drives a consumer: this one reads
        #: it, the test looks here).
        self.assigned: frozenset[TopicPartition] = frozenset()
        self.records: list[tuple[int, int]] = []
        self.pause = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                if self.pause.is_set():
                    time.sleep(0.05)
                    continue
                for r in self.consumer.poll(0.2):
                    self.records.append((r.partition, r.offset))
                self.assigned = frozenset(self.consumer.assignment())
        except BaseException as exc:
            self.error = exc

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive()
        self.consumer.close()
        if self.error is not None:
            raise self.error


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def _topic(broker: str, partitions: int, records: int = 0) -> str:
    topic = fresh("groups")
    asyncio.run(create_topic(broker, topic, partitions))
    if records:
        with Producer(bootstrap_servers=broker, linger_ms=5) as p:
            for i in range(records):
                p.send(ProducerRecord(topic, b"%d" % i, partition=i % partitions))
            p.flush()
    return topic


def _all(topic: str, partitions: int) -> set[TopicPartition]:
    return {TopicPartition(topic, p) for p in range(partitions)}


# --- the listener: order and what each call carries ------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "strategy"),
    [
        ("classic", "range"),  # the default pair [range, cooperative-sticky]: EAGER
        ("classic", "cooperative-sticky"),  # KIP-429
        ("consumer", None),  # KIP-848
    ],
)
def test_listener_sees_java_order_when_members_join_and_leave(
    broker: str, protocol: str, strategy: str | None
) -> None:
    topic = _topic(broker, 6)
    group = fresh("listener")
    timeline = Timeline()
    extra = {} if strategy is None else {"partition_assignment_strategy": strategy}
    settings = _protocol_settings(protocol, **extra)

    def member(name: str) -> Polling:
        c: Consumer[bytes, bytes] = Consumer(bootstrap_servers=broker, group_id=group, **settings)
        c.subscribe([topic], Recorder(name, timeline))
        return Polling(c)

    a = member("a")
    wait_until(lambda: a.assigned == _all(topic, 6), 30, "a owns everything")
    b = member("b")
    wait_until(
        lambda: len(a.assigned) == 3 and len(b.assigned) == 3,
        30,
        "a and b share the topic",
    )
    kept = set(a.assigned)
    b.close()  # b leaves: revoked on close, a gets everything back
    wait_until(lambda: a.assigned == _all(topic, 6), 30, "a owns everything again")
    a.close()
    timeline.assert_no_double_ownership()
    # Java calls on_partitions_assigned after every completed rebalance, also with nothing
    # gained (KIP-848: first of all while the broker computes the first assignment).
    a_calls = [c for c in timeline.of("a") if c != ("assigned", frozenset())]
    b_calls = [c for c in timeline.of("b") if c != ("assigned", frozenset())]
    assert not any(kind == "lost" for kind, _ in a_calls + b_calls)
    assert b_calls[-1] == ("revoked", frozenset(_all(topic, 6) - kept))
    if protocol == "classic" and strategy == "range":
        # EAGER: every rebalance starts with everything revoked, then the new assignment.
        assert a_calls[0] == ("assigned", frozenset(_all(topic, 6)))
        assert a_calls[1] == ("revoked", frozenset(_all(topic, 6)))
        assert a_calls[2] == ("assigned", frozenset(kept))
    else:
        # Only the partitions that move are revoked; the kept ones are never revoked while
        # b joins, and a's later assigned calls carry only what it gained.
        assert a_calls[0] == ("assigned", frozenset(_all(topic, 6)))
        assert a_calls[1] == ("revoked", frozenset(_all(topic, 6) - kept))
        assert ("assigned", frozenset(_all(topic, 6) - kept)) in a_calls[2:]
    assert a_calls[-1] == ("revoked", frozenset(_all(topic, 6)))  # a's own close


def test_async_listener_coroutines_run_in_poll(broker: str) -> None:
    topic = _topic(broker, 2, records=20)
    group = fresh("async-listener")
    seen: list[tuple[str, list[str], int | None]] = []

    class Listener(ConsumerRebalanceListener):
        def __init__(self, consumer: AsyncConsumer[bytes, bytes]) -> None:
            self.consumer = consumer

        async def on_partitions_assigned(self, partitions: list[TopicPartition]) -> None:  # type: ignore[override]
            committed = await self.consumer.committed(partitions)
            seen.append(("assigned", sorted(map(str, partitions)), len(committed)))

        async def on_partitions_revoked(self, partitions: list[TopicPartition]) -> None:  # type: ignore[override]
            # Commit what was processed before the partitions go.
            await self.consumer.commit_sync()
            seen.append(("revoked", sorted(map(str, partitions)), None))

    async def main() -> None:
        async with AsyncConsumer(
            bootstrap_servers=broker,
            group_id=group,
            enable_auto_commit=False,
            **_protocol_settings("consumer"),
        ) as c:
            c.subscribe([topic], Listener(c))
            got = 0
            deadline = time.monotonic() + 30
            while got < 20 and time.monotonic() < deadline:
                got += len(await c.poll(1))
            assert got == 20
            assert c.subscription() == {topic}

    asyncio.run(main())
    assert seen[0] == ("assigned", [f"{topic}-0", f"{topic}-1"], 2)
    assert seen[-1] == ("revoked", [f"{topic}-0", f"{topic}-1"], None)
    # The revoked callback's commit_sync committed every position.
    with Consumer(bootstrap_servers=broker, group_id=group) as c:
        committed = c.committed(_all(topic, 2))
        assert {tp: om.offset for tp, om in committed.items() if om} == {
            TopicPartition(topic, 0): 10,
            TopicPartition(topic, 1): 10,
        }


# --- static membership (KIP-345) -----------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_static_member_gets_its_partitions_back_without_a_rebalance(
    broker: str, protocol: str
) -> None:
    topic = _topic(broker, 4)
    group = fresh("static")
    timeline = Timeline()

    def member(name: str) -> Polling:
        c: Consumer[bytes, bytes] = Consumer(
            bootstrap_servers=broker,
            group_id=group,
            group_instance_id=f"instance-{name}",
            **_protocol_settings(protocol),
        )
        c.subscribe([topic], Recorder(name, timeline))
        return Polling(c)

    a, b = member("a"), member("b")
    wait_until(
        lambda: len(a.assigned) == 2 and len(b.assigned) == 2,
        30,
        "a and b share the topic",
    )
    before_a, before_b = set(a.assigned), set(b.assigned)
    calls_of_a = len(timeline.of("a"))
    b.close()  # a static member's close does not leave the group: its partitions wait
    b = member("b")
    wait_until(lambda: b.assigned == before_b, 30, "b gets its partitions back")
    time.sleep(2)
    assert a.assigned == before_a
    assert len(timeline.of("a")) == calls_of_a  # a saw no rebalance at all
    a.close()
    b.close()


# --- max.poll.interval.ms ------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_member_that_stops_polling_leaves_and_rejoins_losing_its_partitions(
    broker: str, protocol: str
) -> None:
    topic = _topic(broker, 4)
    group = fresh("poll-interval")
    timeline = Timeline()

    def member(name: str) -> Polling:
        c: Consumer[bytes, bytes] = Consumer(
            bootstrap_servers=broker,
            group_id=group,
            **_protocol_settings(protocol, max_poll_interval_ms=3000),
        )
        c.subscribe([topic], Recorder(name, timeline))
        return Polling(c)

    a, b = member("a"), member("b")
    wait_until(
        lambda: len(a.assigned) == 2 and len(b.assigned) == 2,
        30,
        "a and b share the topic",
    )
    b_had = set(b.assigned)
    # What b saw while the group formed (with the consumer protocol b may have held all four
    # partitions for a moment and revoked two when a arrived) is not what this test is about.
    stalled_at = len(timeline.of("b"))
    b.pause.set()  # the application stalls between two polls
    wait_until(lambda: a.assigned == _all(topic, 4), 30, "b's partitions go to a")
    b.pause.clear()  # b polls again: it learns its partitions are gone, and rejoins

    def assigned_back() -> set[TopicPartition]:
        got: set[TopicPartition] = set()
        for kind, partitions in timeline.of("b")[stalled_at + 1 :]:
            if kind == "assigned":
                got |= partitions
        return got

    wait_until(lambda: len(assigned_back()) == 2, 30, "b back in the group with two partitions")
    # Lost, not revoked: the partitions were a's before b knew (it was not polling). What
    # happens once a closes is another rebalance, not looked at here.
    since_stall = timeline.of("b")[stalled_at:]
    a.close()
    b.close()
    assert since_stall[0] == ("lost", frozenset(b_had)), since_stall
    assert not any(kind == "revoked" for kind, _ in since_stall), since_stall


# --- fenced while the heartbeats stopped ---------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_fenced_member_loses_its_partitions_commit_fails_and_it_rejoins(
    broker: str, protocol: str
) -> None:
    """The member's event loop is blocked past the session timeout (no heartbeats): the group
    gives its partitions to the other member. When it runs again its commit fails with
    CommitFailedError, its listener is told the partitions were lost, and it rejoins."""
    topic = _topic(broker, 2, records=10)
    group = fresh("fenced")
    timeline = Timeline()
    outcome: dict[str, Any] = {}
    session = 6.0 if protocol == "classic" else 10.0  # client's (classic) or broker's (KIP-848)

    other: Consumer[bytes, bytes] = Consumer(
        bootstrap_servers=broker, group_id=group, **_protocol_settings(protocol)
    )
    other.subscribe([topic], Recorder("other", timeline))
    b = Polling(other)

    async def main() -> None:
        async with AsyncConsumer(
            bootstrap_servers=broker,
            group_id=group,
            enable_auto_commit=False,
            **_protocol_settings(protocol),
        ) as c:
            c.subscribe([topic], Recorder("a", timeline))
            deadline = time.monotonic() + 30
            while len(c.assignment()) != 1 and time.monotonic() < deadline:
                await c.poll(0.2)
            assert len(c.assignment()) == 1
            await c.poll(0.5)
            time.sleep(session + 3)  # blocks the loop: no heartbeat goes out
            try:
                await c.commit_sync({tp: 1 for tp in c.assignment()})
            except CommitFailedError as exc:
                outcome["commit"] = exc
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                await c.poll(0.2)
                if len(c.assignment()) == 1 and any(k == "lost" for k, _ in timeline.of("a")):
                    break
            outcome["rejoined"] = set(c.assignment())

    asyncio.run(main())
    b.close()
    assert isinstance(outcome.get("commit"), CommitFailedError), outcome
    assert [k for k, _ in timeline.of("a")].count("lost") == 1
    assert len(outcome["rejoined"]) == 1


# --- patterns -------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_patterns_follow_topics_created_later(broker: str, protocol: str) -> None:
    """A ``re.Pattern`` is matched here against the metadata (both protocols); a
    ``SubscriptionPattern`` is sent to the broker, which matches it (KIP-848 only)."""
    prefix = fresh("pattern")
    asyncio.run(create_topic(broker, f"{prefix}-a", 1))
    pattern: re.Pattern[str] | SubscriptionPattern = (
        SubscriptionPattern(f"{prefix}-.*")
        if protocol == "consumer"
        else re.compile(re.escape(prefix) + "-.*")
    )
    with Consumer(
        bootstrap_servers=broker,
        group_id=fresh("pattern-group"),
        metadata_max_age_ms=1000,
        **_protocol_settings(protocol),
    ) as c:
        c.subscribe(pattern)
        deadline = time.monotonic() + 30
        while c.assignment() != {TopicPartition(f"{prefix}-a", 0)} and time.monotonic() < deadline:
            c.poll(0.2)
        assert c.assignment() == {TopicPartition(f"{prefix}-a", 0)}
        asyncio.run(create_topic(broker, f"{prefix}-b", 2))
        asyncio.run(create_topic(broker, f"other-{prefix}", 1))  # does not match
        wanted = {
            TopicPartition(f"{prefix}-a", 0),
            TopicPartition(f"{prefix}-b", 0),
            TopicPartition(f"{prefix}-b", 1),
        }
        deadline = time.monotonic() + 40
        while c.assignment() != wanted and time.monotonic() < deadline:
            c.poll(0.2)
        assert c.assignment() == wanted


# --- misuse ---------------------------------------------------------------------------------------


def test_subscribe_misuse_is_a_typed_error(broker: str) -> None:
    with Consumer(bootstrap_servers=broker) as c:
        with pytest.raises(InvalidGroupIdError):
            c.subscribe(["t"])
    with Consumer(bootstrap_servers=broker, group_id=fresh("misuse")) as c:
        with pytest.raises(TypeError, match="collection of topic names"):
            c.subscribe("orders")
        with pytest.raises(ValueError, match="null or empty topic"):
            c.subscribe(["ok", ""])
        with pytest.raises(ConsumerError, match="RE2/J"):
            c.subscribe(SubscriptionPattern("t.*"))  # classic protocol
        c.subscribe(["t"])
        with pytest.raises(ValueError, match="mutually exclusive"):
            c.assign([TopicPartition("t", 0)])
        c.subscribe([])  # empty: unsubscribed
        assert c.subscription() == set()
        with pytest.raises(ConsumerError, match="not subscribed"):
            c.poll(0)
    with pytest.raises(ConfigError, match="unknown assignor"):
        with Consumer(
            bootstrap_servers=broker,
            group_id=fresh("misuse"),
            partition_assignment_strategy="org.example.MyAssignor",
        ) as c:
            c.subscribe(["t"])
            c.poll(0)
