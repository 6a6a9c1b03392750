"""Interop over SASL_SSL with kcat (librdkafka's command-line client), for every codec, both
ways, through the secured broker: ``kcat -P -z <codec>`` writes, our fetcher (SCRAM-SHA-512 over
SASL_SSL) reads every record back; our producer writes with that codec and ``kcat -C`` reads each
record back exactly once.

- SASL PLAIN with Debian's kcat as it is (librdkafka 2.0.2).
- SCRAM-SHA-256 and SCRAM-SHA-512 with the same kcat binary on librdkafka 2.16, the library the
  ``confluent-kafka`` wheel (a dev dependency) bundles, loaded through ``LD_LIBRARY_PATH``:
  librdkafka 2.0.2 cannot do SCRAM with Kafka 4.4 (its client-final message repeats the client
  nonce before the server's, seen on the wire, so the broker's proof check fails).

Marked `broker`; every subprocess is bounded.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from pathlib import Path
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


@pytest.fixture(scope="module")
def current_librdkafka(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``librdkafka.so.1``: the confluent-kafka wheel's librdkafka 2.16."""
    bundled = sorted(
        (Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs").glob(
            "librdkafka*.so*"
        )
    )
    assert bundled, "confluent-kafka's wheel bundles no librdkafka"
    folder = tmp_path_factory.mktemp("librdkafka")
    (folder / "librdkafka.so.1").symlink_to(bundled[0])
    return folder


def kcat_args(kcat: str, bed: Bed, mechanism: str) -> list[str]:
    return [
        kcat,
        "-b", f"{tb.HOST}:{bed.ports.sasl_ssl}",
        "-X", "security.protocol=SASL_SSL",
        "-X", f"sasl.mechanism={mechanism}",
        "-X", f"sasl.username={tb.USER}",
        "-X", f"sasl.password={tb.PASSWORD}",
        "-X", f"ssl.ca.location={bed.files.ca}",
    ]  # fmt: skip


def run(cmd: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> bytes:
    try:
        proc = subprocess.run(
            cmd, input=stdin, capture_output=True, timeout=TIMEOUT, check=False, env=env
        )
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


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("codec", CODECS)
def test_kcat_both_ways(
    bed: Bed, kcat: str, current_librdkafka: Path, codec: str, mechanism: str
) -> None:
    env = None
    if mechanism != "PLAIN":
        env = {**os.environ, "LD_LIBRARY_PATH": str(current_librdkafka)}
        version = run([kcat, "-V"], env=env)
        assert b"librdkafka 2.16" in version, version  # the library asked for is the one used
    args = kcat_args(kcat, bed, mechanism)
    ours = bed.sasl(mechanism if mechanism != "PLAIN" else "SCRAM-SHA-512")
    bootstrap = f"{tb.HOST}:{bed.ports.sasl_ssl}"
    # librdkafka -> us
    topic = f"kafkaproto-secure-kcat-in-{codec}-{uuid.uuid4().hex[:8]}"
    run([*args, "-P", "-t", topic, "-p", "0", "-z", codec], b"\n".join(values(codec)), env)
    assert asyncio.run(read_values(bootstrap, ours, topic, COUNT)) == values(codec)
    # us -> librdkafka, each record exactly once
    topic = f"kafkaproto-secure-kcat-out-{codec}-{uuid.uuid4().hex[:8]}"
    asyncio.run(produce(bootstrap, ours, topic, codec))
    out = run([*args, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-D", "\x1e", "-q"],
              env=env)  # fmt: skip
    assert out.split(b"\x1e")[:-1] == values(codec)
