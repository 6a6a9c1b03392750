"""Load stage: Kafka's message spec files (JSON with ``//`` and ``/* */`` comments) into plain data.

This stage knows JSON syntax only. It refuses duplicate keys and anything that is not a JSON
object at the top; it does not know what the keys mean (that is the model's job).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SpecSyntaxError(ValueError):
    """A spec file that is not JSON-with-comments, named with its line and column."""

    def __init__(self, file: str, line: int, column: int, reason: str) -> None:
        self.file, self.line, self.column, self.reason = file, line, column, reason
        super().__init__(f"{file}:{line}:{column}: {reason}")


@dataclass(frozen=True, slots=True)
class SpecFile:
    """One spec file's name (e.g. ``ProduceRequest.json``), raw bytes and parsed data."""

    name: str
    raw: bytes
    data: dict[str, Any]


def strip_comments(text: str, file: str = "<spec>") -> str:
    """Blank out comments, keeping every other character (and all newlines) in place so that the
    JSON parser's line and column numbers still point into the original file."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                line = text.count("\n", 0, i) + 1
                raise SpecSyntaxError(file, line, i - text.rfind("\n", 0, i), "unclosed /* comment")
            chunk = text[i : end + 2]
            out.append("".join(ch if ch == "\n" else " " for ch in chunk))
            i = end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _no_duplicates(file: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise SpecSyntaxError(file, 0, 0, f"duplicate key {key!r}")
            seen[key] = value
        return seen

    return hook


def parse_spec(name: str, raw: bytes) -> SpecFile:
    """Parse one spec file's bytes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecSyntaxError(name, 0, 0, f"not UTF-8: {exc}") from None
    try:
        data = json.loads(strip_comments(text, name), object_pairs_hook=_no_duplicates(name))
    except json.JSONDecodeError as exc:
        raise SpecSyntaxError(name, exc.lineno, exc.colno, exc.msg) from None
    if not isinstance(data, dict):
        raise SpecSyntaxError(name, 1, 1, "the top level must be a JSON object")
    return SpecFile(name=name, raw=raw, data=data)


def load_dir(directory: Path) -> list[SpecFile]:
    """Every ``*.json`` spec in ``directory``, sorted by file name so output never depends on the
    order the file system lists them in."""
    files = sorted(p for p in directory.iterdir() if p.suffix == ".json")
    return [parse_spec(p.name, p.read_bytes()) for p in files]
