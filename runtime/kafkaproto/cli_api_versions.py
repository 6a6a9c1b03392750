"""``python -m kafkaproto api-versions --bootstrap HOST:PORT``: connect to a broker, negotiate,
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

from kafkaproto import cli_fetch
from kafkaproto.cluster import parse_bootstrap
from kafkaproto.cluster_config import ClusterClientConfig
from kafkaproto.connection import Connection
from kafkaproto.errors import KafkaProtoError
from kafkaproto.messages import APIS
from kafkaproto.security.channel import ChannelSecurity
from kafkaproto.security.definitions import security_config_of

__all__ = ["add_arguments", "render", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``api-versions`` subcommand's arguments to ``parser``."""
    parser.add_argument(
        "--bootstrap",
        "--bootstrap-server",
        required=True,
        metavar="HOST:PORT[,HOST:PORT...]",
        help="broker(s) to ask; the first that answers is used",
    )
    parser.add_argument("--client-id", default="kafkaproto-cli", help="client.id to send")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds for connecting and for the request"
    )
    parser.add_argument(
        "--all", action="store_true", help="also list APIs only kafkaproto knows (broker: -)"
    )
    parser.add_argument(
        "-X",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a client setting by its Java name, e.g. -X security.protocol=SASL_SSL",
    )


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


def client_settings(items: list[str]) -> dict[str, object]:
    """The ``-X KEY=VALUE`` settings (security.protocol, ssl.*, sasl.*)."""
    return cli_fetch.client_settings(items)


async def _query(args: argparse.Namespace) -> tuple[str, Connection]:
    errors = []
    security = ChannelSecurity(
        security_config_of(ClusterClientConfig(client_settings(args.settings)))
    )
    for host, port in parse_bootstrap(args.bootstrap):
        try:
            conn = await Connection.open(
                host,
                port,
                client_id=args.client_id,
                connect_timeout=args.timeout,
                request_timeout=args.timeout,
                security=security,
            )
        except KafkaProtoError as exc:
            errors.append(str(exc))
            continue
        return f"{host}:{port}", conn
    raise KafkaProtoError("no broker answered: " + "; ".join(errors))


def run(args: argparse.Namespace) -> int:
    async def main() -> str:
        broker, conn = await _query(args)
        async with conn:
            table = render(conn.broker_versions, conn.versions, include_unknown=args.all)
            return f"broker {broker}\n{table}"

    try:
        print(asyncio.run(main()))
    except (KafkaProtoError, ValueError) as exc:
        print(f"api-versions: {exc}", file=sys.stderr)
        return 1
    return 0
