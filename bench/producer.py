"""Producer throughput against the real broker: kafkaproto vs the peers, steady state first.

Parts, all against the broker of `make broker` (127.0.0.1:$KAFKAPROTO_KAFKA_PORT):

  steady    records/s for --records (default 2,000,000) 100-byte records, key null: at least
            five times buffer.memory (32 MiB holds ~300,000 such records), so every client runs
            with its buffer full, the way a bulk producer does. Each client sends in its plainest
            loop (kafkaproto: `producer.send(r)` and `await producer.send(r)`; aiokafka
            `await producer.send(...)`; kafka-python `send`; confluent-kafka `produce`, polling
            when its queue is full), keeps only the last future, and waits for every
            acknowledgement at the end. acks=1 and acks=all, a fresh 3-partition topic per run,
            linger.ms=5 (Java's default since 4.0), every other setting at each client's
            default. Clients: kafkaproto Producer (thread-safe face) and AsyncProducer,
            aiokafka, kafka-python 3, confluent-kafka (librdkafka) and Kafka's Java
            ProducerPerformance (the ceiling). Each Python client runs in a child process of
            its own, which also reports its peak RSS (VmHWM).
  burst     the same with --burst-records (default 200,000): a burst that fits in the buffer.
  batch-size
            kafkaproto's two faces (compiled) in the steady state at batch.size 16,384 (Java's
            default, every other part's), 32,768 and 65,536: how much of a record's cost is its
            batch's share (making, draining, sending and completing a batch, whatever its size).
  settings  kafkaproto's Producer over acks {0,1,all} x max.in.flight {1,5} x idempotence
            {on,off}: records/s and p99 send->ack latency, sending one record and waiting for it
            ("sync") versus sending everything with a callback per record ("async").
  tls       acks=all over SASL_SSL (SCRAM-SHA-512 on the test broker's listener at port+3,
            trusting its CA) against the same client over PLAINTEXT in the same run, for
            kafkaproto AsyncProducer, aiokafka and confluent-kafka, --burst-records each, each
            run in a child process like the other parts; ratios per run, medians reported.
  transactions
            records/s for --burst-records 100-byte records in transactions committed every
            1,000 records (acks=all, idempotence, linger.ms=5): both kafkaproto faces and
            confluent-kafka (each in a child process), Kafka's Java KafkaProducer doing the same
            (bench/java/TransactionalProducerBench.java, built by `make bench-java`) and Java's
            ProducerPerformance --transactional-id, which commits by time only
            (--transaction-duration-ms, 100 ms here).

A measuring script: it must never be imported by the library or the tests.
Run: make bench-producer   (or .venv/bin/python bench/producer.py --part steady --runs R)
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import re
import ssl
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafkaproto import AsyncProducer, Producer, ProducerRecord, RecordMetadata

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("KAFKAPROTO_KAFKA_PORT", "9092"))
BOOTSTRAP = f"127.0.0.1:{PORT}"
VALUE = b"x" * 100
PARTITIONS = 3
#: Set by the batch-size part for the child processes it runs (see batch_size_settings).
BATCH_SIZE_ENV = "KAFKAPROTO_BENCH_BATCH_SIZE"
BATCH_SIZES = (16_384, 32_768, 65_536)
KAFKA_LIBS = ROOT / "build" / f"kafka-{os.environ.get('KAFKA_VERSION', '4.4.0')}" / "libs"


#: The topics this process made and has not deleted yet (fresh_topic, drop_topics).
_MADE: list[str] = []


def fresh_topic() -> str:
    """A new topic of PARTITIONS partitions. The ones made before it are deleted first (their
    run is over), the last at exit: one steady-state invocation writes gigabytes, which must
    not pile up on the broker's disk."""
    from confluent_kafka.admin import AdminClient, NewTopic

    drop_topics()
    name = f"bench-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for fut in admin.create_topics([NewTopic(name, PARTITIONS, 1)]).values():
        fut.result(30)
    _MADE.append(name)
    time.sleep(0.5)  # leaders elected and known to the broker's metadata cache
    return name


