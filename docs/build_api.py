"""Builds the HTML reference of kafkaproto's public API from its docstrings with pdoc, and fails
on any warning pdoc gives (`make docs`; CI runs it).

The documented modules are the public ones (``PUBLIC``); the producer's and the consumer's
internals (``_internals``, private) and the command line are left out, and the generated
messages appear through their index ``kafkaproto.messages`` (the protocol reference covers every
message). One kind of
warning is not about our docstrings and is dropped after checking it: pdoc cannot resolve the
postponed annotations of a ``NamedTuple``'s generated ``__init__`` (its namespace is not the
module's).

    python docs/build_api.py build/docs/api
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from pathlib import Path

import pdoc
import pdoc.render

PUBLIC = [
    "kafkaproto",
    "kafkaproto.producer",
    "!kafkaproto.producer.metadata",
    "!kafkaproto.producer.transport",
    "kafkaproto.consumer",
    "kafkaproto.config",
    "kafkaproto.config.definition",
    "kafkaproto.config.common",
    "kafkaproto.config.properties",
    "kafkaproto.cluster",
    "kafkaproto.cluster_config",
    "kafkaproto.connection",
    "kafkaproto.protocol",
    "kafkaproto.fetcher",
    "kafkaproto.errors",
    "kafkaproto.error_codes",
    "kafkaproto.records",
    "kafkaproto.wire",
    "kafkaproto.message",
    "kafkaproto.messages",
    r"!kafkaproto\.messages\..+",  # a regular expression, as pdoc takes it
]

_NAMEDTUPLE_INIT = re.compile(r"for (?P<owner>[\w.]+)\.__init__")


def _is_namedtuple_init_warning(text: str) -> bool:
    match = _NAMEDTUPLE_INIT.search(text)
    if match is None or "Error parsing type annotation ForwardRef" not in text:
        return False
    module_name, _, cls_name = match["owner"].rpartition(".")
    cls = getattr(importlib.import_module(module_name), cls_name, None)
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def main(output: str) -> int:
    pdoc.render.configure(docformat="restructuredtext", show_source=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*PUBLIC, output_directory=Path(output))
    problems = [str(w.message) for w in caught if not _is_namedtuple_init_warning(str(w.message))]
    for text in problems:
        print(f"docs: warning: {text}", file=sys.stderr)
    pages = len(list(Path(output).rglob("*.html")))
    print(f"docs: {pages} API pages in {output}, {len(problems)} warnings")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/docs/api"))
