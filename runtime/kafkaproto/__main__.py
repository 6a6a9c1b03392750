"""``python -m kafkaproto``: the command-line entry point, one subcommand per tool.

It only dispatches to the modules that implement each subcommand and must never hold their logic.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kafkaproto import cli_api_versions, cli_config, cli_decode, cli_fetch, cli_produce


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kafkaproto")
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser(
        "config", help="explain effective client settings (defaults, rules, your values)"
    )
    cli_config.add_arguments(config)
    config.set_defaults(run=cli_config.run)
    decode = commands.add_parser(
        "decode", help="print a raw request or response frame (hex or binary) as JSON"
    )
    cli_decode.add_arguments(decode)
    decode.set_defaults(run=cli_decode.run)
    fetch = commands.add_parser(
        "fetch", help="print the records of one partition (values, or JSON with --format json)"
    )
    cli_fetch.add_arguments(fetch)
    fetch.set_defaults(run=cli_fetch.run)
    produce = commands.add_parser(
        "produce", help="send each line of stdin (or --file) as a record; print a summary"
    )
    cli_produce.add_arguments(produce)
    produce.set_defaults(run=cli_produce.run)
    api_versions = commands.add_parser(
        "api-versions",
        help="ask a broker which API versions it supports and which ones kafkaproto would use",
    )
    cli_api_versions.add_arguments(api_versions)
    api_versions.set_defaults(run=cli_api_versions.run)
    args = cli_config.finish_parse(parser, argv)
    try:
        status: int = args.run(args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