@atexit.register
def drop_topics() -> None:
    """Delete the topics fresh_topic made (a failure is reported, not raised)."""
    if not _MADE:
        return
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for name, fut in admin.delete_topics(list(_MADE)).items():
        try:
            fut.result(30)
        except Exception as exc:  # the broker may be gone at exit
            print(f"could not delete topic {name}: {exc}", file=sys.stderr)
    _MADE.clear()


SASL_SSL_BOOTSTRAP = f"127.0.0.1:{PORT + 3}"
CA = ROOT / "build" / "kafka-run" / "broker" / "security" / "ca.pem"
USER, PASSWORD = "alice", "alice-secret"  # tests/integration/secure_testbed.py
KAFKAPROTO_TLS: dict[str, object] = {
    "bootstrap.servers": SASL_SSL_BOOTSTRAP,
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
    f'username="{USER}" password="{PASSWORD}";',
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": str(CA),
}


def acks_value(acks: str) -> int | str:
    return acks if acks == "all" else int(acks)


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- one function per client, run in a child process: send n records, return seconds --------


def batch_size_settings() -> dict[str, int]:
    """batch.size for kafkaproto's faces when the batch-size part runs them, else nothing (the
    client's default)."""
    size = os.environ.get(BATCH_SIZE_ENV)
    return {"batch_size": int(size)} if size else {}


def run_kafkaproto_sync(topic: str, n: int, acks: str) -> float:
    with Producer(
        bootstrap_servers=BOOTSTRAP, acks=acks, linger_ms=5, **batch_size_settings()
    ) as p:
        p.send(ProducerRecord(topic, b"warm-up")).result(30)
        t0 = time.perf_counter()
        last = None
        for _ in range(n):
            last = p.send(ProducerRecord(topic, VALUE))
        p.flush()
        elapsed = time.perf_counter() - t0
        assert last is not None and last.result(1) is not None
    return elapsed


async def _kafkaproto_async(topic: str, n: int, acks: str, tls: bool = False) -> float:
    where: dict[str, object] = KAFKAPROTO_TLS if tls else {"bootstrap.servers": BOOTSTRAP}
    async with AsyncProducer(where, acks=acks, linger_ms=5, **batch_size_settings()) as p:
        await (await p.send(ProducerRecord(topic, b"warm-up")))
        t0 = time.perf_counter()
        last = None
        for _ in range(n):
            last = await p.send(ProducerRecord(topic, VALUE))
        await p.flush()
        elapsed = time.perf_counter() - t0
        assert last is not None and last.done() and last.exception() is None
    return elapsed


def run_kafkaproto_async(topic: str, n: int, acks: str) -> float:
    return asyncio.run(_kafkaproto_async(topic, n, acks))


async def _aiokafka(topic: str, n: int, acks: str, tls: bool = False) -> float:
    from aiokafka import AIOKafkaProducer

    where: dict[str, Any] = {"bootstrap_servers": BOOTSTRAP}
    if tls:
        where = {
            "bootstrap_servers": SASL_SSL_BOOTSTRAP,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": USER,
            "sasl_plain_password": PASSWORD,
            "ssl_context": ssl.create_default_context(cafile=str(CA)),
        }
    p = AIOKafkaProducer(**where, acks=acks_value(acks), linger_ms=5)
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


def run_confluent(topic: str, n: int, acks: str, tls: bool = False) -> float:
    from confluent_kafka import Producer as CProducer

    where: dict[str, object] = {"bootstrap.servers": BOOTSTRAP}
    if tls:
        where = {
            "bootstrap.servers": SASL_SSL_BOOTSTRAP,
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": USER,
            "sasl.password": PASSWORD,
            "ssl.ca.location": str(CA),
        }
    p = CProducer({**where, "acks": acks, "linger.ms": 5})
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
    left = p.flush(300)
    elapsed = time.perf_counter() - t0
    assert left == 0
    return elapsed


