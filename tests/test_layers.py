"""The house's layers, written down once and enforced: a module may import its own layer and the
layers below it, never one above; imports at import time form no cycle; a private module
(``kafkaproto.producer._internals...``) is imported only from its own package; and the "must
never import" rules of the modules' docstrings hold.

A short AST check rather than import-linter: the table below is the whole contract, it needs no
extra tool or config file, it sees lazy (function-level) imports as well as module-level ones,
and the last tests feed it a made-up tree to show that an upward import and a cycle fail.
Imports under ``if TYPE_CHECKING:`` are ignored (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("runtime", "codegen", "generated")

# Lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "errors",
        (
            "kafkaproto.errors",
            "kafkaproto.backoff",
            # Which modules are compiled: it finds them by name and imports none.
            "kafkaproto.compiled",
            # Instances of tuple subclasses for the decoders (records, messages).
            "kafkaproto.tuple_new",
            # Instances made without their __init__ (the thread-safe producer's futures).
            "kafkaproto.object_new",
        ),
    ),
    ("wire", ("kafkaproto.wire", "kafkaproto.records")),
    ("message", ("kafkaproto.message", "kafkaproto.reference_codec", "kafkaproto.table_decoder")),
    ("messages", ("kafkaproto.messages",)),
    # Facts of the pin the generated index and error table hold, for everything above: the
    # error classes, and the config definitions (which name the pinned Kafka version).
    ("facts", ("kafkaproto.error_codes", "kafkaproto.config")),
    ("protocol", ("kafkaproto.protocol",)),
    # TLS and SASL: settings, sans-I/O mechanisms, the SASL exchange the connection drives.
    ("security", ("kafkaproto.security",)),
    ("connection", ("kafkaproto.connection",)),
    ("cluster", ("kafkaproto.cluster", "kafkaproto.cluster_config")),
    (
        "clients",
        (
            "kafkaproto.producer",
            "kafkaproto.consumer",
            "kafkaproto.fetcher",
            "kafkaproto.partitioner",
            "kafkaproto.group_metadata",
        ),
    ),
    ("cli", ("kafkaproto.cli", "kafkaproto.__main__")),
)
# The compiler is outside the runtime's layers: it imports nothing of kafkaproto but itself,
# and nothing imports it.
SEPARATE = ("kafkaproto.codegen",)

# Docstring rules: module prefix -> the only kafkaproto modules it may import (besides itself
# and its own submodules).
ONLY: dict[str, tuple[str, ...]] = {
    "kafkaproto.errors": (),
    "kafkaproto.compiled": (),
    "kafkaproto.tuple_new": (),
    "kafkaproto.records.bytes_into": (),
    "kafkaproto.object_new": (),
    "kafkaproto.error_codes": ("kafkaproto.errors", "kafkaproto.messages"),
    "kafkaproto.config.definition": ("kafkaproto.errors", "kafkaproto.messages"),
    "kafkaproto.config.properties": (),
    "kafkaproto.records.errors": ("kafkaproto.errors",),
    # Generated code imports only the runtime's wire primitives, message base and errors.
    "kafkaproto.messages": ("kafkaproto.wire", "kafkaproto.message", "kafkaproto.errors"),
    "kafkaproto.codegen": (),
    # What a consumer hands a transactional producer: shared by both, importing neither.
    "kafkaproto.group_metadata": (),
}
# Module prefix -> modules (kafkaproto's or the standard library's) it must never import.
NEVER: dict[str, tuple[str, ...]] = {
    # The sans-I/O core and everything below it own no socket and no event loop.
    "kafkaproto.protocol": ("asyncio", "socket", "selectors", "ssl"),
    "kafkaproto.wire": ("asyncio", "socket"),
    "kafkaproto.message": ("asyncio", "socket"),
    "kafkaproto.records": ("asyncio", "socket"),
    # The SASL mechanisms and the JAAS parser are sans-I/O: bytes in, bytes out.
    "kafkaproto.security.sasl_client": ("asyncio", "socket", "ssl"),
    "kafkaproto.security.plain": ("asyncio", "socket", "ssl"),
    "kafkaproto.security.scram": ("asyncio", "socket", "ssl"),
    "kafkaproto.security.oauthbearer": ("asyncio", "socket", "ssl"),
    "kafkaproto.security.jaas": ("asyncio", "socket", "ssl"),
    "kafkaproto.security.config": ("asyncio", "socket"),
    "kafkaproto.security.sasl_exchange": ("asyncio", "socket", "ssl"),
    "kafkaproto.config": ("asyncio", "socket", "kafkaproto.producer", "kafkaproto.cluster"),
    "kafkaproto.producer._internals.accumulator": ("asyncio", "socket"),
    "kafkaproto.producer.errors": (
        "kafkaproto.producer._internals.engine",
        "kafkaproto.producer._internals.engine_core",
        "kafkaproto.producer._internals.accumulator",
        "kafkaproto.producer._internals.sender",
        "kafkaproto.producer.async_producer",
        "kafkaproto.producer.sync_producer",
    ),
    "kafkaproto.producer.metadata": (
        "kafkaproto.producer._internals.engine",
        "kafkaproto.producer._internals.engine_core",
        "kafkaproto.producer._internals.accumulator",
        "kafkaproto.producer._internals.sender",
        "kafkaproto.producer.async_producer",
    ),
    "kafkaproto.producer.transport": ("kafkaproto.producer._internals.cluster_transport",),
    # The consumer's sans-I/O pieces: no loop, no sockets, not the engine that drives them.
    **{
        f"kafkaproto.consumer._internals.{name}": (
            "asyncio",
            "socket",
            "kafkaproto.consumer._internals.engine",
        )
        for name in (
            "assignors",
            "completed_fetch",
            "fetch_session",
            "fetcher",
            "group_requests",
            "requests",
            "sticky_assignor",
            "subscription_state",
        )
    },
    "kafkaproto.consumer.subscription_pattern": ("kafkaproto.consumer._internals",),
    "kafkaproto.records.errors": ("kafkaproto.records.compression",),
    "kafkaproto.cli.arguments": ("kafkaproto.producer", "kafkaproto.cluster"),
}
# Package files that must import nothing at all (loading one module must not pull in others).
IMPORT_FREE = ("kafkaproto.records", "kafkaproto.producer", "kafkaproto.consumer")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    at_import_time: bool  # module level (not inside a function)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(roots: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, top: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:
                    yield from visit(sub, top)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, child.lineno, top)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    yield Import(name, full if full in modules else base, child.lineno, top)
            inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from visit(child, inner)

    yield from visit(tree, True)


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    return None if best is None else best[0]


def _matches(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _rule_for(module: str, table: dict[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]] | None:
    keys = [k for k in table if module == k or module.startswith(k + ".")]
    if not keys:
        return None
    key = max(keys, key=len)
    return key, table[key]


def _relative(path: Path) -> Path:
    # Relative to the source root (the folder holding kafkaproto/).
    root = next(p for p in path.parents if p.name == "kafkaproto").parent
    return path.relative_to(root)


def violations(modules: dict[str, Path]) -> list[str]:
    """Every broken rule in the tree ``modules``, one line each."""
    problems: list[str] = []
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        here = layer_of(name)
        for imp in imports_of(name, path, modules):
            target = imp.imported
            where = f"{_relative(path)}:{imp.line}"
            if name in IMPORT_FREE:
                problems.append(f"{where}: {name} must import nothing, imports {target}")
            never = _rule_for(name, NEVER)
            if never and _matches(target, never[1]):
                problems.append(f"{where}: {name} must never import {target}")
            if not target.startswith("kafkaproto.") or target == "kafkaproto":
                continue
            only = _rule_for(name, ONLY)
            if only and not _matches(target, (only[0], *only[1])):
                problems.append(f"{where}: {name} may import only {only[1] or 'nothing'}")
            if _matches(target, SEPARATE) and not _matches(name, SEPARATE):
                problems.append(f"{where}: {name} imports the compiler {target}")
            owner = private_owner(target)
            if owner is not None and not _matches(name, (owner,)):
                problems.append(f"{where}: {name} imports {target}, private to {owner}")
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                problems.append(
                    f"{where}: upward import: {name} ({LAYERS[here][0]}) imports {target} "
                    f"({LAYERS[there][0]})"
                )
            if imp.at_import_time and target in edges and target != name:
                edges[name].add(target)
    problems.extend(f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges))
    return problems


def private_owner(module: str) -> str | None:
    """The package a private module belongs to (``kafkaproto.producer`` for
    ``kafkaproto.producer._internals.sender``): only that package's modules may import it."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append([*sorted(component), sorted(component)[0]])

    for node in sorted(edges):
        if node not in index:
            strongconnect(node)
    return found


