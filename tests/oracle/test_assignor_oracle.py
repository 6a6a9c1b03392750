"""The classic protocol's assignors against Kafka's own (AssignorOracle.java, kafka-clients 4.4):
for random groups — members with and without static ids and racks, equal and different
subscriptions, partitions owned from a previous round in the same or different generations,
racks on some replicas — every member gets exactly the partitions Java's assignor gives it.

The subscriptions Java's assignor reads are our ConsumerProtocol bytes (decoded by Java's
``ConsumerProtocol``), and the assignments Java serializes are decoded by ours: the embedded
protocol round-trips both ways."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from kafkaproto.consumer._internals.assignors import PartitionInfo, assignors_for
from kafkaproto.consumer._internals.group_requests import (
    Subscription,
    decode_assignment,
    encode_assignment,
    encode_subscription,
)
from kafkaproto.consumer._internals.sticky_assignor import MemberData, serialize_sticky_user_data
from kafkaproto.consumer.record import TopicPartition

RunJava = Callable[..., str]
ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
RACKS = ("a", "b", "c")


def _topics(rng: random.Random) -> dict[str, list[list[str | None]]]:
    racked = rng.random() < 0.4
    out = {}
    for i in range(rng.randint(1, 4)):
        name = f"topic-{rng.choice('abcdefgh')}{i}"
        partitions = []
        for _ in range(rng.randint(1, 10)):
            replicas = rng.randint(1, 3)
            if racked:
                partitions.append(
                    [
                        rng.choice((*RACKS, None)) if rng.random() < 0.9 else None
                        for _ in range(replicas)
                    ]
                )
            else:
                partitions.append([None] * replicas)
        out[name] = partitions
    return out


def _member_ids(rng: random.Random, count: int) -> list[str]:
    # Member ids shaped like the broker's (client id, dash, UUID), so their Java hash codes
    # spread over buckets as in real groups.
    return [
        f"consumer-g-{rng.randint(1, 9)}-{rng.getrandbits(128):032x}"[:48] for _ in range(count)
    ]


def _case(
    rng: random.Random,
    assignor: str,
    topics: dict[str, list[list[str | None]]],
    members: list[str],
    instances: dict[str, str | None],
    racks: dict[str, str | None],
    subscribed: dict[str, tuple[str, ...]],
    owned: dict[str, tuple[TopicPartition, ...]],
    generations: dict[str, int | None],
) -> tuple[dict[str, Any], dict[str, Subscription]]:
    subscriptions = {}
    for m in members:
        user_data = None
        if assignor == "sticky" and owned.get(m) is not None and generations.get(m) is not None:
            user_data = serialize_sticky_user_data(MemberData(owned[m], generations[m]))
        elif assignor == "cooperative-sticky":
            user_data = (generations.get(m) or -1).to_bytes(4, "big", signed=True)
        subscriptions[m] = Subscription(
            topics=subscribed[m],
            user_data=user_data,
            owned_partitions=owned.get(m, ()),
            generation_id=generations.get(m),
            rack_id=racks[m],
            group_instance_id=instances[m],
        )
    case = {
        "assignor": assignor,
        "topics": topics,
        "members": [
            {
                "id": m,
                "instance": instances[m],
                "subscription": encode_subscription(subscriptions[m]).hex(),
            }
            for m in members
        ],
    }
    return case, subscriptions


def _ours(
    assignor: str, topics: dict[str, list[list[str | None]]], subscriptions: dict[str, Subscription]
) -> dict[str, list[str]]:
    (impl,) = assignors_for([assignor])
    infos = {
        t: [PartitionInfo(t, i, tuple(r)) for i, r in enumerate(parts)]
        for t, parts in topics.items()
    }
    result = impl.assign(infos, subscriptions)
    return {m: sorted(str(tp) for tp in a.partitions) for m, a in result.items()}


def _rounds(seed: int) -> list[tuple[dict[str, Any], dict[str, Subscription]]]:
    """A few rebalances of one random group: members join and leave, owned partitions carry
    over from our previous round's answer (which the test checks is Java's)."""
    rng = random.Random(seed)
    assignor = ASSIGNORS[seed % len(ASSIGNORS)]
    topics = _topics(rng)
    names = list(topics)
    pool = _member_ids(rng, 8)
    instances = {m: (f"instance-{i}" if rng.random() < 0.3 else None) for i, m in enumerate(pool)}
    racks = {m: (rng.choice(RACKS) if rng.random() < 0.6 else None) for m in pool}
    same = rng.random() < 0.6
    subscribed = {
        m: tuple(names) if same else tuple(rng.sample(names, rng.randint(1, len(names))))
        for m in pool
    }
    members = pool[: rng.randint(1, 5)]
    owned: dict[str, tuple[TopicPartition, ...]] = {}
    generations: dict[str, int | None] = {}
    out = []
    for generation in range(1, 4):
        case, subscriptions = _case(
            rng, assignor, topics, members, instances, racks, subscribed, owned, generations
        )
        out.append((case, subscriptions))
        result = _ours(assignor, topics, subscriptions)
        owned = {m: tuple(_tp(x) for x in result[m]) for m in members}
        # Most members saw the last generation; a straggler claims an older one.
        generations = {
            m: generation if rng.random() < 0.85 else max(generation - 1, 0) for m in members
        }
        leaving = [m for m in members if rng.random() < 0.2]
        members = [m for m in members if m not in leaving] or members[:1]
        joining = [m for m in pool if m not in members and rng.random() < 0.3]
        members = members + joining
    return out


def _tp(text: str) -> TopicPartition:
    topic, _, partition = text.rpartition("-")
    return TopicPartition(topic, int(partition))


@pytest.mark.parametrize("batch", range(4))
def test_assignors_agree_with_java(java_oracle: RunJava, batch: int) -> None:
    cases = [c for seed in range(batch * 60, (batch + 1) * 60) for c in _rounds(seed)]
    stdout = java_oracle(
        "AssignorOracle", input="".join(json.dumps(case) + "\n" for case, _ in cases)
    )
    answers = [json.loads(line) for line in stdout.splitlines()]
    assert len(answers) == len(cases)
    disagreements = []
    for (case, subscriptions), java in zip(cases, answers, strict=True):
        assert "error" not in java, (case, java)
        # Java read our subscription bytes as we wrote them.
        for m, sub in subscriptions.items():
            seen = java["subscriptions"][m]
            assert seen["topics"] == sorted(sub.topics)
            assert sorted(seen["owned"]) == sorted(map(str, sub.owned_partitions))
            assert seen["generation"] == sub.generation_id
            assert seen["rack"] == sub.rack_id
        ours = _ours(case["assignor"], case["topics"], subscriptions)
        theirs = {m: sorted(ps) for m, ps in java["assignment"].items()}
        if ours != theirs:
            disagreements.append({"case": case, "ours": ours, "java": theirs})
        # Java's assignment bytes read by our decoder, ours by ... ours: the same partitions.
        for m, raw in java["bytes"].items():
            decoded = decode_assignment(bytes.fromhex(raw))
            assert sorted(map(str, decoded.partitions)) == theirs[m]
            mine = decode_assignment(encode_assignment(decoded))
            assert mine == decoded
    assert disagreements == [], json.dumps(disagreements[:2], indent=1)
