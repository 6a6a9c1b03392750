"""Group membership's sans-I/O pieces without a broker: the ConsumerProtocol bytes at every
version, the group request builders' version rules, Java's String/HashMap ordering the sticky
assignor relies on, the sticky user data, assignor configuration, the heartbeat timers, the queue
of work for the application's call, the subscription state's group rules, and how both
memberships build heartbeats and explain a fenced commit."""

from __future__ import annotations

import asyncio
import struct
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from kafkaproto.backoff import ExponentialBackoff
from kafkaproto.config import ConfigError
from kafkaproto.consumer._internals import group_requests as gr
from kafkaproto.consumer._internals.assignors import (
    RebalanceProtocol,
    assignors_for,
    rebalance_protocol,
)
from kafkaproto.consumer._internals.classic_membership import (
    ClassicMembership,
    Generation,
    HeartbeatTimers,
    MemberState,
)
from kafkaproto.consumer._internals.consumer_membership import (
    ConsumerMembership,
    LocalAssignment,
)
from kafkaproto.consumer._internals.consumer_membership import MemberState as State848
from kafkaproto.consumer._internals.membership import AppQueue, ListenerMethod, random_member_id
from kafkaproto.consumer._internals.sticky_assignor import (
    MemberData,
    deserialize_sticky_user_data,
    java_hash_order,
    java_string_hash,
    serialize_sticky_user_data,
)
from kafkaproto.consumer._internals.subscription_state import FetchPosition, SubscriptionState
from kafkaproto.consumer.config import ConsumerConfig
from kafkaproto.consumer.errors import CommitFailedError
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.subscription_pattern import SubscriptionPattern
from kafkaproto.error_codes import RebalanceInProgressError, UnsupportedVersionError
from kafkaproto.errors import DecodeError

TP = TopicPartition

# --- ConsumerProtocol -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", range(4))
def test_subscription_round_trips_what_each_version_carries(version: int) -> None:
    sub = gr.Subscription(("b", "a"), b"ud", (TP("a", 1), TP("a", 0)), 7, "rack-1")
    data = gr.encode_subscription(sub, version)
    assert struct.unpack(">h", data[:2]) == (version,)
    back = gr.decode_subscription(data)
    assert back.topics == ("a", "b") and back.user_data == b"ud"
    assert back.owned_partitions == ((TP("a", 0), TP("a", 1)) if version >= 1 else ())
    assert back.generation_id == (7 if version >= 2 else None)
    assert back.rack_id == ("rack-1" if version >= 3 else None)


def test_a_newer_protocol_version_is_read_with_the_newest_layout_known() -> None:
    sub = gr.Subscription(("t",), None, (TP("t", 0),), 3, None)
    newer = b"\x00\x09" + gr.encode_subscription(sub)[2:] + b"fields of version 9"
    assert gr.decode_subscription(newer) == gr.Subscription(("t",), None, (TP("t", 0),), 3, None)
    assignment = gr.Assignment((TP("t", 2), TP("t", 1), TP("u", 0)), b"x")
    raw = gr.encode_assignment(assignment)
    assert gr.decode_assignment(raw) == assignment
    assert gr.decode_assignment(b"\x00\x07" + raw[2:] + b"more") == assignment


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xff", b"\x00\x00\x00\x00\x00\x01"])
def test_bad_protocol_bytes_are_decode_errors(data: bytes) -> None:
    with pytest.raises(DecodeError):
        gr.decode_subscription(data)
    with pytest.raises(DecodeError):
        gr.decode_assignment(data)


def test_group_requests_follow_java_version_rules() -> None:
    join = dict(
        group_id="g",
        session_timeout_ms=10000,
        rebalance_timeout_ms=300000,
        member_id="",
        protocols=[("range", b"x")],
        reason="r" * 300,
    )
    with pytest.raises(UnsupportedVersionError, match=r"group\.instance\.id"):
        gr.join_group_request(4, group_instance_id="i", **join)  # type: ignore[arg-type]
    request = gr.join_group_request(9, group_instance_id="i", **join)  # type: ignore[arg-type]
    assert request.group_instance_id == "i" and len(request.reason or "") == 255
    request.encode(9)
    assert gr.join_group_request(4, group_instance_id=None, **join).encode(4)  # type: ignore[arg-type]
    leave = gr.leave_group_request(
        5, group_id="g", member_id="m", group_instance_id=None, reason="x"
    )
    assert [m.member_id for m in leave.members] == ["m"]
    assert (
        gr.leave_group_request(
            2, group_id="g", member_id="m", group_instance_id=None, reason="x"
        ).member_id
        == "m"
    )
    with pytest.raises(UnsupportedVersionError, match="regular expressions"):
        gr.consumer_group_heartbeat_request(
            0, group_id="g", member_id="m", member_epoch=0, subscribed_topic_regex="t.*"
        )
    hb = gr.consumer_group_heartbeat_request(
        1,
        group_id="g",
        member_id="m",
        member_epoch=3,
        topic_partitions={UUID(int=5): [2, 0]},
    )
    assert [tuple(t.partitions) for t in hb.topic_partitions or ()] == [(0, 2)]
    assert hb.subscribed_topic_names is None  # unchanged since the last heartbeat


