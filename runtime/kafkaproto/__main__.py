"""``python -m kafkaproto``: the command-line entry point, one subcommand per tool.

It only dispatches to the modules that implement each subcommand and must never hold their logic.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kafkaproto import cli_api_versions, cli_config


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kafkaproto")
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser(
        "config", help="explain effective client settings (defaults, rules, your values)"
    )
    cli_config.add_arguments(config)
    config.set_defaults(run=cli_config.run)
    api_versions = commands.add_parser(
        "api-versions",
        help="ask a broker which API versions it supports and which ones kafkaproto would use",
    )
    cli_api_versions.add_arguments(api_versions)
    api_versions.set_defaults(run=cli_api_versions.run)
    args = cli_config.finish_parse(parser, argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
