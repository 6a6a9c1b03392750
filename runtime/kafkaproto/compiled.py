"""Which kafkaproto modules the build compiles with mypyc, and whether this process runs them.

``MODULES`` is the one list of the hot path: the build hook (``hatch_build.py``) reads it to know
what to compile, and :func:`status` (``kafkaproto version``) checks it against what the import
system would load. The same ``.py`` sources are the reference: a compiled module is an extension
file beside its source, and wherever none is present (a pure wheel, an sdist installed without a
C compiler, ``KAFKAPROTO_COMPILE=0``) or ``KAFKAPROTO_PURE_PYTHON=1`` is set, Python runs the
sources themselves.

This module must never import another kafkaproto module (it only finds them) and must never
import the compiled modules it reports on.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
from dataclasses import dataclass
from typing import Final

__all__ = ["C_MODULES", "MODULES", "PURE_PYTHON_ENV", "STAMP", "CompiledStatus", "status"]

#: The modules mypyc compiles, each chosen by a measurement (BENCHMARKS.md "Compiled hot path").
#: None defines a coroutine: an exception thrown into a compiled coroutine while it awaits an
#: interpreted awaitable (a cancellation, a timeout) reaches that awaitable through the
#: three-argument ``throw()``, which Python 3.12+ warns about (DeprecationWarning; an error
#: under ``-W error``). tests/test_compiled.py checks it.
MODULES: Final[tuple[str, ...]] = (
    "kafkaproto.records.varint",
    "kafkaproto.records.record_batch",
    "kafkaproto.records.batch_builder",
    "kafkaproto.records.reader",
    "kafkaproto.consumer._internals.completed_fetch",
    "kafkaproto.consumer._internals.fetcher",
    "kafkaproto.consumer._internals.fetch_session",
    "kafkaproto.wire",
    "kafkaproto.protocol",
    "kafkaproto.table_decoder",
    "kafkaproto.partitioner",
    "kafkaproto.producer._internals.accumulator",
    "kafkaproto.producer._internals.batch",
    "kafkaproto.producer._internals.engine_core",
    "kafkaproto.producer._internals.idempotence",
    "kafkaproto.producer._internals.sender_core",
    "kafkaproto.producer.futures",
    "kafkaproto.producer.record",
    "kafkaproto.producer.sync_send",
)

#: The hot modules written in C, built in the same step: ``<name>.c`` beside ``<name>.py``, the
#: pure-Python reference, and only where mypyc cannot reach what the C API does in one step.
C_MODULES: Final[tuple[str, ...]] = (
    "kafkaproto.tuple_new",
    "kafkaproto.records.bytes_into",
    "kafkaproto.object_new",
)

#: Set to anything but ``""`` or ``"0"``: run the pure-Python sources even where compiled
#: modules are installed (``kafkaproto/__init__.py`` acts on it before any other import).
PURE_PYTHON_ENV: Final = "KAFKAPROTO_PURE_PYTHON"

#: Written by the build beside the compiled modules: module -> sha256 of the source compiled.
STAMP: Final = "compiled.json"


@dataclass(frozen=True, slots=True)
class CompiledStatus:
    """What :func:`status` found: which hot modules load compiled, and which compiled ones no
    longer match their source (an in-place developer build older than an edit)."""

    compiled: tuple[str, ...]
    pure: tuple[str, ...]
    stale: tuple[str, ...]
    forced_pure: bool

    @property
    def active(self) -> bool:
        """Every hot module runs compiled."""
        return not self.pure and not self.forced_pure

    def describe(self) -> str:
        """One line for ``kafkaproto version``."""
        if self.forced_pure:
            return f"pure Python ({PURE_PYTHON_ENV} is set)"
        if not self.compiled:
            return "pure Python (no compiled modules installed)"
        total = len(MODULES) + len(C_MODULES)
        text = f"compiled with mypyc and C ({len(self.compiled)} of {total} hot modules)"
        if self.stale:
            text += f"; stale, rebuild (make setup): {', '.join(self.stale)}"
        return text


def _sha256(path: str) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def _stamp(package_dir: str) -> dict[str, str]:
    try:
        with open(os.path.join(package_dir, STAMP), encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def status() -> CompiledStatus:
    """Finds each module of :data:`MODULES` and :data:`C_MODULES` without running it (its
    parent packages are imported) and tells whether the import system loads it from an extension
    module."""
    forced = os.environ.get(PURE_PYTHON_ENV, "") not in ("", "0")
    compiled: list[str] = []
    pure: list[str] = []
    stale: list[str] = []
    stamps: dict[str, str] = {}
    root = importlib.util.find_spec("kafkaproto")
    for path in (root.submodule_search_locations or []) if root else []:
        stamps.update(_stamp(path))
    for name in MODULES + C_MODULES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec else None
        is_extension = origin is not None and origin.endswith(
            tuple(importlib.machinery.EXTENSION_SUFFIXES)
        )
        if not is_extension or origin is None:
            pure.append(name)
            continue
        compiled.append(name)
        suffix = ".c" if name in C_MODULES else ".py"
        source = os.path.join(os.path.dirname(origin), name.rpartition(".")[2] + suffix)
        if os.path.exists(source) and stamps.get(name) != _sha256(source):
            stale.append(name)
    return CompiledStatus(tuple(compiled), tuple(pure), tuple(stale), forced)
