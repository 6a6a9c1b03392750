"""Consumer throughput against the real broker: kafkaproto vs the peers, in one run.

--records (default 1,000,000) records of 100 bytes are written once (confluent-kafka, key null,
--partitions partitions, no compression) and then read back from the beginning by each client
in turn, each in a child process of its own, --runs times; every client's rate in a run is
compared with kafkaproto's in the same run, and the medians are reported. A client reads with
its plainest loop and delivers every record's value to the caller:

  kafkaproto Consumer       poll(1.0) loop, `record.value` of each record (the blocking face)
  kafkaproto AsyncConsumer  `await poll(1.0)` loop, the same
  aiokafka                  `await getmany(timeout_ms=1000)` loop, `record.value`
  kafka-python              `poll(timeout_ms=1000)` loop, `record.value`
  confluent-kafka           `consume(500, 1.0)` loop, `msg.value()` (librdkafka, a ceiling)
  Java ConsumerPerformance  Kafka's own tool; its fetch.nMsg.sec (excluding the group join),
                            the other ceiling

Every client uses its defaults but for starting at the earliest offset (assigned partitions
for the Python clients; ConsumerPerformance joins a fresh group). Timing runs from the first
poll to the last record, so connecting, metadata and the first fetch are included for everyone.

A measuring script: it must never be imported by the library or the tests.
Run: make bench-consumer   (or .venv/bin/python bench/consumer.py --runs R --records N)
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("KAFKAPROTO_KAFKA_PORT", "9092"))
BOOTSTRAP = f"127.0.0.1:{PORT}"
VALUE = b"x" * 100
KAFKA_LIBS = ROOT / "build" / f"kafka-{os.environ.get('KAFKA_VERSION', '4.4.0')}" / "libs"


def write_topic(n: int, partitions: int) -> str:
    """A fresh topic holding ``n`` records of 100 bytes, spread evenly over ``partitions``."""
    from confluent_kafka import Producer as CProducer
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-consume-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for fut in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        fut.result(30)
    time.sleep(0.5)
    p = CProducer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 20, "acks": "all"})
    for i in range(n):
        while True:
            try:
                p.produce(name, VALUE, partition=i % partitions)
                break
            except BufferError:
                p.poll(0.01)
    assert p.flush(300) == 0
    atexit.register(delete_topic, name)  # the runs read it; then it leaves the broker's disk
    return name


def delete_topic(name: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    try:
        admin.delete_topics([name])[name].result(30)
    except Exception as exc:  # the broker may be gone at exit
        print(f"could not delete topic {name}: {exc}", file=sys.stderr)


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- one function per client, run in a child process: read n records, return seconds ---------


def run_kafkaproto_sync(topic: str, n: int, partitions: int) -> float:
    from kafkaproto import Consumer, TopicPartition

    with Consumer(bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest") as c:
        c.assign([TopicPartition(topic, p) for p in range(partitions)])
        seen = 0
        t0 = time.perf_counter()
        while seen < n:
            for record in c.poll(1.0):
                record.value  # noqa: B018 - delivered to the caller
                seen += 1
        return time.perf_counter() - t0


async def _kafkaproto_async(topic: str, n: int, partitions: int) -> float:
    from kafkaproto import AsyncConsumer, TopicPartition

    async with AsyncConsumer(bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest") as c:
        c.assign([TopicPartition(topic, p) for p in range(partitions)])
        seen = 0
        t0 = time.perf_counter()
        while seen < n:
            for record in await c.poll(1.0):
                record.value  # noqa: B018
                seen += 1
        return time.perf_counter() - t0


def run_kafkaproto_async(topic: str, n: int, partitions: int) -> float:
    return asyncio.run(_kafkaproto_async(topic, n, partitions))


async def _aiokafka(topic: str, n: int, partitions: int) -> float:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    c = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest")
    await c.start()
    try:
        c.assign([TopicPartition(topic, p) for p in range(partitions)])
        seen = 0
        t0 = time.perf_counter()
        while seen < n:
            batches = await c.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    record.value  # noqa: B018
                    seen += 1
        return time.perf_counter() - t0
    finally:
        await c.stop()


def run_aiokafka(topic: str, n: int, partitions: int) -> float:
    return asyncio.run(_aiokafka(topic, n, partitions))


def run_kafka_python(topic: str, n: int, partitions: int) -> float:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest")
    try:
        c.assign([TopicPartition(topic, p) for p in range(partitions)])
        seen = 0
        t0 = time.perf_counter()
        while seen < n:
            for records in c.poll(timeout_ms=1000).values():
                for record in records:
                    record.value  # noqa: B018
                    seen += 1
        return time.perf_counter() - t0
    finally:
        c.close()


def run_confluent(topic: str, n: int, partitions: int) -> float:
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition
    from confluent_kafka import Consumer as CConsumer

    c = CConsumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"bench-{uuid.uuid4().hex[:8]}"})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        seen = 0
        t0 = time.perf_counter()
        while seen < n:
            for msg in c.consume(500, 1.0):
                if msg.error() is None:
                    msg.value()
                    seen += 1
        return time.perf_counter() - t0
    finally:
        c.close()


PYTHON_CLIENTS: dict[str, Callable[[str, int, int], float]] = {
    "kafkaproto Consumer": run_kafkaproto_sync,
    "kafkaproto AsyncConsumer": run_kafkaproto_async,
    "aiokafka": run_aiokafka,
    "kafka-python": run_kafka_python,
    "confluent-kafka": run_confluent,
}
# The same two faces with KAFKAPROTO_PURE_PYTHON=1: the interpreted sources, in the same run as
# the compiled build (README "Compiled hot path").
PURE = " (pure Python)"
PURE_CLIENTS = [f"{face}{PURE}" for face in ("kafkaproto Consumer", "kafkaproto AsyncConsumer")]
JAVA = "Java ConsumerPerformance"
CLIENTS = [*list(PYTHON_CLIENTS)[:2], *PURE_CLIENTS, *list(PYTHON_CLIENTS)[2:], JAVA]
FACES = ("kafkaproto Consumer", "kafkaproto AsyncConsumer")


def run_java(topic: str, n: int) -> float:
    cmd = [
        "java",
        f"-Dlog4j2.configurationFile={ROOT / 'tests/integration/log4j2-tools.properties'}",
        "-cp",
        f"{KAFKA_LIBS}/*",
        "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server",
        BOOTSTRAP,
        "--topic",
        topic,
        "--messages",
        str(n),
        "--group",
        f"bench-java-{uuid.uuid4().hex[:8]}",
        "--timeout",
        "60000",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900).stdout
    # start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, ...
    rows = [line for line in out.splitlines() if re.match(r"^\d{4}-", line)]
    assert rows, out
    cols = [c.strip() for c in rows[-1].split(",")]
    consumed, fetch_ms = int(cols[4]), float(cols[7])
    assert consumed >= n, out
    return fetch_ms / 1000 * n / consumed


def run_client(client: str, topic: str, n: int, partitions: int) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one run, in a child process."""
    if client == JAVA:
        return run_java(topic, n), float("nan")
    env = {k: v for k, v in os.environ.items() if k != "KAFKAPROTO_PURE_PYTHON"}
    if client.endswith(PURE):
        env["KAFKAPROTO_PURE_PYTHON"] = "1"
    out = subprocess.run(
        [sys.executable, __file__, "--child", client, topic, str(n), str(partitions)],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{client} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["rss_mb"]


def child(client: str, topic: str, n: int, partitions: int) -> None:
    seconds = PYTHON_CLIENTS[client.removesuffix(PURE)](topic, n, partitions)
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb()}))