# --- Java's hashing, as the sticky assignor's ties need it ----------------------------------------


def test_java_string_hash_codes() -> None:
    # Values of String.hashCode() in Java.
    assert java_string_hash("") == 0
    assert java_string_hash("a") == 97
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -(2**31)
    assert java_string_hash("日本") == 835047  # UTF-16 units 0x65E5, 0x672C


def test_java_hash_map_order_is_by_bucket_then_insertion() -> None:
    keys = ["consumer-2", "consumer-10", "c", "b", "a"]
    order = java_hash_order(keys)
    assert sorted(order) == sorted(keys)
    buckets = [
        (java_string_hash(k) ^ ((java_string_hash(k) & 0xFFFFFFFF) >> 16)) & 15 for k in order
    ]
    assert buckets == sorted(buckets)
    assert java_hash_order(["a", "b", "c"]) == ["a", "b", "c"]  # 97, 98, 99: buckets 1, 2, 3


def test_sticky_user_data_round_trip_and_fallbacks() -> None:
    data = MemberData((TP("t", 0), TP("u", 3), TP("t", 1)), 12)
    back = deserialize_sticky_user_data(serialize_sticky_user_data(data))
    assert sorted(back.partitions) == sorted(data.partitions) and back.generation == 12
    v0 = serialize_sticky_user_data(MemberData((TP("t", 0),), None))
    assert deserialize_sticky_user_data(v0) == MemberData((TP("t", 0),), None)
    assert deserialize_sticky_user_data(b"\x00\x00\x00\x05junk") == MemberData((), -1)


def test_assignor_configuration() -> None:
    default = assignors_for(ConsumerConfig(bootstrap_servers="x:1").partition_assignment_strategy)
    assert [a.name for a in default] == ["range", "cooperative-sticky"]
    assert rebalance_protocol(default) is RebalanceProtocol.EAGER
    assert (
        rebalance_protocol(assignors_for(["cooperative-sticky"])) is RebalanceProtocol.COOPERATIVE
    )
    assert rebalance_protocol([]) is None
    with pytest.raises(ConfigError, match="unknown assignor"):
        assignors_for(["com.example.Mine"])
    with pytest.raises(ConfigError, match="twice"):
        assignors_for(["range", "org.apache.kafka.clients.consumer.RangeAssignor"])


# --- heartbeat timers, the application's queue, the subscription state ----------------------------


def test_heartbeat_timers() -> None:
    t = HeartbeatTimers(10_000, 3_000, 300_000, ExponentialBackoff(100, 2, 1000, 0), now_ms=0)
    assert not t.should_heartbeat(2_999) and t.should_heartbeat(3_000)
    t.sent(3_000)
    assert t.in_flight and not t.should_heartbeat(5_000)
    t.received(3_100)
    assert not t.session_expired(13_099) and t.session_expired(13_100)
    t.failed(6_000)
    assert t.next_heartbeat == 6_100  # retry backoff, not the interval
    t.failed(6_100)
    assert t.next_heartbeat == 6_300
    assert t.poll_expired(300_000)
    t.poll(250_000)
    assert not t.poll_expired(300_000)


def test_app_queue_runs_steps_until_a_listener_call() -> None:
    async def main() -> list[str]:
        woken: list[int] = []
        queue = AppQueue(lambda: woken.append(1))
        order: list[str] = []

        async def member() -> None:
            order.append(await queue.run(lambda: "first"))
            queue.listener = object()
            error = await queue.listener_call(ListenerMethod.REVOKED, [TP("t", 1), TP("t", 0)])
            order.append(f"listener done: {error}")
            order.append(await queue.run(lambda: "second"))

        task = asyncio.create_task(member())
        await asyncio.sleep(0)
        await queue.run_steps()
        await asyncio.sleep(0)
        assert queue.has_listener_calls()
        (call,) = queue.take_listener_calls()
        assert call.partitions == [TP("t", 0), TP("t", 1)]
        call.finish(None)
        await asyncio.sleep(0)
        await queue.run_steps()
        await task
        assert woken
        return order

    assert asyncio.run(main()) == ["first", "listener done: None", "second"]


def test_subscription_state_group_rules() -> None:
    subs = SubscriptionState(ConsumerConfig(bootstrap_servers="x:1").reset_strategy)
    assert subs.subscribe(["a", "b"])
    with pytest.raises(ValueError, match="mutually exclusive"):
        subs.assign_from_user([TP("a", 0)])
    with pytest.raises(ValueError, match="mutually exclusive"):
        subs.subscribe_pattern(SubscriptionPattern("x.*"))
    assert subs.assignment_matches_subscription([TP("a", 0)])
    assert not subs.assignment_matches_subscription([TP("c", 0)])
    subs.assign_from_subscribed_awaiting_callback([TP("a", 0), TP("b", 0)], [TP("b", 0)])
    assert subs.initializing_partitions() == [TP("a", 0)]  # b waits for its callback
    subs.seek_validated(TP("a", 0), FetchPosition(5))
    assert subs.has_all_fetch_positions()
    assert subs.fetchable_partitions() == [TP("a", 0)]
    subs.mark_pending_revocation([TP("a", 0)])
    assert subs.fetchable_partitions() == []
    subs.unsubscribe()
    subs.assign_from_user([TP("z", 0)])  # allowed again
    with pytest.raises(ValueError, match="empty"):
        SubscriptionPattern(" ")


