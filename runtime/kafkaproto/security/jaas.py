"""The ``sasl.jaas.config`` line parser, with the tokenizer rules of Kafka's ``JaasConfig``
(a ``java.io.StreamTokenizer`` set up so that users can paste the lines of their Java client
files unchanged):

* ``<LoginModuleClass> <controlFlag> (<option>=<value>)* ;`` per entry, one or more entries;
* bytes 0-32 are white space; ``;`` and ``=`` are tokens of their own;
* values (and names) are words or strings in ``"`` or ``'``, where a backslash escapes (``\\n``,
  ``\\t``, octal ``\\101``, any other character stands for itself) and a line end closes an
  unterminated string;
* ``//`` and ``/* */`` are comments, and so is any other ``/`` to the end of the line (``/`` is
  Java's comment character here), so a URL must be quoted;
* the control flag is ``required``, ``requisite``, ``sufficient`` or ``optional`` in any case.

Errors are :class:`JaasConfigError` with Java's messages. This module only parses: it must never
decide what a login module's options mean (that is :mod:`kafkaproto.security.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = ["CONTROL_FLAGS", "JaasConfigError", "JaasEntry", "parse_jaas_config"]

CONTROL_FLAGS: Final = ("required", "requisite", "sufficient", "optional")
_ESCAPES: Final = {"a": "\x07", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}
_EOF: Final = object()


class JaasConfigError(ValueError):
    """A ``sasl.jaas.config`` value Kafka's ``JaasConfig`` would refuse."""


@dataclass(frozen=True, slots=True)
class JaasEntry:
    """One login module entry: its class name, control flag (lower case) and options."""

    login_module: str
    control_flag: str
    options: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __repr__(self) -> str:  # options hold passwords: show their names only
        return (
            f"JaasEntry({self.login_module!r}, {self.control_flag!r}, "
            f"options=[{', '.join(sorted(self.options))}])"
        )


class _Token:
    __slots__ = ("kind", "text")

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind  # "word" (also quoted strings), ";" or "="
        self.text = text


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if ord(c) <= 32:
            i += 1
        elif c == "/":
            if text.startswith("/*", i):
                end = text.find("*/", i + 2)
                i = n if end < 0 else end + 2
            else:  # "//" or a lone "/": Java's comment character, to the end of the line
                while i < n and text[i] not in "\r\n":
                    i += 1
        elif c in ";=":
            out.append(_Token(c, c))
            i += 1
        elif c in "\"'":
            i, value = _quoted(text, i + 1, c)
            out.append(_Token("word", value))
        else:
            start = i
            while i < n and ord(text[i]) > 32 and text[i] not in ";=/\"'":
                i += 1
            out.append(_Token("word", text[start:i]))
    return out


def _quoted(text: str, i: int, quote: str) -> tuple[int, str]:
    chars: list[str] = []
    n = len(text)
    while i < n and text[i] != quote and text[i] not in "\r\n":
        c = text[i]
        i += 1
        if c == "\\" and i < n:
            c = text[i]
            i += 1
            if "0" <= c <= "7":
                digits = c
                limit = 3 if c <= "3" else 2
                while len(digits) < limit and i < n and "0" <= text[i] <= "7":
                    digits += text[i]
                    i += 1
                c = chr(int(digits, 8))
            else:
                c = _ESCAPES.get(c, c)
        chars.append(c)
    if i < n and text[i] == quote:
        i += 1
    return i, "".join(chars)


def parse_jaas_config(text: str) -> tuple[JaasEntry, ...]:
    """Every entry of a ``sasl.jaas.config`` value, in order."""
    tokens = _tokens(text)
    entries: list[JaasEntry] = []
    pos = 0

    def take() -> _Token | None:
        nonlocal pos
        if pos >= len(tokens):
            return None
        pos += 1
        return tokens[pos - 1]

    while (head := take()) is not None:
        if head.kind != "word":
            raise JaasConfigError(
                f"Login module not specified in JAAS config (found {head.text!r})"
            )
        flag = take()
        if flag is None:
            raise JaasConfigError("Login module control flag not specified in JAAS config")
        if flag.kind != "word":
            raise JaasConfigError("Login module control flag is not available in the JAAS config")
        if flag.text.lower() not in CONTROL_FLAGS:
            raise JaasConfigError(f"Invalid login module control flag '{flag.text}' in JAAS config")
        options: dict[str, str] = {}
        while (key := take()) is not None and key.kind != ";":
            eq, value = take(), take()
            if eq is None or eq.kind != "=" or value is None or value.kind != "word":
                raise JaasConfigError(f"Value not specified for key '{key.text}' in JAAS config")
            options[key.text] = value.text
        if key is None:
            raise JaasConfigError("JAAS config entry not terminated by semi-colon")
        entries.append(JaasEntry(head.text, flag.text.lower(), MappingProxyType(options)))
    if not entries:
        raise JaasConfigError("Login module not specified in JAAS config")
    return tuple(entries)