def build_line() -> str:
    """What the kafkaproto rows run: the compiled build, or pure Python if none is built."""
    from kafkaproto.compiled import status

    return status().describe()


def bench(n: int, partitions: int, runs: int, only: list[str]) -> None:
    topic = write_topic(n, partitions)
    print(
        f"\n## consume: {n:,} records of 100 bytes on {partitions} partitions, from the "
        f"beginning, median of {runs}"
    )
    print(f"kafkaproto rows without '{PURE}': {build_line()}")
    clients = [c for c in CLIENTS if not only or c in only]
    rates: dict[str, list[float]] = {c: [] for c in clients}
    rss: dict[str, list[float]] = {c: [] for c in clients}
    for run in range(runs):
        for c in clients:
            seconds, mb = run_client(c, topic, n, partitions)
            rates[c].append(n / seconds)
            rss[c].append(mb)
            print(f"  run {run + 1} {c}: {n / seconds:,.0f}/s", file=sys.stderr)
    faces = [f for f in FACES if f in rates]
    print("\n| client | records/s | peak RSS MB | " + " | ".join(f"{f} / it" for f in faces) + " |")
    print("|---|---:|---:|" + "---:|" * len(faces))
    for c, r in rates.items():
        # ratio: the median over runs of the same-run ratio (>1: kafkaproto is faster)
        cells = [statistics.median(a / b for a, b in zip(rates[f], r, strict=True)) for f in faces]
        mb = statistics.median(rss[c])
        print(
            f"| {c} | {statistics.median(r):,.0f} | "
            + ("" if mb != mb else f"{mb:.0f}")
            + " | "
            + " | ".join(f"{x:.2f}x" for x in cells)
            + " |"
        )
    print("raw rates: " + str({c: [round(x) for x in v] for c, v in rates.items()}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, client, topic, n, partitions = sys.argv
        child(client, topic, int(n), int(partitions))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", default=[], help="a client (repeatable)")
    args = parser.parse_args()
    bench(args.records, args.partitions, args.runs, args.only)


if __name__ == "__main__":
    main()