def test_random_member_ids_look_like_kafka_uuids() -> None:
    ids = {random_member_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


# --- the memberships, without I/O -----------------------------------------------------------------


def _host(protocol: str, **settings: object) -> Any:
    config = ConsumerConfig(
        bootstrap_servers="x:1", group_id="g", group_protocol=protocol, **settings
    )
    subscriptions = SubscriptionState(config.reset_strategy)
    return SimpleNamespace(
        config=config,
        subscriptions=subscriptions,
        client=SimpleNamespace(
            metadata=SimpleNamespace(topic_name=lambda topic_id: None),
            request_metadata_update=lambda: None,
        ),
        coordinator=SimpleNamespace(coordinator=None),
        app=AppQueue(lambda: None),
        polling=False,
        reported=[],
        report=lambda e: None,
        wake=lambda: None,
        assignment_changed=lambda: None,
        reset_auto_commit_timer=lambda: None,
    )


def test_kip848_heartbeat_sends_everything_when_joining_then_only_changes() -> None:
    async def main() -> None:
        host = _host("consumer", client_rack="r1")
        host.subscriptions.subscribe(["a", "b"])
        m = ConsumerMembership(host, "g")
        m._transition_to_joining()
        first = m._build_request()
        assert first["member_epoch"] == 0 and first["subscribed_topic_names"] == ["a", "b"]
        assert first["rebalance_timeout_ms"] == 300000 and first["rack_id"] == "r1"
        assert first["topic_partitions"] == {}
        m._on_request_generated()
        m._on_success(gr.HeartbeatResult(0, None, m.member_id, 4, 1000, {UUID(int=1): (0, 1)}))
        assert m.member_epoch == 4 and m.state is State848.RECONCILING
        again = m._build_request()
        assert set(again) == {"group_id", "member_id", "member_epoch", "instance_id"}
        host.subscriptions.subscribe(["a"])
        assert m._build_request()["subscribed_topic_names"] == ["a"]
        # A commit: the member id always, the epoch while in the group; a stale epoch is
        # retried by an auto commit, a CommitFailedError for the application's own commit.
        assert m.commit_identity() == (4, m.member_id, None)
        assert m.commit_error(113, m.commit_identity(), True) is None
        assert isinstance(m.commit_error(113, m.commit_identity(), False), CommitFailedError)
        assert isinstance(m.commit_error(25, m.commit_identity(), True), CommitFailedError)
        m.transition_to_fenced()
        assert m.state is State848.FENCED and m.member_epoch == 0
        await asyncio.sleep(0.01)
        assert m.state is State848.FENCED  # the release waits for the application's poll
        await host.app.run_steps()
        await asyncio.sleep(0.01)
        assert m.state is State848.JOINING
        await m.close()

    asyncio.run(main())


def test_local_assignment_epochs() -> None:
    a = LocalAssignment()
    b = a.update_with({UUID(int=1): frozenset({0})})
    assert b is not None and b.local_epoch == 0
    assert b.update_with({UUID(int=1): frozenset({0})}) is None
    c = b.update_with({})
    assert c is not None and c.local_epoch == 1


def test_classic_commit_identity_and_errors_follow_the_generation() -> None:
    async def main() -> None:
        host = _host("classic")
        host.subscriptions.subscribe(["a"])
        m = ClassicMembership(host, "g")
        with pytest.raises(CommitFailedError):
            m.commit_identity()  # not in the group
        m.state = MemberState.PREPARING_REBALANCE
        with pytest.raises(RebalanceInProgressError):
            m.commit_identity()
        m.state = MemberState.STABLE
        m.generation = Generation(5, "member-1", "range")
        m.rejoin_needed = False
        sent = m.commit_identity()
        assert sent == (5, "member-1", None)
        assert isinstance(m.commit_error(27, sent, False), RebalanceInProgressError)
        assert m.rejoin_needed  # REBALANCE_IN_PROGRESS asks for a rejoin
        m.rejoin_needed = False
        assert isinstance(m.commit_error(22, sent, False), CommitFailedError)  # ILLEGAL_GENERATION
        assert m.state is MemberState.UNJOINED and m.generation.member_id == "member-1"
        m.generation, m.state = Generation(5, "member-1", "range"), MemberState.STABLE
        assert isinstance(m.commit_error(25, sent, False), CommitFailedError)  # UNKNOWN_MEMBER_ID
        assert m.generation == Generation()  # the member id goes too

    asyncio.run(main())
