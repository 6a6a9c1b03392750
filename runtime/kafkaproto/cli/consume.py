"""``kafkaproto consume --bootstrap B --topic T [--partition P] [--group G] [--from-beginning]
[--offset O] [--max N] [--timeout-ms MS] [--until-end] [--format json]``: print the records of a
topic, one value per line (``--format json``: topic, partition, offset, timestamp, key, value,
headers), as Kafka's console consumer does.

It reads every partition of the topic (or ``--partition``), starting at the group's committed
offsets (``--group``), else at the end of the log, or the start with ``--from-beginning``. With
``--group`` and no ``--partition`` it joins the group (``subscribe``, the configured
``group.protocol``) and reads the partitions the group gives it, so several ``consume --group G``
(and Java consumers of G) share the topic. A group's offsets are committed as records are printed
(every ``auto.commit.interval.ms``, when a partition is revoked, and at the end), up to the last
record printed — not up to what the last poll fetched, so ``--max`` leaves the rest for the next
run; ``--offset`` starts ``--partition`` at an offset, ``earliest`` or ``latest``. It stops
after ``--max`` records, when no record came for ``--timeout-ms`` (Kafka's console consumer's
option), or with ``--until-end`` at the end offsets seen when it started (in a group: once every
partition it owns is there). Progress and lag are drawn on stderr when it is a terminal.
Reading never creates a topic: ``allow.auto.create.topics`` is false unless ``-X`` says
otherwise. Exit status: 0, 1 for a consumer error, 2 for bad settings, 130 on Ctrl-C.

``fetch`` is this command with other defaults (one partition, from the earliest offset, until
the end): :mod:`kafkaproto.cli.fetch`. Consuming is
:class:`kafkaproto.consumer.sync_consumer.Consumer`'s; this module chooses, prints and counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import IO, Any

from kafkaproto.cli.arguments import add_bootstrap, add_client_settings, client_settings

PROGRESS_INTERVAL = 0.5
POLL_SECONDS = 0.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True)
    parser.add_argument(
        "--partition", type=int, default=None, help="only this partition (default: all)"
    )
    parser.add_argument("--group", default=None, help="group.id: start at, and commit, its offsets")
    parser.add_argument(
        "--from-beginning",
        action="store_true",
        help="start at the earliest offset where nothing is committed (default: the latest)",
    )
    parser.add_argument(
        "--offset",
        default=None,
        help="start --partition at this offset, 'earliest' or 'latest'",
    )
    parser.add_argument("--max", type=int, default=None, help="stop after this many records")
    parser.add_argument(
        "--timeout-ms",
        type=int,
        default=None,
        help="stop when no record came for this long (Kafka's console consumer's option)",
    )
    parser.add_argument(
        "--until-end", action="store_true", help="stop at the end offsets seen at the start"
    )
    parser.add_argument(
        "--isolation-level", choices=("read_uncommitted", "read_committed"), default=None
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_client_settings(parser, "consumer")


@dataclass
class Options:
    """What to read and when to stop, whichever command asked."""

    topic: str
    partition: int | None
    offset: str | None
    max_records: int | None
    idle_timeout_ms: int | None
    until_end: bool
    fmt: str
    deadline: float | None = None  # time.monotonic() by which the whole read ends (fetch)


def _text(data: bytes | None) -> str | None:
    return None if data is None else bytes(data).decode("utf-8", errors="backslashreplace")


def render(record: Any, fmt: str) -> str:
    if fmt == "text":
        return _text(record.value) or ""
    doc: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": _text(record.key),
        "value": _text(record.value),
        "headers": [[k, _text(v)] for k, v in record.headers],
    }
    return json.dumps(doc, ensure_ascii=False)


def _start_offset(text: str) -> str | int:
    if text in ("earliest", "latest"):
        return text
    value = int(text)
    if value < 0:
        raise ValueError("an offset is >= 0, 'earliest' or 'latest'")
    return value


def settings_from(args: argparse.Namespace) -> dict[str, object]:
    named: dict[str, object] = {
        "group.id": args.group,
        "auto.offset.reset": "earliest" if args.from_beginning else None,
        "isolation.level": args.isolation_level,
        # Committed here, record by printed record (see the module docstring).
        "enable.auto.commit": "false" if args.group is not None else None,
    }
    # Reading must not create the topic it was told to read (a typo would).
    return {"allow.auto.create.topics": "false", **client_settings(args, named)}


def consume(command: str, settings: dict[str, object], options: Options, out: IO[str]) -> int:
    """The one code path of ``consume`` and ``fetch``; returns the exit status."""
    from kafkaproto.config import ConfigError
    from kafkaproto.consumer.config import ConsumerConfig
    from kafkaproto.consumer.record import TopicPartition
    from kafkaproto.consumer.sync_consumer import Consumer
    from kafkaproto.error_codes import UnknownTopicOrPartitionError
    from kafkaproto.errors import KafkaProtoError

    try:
        config = ConsumerConfig(settings)
        start = _start_offset(options.offset) if options.offset is not None else None
        if start is not None and options.partition is None:
            raise ConfigError("--offset", options.offset, "needs --partition")
    except (ConfigError, ValueError) as exc:
        print(f"{command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    count = 0
    progress = sys.stderr.isatty()
    consumer: Consumer[bytes, bytes] | None = None
    printed: dict[TopicPartition, int] = {}  # next offset after the last printed record
    try:
        consumer = Consumer(config)
        timeout = None
        if options.deadline is not None:
            timeout = max(options.deadline - time.monotonic(), 0)
        if options.partition is not None:
            partitions = [options.partition]
        else:
            partitions = consumer.partitions_for(options.topic, timeout)
            if not partitions:
                raise UnknownTopicOrPartitionError(f"topic {options.topic!r} does not exist")
        assigned = [TopicPartition(options.topic, p) for p in partitions]
        group_member = config.group_id is not None and options.partition is None
        if group_member:
            consumer.subscribe([options.topic], _CommitPrinted(consumer, printed, out))
        else:
            consumer.assign(assigned)
        if start == "earliest":
            consumer.seek_to_beginning(assigned)
        elif start == "latest":
            consumer.seek_to_end(assigned)
        elif isinstance(start, int):
            consumer.seek(assigned[0], start)
        ends: dict[TopicPartition, int] = {}
        if options.until_end:
            ends = consumer.end_offsets(assigned, timeout)
        pending = {tp for tp in assigned if ends.get(tp, 0) > 0} if options.until_end else set()
        if options.until_end and not group_member:
            # Partitions already at their end need no record: where do they start?
            for tp in list(pending):
                if consumer.position(tp, timeout) >= ends[tp]:
                    pending.discard(tp)
        commit_every = config.auto_commit_interval_ms / 1000
        next_commit = time.monotonic() + commit_every
        last_record = time.monotonic()
        next_progress = last_record + PROGRESS_INTERVAL
        while not options.until_end or pending:
            if options.max_records is not None and count >= options.max_records:
                break
            if group_member and options.until_end and _owned_at_end(consumer, ends, timeout):
                break
            now = time.monotonic()
            if options.deadline is not None and now >= options.deadline:
                raise TimeoutError(f"the read did not finish in time ({count} records read)")
            if options.idle_timeout_ms is not None and (
                now - last_record >= options.idle_timeout_ms / 1000
            ):
                break
            records = consumer.poll(POLL_SECONDS)
            for record in records:
                tp = TopicPartition(record.topic, record.partition)
                if options.until_end and (tp not in pending or record.offset >= ends[tp]):
                    continue
                out.write(render(record, options.fmt) + "\n")
                count += 1
                printed[tp] = record.offset + 1
                if options.until_end and record.offset + 1 >= ends[tp]:
                    pending.discard(tp)
                if options.max_records is not None and count >= options.max_records:
                    break
            if records:
                last_record = time.monotonic()
            if config.group_id is not None and printed and time.monotonic() >= next_commit:
                next_commit = time.monotonic() + commit_every
                out.flush()
                consumer.commit_async(dict(printed))
            if options.until_end and not group_member:
                for tp in list(pending):
                    if consumer.position(tp, timeout) >= ends[tp]:
                        pending.discard(tp)  # the rest was aborted or compacted away
            if progress and time.monotonic() >= next_progress:
                next_progress = time.monotonic() + PROGRESS_INTERVAL
                owned = consumer.assignment() if group_member else assigned
                lags = [consumer.current_lag(tp) for tp in owned]
                lag = sum(x for x in lags if x is not None)
                sys.stderr.write(f"\r{count} records, lag {lag}   ")
                sys.stderr.flush()
        out.flush()
        if config.group_id is not None and printed:
            offsets = dict(printed)
            printed.clear()
            consumer.commit_sync(offsets, timeout)
    except KeyboardInterrupt:
        return 130
    except (KafkaProtoError, ValueError, OSError, TimeoutError) as exc:
        out.flush()
        print(f"{command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if progress:
            sys.stderr.write(f"\r{count} records" + " " * 20 + "\n")
        if consumer is not None:
            try:
                consumer.close(5)
            except KafkaProtoError as exc:
                print(f"{command}: close: {exc}", file=sys.stderr)
    return 0


class _CommitPrinted:
    """The group member's rebalance listener: what was printed of a partition is committed
    before the partition goes to another member, and forgotten when it was lost."""

    def __init__(self, consumer: Any, printed: dict[Any, int], out: IO[str]) -> None:
        self.consumer = consumer
        self.printed = printed
        self.out = out

    def on_partitions_revoked(self, partitions: list[Any]) -> None:
        offsets = {tp: self.printed.pop(tp) for tp in partitions if tp in self.printed}
        if offsets:
            self.out.flush()
            self.consumer.commit_sync(offsets)

    def on_partitions_assigned(self, partitions: list[Any]) -> None:
        return None

    def on_partitions_lost(self, partitions: list[Any]) -> None:
        for tp in partitions:
            self.printed.pop(tp, None)


def _owned_at_end(consumer: Any, ends: dict[Any, int], timeout: float | None) -> bool:
    """A group member's ``--until-end``: it owns partitions and each is at its end offset."""
    owned = consumer.assignment()
    return bool(owned) and all(consumer.position(tp, timeout) >= ends.get(tp, 0) for tp in owned)


def run(args: argparse.Namespace) -> int:
    from kafkaproto.config import ConfigError

    try:
        settings = settings_from(args)
    except ConfigError as exc:
        print(f"consume: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    options = Options(
        topic=args.topic,
        partition=args.partition,
        offset=args.offset,
        max_records=args.max,
        idle_timeout_ms=args.timeout_ms,
        until_end=args.until_end,
        fmt=args.format,
    )
    return consume("consume", settings, options, sys.stdout)
