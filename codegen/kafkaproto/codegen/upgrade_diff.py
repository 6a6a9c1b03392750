"""``make upgrade-diff FROM=x.y.z``: how big the review of a pin move would be.

Regenerates the messages at another Kafka version into a scratch folder (the pin, ``schemas/``
and ``generated/`` are left alone) and measures, module by module, the diff between that output
and the committed ``generated/``, beside the size of Kafka's own change: spec lines that differ
between the two versions (comments and blank lines left out, new spec files counted whole). It
also counts removed lines that come back with nothing changed but a number (a renumbered name),
the noise a reviewer should never have to read.

It only reads the committed tree; it never writes outside the scratch folder.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .load import strip_comments

# A number inside a name (``_x10e``, ``V3``, ``e17_``): what a renumbered temporary looks like.
# Numbers standing alone (``max_version = 5``) are values, and a changed value is a real change.
_NUMBER = re.compile(r"(?<=[A-Za-z_])\d+|\d+(?=[A-Za-z_])")


_SUFFIXES = (".py", ".json", ".txt")


@dataclass(frozen=True)
class FileDiff:
    """The line diff of one generated file: ``old`` is the scratch output (the other version),
    ``new`` the committed file."""

    path: str
    added: int
    removed: int
    renumbered: int  # removed lines that reappear, added, with only numbers changed

    @property
    def changed(self) -> int:
        return self.added + self.removed


def line_diff(path: str, old: str | None, new: str | None) -> FileDiff:
    """Added and removed lines from ``old`` to ``new`` (a missing file is empty)."""
    a = (old or "").splitlines()
    b = (new or "").splitlines()
    removed: list[str] = []
    added: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            removed.extend(a[i1:i2])
        if op in ("replace", "insert"):
            added.extend(b[j1:j2])
    return FileDiff(path, len(added), len(removed), renumbered(removed, added))


def renumbered(removed: Iterable[str], added: Iterable[str]) -> int:
    """How many removed lines reappear among the added ones with only the numbers inside names
    changed (``_x10e`` -> ``_x13e``): each added line pairs with at most one removed line."""
    pool: dict[str, list[str]] = {}
    for line in added:
        pool.setdefault(_NUMBER.sub("#", line), []).append(line)
    count = 0
    for line in removed:
        candidates = pool.get(_NUMBER.sub("#", line))
        if candidates:
            for i, other in enumerate(candidates):
                if other != line:
                    del candidates[i]
                    count += 1
                    break
    return count


def spec_lines(text: str) -> list[str]:
    """A spec's lines as compared for the change count: comments removed, blank lines dropped,
    trailing spaces ignored."""
    stripped = strip_comments(text)
    return [line.rstrip() for line in stripped.splitlines() if line.strip()]


def spec_change(old: dict[str, bytes], new: dict[str, bytes]) -> dict[str, int]:
    """Changed spec lines per file from ``old`` to ``new`` (added plus removed lines; a new or
    removed file counts whole)."""
    out: dict[str, int] = {}
    for name in sorted(set(old) | set(new)):
        a = spec_lines(old[name].decode("utf-8")) if name in old else []
        b = spec_lines(new[name].decode("utf-8")) if name in new else []
        diff = line_diff(name, "\n".join(a), "\n".join(b))
        if diff.changed:
            out[name] = diff.changed
    return out


def generated_change(old: dict[str, str], committed_root: Path) -> list[FileDiff]:
    """The per-file diff from ``old`` (files relative to ``generated/``) to the committed tree."""
    diffs = []
    committed = {
        str(p.relative_to(committed_root)): p.read_text(encoding="utf-8")
        for p in sorted(committed_root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in _SUFFIXES
    }
    for rel in sorted(set(old) | set(committed)):
        if not rel.endswith(_SUFFIXES):
            continue
        diff = line_diff(rel, old.get(rel), committed.get(rel))
        if diff.changed:
            diffs.append(diff)
    return diffs


def report(
    from_version: str,
    to_version: str,
    specs: dict[str, int],
    files: list[FileDiff],
    log: Callable[[str], None] = print,
    errors: int = 0,
) -> tuple[int, int, int]:
    """Print the table; returns (changed spec lines, changed generated lines, renumbered).
    ``errors``: changed lines of the error table extract (reported, not counted as spec
    lines)."""
    spec_total = sum(specs.values())
    log(f"upgrade-diff: Kafka {from_version} -> {to_version} (committed generated/)")
    log(f"  spec files changed: {len(specs)}, spec lines changed: {spec_total}")
    for name, n in specs.items():
        log(f"    {n:6d}  {name}")
    log(f"  error table (Errors.tsv) lines changed: {errors}")
    log("  generated files (added / removed / renumbered lines):")
    for d in files:
        log(f"    +{d.added:<6d} -{d.removed:<6d} ~{d.renumbered:<5d} {d.path}")
    added = sum(d.added for d in files)
    removed = sum(d.removed for d in files)
    ren = sum(d.renumbered for d in files)
    ratio = (added + removed) / spec_total if spec_total else 0.0
    log(
        f"  total: +{added} -{removed} = {added + removed} generated lines for {spec_total} spec "
        f"lines ({ratio:.1f} per spec line); {ren} removed lines reappear renumbered"
    )
    if errors:
        both = (added + removed) / (spec_total + errors)
        log(f"  counting the error table's lines with the spec lines: {both:.1f} per line")
    return spec_total, added + removed, ren
