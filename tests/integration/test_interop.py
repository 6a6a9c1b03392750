"""Interop: record batches between kafkaproto, librdkafka (kcat) and Kafka's Java consumer.

For each codec (none, gzip, snappy, lz4, zstd), through the real broker:

- librdkafka -> us: ``kcat -P -z <codec>`` produces records with keys (null, empty, binary),
  values (empty, non-ASCII, binary, large) and headers (null, empty, repeated, non-ASCII); our
  raw Fetch + ``read_batches`` must give them back intact, every batch marked with the codec
  asked for, CreateTime timestamps taken by librdkafka while kcat ran.
- us -> librdkafka and Java: batches built by our ``BatchBuilder`` with that codec, sent with a
  raw Produce, are read back by ``kcat -C`` and by Kafka's ``ConsoleConsumer`` (the Java
  client), whose parsed output must equal what we wrote: offsets, explicit timestamps (also
  out of order), keys, values, headers. The broker keeps our compressed bytes as they are
  (topic ``compression.type=producer``), which the test checks, so the consumers decode our
  codec framing, not a recompression by the broker.

kcat comes from ``make kcat`` (a test fails if it is missing); the Java tests skip only when no
``java`` is installed. Every subprocess has a timeout; topic names are unique per test run.
Marked `broker`.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from kafkaproto.cluster import ClusterClient
from kafkaproto.fetcher import EARLIEST, fetch_partition
from kafkaproto.records.batch_builder import BatchBuilder
from kafkaproto.records.compression import CompressionType
from kafkaproto.records.reader import read_batches
from kafkaproto.records.record_batch import (
    LOG_OVERHEAD,
    RECORD_BATCH_OVERHEAD,
    Header,
    Record,
    RecordBatch,
    TimestampType,
)
from raw_client import (
    Connection,
    broker_ranges,
    create_topic,
    delete_topic,
    fetch_records,
    produce_batch,
)

pytestmark = pytest.mark.broker

HERE: Final = Path(__file__).resolve().parent
KCAT_TIMEOUT: Final = 60.0
JAVA_TIMEOUT: Final = 120.0
CODECS: Final = {
    "none": CompressionType.NONE,
    "gzip": CompressionType.GZIP,
    "snappy": CompressionType.SNAPPY,
    "lz4": CompressionType.LZ4,
    "zstd": CompressionType.ZSTD,
}

# Separators for the consumers' output. Keys, values and header values of the records below
# avoid them (and the null marker), so the output splits unambiguously; header keys also avoid
# ':' ',' '=' and header values ',', which the two tools print between a header's parts.
REC_SEP: Final = b"\x1e"
FIELD_SEP: Final = b"\x1f"
HEADER_SEP: Final = b"\x1d"
NULL: Final = b"\x15NULL"
SEPARATORS: Final = (REC_SEP, FIELD_SEP, HEADER_SEP, b"\x15")

Expected = tuple[int, int, bytes | None, bytes | None, tuple[Header, ...]]


def unique_topic(what: str) -> str:
    return f"kafkaproto-interop-{what}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def conn(broker: str) -> Iterator[Connection]:
    with Connection(broker, client_id="kafkaproto-interop") as c:
        yield c


@pytest.fixture(scope="session")
def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not on PATH: run `make kcat` (make test does)")
    return path


def run(cmd: Sequence[str | bytes], timeout: float, stdin: bytes = b"") -> bytes:
    """Run a tool to completion (bounded); fail with its stderr unless it exits 0."""
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{cmd[0]!r} did not finish in {timeout}s; stderr: {e.stderr!r}")
    assert proc.returncode == 0, (cmd, proc.returncode, proc.stderr.decode(errors="replace"))
    return proc.stdout


def fetch_all(conn: Connection, topic_id: uuid.UUID, count: int) -> list[RecordBatch]:
    """Every batch of partition 0, fetched until ``count`` records are in (bounded)."""
    ranges = broker_ranges(conn)
    batches: list[RecordBatch] = []
    offset = 0
    deadline = time.monotonic() + 15
    while offset < count:
        assert time.monotonic() < deadline, f"only {offset}/{count} records fetched"
        high_watermark, data = fetch_records(conn, ranges, topic_id, offset)
        assert high_watermark == count
        read = read_batches(data)
        for batch in read.batches:
            assert isinstance(batch, RecordBatch)
            batches.append(batch)
            offset = batch.next_offset
    return batches


async def read_with_fetcher(bootstrap: str, topic: str) -> list[Record]:
    async with ClusterClient(bootstrap) as client:
        return [r async for r in fetch_partition(client, topic, 0, EARLIEST)]


# ---- librdkafka -> us -------------------------------------------------------------------------

# kcat splits its input at REC_SEP into messages and each at the first FIELD_SEP into key and
# value (no FIELD_SEP: null key). Values may hold anything but REC_SEP; without -Z an empty value
# is sent as empty, not null.
KCAT_RECORDS: Final[list[tuple[bytes | None, bytes]]] = [
    (b"k0", b"hello"),
    (None, "unicode \u00e9\u65e5\U0001f600 no key".encode()),
    (b"", b"empty key"),
    (b"k3", b""),
    ("\u043a\u043b\u044e\u0447".encode(), b"bin \x00\x01\x7f\x80\xfe\xff and \x1f in a value"),
    (b"\x00\xffbinary key", b"x" * 5000),
    *[(f"key-{i}".encode(), f"value {i} ".encode() * (i % 17 + 1)) for i in range(6, 200)],
]
# -H key=value on every message; "n" without '=' is a null value, "eq" splits at the first '='.
KCAT_HEADER_ARGS: Final = [
    b"a=1",
    b"n",
    b"e=",
    b"dup=x",
    b"dup=y",
    "\u00fc=wert \u00df".encode(),
    b"eq=a=b",
]
KCAT_HEADERS: Final[tuple[Header, ...]] = (
    ("a", b"1"),
    ("n", None),
    ("e", b""),
    ("dup", b"x"),
    ("dup", b"y"),
    ("\u00fc", "wert \u00df".encode()),
    ("eq", b"a=b"),
)


@pytest.mark.parametrize("codec", list(CODECS))
def test_we_read_what_librdkafka_writes(
    conn: Connection, broker: str, kcat: str, codec: str
) -> None:
    ranges = broker_ranges(conn)
    name = unique_topic(f"rdk-{codec}")
    topic_id = create_topic(conn, ranges, name)
    try:
        stdin = b"".join(
            (value if key is None else key + FIELD_SEP + value) + REC_SEP
            for key, value in KCAT_RECORDS
        )
        cmd: list[str | bytes] = [
            kcat,
            "-P",
            "-b",
            broker,
            "-t",
            name,
            "-p",
            "0",
            "-z",
            codec,
            "-D",
            "\\x1e",
            "-K",
            "\\x1f",
            "-m",
            "10",
            "-X",
            "message.timeout.ms=20000",
        ]
        for header in KCAT_HEADER_ARGS:
            cmd += ["-H", header]
        before = time.time_ns() // 1_000_000
        run(cmd, KCAT_TIMEOUT, stdin)
        after = time.time_ns() // 1_000_000

        batches = fetch_all(conn, topic_id, len(KCAT_RECORDS))
        records = [r for b in batches for r in b.records]
        assert [(r.offset, r.key, r.value, r.headers) for r in records] == [
            (i, key, value, KCAT_HEADERS) for i, (key, value) in enumerate(KCAT_RECORDS)
        ]
        # And through kafkaproto's own fetch path (what `python -m kafkaproto fetch` uses).
        fetched = asyncio.run(read_with_fetcher(broker, name))
        assert [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in fetched] == [
            (r.offset, r.timestamp, r.key, r.value, r.headers) for r in records
        ]
        # librdkafka compresses a batch only when that makes it smaller: these records do
        # compress, but a batch its linger cut down to a few records may go out plain. The bulk
        # must carry the codec asked for.
        asked = CODECS[codec]
        assert any(b.compression is asked for b in batches)
        for b in batches:
            assert b.compression is asked or (
                b.compression is CompressionType.NONE and len(b.records) <= 5
            ), (b.compression, len(b.records))
        for batch in batches:
            assert batch.timestamp_type is TimestampType.CREATE_TIME
            assert not batch.is_control and not batch.is_transactional
            stamps = [r.timestamp for r in batch.records]
            assert batch.base_timestamp == stamps[0]
            assert batch.max_timestamp == max(stamps)
        # kcat cannot set timestamps: librdkafka stamps each message when kcat produces it.
        stamps = [r.timestamp for r in records]
        assert before <= stamps[0] and stamps[-1] <= after, (before, stamps[0], stamps[-1], after)
        assert stamps == sorted(stamps)
    finally:
        delete_topic(conn, ranges, name)


# ---- us -> librdkafka and Java ---------------------------------------------------------------

T0: Final = 1_700_000_000_000
# Two batches per codec: edge cases, then bulk. Timestamps are explicit and not monotonic (a
# record older than its batch's first gives a negative delta).
OUR_EDGE_RECORDS: Final[list[tuple[bytes | None, bytes | None, int, tuple[Header, ...]]]] = [
    (b"k1", b"hello", T0, ()),
    (None, "unicode \u00e9\u65e5\U0001f600".encode(), T0 + 1, (("trace", b"abc"),)),
    (b"", b"", T0 + 5, (("n", None), ("e", b""), ("dup", b"1"), ("dup", b"2"))),
    ("\u043a\u043b\u044e\u0447".encode(), None, T0 - 3, (("\u00fc-key", "wert \u00df".encode()),)),
    (
        b"\x00\xfe\xff bin",
        bytes(b for b in range(256) if bytes((b,)) not in SEPARATORS),
        T0 + 1000,
        (("bin", b"\x01\x7f\x80\xff"),),
    ),
    (b"k6", b"x" * 3000, T0 + 2, ()),
]
OUR_BULK_RECORDS: Final[list[tuple[bytes | None, bytes | None, int, tuple[Header, ...]]]] = [
    (
        f"key-{i}".encode(),
        f"value {i} \u00e9 ".encode() * (i % 23 + 1),
        T0 + 10 * i - (7 if i % 5 == 0 else 0),
        (("i", str(i).encode()),) if i % 3 else (),
    )
    for i in range(300)
]


def our_expected() -> list[Expected]:
    records = OUR_EDGE_RECORDS + OUR_BULK_RECORDS
    for key, value, _, headers in records:
        for data in (key, value, *(v for _, v in headers)):
            assert data is None or not any(sep in data for sep in SEPARATORS)
    return [(i, ts, key, value, headers) for i, (key, value, ts, headers) in enumerate(records)]


@dataclass(frozen=True)
class OurTopic:
    name: str
    codec: CompressionType
    expected: list[Expected]


@pytest.fixture(scope="module", params=list(CODECS))
def our_topic(request: pytest.FixtureRequest, broker: str) -> Iterator[OurTopic]:
    """A topic holding our two batches in codec ``request.param``, checked byte for byte on
    the broker."""
    codec = CODECS[request.param]
    name = unique_topic(f"ours-{request.param}")
    with Connection(broker, client_id="kafkaproto-interop") as conn:
        ranges = broker_ranges(conn)
        topic_id = create_topic(conn, ranges, name)
        try:
            sent: list[bytes] = []
            for part, base_offset in (
                (OUR_EDGE_RECORDS, 0),
                (OUR_BULK_RECORDS, len(OUR_EDGE_RECORDS)),
            ):
                builder = BatchBuilder(compression=codec, batch_size=1 << 20)
                for key, value, ts, headers in part:
                    assert builder.append(key, value, timestamp=ts, headers=headers) >= 0
                sent.append(builder.build())
                assert produce_batch(conn, topic_id, sent[-1]) == base_offset
            expected = our_expected()
            _, data = fetch_records(conn, ranges, topic_id)
            stored = read_batches(data).batches
            assert [b.compression for b in stored] == [codec, codec]
            # The broker kept our records section byte for byte (no recompression; it rewrote
            # only offsets, leader epoch and CRC), so the consumers below decode our framing.
            pos = 0
            for ours, theirs in zip(sent, stored, strict=True):
                assert isinstance(theirs, RecordBatch)
                end = pos + LOG_OVERHEAD + theirs.batch_length
                assert (
                    bytes(data[pos + RECORD_BATCH_OVERHEAD : end]) == ours[RECORD_BATCH_OVERHEAD:]
                )
                pos = end
            assert [
                (r.offset, r.timestamp, r.key, r.value, r.headers)
                for b in stored
                for r in b.records
            ] == expected
            yield OurTopic(name, codec, expected)
        finally:
            delete_topic(conn, ranges, name)


def test_kcat_reads_our_batches(our_topic: OurTopic, broker: str, kcat: str) -> None:
    fmt = "%o\\x1f%T\\x1f%K\\x1f%k\\x1f%S\\x1f%s\\x1f%h\\x1e"
    out = run(
        [
            kcat,
            "-C",
            "-q",
            "-b",
            broker,
            "-t",
            our_topic.name,
            "-p",
            "0",
            "-o",
            "beginning",
            "-e",
            "-c",
            str(len(our_topic.expected)),
            "-m",
            "10",
            "-f",
            fmt,
        ],
        KCAT_TIMEOUT,
    )
    assert parse_kcat(out) == our_topic.expected


def parse_kcat(out: bytes) -> list[Expected]:
    """kcat -f '%o␟%T␟%K␟%k␟%S␟%s␟%h␞': keys and values are cut by their printed sizes (-1 is
    null), so they may hold anything; headers are 'k=v,k2=v2' with NULL for a null value."""
    records: list[Expected] = []
    pos = 0

    def field() -> bytes:
        nonlocal pos
        end = out.index(FIELD_SEP, pos)
        text, pos = out[pos:end], end + 1
        return text

    def sized(size: int) -> bytes | None:
        nonlocal pos
        data = out[pos : pos + max(size, 0)]
        pos += max(size, 0)
        assert out[pos : pos + 1] == FIELD_SEP
        pos += 1
        return None if size < 0 else data

    while pos < len(out):
        offset = int(field())
        ts = int(field())
        key = sized(int(field()))
        value = sized(int(field()))
        end = out.index(REC_SEP, pos)
        text, pos = out[pos:end], end + 1
        headers: list[Header] = []
        for item in text.split(b",") if text else ():
            k, _, v = item.partition(b"=")
            headers.append((k.decode(), None if v == b"NULL" else v))
        records.append((offset, ts, key, value, tuple(headers)))
    return records


def test_java_console_consumer_reads_our_batches(
    our_topic: OurTopic, broker: str, java_tools: list[str]
) -> None:
    props = {
        "print.timestamp": "true",
        "print.offset": "true",
        "print.headers": "true",
        "print.key": "true",
        "key.separator": FIELD_SEP.decode(),
        "line.separator": REC_SEP.decode(),
        "headers.separator": HEADER_SEP.decode(),
        "null.literal": NULL.decode(),
    }
    cmd = [
        *java_tools,
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
        "--bootstrap-server",
        broker,
        "--topic",
        our_topic.name,
        "--partition",
        "0",
        "--offset",
        "earliest",
        "--max-messages",
        str(len(our_topic.expected)),
        "--timeout-ms",
        "20000",
    ]
    for key, value in props.items():
        cmd += ["--formatter-property", f"{key}={value}"]
    out = run(cmd, JAVA_TIMEOUT)
    assert parse_console_consumer(out) == our_topic.expected


def parse_console_consumer(out: bytes) -> list[Expected]:
    """DefaultMessageFormatter with the separators above:
    'CreateTime:<ts>␟Offset:<n>␟<k>:<v>␝<k>:<v>|NO_HEADERS␟<key>␟<value>␞', nulls as NULL."""
    records: list[Expected] = []
    assert out.endswith(REC_SEP) or not out
    for line in out.split(REC_SEP)[:-1]:
        ts, offset, header_text, key, value = line.split(FIELD_SEP)
        assert ts.startswith(b"CreateTime:") and offset.startswith(b"Offset:"), line
        headers: list[Header] = []
        if header_text != b"NO_HEADERS":
            for item in header_text.split(HEADER_SEP):
                k, colon, v = item.partition(b":")
                assert colon, line
                headers.append((k.decode(), None if v == NULL else v))
        records.append(
            (
                int(offset.removeprefix(b"Offset:")),
                int(ts.removeprefix(b"CreateTime:")),
                None if key == NULL else key,
                None if value == NULL else value,
                tuple(headers),
            )
        )
    return records
