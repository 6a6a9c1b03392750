"""The consumer's volume proof: 1,000,000 records written by kcat (librdkafka) across 6
partitions — a fifth with each codec (none, gzip, snappy, lz4, zstd), every record keyed and
with headers — come back through our Consumer exactly once, in order per partition, with keys,
values and headers intact."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafkaproto.consumer.record import TopicPartition
from kafkaproto.consumer.sync_consumer import Consumer
from proofs import check_log, index_of, value_for
from topics import create_topic

pytestmark = pytest.mark.broker

COUNT = 1_000_000
PARTITIONS = 6
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
CHUNK = COUNT // len(CODECS)


def _write_with_kcat(broker: str, topic: str, tmp: Path) -> None:
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat is not on PATH: run `make kcat`"
    for n, codec in enumerate(CODECS):
        lines = tmp / f"{codec}.txt"
        with lines.open("wb") as f:
            for i in range(n * CHUNK, (n + 1) * CHUNK):
                f.write(b"k%d\t%s\n" % (i, value_for(i)))
        subprocess.run(
            [
                kcat,
                "-P",
                "-b",
                broker,
                "-t",
                topic,
                "-K",
                "\t",
                "-H",
                f"codec={codec}",
                "-H",
                "empty=",
                "-X",
                f"compression.codec={codec}",
                "-X",
                "enable.idempotence=true",
                "-X",
                "linger.ms=20",
                "-l",
                str(lines),
            ],
            check=True,
            timeout=300,
        )


@pytest.mark.timeout(900)
def test_a_million_kcat_records_come_back_exactly_once_in_order(
    broker: str, tmp_path: Path
) -> None:
    topic = f"consumer-volume-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, PARTITIONS))
    started = time.monotonic()
    _write_with_kcat(broker, topic, tmp_path)
    print(f"\n  kcat wrote {COUNT} records in {time.monotonic() - started:.1f} s")
    headers_by_codec = {codec: (("codec", codec.encode()), ("empty", b"")) for codec in CODECS}

    def rows() -> Iterator[tuple[int, int, int]]:
        with Consumer(bootstrap_servers=broker, auto_offset_reset="earliest") as c:
            c.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
            seen = 0
            deadline = time.monotonic() + 300
            while seen < COUNT:
                records = c.poll(5)
                assert records or time.monotonic() < deadline, f"stalled at {seen} records"
                for r in records:
                    index = index_of(r.value)
                    assert r.key == b"k%d" % index, r
                    assert r.headers == headers_by_codec[CODECS[index // CHUNK]], r
                    yield r.partition, r.offset, index
                seen += len(records)
            assert not c.poll(1), "records beyond the million"

    started = time.monotonic()
    placed = check_log(COUNT, rows())
    elapsed = time.monotonic() - started
    print(f"  consumed and checked {COUNT} records in {elapsed:.1f} s")
    assert set(placed.partition) == set(range(PARTITIONS))
