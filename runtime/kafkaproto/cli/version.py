"""``kafkaproto version`` (also ``kafkaproto --version``): the installed version, the Python
running it, and whether the compiled hot path (:mod:`kafkaproto.compiled`) is active.

This module only reports; it must never import the hot modules it reports on.
"""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

from kafkaproto.compiled import status

__all__ = ["add_arguments", "describe", "run"]


def describe() -> str:
    """One line: ``kafkaproto 0.1.0, CPython 3.11.7, compiled with mypyc (5 of 5 hot modules)``."""
    try:
        version = metadata.version("kafkaproto")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        version = "(not installed)"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"kafkaproto {version}, {python}, {status().describe()}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``version`` takes no arguments."""


def run(args: argparse.Namespace) -> int:
    """Prints :func:`describe`; exit status 0."""
    print(describe())
    return 0
