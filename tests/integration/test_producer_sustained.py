"""Sustained load against the real broker: three times ``buffer.memory`` through each producer
face, default settings, the plainest loop a user would write (``producer.send(record)`` for
``Producer``, ``await producer.send(record)`` for ``AsyncProducer``), each in a child process
(tests/integration/sustained_load.py) so its RSS is the producer's own.

Proved per face: every record is in the topic exactly once, in send order per partition (read
back by kcat, librdkafka's consumer, so nothing failed: a failed record would be missing); the
process's peak RSS stays within ``buffer.memory`` + 64 MB; and the rate does not decay: the last
tenth of the records is acknowledged no slower than 1/1.5 of the first tenth's rate.
Printed with ``pytest -s``: records/s, the rates of each tenth (send side and acknowledgements)
and the RSS figures."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from topics import create_topic

pytestmark = [pytest.mark.broker, pytest.mark.timeout(600)]

PARTITIONS = 3
SIZE = 100  # bytes per value, as in the benchmark
BUFFER = 32 * 1024 * 1024  # the default buffer.memory, checked against the child's report
# Three buffers' worth of 16 KiB batches of ~149 records of ~109 bytes: ~915,000 records.
COUNT = 3 * (BUFFER // 16384) * ((16384 - 61) // (SIZE + 9))
FORMAT = "%p %o %s\n"
SCRIPT = Path(__file__).with_name("sustained_load.py")


def kcat_indexes(bootstrap: str, topic: str) -> dict[int, list[int]]:
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat is not on PATH: run `make kcat`"
    out = subprocess.run(
        [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", FORMAT],
        capture_output=True,
        timeout=300,
        check=True,
    ).stdout
    rows: dict[int, list[tuple[int, int]]] = {}
    for line in out.splitlines():
        p, o, v = line.split(b" ")
        rows.setdefault(int(p), []).append((int(o), -1 if v == b"warm-up" else int(v[:9])))
    indexes = {}
    for p, found in rows.items():
        found.sort()
        assert [o for o, _ in found] == list(range(len(found))), f"gap in partition {p}"
        indexes[p] = [i for _, i in found if i >= 0]
    return indexes


@pytest.mark.parametrize("face", ["sync", "async"])
def test_three_buffers_through_each_face(broker: str, face: str) -> None:
    topic = f"sustained-{face}-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(broker, topic, PARTITIONS))
    out = subprocess.run(
        [sys.executable, str(SCRIPT), face, broker, topic, str(COUNT), str(SIZE)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["buffer_memory"] == BUFFER
    sampled = len(range(0, COUNT, 16))  # sustained_load.SAMPLE
    assert result["done"] == sampled and result["failed"] == 0
    marks = sorted({1} | {k * sampled // 10 for k in range(1, 11)})
    rates = [
        16 * (b - a) / (tb - ta)
        for (a, ta), (b, tb) in itertools.pairwise(zip(marks, result["completed"], strict=True))
    ]
    send_rates = [COUNT / 10 / (b - a) for a, b in itertools.pairwise(result["sent"])]
    print(
        f"\n{face}: {COUNT} x {SIZE} B in {result['elapsed']:.1f} s "
        f"({COUNT / result['elapsed']:,.0f} records/s); tenths sent (records/s): "
        f"{[round(r) for r in send_rates]}; tenths acknowledged: "
        f"{[round(r) for r in rates]}; RSS {result['rss_start_mb']:.0f} MB after start, "
        f"{result['rss_peak_mb']:.0f} MB peak"
    )

    indexes = kcat_indexes(broker, topic)
    got = sorted(i for found in indexes.values() for i in found)
    assert got == list(range(COUNT)), "every record exactly once"
    for p, found in indexes.items():
        assert found == sorted(found), f"send order in partition {p}"
    assert result["rss_peak_mb"] <= BUFFER / 2**20 + 64
    # No decay: the last tenth is acknowledged at least at 1/1.5 of the first tenth's rate
    # (often faster: the full buffer drains alone once the sends end). The send side is only
    # printed: its first tenth fills an empty buffer at the caller's own speed, so it measures
    # the caller against the network, and this machine's load, more than any decay.
    assert rates[-1] * 1.5 >= rates[0], rates
