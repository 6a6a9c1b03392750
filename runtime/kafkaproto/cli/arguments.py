"""Options every subcommand that talks to Kafka shares, and turning them into a validated client
config: ``--bootstrap``, ``--command-config FILE`` (a Java properties file, as Kafka's own tools
take) and ``-X KEY=VALUE`` (any client setting by its Java name).

Settings are layered in this order, later ones winning: the properties file, the subcommand's
own options (``--linger-ms`` ...), then each ``-X``. ``--bootstrap`` overrides the file's
``bootstrap.servers``. The result is validated by the client's config class
(:mod:`kafkaproto.config`), so a bad key or value fails before anything connects.

This module must never import a client: the config class is looked up by name.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from kafkaproto.config import AbstractConfig, ConfigError, config_class
from kafkaproto.config.properties import PropertiesError, parse_properties

__all__ = [
    "add_bootstrap",
    "add_client_settings",
    "bootstrap_of",
    "client_config",
    "client_settings",
]

BOOTSTRAP = "bootstrap.servers"


def add_bootstrap(parser: argparse.ArgumentParser) -> None:
    """``--bootstrap`` (alias ``--bootstrap-server``, Kafka's tools' name)."""
    parser.add_argument(
        "--bootstrap",
        "--bootstrap-server",
        metavar="HOST:PORT[,HOST:PORT...]",
        default=None,
        help="broker(s) to start from (else bootstrap.servers from --command-config or -X)",
    )


def add_client_settings(parser: argparse.ArgumentParser, client: str) -> None:
    """``--command-config FILE`` and ``-X KEY=VALUE`` for ``client``'s settings."""
    parser.add_argument(
        "--command-config",
        metavar="FILE",
        default=None,
        help=f"a Java properties file of {client} settings (e.g. client.properties)",
    )
    parser.add_argument(
        "-X",
        dest="extra_settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"any {client} setting by its Java name (repeatable; wins over the file); "
        f"`kafkaproto config {client} --docs` lists them",
    )


def client_settings(
    args: argparse.Namespace, named: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The settings given on the command line, layered (file, named options, ``-X``). Raises
    ``ConfigError`` for a malformed ``-X`` or an unreadable file."""
    settings: dict[str, object] = {}
    path = getattr(args, "command_config", None)
    if path is not None:
        try:
            with open(path, encoding="utf-8") as f:
                settings.update(parse_properties(f.read()))
        except (OSError, UnicodeDecodeError, PropertiesError) as exc:
            raise ConfigError("--command-config", path, f"cannot read it: {exc}") from None
    if getattr(args, "bootstrap", None):
        settings[BOOTSTRAP] = args.bootstrap
    settings.update({k: v for k, v in (named or {}).items() if v is not None})
    for item in getattr(args, "extra_settings", ()):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(item, None, "-X takes KEY=VALUE")
        settings[key.strip()] = value
    return settings


def bootstrap_of(settings: dict[str, object]) -> str:
    """Takes ``bootstrap.servers`` out of ``settings`` (for clients that take it apart from
    their config); ``ConfigError`` when none was given."""
    value = settings.pop(BOOTSTRAP, None)
    if value is None or not str(value).strip():
        raise ConfigError(
            BOOTSTRAP, value, "give --bootstrap, or bootstrap.servers in a file or -X"
        )
    return str(value)


def client_config(client: str, settings: Mapping[str, object]) -> AbstractConfig:
    """``settings`` validated by ``client``'s config class."""
    return config_class(client)(settings)
