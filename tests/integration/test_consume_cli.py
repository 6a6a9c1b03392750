"""`python -m kafkaproto consume` against the real broker: every partition from the beginning
until --timeout-ms passes without records, --max, JSON lines, a group's offsets committed and
resumed from, and clear errors for an unknown topic and bad settings."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from kafkaproto.__main__ import main
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.sync_consumer import Consumer
from kafkaproto.producer.record import ProducerRecord
from kafkaproto.producer.sync_producer import Producer
from topics import create_topic

pytestmark = pytest.mark.broker


def test_consume_every_partition_json_max_and_group(
    broker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    topic = f"consume-cli-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, 3))
    with Producer(bootstrap_servers=broker) as p:
        for i in range(30):
            p.send(ProducerRecord(topic, b"v%d" % i, key=b"k%d" % i, partition=i % 3))
    base = ["consume", "--bootstrap", broker, "--topic", topic, "--timeout-ms", "1500"]
    started = time.monotonic()
    assert main([*base, "--from-beginning"]) == 0
    assert time.monotonic() - started < 20
    values = capsys.readouterr().out.split()
    assert sorted(values) == sorted(f"v{i}" for i in range(30))
    assert main([*base, "--from-beginning", "--format", "json", "--partition", "1"]) == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(d["partition"], d["offset"], d["value"]) for d in docs] == [
        (1, n, f"v{3 * n + 1}") for n in range(10)
    ]
    group = f"cli-group-{uuid.uuid4().hex[:6]}"
    assert main([*base, "--from-beginning", "--group", group, "--max", "7"]) == 0
    first = capsys.readouterr().out.split()
    assert len(first) == 7
    with Consumer(bootstrap_servers=broker, group_id=group) as c:
        committed = c.committed([TopicPartition(topic, p) for p in range(3)])
    # Committed up to the last record printed, not up to what the poll fetched.
    assert sum(om.offset for om in committed.values() if om is not None) == 7
    # Partitions with a committed offset resume there; the others start at the beginning.
    assert main([*base, "--group", group, "--from-beginning"]) == 0
    rest = capsys.readouterr().out.split()
    assert len(rest) == 23 and not set(rest) & set(first)


def test_consume_errors(broker: str, capsys: pytest.CaptureFixture[str]) -> None:
    missing = f"no-such-topic-{uuid.uuid4().hex[:6]}"
    assert main(["consume", "--bootstrap", broker, "--topic", missing, "--timeout-ms", "500"]) == 1
    assert "UnknownTopicOrPartitionError" in capsys.readouterr().err
    args = ["consume", "--bootstrap", broker, "--topic", "t", "-X", "max.poll.records=0"]
    assert main(args) == 2
    assert "max.poll.records" in capsys.readouterr().err
    assert main(["consume", "--bootstrap", broker, "--topic", "t", "--offset", "5"]) == 2
    assert "--partition" in capsys.readouterr().err


def test_consume_group_members_share_a_topic_and_groups_describe_shows_them(
    broker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two `consume --group G` processes join G and split the topic between them; `groups
    describe G` shows both members, then the committed offsets with no lag."""
    import subprocess
    import sys

    topic = f"consume-group-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, 4))
    with Producer(bootstrap_servers=broker) as p:
        for i in range(400):
            p.send(ProducerRecord(topic, b"v%d" % i, partition=i % 4))
    group = f"cli-members-{uuid.uuid4().hex[:6]}"
    argv = [
        sys.executable, "-m", "kafkaproto", "consume", "--bootstrap", broker, "--topic", topic,
        "--group", group, "--from-beginning", "--timeout-ms", "6000",
        "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
    ]  # fmt: skip
    members = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(4)
    assert main(["groups", "describe", group, "--bootstrap", broker, "--format", "json"]) == 0
    live = json.loads(capsys.readouterr().out)
    outputs = [m.communicate(timeout=60)[0].split() for m in members]
    assert all(m.returncode == 0 for m in members)
    # Every record printed once in all: each member printed the partitions it was given.
    assert sorted(outputs[0] + outputs[1]) == sorted(f"v{i}" for i in range(400))
    assert live["type"] == "classic" and len(live["members"]) == 2
    owned = [tp for m in live["members"] for tp in m["assignment"]]
    assert sorted(owned) == sorted(f"{topic}-{p}" for p in range(4))
    assert main(["groups", "describe", group, "--bootstrap", broker]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Group {group} (classic protocol): state Empty")
    rows = [line.split() for line in text.splitlines() if line.startswith(group)]
    assert sorted((r[2], r[3], r[5]) for r in rows) == [(str(p), "100", "0") for p in range(4)]
