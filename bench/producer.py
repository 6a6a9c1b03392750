"""Producer throughput and latency against the real broker: kafkaproto vs the peers.

Two parts, both against the broker of `make broker` (127.0.0.1:$KAFKAPROTO_KAFKA_PORT):

  clients   records/s for N 100-byte records (key null), sent asynchronously and all acknowledged,
            each run on a fresh 3-partition topic, for acks=1 and acks=all: kafkaproto Producer
            (thread-safe face) and AsyncProducer, aiokafka, kafka-python 3, confluent-kafka
            (librdkafka) and Kafka's Java ProducerPerformance (the ceiling). linger.ms=5 (Java's
            default since 4.0) everywhere, every other setting at each client's default.
  settings  kafkaproto's Producer over acks {0,1,all} x max.in.flight {1,5} x idempotence
            {on,off}: records/s and p99 send->ack latency, sending one record and waiting for it
            ("sync") versus sending everything and collecting futures ("async").
  transactions
            records/s for N 100-byte records in transactions committed every 1,000 records
            (acks=all, idempotence, linger.ms=5): both kafkaproto faces, confluent-kafka, Java's
            KafkaProducer doing the same (bench/java/TransactionalProducerBench.java) and Java's
            ProducerPerformance --transactional-id, which commits by time only
            (--transaction-duration-ms, set to 100 ms here).

A measuring script: it must never be imported by the library or the tests.
Run: make bench-producer   (or .venv/bin/python bench/producer.py --records N --runs R)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.sync_producer import Producer

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("KAFKAPROTO_KAFKA_PORT", "9092"))
BOOTSTRAP = f"127.0.0.1:{PORT}"
VALUE = b"x" * 100
PARTITIONS = 3
KAFKA_LIBS = ROOT / "build" / f"kafka-{os.environ.get('KAFKA_VERSION', '4.4.0')}" / "libs"


def fresh_topic() -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for fut in admin.create_topics([NewTopic(name, PARTITIONS, 1)]).values():
        fut.result(30)
    time.sleep(0.5)  # leaders elected and known to the broker's metadata cache
    return name


def acks_value(acks: str) -> int | str:
    return acks if acks == "all" else int(acks)


# --- one function per client: send n records to topic, return seconds until all acked -------


def run_kafkaproto_sync(topic: str, n: int, acks: str) -> float:
    with Producer(bootstrap_servers=BOOTSTRAP, acks=acks, linger_ms=5) as p:
        p.send(ProducerRecord(topic, b"warm-up")).result(30)
        t0 = time.perf_counter()
        last = None
        for _ in range(n):
            last = p.send(ProducerRecord(topic, VALUE))
        p.flush()
        elapsed = time.perf_counter() - t0
        assert last is not None and last.result(1) is not None
    return elapsed


async def _kafkaproto_async(topic: str, n: int, acks: str) -> float:
    async with AsyncProducer(bootstrap_servers=BOOTSTRAP, acks=acks, linger_ms=5) as p:
        await p.send(ProducerRecord(topic, b"warm-up"))
        t0 = time.perf_counter()
        futures = []
        for i in range(n):
            futures.append(p.send(ProducerRecord(topic, VALUE)))
            if i % 1000 == 999:
                await asyncio.sleep(0)  # let the sender run, as an application loop would
        await p.flush()
        elapsed = time.perf_counter() - t0
        assert futures[-1].done() and futures[-1].exception() is None
    return elapsed


def run_kafkaproto_async(topic: str, n: int, acks: str) -> float:
    return asyncio.run(_kafkaproto_async(topic, n, acks))


async def _aiokafka(topic: str, n: int, acks: str) -> float:
    from aiokafka import AIOKafkaProducer

    p = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks=acks_value(acks), linger_ms=5)
    await p.start()
    try:
        await (await p.send(topic, b"warm-up"))
        t0 = time.perf_counter()
        last = None
        for _ in range(n):
            last = await p.send(topic, VALUE)  # returns once queued; the future is the ack
        await p.flush()
        elapsed = time.perf_counter() - t0
        assert last is not None and last.done() and last.exception() is None
    finally:
        await p.stop()
    return elapsed


def run_aiokafka(topic: str, n: int, acks: str) -> float:
    return asyncio.run(_aiokafka(topic, n, acks))


def run_kafka_python(topic: str, n: int, acks: str) -> float:
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks=acks_value(acks), linger_ms=5)
    try:
        p.send(topic, b"warm-up").get(30)
        t0 = time.perf_counter()
        last = None
        for _ in range(n):
            last = p.send(topic, VALUE)
        p.flush()
        elapsed = time.perf_counter() - t0
        assert last is not None and last.succeeded()
    finally:
        p.close()
    return elapsed


def run_confluent(topic: str, n: int, acks: str) -> float:
    from confluent_kafka import Producer as CProducer

    p = CProducer({"bootstrap.servers": BOOTSTRAP, "acks": acks, "linger.ms": 5})
    p.produce(topic, b"warm-up")
    p.flush(30)
    t0 = time.perf_counter()
    produce = p.produce
    for _ in range(n):
        while True:
            try:
                produce(topic, VALUE)
                break
            except BufferError:  # local queue full: serve delivery reports, then retry
                p.poll(0.01)
    left = p.flush(120)
    elapsed = time.perf_counter() - t0
    assert left == 0
    return elapsed


def run_java(topic: str, n: int, acks: str) -> float:
    cmd = [
        "java",
        f"-Dlog4j2.configurationFile={ROOT / 'tests/integration/log4j2-tools.properties'}",
        "-cp",
        f"{KAFKA_LIBS}/*",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(n),
        "--record-size",
        "100",
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={BOOTSTRAP}",
        f"acks={acks}",
        "linger.ms=5",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    m = re.search(rf"{n} records sent, ([0-9.]+) records/sec", out)
    assert m is not None, out
    return n / float(m.group(1))


CLIENTS: dict[str, Callable[[str, int, str], float]] = {
    "kafkaproto Producer": run_kafkaproto_sync,
    "kafkaproto AsyncProducer": run_kafkaproto_async,
    "aiokafka": run_aiokafka,
    "kafka-python": run_kafka_python,
    "confluent-kafka": run_confluent,
    "Java ProducerPerformance": run_java,
}


def bench_clients(n: int, runs: int, only: list[str]) -> None:
    print(f"## clients: {n} records of 100 bytes, {PARTITIONS} partitions, median of {runs}")
    for acks in ("1", "all"):
        rates: dict[str, list[float]] = {c: [] for c in CLIENTS if not only or c in only}
        for _ in range(runs):
            for c in rates:
                rates[c].append(n / CLIENTS[c](fresh_topic(), n, acks))
        faces = [f for f in ("kafkaproto Producer", "kafkaproto AsyncProducer") if f in rates]
        print(f"\n| acks={acks} | records/s | " + " | ".join(f"{f} / it" for f in faces) + " |")
        print("|---|---:|" + "---:|" * len(faces))
        for c, r in rates.items():
            # ratio: the median over runs of the same-run ratio (>1: kafkaproto is faster)
            cells = [
                statistics.median(a / b for a, b in zip(rates[f], r, strict=True)) for f in faces
            ]
            print(
                f"| {c} | {statistics.median(r):,.0f} | "
                + " | ".join(f"{x:.2f}x" for x in cells)
                + " |"
            )
        print(
            f"raw rates acks={acks}: " + str({c: [round(x) for x in v] for c, v in rates.items()})
        )


# --- transactions: commit every TXN_SIZE records ----------------------------------------------

TXN_SIZE = 1_000
JAVA_TXN_DURATION_MS = 100
BENCH_CLASSES = ROOT / "build" / "bench" / "classes"


def txn_id(client: str) -> str:
    return f"bench-{client}-{uuid.uuid4().hex[:8]}"


def run_kafkaproto_sync_txn(topic: str, n: int) -> float:
    with Producer(bootstrap_servers=BOOTSTRAP, linger_ms=5, transactional_id=txn_id("sync")) as p:
        p.init_transactions()
        t0 = time.perf_counter()
        for start in range(0, n, TXN_SIZE):
            p.begin_transaction()
            for _ in range(min(TXN_SIZE, n - start)):
                p.send(ProducerRecord(topic, VALUE))
            p.commit_transaction()
        return time.perf_counter() - t0


async def _kafkaproto_async_txn(topic: str, n: int) -> float:
    async with AsyncProducer(
        bootstrap_servers=BOOTSTRAP, linger_ms=5, transactional_id=txn_id("async")
    ) as p:
        await p.init_transactions()
        t0 = time.perf_counter()
        for start in range(0, n, TXN_SIZE):
            p.begin_transaction()
            for _ in range(min(TXN_SIZE, n - start)):
                await p.send(ProducerRecord(topic, VALUE))
            await p.commit_transaction()
        return time.perf_counter() - t0


def run_kafkaproto_async_txn(topic: str, n: int) -> float:
    return asyncio.run(_kafkaproto_async_txn(topic, n))


def run_confluent_txn(topic: str, n: int) -> float:
    from confluent_kafka import Producer as CProducer

    p = CProducer(
        {"bootstrap.servers": BOOTSTRAP, "linger.ms": 5, "transactional.id": txn_id("rdkafka")}
    )
    p.init_transactions(30)
    t0 = time.perf_counter()
    produce = p.produce
    for start in range(0, n, TXN_SIZE):
        p.begin_transaction()
        for _ in range(min(TXN_SIZE, n - start)):
            while True:
                try:
                    produce(topic, VALUE)
                    break
                except BufferError:
                    p.poll(0.01)
        p.commit_transaction(60)
    elapsed = time.perf_counter() - t0
    assert p.flush(30) == 0
    return elapsed


def run_java_txn(topic: str, n: int) -> float:
    cmd = [
        "java",
        f"-Dlog4j2.configurationFile={ROOT / 'tests/integration/log4j2-tools.properties'}",
        "-cp",
        f"{BENCH_CLASSES}:{KAFKA_LIBS}/*",
        "TransactionalProducerBench",
        BOOTSTRAP,
        topic,
        str(n),
        "100",
        str(TXN_SIZE),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    m = re.search(rf"{n} records in ([0-9.]+) s", out)
    assert m is not None, out
    return float(m.group(1))


def run_java_perf_txn(topic: str, n: int) -> float:
    cmd = [
        "java",
        f"-Dlog4j2.configurationFile={ROOT / 'tests/integration/log4j2-tools.properties'}",
        "-cp",
        f"{KAFKA_LIBS}/*",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(n),
        "--record-size",
        "100",
        "--throughput",
        "-1",
        "--transactional-id",
        txn_id("perf"),
        "--transaction-duration-ms",
        str(JAVA_TXN_DURATION_MS),
        "--producer-props",
        f"bootstrap.servers={BOOTSTRAP}",
        "linger.ms=5",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    m = re.search(rf"{n} records sent, ([0-9.]+) records/sec", out)
    assert m is not None, out
    return n / float(m.group(1))


TXN_CLIENTS: dict[str, Callable[[str, int], float]] = {
    "kafkaproto Producer": run_kafkaproto_sync_txn,
    "kafkaproto AsyncProducer": run_kafkaproto_async_txn,
    "confluent-kafka": run_confluent_txn,
    f"Java KafkaProducer (commit every {TXN_SIZE:,})": run_java_txn,
    f"Java ProducerPerformance (commit every {JAVA_TXN_DURATION_MS} ms)": run_java_perf_txn,
}


def bench_transactions(n: int, runs: int, only: list[str]) -> None:
    print(
        f"\n## transactions: {n} records of 100 bytes, a commit every {TXN_SIZE:,} records, "
        f"{PARTITIONS} partitions, acks=all, median of {runs}"
    )
    rates: dict[str, list[float]] = {c: [] for c in TXN_CLIENTS if not only or c in only}
    for _ in range(runs):
        for c in rates:
            rates[c].append(n / TXN_CLIENTS[c](fresh_topic(), n))
    faces = [f for f in ("kafkaproto Producer", "kafkaproto AsyncProducer") if f in rates]
    print("\n| transactional | records/s | " + " | ".join(f"{f} / it" for f in faces) + " |")
    print("|---|---:|" + "---:|" * len(faces))
    for c, r in rates.items():
        cells = [statistics.median(a / b for a, b in zip(rates[f], r, strict=True)) for f in faces]
        print(
            f"| {c} | {statistics.median(r):,.0f} | "
            + " | ".join(f"{x:.2f}x" for x in cells)
            + " |"
        )
    print("raw rates: " + str({c: [round(x) for x in v] for c, v in rates.items()}))


# --- settings table -------------------------------------------------------------------------


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def settings_case(
    acks: str, inflight: int, idem: bool, n_async: int, n_sync: int, linger_ms: int
) -> tuple[float, float, float, float]:
    """(async records/s, async p99 ms, sync records/s, sync p99 ms)."""
    topic = fresh_topic()
    with Producer(
        bootstrap_servers=BOOTSTRAP,
        acks=acks,
        linger_ms=linger_ms,
        max_in_flight_requests_per_connection=inflight,
        enable_idempotence=idem,
    ) as p:
        p.send(ProducerRecord(topic, b"warm-up")).result(30)
        # async: every record's send time, its ack time taken in its callback (I/O thread)
        sent = [0.0] * n_async
        acked = [0.0] * n_async
        clock = time.perf_counter

        def on_ack(i: int) -> Callable[[RecordMetadata | None, BaseException | None], None]:
            def cb(meta: RecordMetadata | None, exc: BaseException | None) -> None:
                assert exc is None
                acked[i] = clock()

            return cb

        t0 = clock()
        for i in range(n_async):
            sent[i] = clock()
            p.send(ProducerRecord(topic, VALUE), on_ack(i))
        p.flush()
        async_rate = n_async / (clock() - t0)
        async_p99 = p99([a - s for a, s in zip(acked, sent, strict=True)]) * 1000
        # sync: one record at a time, waiting for its ack
        lat = []
        t0 = clock()
        for _ in range(n_sync):
            s = clock()
            p.send(ProducerRecord(topic, VALUE)).result(30)
            lat.append(clock() - s)
        sync_rate = n_sync / (clock() - t0)
    return async_rate, async_p99, sync_rate, p99(lat) * 1000


def bench_settings(n_async: int, n_sync: int, runs: int, linger_ms: int) -> None:
    print(
        f"\n## settings: kafkaproto Producer, async {n_async} records, sync {n_sync}, "
        f"linger.ms={linger_ms}, median of {runs}"
    )
    print(
        "| acks | max.in.flight | idempotence | async records/s | async p99 ms "
        "| sync records/s | sync p99 ms |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for acks in ("0", "1", "all"):
        for inflight in (1, 5):
            for idem in (False, True):
                if idem and acks != "all":
                    print(
                        f"| {acks} | {inflight} | on | invalid: idempotence needs acks=all | | | |"
                    )
                    continue
                res = [
                    settings_case(acks, inflight, idem, n_async, n_sync, linger_ms)
                    for _ in range(runs)
                ]
                med = [statistics.median(r[k] for r in res) for k in range(4)]
                print(
                    f"| {acks} | {inflight} | {'on' if idem else 'off'} | {med[0]:,.0f} "
                    f"| {med[1]:.1f} | {med[2]:,.0f} | {med[3]:.2f} |",
                    flush=True,
                )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sync-records", type=int, default=2_000)
    ap.add_argument("--linger-ms", type=int, default=5, help="linger.ms of the settings part")
    ap.add_argument(
        "--part", choices=["clients", "settings", "transactions", "both", "all"], default="all"
    )
    ap.add_argument("--only", nargs="*", default=[], help="client names to run")
    args = ap.parse_args()
    if args.part in ("clients", "both", "all"):
        bench_clients(args.records, args.runs, args.only)
    if args.part in ("settings", "both", "all"):
        bench_settings(args.records // 4, args.sync_records, args.runs, args.linger_ms)
    if args.part in ("transactions", "all"):
        bench_transactions(args.records, args.runs, args.only)


if __name__ == "__main__":
    main()
