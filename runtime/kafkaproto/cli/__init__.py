"""The ``kafkaproto`` command (also ``python -m kafkaproto``): one module per subcommand in this
package, imported only when that subcommand is chosen, so ``kafkaproto --help`` loads nothing but
argparse.

Each subcommand module has ``add_arguments(parser)`` and ``run(args) -> exit status``, and keeps
its heavy imports (producer, cluster client) inside ``run``. Shared options (``--bootstrap``,
``--command-config``, ``-X``) come from :mod:`kafkaproto.cli.arguments`. This package must never
hold a subcommand's logic, and nothing below the CLI may import it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main"]

#: Subcommand -> (module, one-line help), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "produce": (
        "kafkaproto.cli.produce",
        "send each line of stdin (or --file) as a record; print a summary",
    ),
    "consume": (
        "kafkaproto.cli.consume",
        "print a topic's records (values, or JSON with --format json), as the console consumer",
    ),
    "fetch": (
        "kafkaproto.cli.fetch",
        "print the records of one partition from the start to its end (consume's alias)",
    ),
    "groups": (
        "kafkaproto.cli.groups",
        "describe a consumer group: members, assignment, committed offsets and lag",
    ),
    "api-versions": (
        "kafkaproto.cli.api_versions",
        "ask a broker which API versions it supports and which ones kafkaproto would use",
    ),
    "config": (
        "kafkaproto.cli.config",
        "explain effective client settings (defaults, rules, your values)",
    ),
    "decode": (
        "kafkaproto.cli.decode",
        "print a raw request or response frame (hex or binary) as JSON",
    ),
    "version": (
        "kafkaproto.cli.version",
        "print kafkaproto's version and whether its compiled hot path is active (as --version)",
    ),
}


class _VersionAction(argparse.Action):
    """``--version``: the ``version`` subcommand's line, computed only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version line and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from kafkaproto.cli.version import describe

        print(describe())
        parser.exit()


def _chosen(argv: Sequence[str]) -> str | None:
    for item in argv:
        if not item.startswith("-"):
            return item if item in COMMANDS else None
    return None


def build_parser(argv: Sequence[str], prog: str = "kafkaproto") -> argparse.ArgumentParser:
    """The parser, with the arguments of the subcommand named in ``argv`` only."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Apache Kafka's wire protocol and clients, from the command line."
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _chosen(argv)
    for name, (module_name, text) in COMMANDS.items():
        sub = commands.add_parser(name, help=text, description=text[:1].upper() + text[1:] + ".")
        if name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``parse_args`` that also takes KEY=VALUE settings after options for subcommands with a
    ``settings`` positional: argparse fills a ``*`` positional once, so later ones arrive as
    leftovers."""
    args, extra = parser.parse_known_args(argv)
    unknown = [item for item in extra if item.startswith("-") or "=" not in item]
    if unknown or (extra and not hasattr(args, "settings")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.settings = [*args.settings, *extra]
    return args


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Runs one subcommand; returns its exit status."""
    items = list(sys.argv[1:] if argv is None else argv)
    name = prog or os.path.basename(sys.argv[0] or "kafkaproto")
    args = parse(build_parser(items, name), items)
    try:
        status: int = args.run(args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status
