"""Java ``.properties`` text as a dict, as ``java.util.Properties.load`` reads it, so client files
written for Kafka's Java tools (``--command-config client.properties``) work unchanged.

Rules followed: ``#`` and ``!`` start comment lines; a key ends at the first unescaped ``=``,
``:`` or whitespace, and whitespace around that separator is skipped; a line ending in an odd
number of backslashes continues on the next (whose leading whitespace is dropped); escapes
``\\t \\n \\r \\f \\uXXXX`` and ``\\`` before any other character (which stands for itself); a
later key replaces an earlier one.

This module must never read files or import another kafkaproto module: it only parses text.
"""

from __future__ import annotations

__all__ = ["PropertiesError", "parse_properties"]

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_WHITESPACE = " \t\f"


class PropertiesError(ValueError):
    """Text that is not a valid properties file (a malformed ``\\uXXXX`` escape); names the
    line."""


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip(_WHITESPACE)
        if not pending and (not line or line[0] in "#!"):
            continue
        if not pending:
            start = number
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending.append(line[:-1])
            continue
        pending.append(line)
        lines.append((start, "".join(pending)))
        pending = []
    if pending:
        lines.append((start, "".join(pending)))
    return lines


def _unescape(text: str, line: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 == len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise PropertiesError(f"line {line}: malformed \\uXXXX escape")
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)


def _split(line: str) -> tuple[str, str]:
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            i += 2
            continue
        if char in "=:" or char in _WHITESPACE:
            break
        i += 1
    key, rest = line[:i], line[i:]
    rest = rest.lstrip(_WHITESPACE)
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(_WHITESPACE)
    return key, rest


def parse_properties(text: str) -> dict[str, str]:
    """The key/value pairs of properties ``text``."""
    result: dict[str, str] = {}
    for number, line in _logical_lines(text):
        key, value = _split(line)
        result[_unescape(key, number)] = _unescape(value, number)
    return result
