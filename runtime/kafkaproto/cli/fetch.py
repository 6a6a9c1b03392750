"""``kafkaproto fetch --bootstrap H:P --topic T [--partition N] [--offset O] [--max M]``:
print the records of one partition, one value per line (``--format json``: offset, timestamp,
key, value, headers), stopping after ``--max`` records or at the end of the partition.

This module parses arguments and prints; reading is :mod:`kafkaproto.fetcher`'s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from kafkaproto.cli.arguments import (
    add_bootstrap,
    add_client_settings,
    bootstrap_of,
    client_settings,
)
from kafkaproto.cluster import ClusterClient, ClusterClientConfig
from kafkaproto.config import ConfigError
from kafkaproto.errors import KafkaProtoError
from kafkaproto.fetcher import EARLIEST, LATEST, fetch_partition
from kafkaproto.records.record_batch import Record


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
    add_client_settings(parser, "cluster")


def _text(data: bytes | None) -> str | None:
    return None if data is None else bytes(data).decode("utf-8", errors="backslashreplace")


def render(record: Record, fmt: str) -> str:
    if fmt == "text":
        return _text(record.value) or ""
    doc: dict[str, Any] = {
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": _text(record.key),
        "value": _text(record.value),
        "headers": [[k, _text(v)] for k, v in record.headers],
    }
    return json.dumps(doc, ensure_ascii=False)


def _offset(text: str) -> int:
    named = {"earliest": EARLIEST, "latest": LATEST}
    if text in named:
        return named[text]
    value = int(text)
    if value < 0:
        raise ValueError("an offset is >= 0, 'earliest' or 'latest'")
    return value


async def _run(args: argparse.Namespace, bootstrap: str, config: ClusterClientConfig) -> int:
    count = 0
    async with asyncio.timeout(args.timeout):
        async with ClusterClient(bootstrap, config) as client:
            async for record in fetch_partition(
                client, args.topic, args.partition, _offset(args.offset), max_records=args.max
            ):
                print(render(record, args.format))
                count += 1
    return count


def run(args: argparse.Namespace) -> int:
    try:
        settings = {"client.id": "kafkaproto-fetch", **client_settings(args)}
        bootstrap = bootstrap_of(settings)
        config = ClusterClientConfig(settings)
    except ConfigError as exc:
        print(f"fetch: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_run(args, bootstrap, config))
    except (KafkaProtoError, ValueError, OSError, TimeoutError) as exc:
        print(f"fetch: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
