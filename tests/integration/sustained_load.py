"""Run as a child process by test_producer_sustained.py (so its memory is the producer's alone):
send COUNT records of SIZE bytes to TOPIC through one producer face with the default settings,
in the plainest loop a user would write, and print one JSON line of what happened.

    python sustained_load.py {sync|async} BOOTSTRAP TOPIC COUNT SIZE

Every SAMPLE-th record gets a completion callback that only counts (a callback on every record
would make the loop a different one: each costs time and keeps its future alive until the
batch completes), so the JSON can say: ``completed`` (the monotonic times at which the first
sampled record, then each tenth of them, had been acknowledged, in whatever order they
completed), ``failed`` (sampled records whose future failed),
``elapsed`` (s, first send to the last acknowledgement), ``rss_start_mb`` (after the producer
started), ``rss_peak_mb`` (VmHWM: the process's own peak; ``ru_maxrss`` would count the
parent's pages it was forked with) and ``buffer_memory``. Values are ``b"%09d|"`` + padding,
the index first, so the reader can check order."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from kafkaproto.producer.async_producer import AsyncProducer
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.sync_producer import Producer

SAMPLE = 16


def value(i: int, size: int) -> bytes:
    return b"%09d|" % i + b"x" * (size - 10)


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


class Completions:
    """Counts completed records; notes the time of the first and of every tenth."""

    def __init__(self, count: int, clock: Any) -> None:
        self.clock = clock
        self.done = 0
        self.failed = 0
        sampled = len(range(0, count, SAMPLE))
        self.marks = {1} | {k * sampled // 10 for k in range(1, 11)}
        self.times: list[float] = []

    def completed(self, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        if self.done in self.marks:
            self.times.append(self.clock())


def run_sync(bootstrap: str, topic: str, count: int, size: int) -> dict[str, Any]:
    completions = Completions(count, time.monotonic)

    def callback(meta: RecordMetadata | None, error: BaseException | None) -> None:
        completions.completed(error is not None)  # on the producer's loop thread

    with Producer(bootstrap_servers=bootstrap) as producer:
        producer.send(ProducerRecord(topic, b"warm-up")).result(60)
        start_rss = status_mb("VmRSS")
        tenths = {k * count // 10 - 1 for k in range(1, 11)}
        t0 = time.monotonic()
        sent = [t0]
        for i in range(count):
            producer.send(ProducerRecord(topic, value(i, size)), None if i % SAMPLE else callback)
            if i in tenths:
                sent.append(time.monotonic())
        producer.flush()
        elapsed = time.monotonic() - t0
        buffer_memory = producer.config.buffer_memory
    return report(completions, sent, elapsed, start_rss, buffer_memory)


async def run_async(bootstrap: str, topic: str, count: int, size: int) -> dict[str, Any]:
    completions = Completions(count, time.monotonic)

    def callback(future: Any) -> None:
        completions.completed(future.exception() is not None)

    async with AsyncProducer(bootstrap_servers=bootstrap) as producer:
        await (await producer.send(ProducerRecord(topic, b"warm-up")))
        start_rss = status_mb("VmRSS")
        tenths = {k * count // 10 - 1 for k in range(1, 11)}
        t0 = time.monotonic()
        sent = [t0]
        for i in range(count):
            future = await producer.send(ProducerRecord(topic, value(i, size)))
            if not i % SAMPLE:
                future.add_done_callback(callback)
            if i in tenths:
                sent.append(time.monotonic())
        await producer.flush()
        elapsed = time.monotonic() - t0
        await asyncio.sleep(0)  # the last batch's done-callbacks
        buffer_memory = producer.config.buffer_memory
    return report(completions, sent, elapsed, start_rss, buffer_memory)


def report(
    completions: Completions,
    sent: list[float],
    elapsed: float,
    start_rss: float,
    buffer_memory: int,
) -> dict[str, Any]:
    return {
        "elapsed": elapsed,
        "sent": sent,
        "completed": completions.times,
        "done": completions.done,
        "failed": completions.failed,
        "rss_start_mb": start_rss,
        "rss_peak_mb": status_mb("VmHWM"),
        "buffer_memory": buffer_memory,
    }


def main() -> None:
    face, bootstrap, topic, count, size = sys.argv[1:6]
    if face == "sync":
        result = run_sync(bootstrap, topic, int(count), int(size))
    else:
        result = asyncio.run(run_async(bootstrap, topic, int(count), int(size)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
