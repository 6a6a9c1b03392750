"""Build and parse one RecordBatch v2 of 1,000 records with 100-byte values, uncompressed and
with each codec, with kafkaproto, kafka-python 3 (pure Python ``kafka.record``) and aiokafka
(Cython ``aiokafka.record``) in the same process; prints medians and ratios.

Every library's output is parsed by the others before timing (bytes sanity check). This is a
measuring script: it must never be imported by the library or the tests.

Run: make bench-deps && .venv/bin/python bench/records.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from aiokafka.record.default_records import DefaultRecordBatchBuilder as AioBuilder
from aiokafka.record.memory_records import MemoryRecords as AioMemoryRecords
from kafka.record.default_records import DefaultRecordBatchBuilder as KpBuilder
from kafka.record.memory_records import MemoryRecords as KpMemoryRecords
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.reader import read_batches

N_RECORDS = 1000
VALUE_SIZE = 100
BASE_TS = 1_700_000_000_000
BIG = 1 << 24  # batch size limit large enough for the whole batch in every library


def make_values(seed: int = 7) -> list[bytes]:
    """JSON-like event payloads of exactly VALUE_SIZE bytes: compressible like real traffic."""
    rng = random.Random(seed)
    events = ["click", "view", "purchase", "login", "logout", "search"]
    out = []
    for i in range(N_RECORDS):
        v = (
            f'{{"id":{rng.randrange(10**9)},"event":"{rng.choice(events)}",'
            f'"ts":{BASE_TS + i},"session":"{rng.getrandbits(64):016x}","v":"'
        ).encode()
        out.append((v + b"x" * VALUE_SIZE)[: VALUE_SIZE - 2] + b'"}')
    return out


VALUES = make_values()
# The producer's timestamps advance during a batch; a few ms over 1,000 records.
TIMESTAMPS = [BASE_TS + i // 200 for i in range(N_RECORDS)]


def build_kafkaproto(codec: int) -> bytes:
    b = BatchBuilder(batch_size=BIG, compression=CompressionType(codec))
    append = b.append
    for value, ts in zip(VALUES, TIMESTAMPS, strict=True):
        append(None, value, ts)
    return b.build()


def build_kafka_python(codec: int) -> bytes:
    b = KpBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=BIG,
    )
    for i, (value, ts) in enumerate(zip(VALUES, TIMESTAMPS, strict=True)):
        b.append(i, timestamp=ts, key=None, value=value, headers=[])
    return bytes(b.build())


def build_aiokafka(codec: int) -> bytes:
    b = AioBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=BIG,
    )
    for i, (value, ts) in enumerate(zip(VALUES, TIMESTAMPS, strict=True)):
        b.append(i, timestamp=ts, key=None, value=value, headers=[])
    return bytes(b.build())


def parse_kafkaproto(data: bytes) -> list[bytes | None]:
    return [r.value for r in read_batches(data).batches[0].records]


def parse_kafka_python(data: bytes) -> list[bytes | None]:
    batch = KpMemoryRecords(data).next_batch()
    assert batch is not None and batch.validate_crc()
    return [r.value for r in batch]


def parse_aiokafka(data: bytes) -> list[bytes | None]:
    batch = AioMemoryRecords(data).next_batch()
    assert batch is not None and batch.validate_crc()
    return [r.value for r in batch]


BUILDERS: dict[str, Callable[[int], bytes]] = {
    "kafkaproto": build_kafkaproto,
    "kafka-python": build_kafka_python,
    "aiokafka": build_aiokafka,
}
PARSERS: dict[str, Callable[[bytes], list[bytes | None]]] = {
    "kafkaproto": parse_kafkaproto,
    "kafka-python": parse_kafka_python,
    "aiokafka": parse_aiokafka,
}


def median_us(fn: Callable[[], object], runs: int, inner: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--inner", type=int, default=5)
    args = ap.parse_args()
    expected = list(VALUES)
    print(f"{N_RECORDS} records x {VALUE_SIZE}-byte values per batch; median of {args.runs} runs")
    print(
        f"{'op':6} {'codec':7} {'kafkaproto':>11} {'kafka-py':>9} {'aiokafka':>9}"
        f" {'kp/kafkaproto':>14} {'kafkaproto/aio':>15}   (us per batch)"
    )
    for codec in CompressionType:
        outputs = {name: build(codec) for name, build in BUILDERS.items()}
        for maker, data in outputs.items():  # every library reads every library's batch
            for reader, parse in PARSERS.items():
                assert parse(data) == expected, (codec.name, maker, reader)
        t_build = {
            name: median_us(lambda b=build, c=codec: b(c), args.runs, args.inner)  # type: ignore[misc]
            for name, build in BUILDERS.items()
        }
        # Parse the same bytes (kafkaproto's) with every library.
        data = outputs["kafkaproto"]
        t_parse = {
            name: median_us(lambda p=parse, d=data: p(d), args.runs, args.inner)  # type: ignore[misc]
            for name, parse in PARSERS.items()
        }
        for op, t in (("build", t_build), ("parse", t_parse)):
            print(
                f"{op:6} {codec.name.lower():7} {t['kafkaproto']:11.0f} {t['kafka-python']:9.0f}"
                f" {t['aiokafka']:9.0f} {t['kafka-python'] / t['kafkaproto']:13.2f}x"
                f" {t['kafkaproto'] / t['aiokafka']:14.2f}x"
            )


if __name__ == "__main__":
    main()
