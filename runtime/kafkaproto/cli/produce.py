"""``kafkaproto produce --bootstrap H:P --topic T``: send each line of stdin (or
``--file``) as one record value, ``--key-separator SEP`` splitting key from value, then print a
summary: records, bytes, rate, latency from send to acknowledgement (p50/p99) and errors.

With ``--transactional-id ID`` the records go in transactions (``init_transactions`` once, then
one transaction per ``--transaction-size N`` records, all of them in one by default), each
committed, or aborted with ``--abort`` (after its records were written: read_uncommitted readers
see them, read_committed ones never do). A transaction whose commit fails is aborted and its
records counted as failed.

A progress line (records, records/s) is drawn on stderr only when stderr is a terminal. The exit
code is 1 when any record failed (or a transaction could not be committed), 2 for bad settings.
Producing is :class:`kafkaproto.producer.sync_producer.Producer`'s; this module reads lines,
counts and prints.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from kafkaproto.cli.arguments import add_bootstrap, add_client_settings, client_settings
from kafkaproto.config import ConfigError
from kafkaproto.errors import KafkaProtoError
from kafkaproto.producer.config import ProducerConfig
from kafkaproto.producer.errors import TransactionAbortRequiredError
from kafkaproto.producer.record import ProducerRecord, RecordMetadata
from kafkaproto.producer.sync_producer import Producer

PROGRESS_INTERVAL = 0.2
MAX_ERRORS_SHOWN = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--file", default=None, help="read lines from this file, not stdin")
    parser.add_argument(
        "--key-separator",
        default=None,
        metavar="SEP",
        help="split each line at the first SEP into key and value (lines without it: no key)",
    )
    parser.add_argument("--partition", type=int, default=None, help="send every record here")
    parser.add_argument("--acks", choices=("0", "1", "all", "-1"), default=None)
    parser.add_argument("--linger-ms", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--compression", choices=("none", "gzip", "snappy", "lz4", "zstd"), default=None
    )
    add_client_settings(parser, "producer")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds for the final flush and close"
    )
    parser.add_argument(
        "--transactional-id",
        default=None,
        metavar="ID",
        help="send in transactions with this transactional.id",
    )
    parser.add_argument(
        "--transaction-size",
        type=int,
        default=None,
        metavar="N",
        help="records per transaction (default: all in one); needs --transactional-id",
    )
    parser.add_argument(
        "--abort",
        action="store_true",
        help="abort every transaction instead of committing it; needs --transactional-id",
    )


def settings_from(args: argparse.Namespace) -> dict[str, object]:
    """The producer's settings: ``--command-config``, ``--bootstrap``, the named options, then
    every ``-X`` (which win)."""
    named = {
        "acks": args.acks,
        "linger.ms": args.linger_ms,
        "batch.size": args.batch_size,
        "compression.type": args.compression,
        "transactional.id": args.transactional_id,
    }
    return client_settings(args, named)


def split_lines(stream: IO[bytes], separator: bytes | None) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per line, the line end (``\\n`` or ``\\r\\n``) removed."""
    for line in stream:
        if line.endswith(b"\n"):
            line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        if separator is not None:
            key, sep, value = line.partition(separator)
            if sep:
                yield key, value
                continue
        yield None, line


@dataclass
class Tally:
    """What the callbacks (on the producer's thread) and the reader (main thread) count."""

    sent: int = 0
    bytes: int = 0
    acked: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    committed: int = 0
    aborted: int = 0
    transaction_failures: int = 0
    transaction_version: int | None = None

    def callback(self, started: float) -> Any:
        def done(meta: RecordMetadata | None, exc: BaseException | None) -> None:
            elapsed = time.monotonic() - started
            with self.lock:
                if exc is None:
                    self.acked += 1
                    self.latencies.append(elapsed)
                else:
                    self.failed += 1
                    text = f"{type(exc).__name__}: {exc}"
                    self.errors[text] = self.errors.get(text, 0) + 1

        return done


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of already sorted values; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def summary(tally: Tally, seconds: float) -> str:
    lat = sorted(tally.latencies)
    rate = tally.acked / seconds if seconds > 0 else 0.0
    lines = [
        f"records: {tally.sent} sent, {tally.acked} acknowledged, {tally.failed} failed",
        f"bytes: {tally.bytes} in {seconds:.2f} s ({rate:,.0f} records/s, "
        f"{tally.bytes / seconds / 1e6 if seconds > 0 else 0.0:.2f} MB/s)",
        f"latency send->ack: p50 {percentile(lat, 50) * 1000:.1f} ms, "
        f"p99 {percentile(lat, 99) * 1000:.1f} ms, max {(lat[-1] if lat else 0.0) * 1000:.1f} ms",
    ]
    for i, (text, n) in enumerate(sorted(tally.errors.items(), key=lambda kv: -kv[1])):
        if i == MAX_ERRORS_SHOWN:
            lines.append(f"error: ... {len(tally.errors) - i} more kinds")
            break
        lines.append(f"error: {n} x {text}")
    if tally.transaction_version is not None:
        lines.append(
            f"transactions: {tally.committed} committed, {tally.aborted} aborted, "
            f"{tally.transaction_failures} failed to commit "
            f"(transaction version {tally.transaction_version})"
        )
    return "\n".join(lines)


