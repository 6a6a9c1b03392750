"""``kafkaproto api-versions --bootstrap HOST:PORT``: connect to a broker, negotiate,
and print per API its key, name, the broker's version range, kafkaproto's (generated, stable) range
and the version a connection would use.

This module only parses arguments, opens one connection and formats what it learned; it must
never decide versions itself (that is :meth:`kafkaproto.connection.Connection.version_for`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping

from kafkaproto.cli.arguments import (
    add_bootstrap,
    add_client_settings,
    bootstrap_of,
    client_settings,
)
from kafkaproto.cluster import ClusterClientConfig, parse_bootstrap
from kafkaproto.config import ConfigError
from kafkaproto.connection import Connection
from kafkaproto.errors import KafkaProtoError
from kafkaproto.messages import APIS
from kafkaproto.security.channel import ChannelSecurity
from kafkaproto.security.definitions import security_config_of

__all__ = ["add_arguments", "render", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``api-versions`` subcommand's arguments to ``parser``."""
    add_bootstrap(parser)
    parser.add_argument("--client-id", default=None, help="client.id to send (kafkaproto-cli)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds for connecting and for the request"
    )
    parser.add_argument(
        "--all", action="store_true", help="also list APIs only kafkaproto knows (broker: -)"
    )
    add_client_settings(parser, "cluster")


def render(
    broker_versions: Mapping[int, tuple[int, int]],
    used: Mapping[int, int],
    *,
    include_unknown: bool = False,
) -> str:
    """The table: one row per API key the broker announced (and, with ``include_unknown``, per
    API only kafkaproto knows)."""
    keys = set(broker_versions)
    if include_unknown:
        keys |= set(APIS)
    header = ("KEY", "NAME", "BROKER", "KAFKAPROTO", "USED")
    rows: list[tuple[str, ...]] = [header]
    for key in sorted(keys):
        info = APIS.get(key)
        span = broker_versions.get(key)
        ours = "-"
        if info is not None:
            ours = f"{info.min_version}-{info.latest_stable}"
            if info.max_version > info.latest_stable:
                ours += f" (+{info.max_version} unstable)"
        rows.append(
            (
                str(key),
                info.name if info is not None else "(unknown to kafkaproto)",
                f"{span[0]}-{span[1]}" if span is not None else "-",
                ours,
                str(used[key]) if key in used else "none",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].rjust(widths[0])] + [cell.ljust(width) for cell, width in rest]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


async def _query(
    args: argparse.Namespace, bootstrap: str, config: ClusterClientConfig
) -> tuple[str, Connection]:
    errors = []
    security = ChannelSecurity(security_config_of(config))
    for host, port in parse_bootstrap(bootstrap):
        try:
            conn = await Connection.open(
                host,
                port,
                client_id=config.client_id,
                connect_timeout=args.timeout,
                request_timeout=args.timeout,
                max_frame_size=config.max_frame_size,
                security=security,
            )
        except KafkaProtoError as exc:
            errors.append(str(exc))
            continue
        return f"{host}:{port}", conn
    raise KafkaProtoError("no broker answered: " + "; ".join(errors))


def run(args: argparse.Namespace) -> int:
    try:
        settings = {"client.id": "kafkaproto-cli", **client_settings(args)}
        if args.client_id is not None:
            settings["client.id"] = args.client_id
        bootstrap = bootstrap_of(settings)
        config = ClusterClientConfig(settings)
    except ConfigError as exc:
        print(f"api-versions: {exc}", file=sys.stderr)
        return 2

    async def main() -> str:
        broker, conn = await _query(args, bootstrap, config)
        async with conn:
            table = render(conn.broker_versions, conn.versions, include_unknown=args.all)
            return f"broker {broker}\n{table}"

    try:
        print(asyncio.run(main()))
    except (KafkaProtoError, ValueError) as exc:
        print(f"api-versions: {exc}", file=sys.stderr)
        return 1
    return 0
