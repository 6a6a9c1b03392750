"""Interop over SASL_SSL with librdkafka, for every codec, both ways, through the secured broker:

- kcat (Debian's, librdkafka 2.0.2) with SASL PLAIN: ``kcat -P -z <codec>`` writes, our fetcher
  (SCRAM-SHA-512 over SASL_SSL) reads every record back; our producer writes with that codec and
  ``kcat -C`` reads each record back exactly once.
- librdkafka 2.16 (the ``confluent-kafka`` wheel) with SCRAM-SHA-256 and SCRAM-SHA-512, the same
  two ways. kcat's librdkafka 2.0.2 cannot do SCRAM with Kafka 4.4: its client-final message
  repeats the client nonce before the server's (seen on the wire), so the broker's proof check
  fails; a current librdkafka is the independent SCRAM peer.

Marked `broker`; every subprocess and poll loop is bounded.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from typing import Any, Final

import confluent_kafka
import pytest
import secure_testbed as tb
from kafka_cluster import KafkaCluster
from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.record import ProducerRecord
from test_security import Bed, read_values

pytestmark = pytest.mark.broker

CODECS: Final = ("none", "gzip", "snappy", "lz4", "zstd")
COUNT: Final = 200
TIMEOUT: Final = 60.0


@pytest.fixture(scope="module")
def bed(kafka_broker: KafkaCluster) -> Bed:
    return Bed(kafka_broker.secure_ports, kafka_broker.security_files)


@pytest.fixture(scope="module")
def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not on PATH: run `make kcat` (make test does)")
    return path


def values(codec: str) -> list[bytes]:
    # Compressible and not: repeated text and unique suffixes.
    return [b"%s record %05d " % (codec.encode(), i) + b"x" * (i % 300) for i in range(COUNT)]


def kcat_args(kcat: str, bed: Bed) -> list[str]:
    return [
        kcat,
        "-b", f"{tb.HOST}:{bed.ports.sasl_ssl}",
        "-X", "security.protocol=SASL_SSL",
        "-X", "sasl.mechanism=PLAIN",
        "-X", f"sasl.username={tb.USER}",
        "-X", f"sasl.password={tb.PASSWORD}",
        "-X", f"ssl.ca.location={bed.files.ca}",
    ]  # fmt: skip


def run(cmd: list[str], stdin: bytes = b"") -> bytes:
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{cmd[0]} did not finish in {TIMEOUT}s: {exc.stderr!r}")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


async def produce(bootstrap: str, settings: dict[str, Any], topic: str, codec: str) -> None:
    config = {"bootstrap.servers": bootstrap, "compression.type": codec, "linger.ms": 20}
    async with AsyncProducer({**config, **settings}) as producer:
        futures = [
            await producer.send(ProducerRecord(topic, v, partition=0)) for v in values(codec)
        ]
        await producer.flush()
        assert [(await f).offset for f in futures] == list(range(COUNT))


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_plain_both_ways(bed: Bed, kcat: str, codec: str) -> None:
    ours = bed.sasl("SCRAM-SHA-512")
    bootstrap = f"{tb.HOST}:{bed.ports.sasl_ssl}"
    # librdkafka -> us
    topic = f"kafkaproto-secure-kcat-in-{codec}-{uuid.uuid4().hex[:8]}"
    run(
        [*kcat_args(kcat, bed), "-P", "-t", topic, "-p", "0", "-z", codec],
        b"\n".join(values(codec)),
    )
    assert asyncio.run(read_values(bootstrap, ours, topic, COUNT)) == values(codec)
    # us -> librdkafka, each record exactly once
    topic = f"kafkaproto-secure-kcat-out-{codec}-{uuid.uuid4().hex[:8]}"
    asyncio.run(produce(bootstrap, ours, topic, codec))
    out = run([*kcat_args(kcat, bed), "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
               "-D", "\x1e", "-q"])  # fmt: skip
    assert out.split(b"\x1e")[:-1] == values(codec)


def _librdkafka(bed: Bed, mechanism: str) -> dict[str, object]:
    return {
        "bootstrap.servers": f"{tb.HOST}:{bed.ports.sasl_ssl}",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": mechanism,
        "sasl.username": tb.USER,
        "sasl.password": tb.PASSWORD,
        "ssl.ca.location": str(bed.files.ca),
    }


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("codec", CODECS)
def test_librdkafka_scram_both_ways(bed: Bed, codec: str, mechanism: str) -> None:
    ours = bed.sasl(mechanism)
    bootstrap = f"{tb.HOST}:{bed.ports.sasl_ssl}"
    # librdkafka -> us
    topic = f"kafkaproto-secure-rdk-in-{codec}-{uuid.uuid4().hex[:8]}"
    producer = confluent_kafka.Producer(
        {**_librdkafka(bed, mechanism), "compression.codec": codec, "linger.ms": 20}
    )
    errors: list[object] = []
    for value in values(codec):
        producer.produce(
            topic, value, partition=0, on_delivery=lambda e, _m: e and errors.append(e)
        )
    assert producer.flush(TIMEOUT) == 0 and not errors, errors
    assert asyncio.run(read_values(bootstrap, ours, topic, COUNT)) == values(codec)
    # us -> librdkafka, each record exactly once
    topic = f"kafkaproto-secure-rdk-out-{codec}-{uuid.uuid4().hex[:8]}"
    asyncio.run(produce(bootstrap, ours, topic, codec))
    consumer = confluent_kafka.Consumer(
        {
            **_librdkafka(bed, mechanism),
            "group.id": f"kafkaproto-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        got: list[bytes] = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                assert message.error().code() == confluent_kafka.KafkaError._PARTITION_EOF
                if len(got) >= COUNT:
                    break
                continue
            got.append(message.value())
    finally:
        consumer.close()
    assert got == values(codec)
