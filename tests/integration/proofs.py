"""What the producer proofs check once records are in Kafka: each record exactly once, in send
order per partition, at the (partition, offset) its future reported, read back by our fetcher
and by kcat (librdkafka). Records carry their send index: value ``b"%09d|" + padding``."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from array import array
from collections.abc import Iterable

from kafkaproto.cluster import ClusterClient
from kafkaproto.fetcher import EARLIEST, fetch_partition

KCAT_TIMEOUT = 300.0


def value_for(i: int) -> bytes:
    """20 to 99 bytes, the index first."""
    return b"%09d|" % i + b"x" * (10 + i % 80)


def index_of(value: bytes | None) -> int:
    assert value is not None and value[9:10] == b"|", value
    index = int(value[:9])
    assert value == value_for(index), value
    return index


class Placement:
    """Where each of ``count`` records went: partition and offset by send index (-1: nowhere)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.partition = array("i", [-1]) * count
        self.offset = array("q", [-1]) * count

    def put(self, index: int, partition: int, offset: int) -> None:
        assert 0 <= index < self.count, index
        assert self.partition[index] == -1, f"record {index} seen twice"
        self.partition[index] = partition
        self.offset[index] = offset


def check_log(count: int, rows: Iterable[tuple[int, int, int]]) -> Placement:
    """``rows`` are (partition, offset, index) as a consumer read them, per partition in offset
    order: every index once, offsets 0.. without gaps and indexes increasing per partition."""
    placed = Placement(count)
    last: dict[int, tuple[int, int]] = {}
    seen = 0
    for partition, offset, index in rows:
        prev_offset, prev_index = last.get(partition, (-1, -1))
        assert offset == prev_offset + 1, (partition, offset, prev_offset)
        assert index > prev_index, f"partition {partition}: {index} after {prev_index}"
        last[partition] = (offset, index)
        placed.put(index, partition, offset)
        seen += 1
    assert seen == count, f"read {seen} records, sent {count}"
    return placed


async def fetcher_rows(
    bootstrap: str, topic: str, partitions: int, timeout: float = 300.0
) -> list[tuple[int, int, int]]:
    rows: list[tuple[int, int, int]] = []
    async with asyncio.timeout(timeout):
        async with ClusterClient(bootstrap) as client:
            for p in range(partitions):
                async for record in fetch_partition(client, topic, p, EARLIEST):
                    rows.append((p, record.offset, index_of(record.value)))
    return rows


def kcat_rows(bootstrap: str, topic: str) -> list[tuple[int, int, int]]:
    """``kcat -C -e`` over every partition, regrouped per partition (kcat interleaves them)."""
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat is not on PATH: run `make kcat`"
    out = subprocess.run(
        [
            kcat,
            "-C",
            "-b",
            bootstrap,
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%p %o %s\n",
        ],
        capture_output=True,
        timeout=KCAT_TIMEOUT,
        check=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        p, o, v = line.split(b" ")
        rows.append((int(p), int(o), index_of(v)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def assert_same_placement(produced: Placement, read: Placement) -> None:
    """The futures' metadata equals where the consumer found each record."""
    assert produced.partition == read.partition
    assert produced.offset == read.offset