class Progress:
    """A one-line records/s meter on stderr, redrawn at most every PROGRESS_INTERVAL seconds."""

    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self._next = self.started

    def update(self, tally: Tally, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + PROGRESS_INTERVAL
        rate = tally.acked / max(now - self.started, 1e-9)
        done = tally.acked + tally.failed
        width = 30
        filled = width if tally.sent == 0 else width * done // tally.sent
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r[{bar}] {done:,}/{tally.sent:,} records {rate:,.0f}/s {tally.failed} failed "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Transactions:
    """One transaction per ``--transaction-size`` records on the producer, committed or (with
    ``--abort``) aborted; a commit that fails aborts the transaction instead."""

    def __init__(self, producer: Producer[bytes, bytes], args: argparse.Namespace, tally: Tally):
        self.producer = producer
        self.size = args.transaction_size
        self.abort = args.abort
        self.tally = tally
        self.in_transaction = 0
        producer.init_transactions()
        tally.transaction_version = producer.transaction_version
        producer.begin_transaction()

    def sent(self) -> None:
        self.in_transaction += 1
        if self.size is not None and self.in_transaction >= self.size:
            self.end()
            self.producer.begin_transaction()

    def end(self) -> None:
        producer = self.producer
        self.in_transaction = 0
        if self.abort:
            producer.flush()  # written first: aborted records are in the log, never visible
            producer.abort_transaction()
            self.tally.aborted += 1
            return
        try:
            producer.commit_transaction()
            self.tally.committed += 1
        except TransactionAbortRequiredError as exc:
            print(f"produce: commit failed, aborting: {exc}", file=sys.stderr)
            producer.abort_transaction()
            self.tally.aborted += 1
            self.tally.transaction_failures += 1


def produce(args: argparse.Namespace, stream: IO[bytes]) -> Tally:
    separator = None if args.key_separator is None else args.key_separator.encode()
    tally = Tally()
    progress = Progress(sys.stderr, sys.stderr.isatty())
    started = time.monotonic()
    producer: Producer[bytes, bytes] = Producer(ProducerConfig(settings_from(args)))
    try:
        txn = Transactions(producer, args, tally) if args.transactional_id is not None else None
        for key, value in split_lines(stream, separator):
            record = ProducerRecord(args.topic, value, key=key, partition=args.partition)
            tally.sent += 1
            tally.bytes += len(value) + (0 if key is None else len(key))
            producer.send(record, callback=tally.callback(time.monotonic()))
            if txn is not None:
                txn.sent()
            progress.update(tally)
        if txn is not None:
            txn.end()
        producer.flush(args.timeout)
    finally:
        producer.close(args.timeout)
    progress.update(tally, force=True)
    progress.finish()
    print(summary(tally, time.monotonic() - started))
    return tally


def check_arguments(args: argparse.Namespace) -> None:
    if args.transactional_id is None:
        for given, name in (
            (args.transaction_size is not None, "--transaction-size"),
            (args.abort, "--abort"),
        ):
            if given:
                raise ConfigError("transactional.id", None, f"{name} needs --transactional-id")
    elif args.transaction_size is not None and args.transaction_size < 1:
        raise ConfigError("--transaction-size", args.transaction_size, "must be at least 1")


def run(args: argparse.Namespace) -> int:
    try:
        check_arguments(args)
        if args.file is not None:
            with open(args.file, "rb") as stream:
                tally = produce(args, stream)
        else:
            tally = produce(args, sys.stdin.buffer)
    except ConfigError as exc:
        print(f"produce: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except (KafkaProtoError, OSError, TimeoutError) as exc:
        print(f"produce: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    unresolved = tally.sent - tally.acked - tally.failed
    if unresolved:
        print(f"produce: {unresolved} record(s) never resolved", file=sys.stderr)
    return 1 if tally.failed or unresolved or tally.transaction_failures else 0