PYTHON_CLIENTS: dict[str, Callable[[str, int, str], float]] = {
    "kafkaproto Producer": run_kafkaproto_sync,
    "kafkaproto AsyncProducer": run_kafkaproto_async,
    "aiokafka": run_aiokafka,
    "kafka-python": run_kafka_python,
    "confluent-kafka": run_confluent,
}
# The tls part: the same loops over SASL_SSL.
TLS = " over SASL_SSL"
TLS_CLIENTS: dict[str, Callable[[str, int, str], float]] = {
    "kafkaproto AsyncProducer" + TLS: lambda t, n, a: asyncio.run(_kafkaproto_async(t, n, a, True)),
    "aiokafka" + TLS: lambda t, n, a: asyncio.run(_aiokafka(t, n, a, True)),
    "confluent-kafka" + TLS: lambda t, n, a: run_confluent(t, n, a, True),
}
# The same two faces with KAFKAPROTO_PURE_PYTHON=1: the interpreted sources, in the same run as
# the compiled build (README "Compiled hot path").
PURE = " (pure Python)"
PURE_CLIENTS = [f"{face}{PURE}" for face in ("kafkaproto Producer", "kafkaproto AsyncProducer")]
JAVA = "Java ProducerPerformance"
CLIENTS = [*list(PYTHON_CLIENTS)[:2], *PURE_CLIENTS, *list(PYTHON_CLIENTS)[2:], JAVA]
FACES = ("kafkaproto Producer", "kafkaproto AsyncProducer")


def producer_performance(topic: str, n: int, *options: str, props: tuple[str, ...]) -> float:
    """Seconds Kafka's ProducerPerformance took for n 100-byte records, by its own records/s
    (which leaves out JVM start-up)."""
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
        *options,
        "--producer-props",
        f"bootstrap.servers={BOOTSTRAP}",
        "linger.ms=5",
        *props,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900).stdout
    m = re.search(rf"{n} records sent, ([0-9.]+) records/sec", out)
    assert m is not None, out
    return n / float(m.group(1))


def run_java(topic: str, n: int, acks: str) -> tuple[float, float]:
    return producer_performance(topic, n, props=(f"acks={acks}",)), float("nan")


def run_client(
    client: str, topic: str, n: int, acks: str, batch_size: int | None = None
) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one run, in a child process; ``batch_size`` only for
    kafkaproto's faces (None: the default)."""
    if client == JAVA:
        return run_java(topic, n, acks)
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKAPROTO_PURE_PYTHON", BATCH_SIZE_ENV)
    }
    if client.endswith(PURE):
        env["KAFKAPROTO_PURE_PYTHON"] = "1"
    if batch_size is not None:
        env[BATCH_SIZE_ENV] = str(batch_size)
    out = subprocess.run(
        [sys.executable, __file__, "--child", client, topic, str(n), acks],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{client} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["rss_mb"]


def child(client: str, topic: str, n: int, acks: str) -> None:
    clients = {**PYTHON_CLIENTS, **TLS_CLIENTS, **TXN_CLIENTS}
    seconds = clients[client.removesuffix(PURE)](topic, n, acks)
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb()}))


def bench_clients(title: str, n: int, runs: int, only: list[str]) -> None:
    print(f"\n## {title}: {n:,} records of 100 bytes, {PARTITIONS} partitions, median of {runs}")
    from kafkaproto.compiled import status

    print(f"kafkaproto rows without '{PURE}': {status().describe()}")
    for acks in ("1", "all"):
        clients = [c for c in CLIENTS if not only or c in only]
        rates: dict[str, list[float]] = {c: [] for c in clients}
        rss: dict[str, list[float]] = {c: [] for c in clients}
        for run in range(runs):
            for c in clients:
                seconds, mb = run_client(c, fresh_topic(), n, acks)
                rates[c].append(n / seconds)
                rss[c].append(mb)
                print(f"  run {run + 1} acks={acks} {c}: {n / seconds:,.0f}/s", file=sys.stderr)
        print_ratios(f"acks={acks}", rates, [f for f in FACES if f in rates], rss)


