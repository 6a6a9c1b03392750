"""``kafkaproto groups describe GROUP [--bootstrap B] [--format json]``: a consumer group as
Kafka's ``kafka-consumer-groups --describe`` shows it — the group's type (KIP-848 ``consumer`` or
``classic``), state and assignor, its members (member id, group instance id, client id, host,
assigned partitions) and, per partition, the committed offset, the log end offset, the lag and
the member that owns it.

The group is read through :func:`kafkaproto.consumer.group_admin.describe_group`; this module
chooses and prints. Exit status: 0, 1 when the group cannot be described (2 for bad settings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from kafkaproto.cli.arguments import add_bootstrap, add_client_settings, client_settings

COLUMNS = (
    "GROUP",
    "TOPIC",
    "PARTITION",
    "CURRENT-OFFSET",
    "LOG-END-OFFSET",
    "LAG",
    "CONSUMER-ID",
    "HOST",
    "CLIENT-ID",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    describe = actions.add_parser(
        "describe", help="members, assignment, committed offsets and lag of a consumer group"
    )
    describe.add_argument("group", help="the group id")
    describe.add_argument("--format", choices=("text", "json"), default="text")
    add_bootstrap(describe)
    add_client_settings(describe, "consumer")


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def render_text(description: Any) -> str:
    lines = [
        f"Group {description.group_id} ({description.group_type} protocol): state "
        f"{description.state}, assignor {description.assignor or '-'}"
        + (f", epoch {description.epoch}" if description.epoch is not None else ""),
        "",
        f"{len(description.members)} member(s):",
    ]
    for m in sorted(description.members, key=lambda m: m.member_id):
        assignment = ", ".join(str(tp) for tp in sorted(m.assignment)) or "-"
        extra = f" instance {m.group_instance_id}" if m.group_instance_id else ""
        if m.member_epoch is not None:
            extra += f" epoch {m.member_epoch}"
        lines.append(
            f"  {m.member_id} client {m.client_id} host {m.client_host}{extra}: {assignment}"
        )
    lines.append("")
    rows = [COLUMNS]
    for p in description.partitions:
        m = p.member
        rows.append(
            (
                description.group_id,
                p.partition.topic,
                str(p.partition.partition),
                _text(p.committed),
                _text(p.log_end),
                _text(p.lag),
                m.member_id if m else "-",
                m.client_host if m else "-",
                m.client_id if m else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def render_json(description: Any) -> str:
    doc = {
        "group": description.group_id,
        "type": description.group_type,
        "state": description.state,
        "assignor": description.assignor,
        "epoch": description.epoch,
        "members": [
            {
                "member_id": m.member_id,
                "group_instance_id": m.group_instance_id,
                "client_id": m.client_id,
                "host": m.client_host,
                "member_epoch": m.member_epoch,
                "assignment": [str(tp) for tp in sorted(m.assignment)],
            }
            for m in description.members
        ],
        "partitions": [
            {
                "topic": p.partition.topic,
                "partition": p.partition.partition,
                "committed": p.committed,
                "log_end": p.log_end,
                "lag": p.lag,
                "member_id": p.member.member_id if p.member else None,
            }
            for p in description.partitions
        ],
    }
    return json.dumps(doc, indent=2)


def run(args: argparse.Namespace) -> int:
    from kafkaproto.config import ConfigError
    from kafkaproto.consumer.async_consumer import AsyncConsumer
    from kafkaproto.consumer.group_admin import describe_group
    from kafkaproto.errors import KafkaProtoError

    try:
        settings = client_settings(args, {"group.id": None, "enable.auto.commit": "false"})
        consumer: AsyncConsumer[bytes, bytes] = AsyncConsumer(settings)
    except ConfigError as exc:
        print(f"groups: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2

    async def main() -> Any:
        async with consumer:
            return await describe_group(consumer, args.group, 30)

    try:
        description = asyncio.run(main())
    except (KafkaProtoError, OSError, TimeoutError) as exc:
        print(f"groups: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(render_json(description) if args.format == "json" else render_text(description))
    return 0
