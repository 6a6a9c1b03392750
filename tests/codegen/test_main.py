"""The compiler's command line: ``--cache ''`` turns the formatting cache off (it once meant the
current folder, which filled it with cache files)."""

from __future__ import annotations

from pathlib import Path

from kafkaproto.codegen.__main__ import parse_args


def test_cache_defaults_to_the_build_folder() -> None:
    args = parse_args(["generate", "--kafka-version", "4.4.0"])
    assert args.cache == Path("build/codegen-cache")


def test_an_empty_cache_disables_it() -> None:
    assert parse_args(["check", "--kafka-version", "4.4.0", "--cache", ""]).cache is None
    assert parse_args(["schemas", "--kafka-version", "4.4.0", "--cache", ""]).cache is None


def test_a_cache_folder_is_a_path() -> None:
    args = parse_args(["generate", "--kafka-version", "4.4.0", "--cache", "x/y"])
    assert args.cache == Path("x/y")