def bench_batch_size(n: int, runs: int) -> None:
    print(
        f"\n## batch.size: kafkaproto's faces, steady state, {n:,} records of 100 bytes, "
        f"{PARTITIONS} partitions, median of {runs}"
    )
    from kafkaproto.compiled import status

    print(f"kafkaproto: {status().describe()}")
    for acks in ("1", "all"):
        rates: dict[str, list[float]] = {}
        for run in range(runs):
            for face in FACES:
                for size in BATCH_SIZES:
                    seconds, _ = run_client(face, fresh_topic(), n, acks, size)
                    rates.setdefault(f"{face}, batch.size {size:,}", []).append(n / seconds)
                    print(
                        f"  run {run + 1} acks={acks} {face} {size}: {n / seconds:,.0f}/s",
                        file=sys.stderr,
                    )
        # Ratios against each face at Java's default batch.size.
        print_ratios(f"acks={acks}", rates, [f"{face}, batch.size 16,384" for face in FACES])


def print_ratios(
    title: str,
    rates: dict[str, list[float]],
    faces: list[str],
    rss: dict[str, list[float]] | None = None,
    label: Callable[[str], str] = str,
) -> None:
    """A markdown table: each client's median records/s (and peak RSS), and per kafkaproto face
    the median over runs of the same-run ratio (above 1: kafkaproto is faster); then the raw
    rates."""
    memory = "peak RSS MB | " if rss is not None else ""
    heads = " | ".join(f"{label(f)} / it" for f in faces)
    print(f"\n| {title} | records/s | {memory}{heads} |")
    print("|---|---:|" + ("---:|" if rss is not None else "") + "---:|" * len(faces))
    for c, r in rates.items():
        cells = [statistics.median(a / b for a, b in zip(rates[f], r, strict=True)) for f in faces]
        mb = statistics.median(rss[c]) if rss is not None else float("nan")
        print(
            f"| {label(c)} | {statistics.median(r):,.0f} | "
            + ("" if rss is None else ("" if mb != mb else f"{mb:.0f}") + " | ")
            + " | ".join(f"{x:.2f}x" for x in cells)
            + " |"
        )
    print(f"raw rates {title}: " + str({c: [round(x) for x in v] for c, v in rates.items()}))


def bench_tls(n: int, runs: int) -> None:
    """acks=all, each client over PLAINTEXT and over SASL_SSL in the same run."""
    if not CA.is_file():
        raise SystemExit(f"no {CA}: start the secured test broker with `make broker`")
    print(
        f"\n## tls: {n:,} records of 100 bytes, acks=all, SASL_SSL SCRAM-SHA-512, median of {runs}"
    )
    clients = [c.removesuffix(TLS) for c in TLS_CLIENTS]
    plain: dict[str, list[float]] = {c: [] for c in clients}
    secure: dict[str, list[float]] = {c: [] for c in clients}
    for run in range(runs):
        for c in clients:
            for rates, name in ((plain, c), (secure, c + TLS)):
                seconds, _ = run_client(name, fresh_topic(), n, "all")
                rates[c].append(n / seconds)
                print(f"  run {run + 1} {name}: {n / seconds:,.0f}/s", file=sys.stderr)
    ours = clients[0]
    print("\n| client | PLAINTEXT records/s | SASL_SSL records/s | SASL_SSL / PLAINTEXT "
          "| kafkaproto / it, PLAINTEXT | kafkaproto / it, SASL_SSL |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for c in clients:
        cost = statistics.median(t / p for t, p in zip(secure[c], plain[c], strict=True))
        lead_plain = statistics.median(o / p for o, p in zip(plain[ours], plain[c], strict=True))
        lead_tls = statistics.median(o / t for o, t in zip(secure[ours], secure[c], strict=True))
        print(
            f"| {c} | {statistics.median(plain[c]):,.0f} | {statistics.median(secure[c]):,.0f} "
            f"| {cost:.2f}x | {lead_plain:.2f}x | {lead_tls:.2f}x |"
        )
    raw = {
        f"{c} {k}": [round(x) for x in r[c]]
        for c in clients
        for k, r in (("plain", plain), ("tls", secure))
    }
    print(f"raw rates: {raw}")


# --- transactions: a commit every TXN_SIZE records ------------------------------------------

TXN_SIZE = 1_000
JAVA_TXN_DURATION_MS = 100
BENCH_CLASSES = ROOT / "build" / "bench" / "classes"
IN_TXN = " in transactions"


def txn_id(client: str) -> str:
    return f"bench-{client}-{uuid.uuid4().hex[:8]}"


def run_kafkaproto_sync_txn(topic: str, n: int, acks: str) -> float:
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


def run_confluent_txn(topic: str, n: int, acks: str) -> float:
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
                except BufferError:  # local queue full: serve delivery reports, then retry
                    p.poll(0.01)
        p.commit_transaction(60)
    elapsed = time.perf_counter() - t0
    assert p.flush(30) == 0
    return elapsed


TXN_CLIENTS: dict[str, Callable[[str, int, str], float]] = {
    "kafkaproto Producer" + IN_TXN: run_kafkaproto_sync_txn,
    "kafkaproto AsyncProducer" + IN_TXN: lambda t, n, a: asyncio.run(_kafkaproto_async_txn(t, n)),
    "confluent-kafka" + IN_TXN: run_confluent_txn,
}
JAVA_TXN = f"Java KafkaProducer (commit every {TXN_SIZE:,})"
JAVA_PERF_TXN = f"Java ProducerPerformance (commit every {JAVA_TXN_DURATION_MS} ms)"


def run_java_txn(topic: str, n: int) -> float:
    if not (BENCH_CLASSES / "TransactionalProducerBench.class").is_file():
        raise SystemExit(f"no {BENCH_CLASSES}/TransactionalProducerBench.class: `make bench-java`")
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
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900).stdout
    m = re.search(rf"{n} records in ([0-9.]+) s", out)
    assert m is not None, out
    return float(m.group(1))