# --- the real tree -------------------------------------------------------------------------------


def test_every_runtime_module_has_a_layer() -> None:
    modules = discover(ROOT / r for r in SOURCE_ROOTS)
    unplaced = [
        m
        for m in modules
        if m != "kafkaproto" and layer_of(m) is None and not _matches(m, SEPARATE)
    ]
    assert unplaced == [], "add these modules to LAYERS in tests/test_layers.py"


def test_the_house_keeps_its_layers_and_rules() -> None:
    assert violations(discover(ROOT / r for r in SOURCE_ROOTS)) == []


# --- the check itself fails on a bad tree --------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return discover([tmp_path])


def test_an_upward_import_fails(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "kafkaproto/errors.py": "",
            "kafkaproto/cluster.py": "from kafkaproto.errors import KafkaProtoError\n",
            # wire sits below cluster: a lazy import inside a function counts too.
            "kafkaproto/wire.py": "def f():\n    from kafkaproto.cluster import ClusterClient\n",
        },
    )
    problems = violations(modules)
    assert len(problems) == 1
    assert (
        "upward import: kafkaproto.wire (wire) imports kafkaproto.cluster (cluster)"
        in (problems[0])
    )
    assert problems[0].startswith("kafkaproto/wire.py:2")


def test_a_cycle_and_a_docstring_rule_fail(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "kafkaproto/cluster.py": "import kafkaproto.cluster_config\n",
            "kafkaproto/cluster_config.py": "from kafkaproto import cluster\n",
            "kafkaproto/protocol.py": "import asyncio\n",
            "kafkaproto/errors.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from kafkaproto.cluster import X\n",
        },
    )
    assert violations(modules) == [
        "kafkaproto/protocol.py:1: kafkaproto.protocol must never import asyncio",
        "import cycle: kafkaproto.cluster -> kafkaproto.cluster_config -> kafkaproto.cluster",
    ]


def test_a_private_module_imported_from_outside_its_package_fails(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "kafkaproto/producer/_internals/engine.py": "",
            "kafkaproto/producer/async_producer.py": (
                "from kafkaproto.producer._internals.engine import ProducerEngine\n"
            ),
            "kafkaproto/cli/produce.py": (
                "from kafkaproto.producer._internals.engine import ProducerEngine\n"
            ),
        },
    )
    assert violations(modules) == [
        "kafkaproto/cli/produce.py:1: kafkaproto.cli.produce imports "
        "kafkaproto.producer._internals.engine, private to kafkaproto.producer"
    ]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("kafkaproto.config.common", "facts"),
        ("kafkaproto.backoff", "errors"),
        ("kafkaproto.records.reader", "wire"),
        ("kafkaproto.messages.produce", "messages"),
        ("kafkaproto.producer._internals.sender", "clients"),
        ("kafkaproto.cli.produce", "cli"),
    ],
)
def test_layer_of(module: str, layer: str) -> None:
    index = layer_of(module)
    assert index is not None and LAYERS[index][0] == layer
