"""``kafkaproto fetch --bootstrap H:P --topic T [--partition N] [--offset O] [--max M]``:
print the records of one partition, one value per line (``--format json``: offset, timestamp,
key, value, headers), stopping after ``--max`` records or at the end of the partition.

A thin alias of ``consume``: the same code path (:func:`kafkaproto.cli.consume.consume`) with
fetch's defaults — partition 0, from the earliest offset, until the end offset seen at the
start, the whole read bounded by ``--timeout`` seconds. This module only maps its options.
"""

from __future__ import annotations

import argparse
import sys
import time

from kafkaproto.cli.arguments import add_bootstrap, add_client_settings, client_settings
from kafkaproto.cli.consume import Options, consume


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partition", type=int, default=0)
    parser.add_argument(
        "--offset", default="earliest", help="an offset, 'earliest' (default) or 'latest'"
    )
    parser.add_argument("--max", type=int, default=None, help="stop after this many records")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole read")
    add_client_settings(parser, "consumer")


def run(args: argparse.Namespace) -> int:
    from kafkaproto.config import ConfigError

    try:
        settings = {
            "client.id": "kafkaproto-fetch",
            "allow.auto.create.topics": "false",
            **client_settings(args),
        }
    except ConfigError as exc:
        print(f"fetch: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    options = Options(
        topic=args.topic,
        partition=args.partition,
        offset=args.offset,
        max_records=args.max,
        idle_timeout_ms=None,
        until_end=True,
        fmt=args.format,
        deadline=time.monotonic() + args.timeout,
    )
    return consume("fetch", settings, options, sys.stdout)