def run_java_perf_txn(topic: str, n: int) -> float:
    return producer_performance(
        topic,
        n,
        "--transactional-id",
        txn_id("perf"),
        "--transaction-duration-ms",
        str(JAVA_TXN_DURATION_MS),
        props=(),
    )


def bench_transactions(n: int, runs: int) -> None:
    print(
        f"\n## transactions: {n:,} records of 100 bytes, a commit every {TXN_SIZE:,} records, "
        f"{PARTITIONS} partitions, acks=all, median of {runs}"
    )
    clients = [*TXN_CLIENTS, JAVA_TXN, JAVA_PERF_TXN]
    rates: dict[str, list[float]] = {c: [] for c in clients}
    for run in range(runs):
        for c in clients:
            if c == JAVA_TXN:
                seconds = run_java_txn(fresh_topic(), n)
            elif c == JAVA_PERF_TXN:
                seconds = run_java_perf_txn(fresh_topic(), n)
            else:
                seconds, _ = run_client(c, fresh_topic(), n, "all")
            rates[c].append(n / seconds)
            print(f"  run {run + 1} {c}: {n / seconds:,.0f}/s", file=sys.stderr)
    faces = [f + IN_TXN for f in FACES]
    print_ratios("in transactions", rates, faces, label=lambda c: c.removesuffix(IN_TXN))


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
    if sys.argv[1:2] == ["--child"]:
        client, topic, n, acks = sys.argv[2:6]
        child(client, topic, int(n), acks)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=2_000_000, help="steady-state records")
    ap.add_argument("--burst-records", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--settings-records", type=int, default=50_000)
    ap.add_argument("--sync-records", type=int, default=2_000)
    ap.add_argument("--linger-ms", type=int, default=5, help="linger.ms of the settings part")
    ap.add_argument(
        "--part",
        choices=[
            "steady",
            "burst",
            "batch-size",
            "settings",
            "tls",
            "transactions",
            "clients",
            "all",
        ],
        default="clients",
    )
    ap.add_argument("--only", nargs="*", default=[], help="client names to run")
    args: Any = ap.parse_args()
    if args.part in ("steady", "clients", "all"):
        bench_clients("steady state", args.records, args.runs, args.only)
    if args.part in ("burst", "clients", "all"):
        bench_clients("burst (fits in buffer.memory)", args.burst_records, args.runs, args.only)
    if args.part in ("batch-size", "all"):
        bench_batch_size(args.records, args.runs)
    if args.part in ("settings", "all"):
        bench_settings(args.settings_records, args.sync_records, args.runs, args.linger_ms)
    if args.part in ("tls", "all"):
        bench_tls(args.burst_records, args.runs)
    if args.part in ("transactions", "all"):
        bench_transactions(args.burst_records, args.runs)


if __name__ == "__main__":
    main()
