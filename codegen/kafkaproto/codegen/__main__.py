"""``python -m kafkaproto.codegen``: the commands behind ``make schemas``, ``make codegen`` and
``make check-generated``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .emit import (
    ERROR_MODULE,
    MANIFEST,
    OLD_MANIFESTS,
    PACKAGE_DIR,
    Source,
    render,
    sha256_hex,
    write_tree,
)
from .error_table import parse_errors
from .load import SpecSyntaxError, parse_spec
from .model import SpecError, check_message, parse_message
from .plan import Plan, plan_all
from .report import parse_manifest, upgrade_report
from .schemas import SchemaError, specs_of, sync
from .upgrade_diff import generated_change, line_diff, report, spec_change


def _log(message: str) -> None:
    print(message, flush=True)


def compile_specs(
    specs: dict[str, bytes], kafka_version: str, errors: bytes | None = None
) -> tuple[Plan, Source]:
    """Load, check and plan every spec (given by file name), and the error table if given."""
    checked = []
    sha: dict[str, str] = {}
    for name in sorted(specs):
        spec_file = parse_spec(name, specs[name])
        msg = parse_message(name, spec_file.data)
        check_message(name, msg)
        checked.append((name, msg))
        sha[msg.name] = sha256_hex(specs[name])
    plan = plan_all(checked)
    if any(m.name == ERROR_MODULE for m in plan.modules):
        raise SpecError("", "name-collision", f"a spec's module is named {ERROR_MODULE}")
    if errors is None:
        return plan, Source(kafka_version, sha)
    return plan, Source(kafka_version, sha, parse_errors(errors), sha256_hex(errors))


def _generate(args: argparse.Namespace, *, write: bool) -> int:
    start = time.monotonic()
    pinned = sync(args.schemas, args.kafka_version, _log)
    plan, source = compile_specs(pinned.specs, args.kafka_version, pinned.errors)
    classes = sum(len(m.classes) for m in plan.modules)
    _log(f"codegen: planned {len(plan.modules)} modules, {classes} classes; rendering ...")
    files = render(plan, source, progress=lambda msg: _log(f"codegen: {msg}"), cache_dir=args.cache)
    root: Path = args.output
    if write:
        old = _read_manifest(root)
        written, removed = write_tree(root, files)
        new = parse_manifest(files[str(PACKAGE_DIR / MANIFEST)])
        _log(
            f"codegen: {len(written)} files written, {len(removed)} removed, "
            f"{len(files) - len(written)} unchanged ({time.monotonic() - start:.1f} s)"
        )
        _log("upgrade report:")
        for line in upgrade_report(old, new):
            _log(f"  {line}")
        return 0
    differ = []
    for rel, text in files.items():
        path = root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            differ.append(rel)
    pkg = root / PACKAGE_DIR
    extra = (
        [str(PACKAGE_DIR / p.name) for p in pkg.iterdir() if p.is_file()] if pkg.exists() else []
    )
    differ += [rel for rel in extra if rel not in files]
    if differ:
        _log(f"check-generated: {len(differ)} files differ from a fresh regeneration:")
        for rel in sorted(differ)[:20]:
            _log(f"  {rel}")
        _log("run `make codegen` and commit the result")
        return 1
    _log(f"check-generated: generated/ is up to date ({time.monotonic() - start:.1f} s)")
    return 0


def _upgrade_diff(args: argparse.Namespace) -> int:
    """Regenerate at ``--from`` into ``--scratch`` and measure the diff to the committed tree."""
    start = time.monotonic()
    pinned = sync(args.schemas, args.kafka_version, _log)
    other = specs_of(args.from_version, "KAFKA_FROM_CLIENTS_JAR", _log)
    plan, source = compile_specs(other.specs, args.from_version, other.errors)
    files = render(
        plan, source, progress=lambda msg: _log(f"upgrade-diff: {msg}"), cache_dir=args.cache
    )
    scratch: Path = args.scratch / args.from_version
    write_tree(scratch, files)
    _log(f"upgrade-diff: Kafka {args.from_version} generated into {scratch}")
    report(
        args.from_version,
        args.kafka_version,
        spec_change(other.specs, pinned.specs),
        generated_change(files, args.output),
        _log,
        errors=line_diff(
            "Errors.tsv", other.errors.decode("utf-8"), pinned.errors.decode("utf-8")
        ).changed,
    )
    _log(f"upgrade-diff: {time.monotonic() - start:.1f} s")
    return 0


def _read_manifest(root: Path) -> dict[str, Any] | None:
    for name in (MANIFEST, *OLD_MANIFESTS):
        path = root / PACKAGE_DIR / name
        if path.exists():
            return parse_manifest(path.read_text(encoding="utf-8"))
    return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with ``cache`` a folder or None (``--cache ''``)."""
    parser = argparse.ArgumentParser(prog="python -m kafkaproto.codegen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("schemas", "fetch the pinned Kafka version's specs and check them against the lock"),
        ("generate", "fetch, compile and write generated/, with an upgrade report"),
        ("check", "fail if generated/ differs from a fresh regeneration"),
        ("upgrade-diff", "regenerate at --from into a scratch folder and measure the diff"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--kafka-version", required=True)
        p.add_argument("--schemas", type=Path, default=Path("schemas"))
        p.add_argument("--output", type=Path, default=Path("generated"))
        p.add_argument(
            "--cache",
            default="build/codegen-cache",  # a str: Path("") would be ".", the current folder
            help="black's output by input hash (a git-ignored folder); --cache '' disables it",
        )
        if name == "upgrade-diff":
            p.add_argument("--from", dest="from_version", required=True)
            p.add_argument("--scratch", type=Path, default=Path("build/upgrade-diff"))
    args = parser.parse_args(argv)
    args.cache = Path(args.cache) if args.cache else None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "schemas":
            sync(args.schemas, args.kafka_version, _log)
            return 0
        if args.command == "upgrade-diff":
            return _upgrade_diff(args)
        return _generate(args, write=args.command == "generate")
    except (SchemaError, SpecError, SpecSyntaxError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
