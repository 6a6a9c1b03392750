"""``kafkaproto config CLIENT [KEY=VALUE ...] [--command-config FILE] [-X KEY=VALUE]``: print
every effective setting of a client (``producer``, ``cluster``, ... :
:data:`kafkaproto.config.CLIENTS`) and why it has its value (user, Kafka default, or which Java
rule changed it); ``--docs`` prints the definitions instead.

This module only parses arguments and formats the config class's ``explain`` rows; it must never
connect to a broker or decide a setting itself.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kafkaproto.cli.arguments import add_client_settings, client_settings
from kafkaproto.config import CLIENTS, KAFKA_VERSION, ConfigError, Explanation, config_class
from kafkaproto.config.definition import NO_DEFAULT, AbstractConfig

__all__ = ["add_arguments", "describe", "render", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``config`` subcommand's arguments to ``parser``."""
    parser.add_argument("client", choices=list(CLIENTS), help="which client's settings to explain")
    parser.add_argument(
        "settings",
        nargs="*",
        metavar="KEY=VALUE",
        help="settings as Java property names (linger.ms=10) or Python names (linger_ms=10)",
    )
    parser.add_argument(
        "--only-set",
        action="store_true",
        help="show only keys the user set or a rule changed, not plain defaults",
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="describe every key (type, default, valid values, importance, meaning) instead",
    )
    add_client_settings(parser, "client")


def _parse_settings(items: Sequence[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected KEY=VALUE, got {item!r}")
        settings[key.strip()] = value
    return settings


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def render(rows: Sequence[Explanation]) -> str:
    """The rows as an aligned text table: key, value, source, reason (and notes)."""
    table = [("KEY", "VALUE", "SOURCE", "WHY")]
    for row in rows:
        value = _show(row.value)
        if row.key == "acks" and row.value == -1:
            value = "all (-1)"
        why = "; ".join((row.reason, *row.notes))
        table.append((row.key, value, row.source, why))
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    lines = [f"{k:<{widths[0]}}  {v:<{widths[1]}}  {s:<{widths[2]}}  {w}" for k, v, s, w in table]
    return "\n".join(line.rstrip() for line in lines)


def describe(cls: type[AbstractConfig]) -> str:
    """Every definition of ``cls``: key, type, default, valid values, importance and doc."""
    blocks = []
    for key in sorted(cls.CONFIG, key=lambda k: k.name):
        default = "(required)" if key.default is NO_DEFAULT else _show(key.default) or '""'
        facts = [f"type {key.type}", f"default {default}"]
        if key.validator is not None:
            facts.append(f"valid {key.validator}")
        facts.append(f"importance {key.importance}")
        if not key.java:
            facts.append("kafkaproto only")
        blocks.append(f"{key.name}  ({', '.join(facts)})\n    {key.doc}")
    return "\n".join(blocks)


def run(args: argparse.Namespace) -> int:
    """Runs a parsed ``config`` command; returns the exit status."""
    cls = config_class(args.client)
    if args.docs:
        print(f"# {args.client} settings (Kafka {KAFKA_VERSION} names and defaults)")
        print(describe(cls))
        return 0
    # The rows already say what Java would log as warnings; keep stderr for errors.
    logging.getLogger(cls.__module__).setLevel(logging.ERROR)
    try:
        settings = {**client_settings(args), **_parse_settings(args.settings)}
        rows = cls.explain(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.only_set:
        rows = [row for row in rows if row.source != "default"]
    print(f"# Kafka {KAFKA_VERSION} {args.client} configuration")
    print(render(rows))
    return 0
