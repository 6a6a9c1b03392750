"""Emit stage: print the plan through jinja2 templates, format with black, write generated/.

Output is deterministic: inputs are sorted, imports are computed from what the body uses, there
are no timestamps, and files are rewritten only when their text changes; files the plan no longer
produces are removed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import black
import jinja2
from black.mode import Mode, TargetVersion

from .error_table import ErrorEntry
from .plan import ClassPlan, ModulePlan, Plan, api_key_name

ERROR_MODULE = "error_table"

PACKAGE_DIR = Path("kafkaproto") / "messages"
MANIFEST = "manifest.txt"
OLD_MANIFESTS = ("manifest.json",)  # read (once) by the upgrade report, never written
_BASES = {
    "response": "ApiResponse",
    "header": "HeaderMessage",
    "data": "DataMessage",
    "metadata": "DataMessage",
    "struct": "Struct",
}
_BLACK_VERSION = metadata.version("black")
BLACK_MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kafkaproto.codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


@dataclass(frozen=True)
class Source:
    """Where the generated code came from: the Kafka version, each spec file's sha256 and the
    error table (with its extract's sha256; None when compiling specs alone)."""

    kafka_version: str
    sha256: dict[str, str]  # spec name (e.g. "ProduceRequest") -> sha256 of its JSON file
    errors: list[ErrorEntry] | None = None
    errors_sha256: str = ""


def render(
    plan: Plan,
    source: Source,
    progress: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, str]:
    """Every generated file, relative to ``generated/``, as formatted text."""
    env = _environment()
    module_tpl = env.get_template("module.py.j2")
    raw: dict[str, str] = {}
    for mod in plan.modules:
        raw[str(PACKAGE_DIR / f"{mod.name}.py")] = _render_module(module_tpl, mod, source)
    raw[str(PACKAGE_DIR / "__init__.py")] = _render_index(env, plan, source)
    if source.errors is not None:
        raw[str(PACKAGE_DIR / f"{ERROR_MODULE}.py")] = env.get_template(
            "error_table.py.j2"
        ).render(errors=[e for e in source.errors if e.code != 0], sha256=source.errors_sha256)
    formatted = format_all(raw, progress, cache_dir)
    formatted[str(PACKAGE_DIR / "py.typed")] = ""
    formatted[str(PACKAGE_DIR / MANIFEST)] = manifest_text(plan, source)
    return formatted


def _render_module(tpl: jinja2.Template, mod: ModulePlan, source: Source) -> str:
    sources = " and ".join(f"{s}.json (sha256 {source.sha256[s][:12]})" for s in mod.specs)
    body = tpl.render(
        module=mod,
        kafka_version=source.kafka_version,
        sources=sources,
        imports="{imports}",
        bases={c.name: _base(c) for c in mod.classes},
        tuple_methods=("count", "index"),
        cls_doc={c.name: _class_doc(c) for c in mod.classes},
    )
    # The body is printed first so that the import block holds exactly what it uses.
    return body.replace("{imports}", _imports(mod, body), 1)


def _base(c: ClassPlan) -> str:
    if c.role == "request":
        return f'ApiRequest["{c.response}"]' if c.response else "ApiRequest[ApiResponse]"
    return _BASES[c.role]


_MESSAGE_NAMES = (
    "absent_field_error",
    "ApiRequest",
    "ApiResponse",
    "array_decoder",
    "array_encoder",
    "DataMessage",
    "decoder",
    "encoder",
    "field",
    "HeaderMessage",
    "RawTaggedField",
    "Struct",
)


# Wire names the templates print themselves (the plan lists those its operations use).
_WIRE_NAMES = (
    "empty_or_null",
    "flat_values",
    "read_compact_nullable_array_length",
    "read_nullable_array_length",
    "WireError",
    "write_array_length",
    "write_compact_length",
    "write_null_array",
    "ZERO_UUID",
    "ZEROS",
)


def _imports(mod: ModulePlan, body: str) -> str:
    lines = []
    if "Sequence[" in body:
        lines.append("from collections.abc import Sequence")
    if re.search(r"\b_Struct\(\"", body):
        lines.append("from struct import Struct as _Struct")
    if "repeat(" in body:
        lines.append("from itertools import repeat")
    if re.search(r"\bfinal\b", body):
        lines.append("from typing import final")
    if re.search(r"(: |\[|\| )UUID\b|\bUUID\(", body):  # in a type hint or a default
        lines.append("from uuid import UUID")
    lines.append("")
    message = [n for n in _MESSAGE_NAMES if re.search(rf"(?<![.\w]){n}\b(?![\"])", body)]
    lines.append(f"from kafkaproto.message import {', '.join(sorted(message, key=str.lower))}")
    candidates = set(mod.imports_wire) | set(_WIRE_NAMES)
    wire = {n for n in candidates if re.search(rf"(?<![.\w]){n}\b", body)}
    if wire:
        lines.append(f"from kafkaproto.wire import {', '.join(sorted(wire, key=str.lower))}")
    return "\n".join(lines)


def _class_doc(c: ClassPlan) -> str:
    if c.top_level:
        doc = f"Kafka's {c.spec_name}, every version (``min_version`` to ``max_version``)."
        if c.latest_stable is not None:
            doc += (
                "\n\n    Its newest version is unstable: Kafka marks it as still in development, "
                "and brokers\n    accept it only when unstable API versions are enabled."
            )
        return doc
    return f"{c.spec_name}, a struct of {c.message}."


def _render_index(env: jinja2.Environment, plan: Plan, source: Source) -> str:
    apis: dict[int, dict[str, Any]] = {}
    for e in plan.index:
        if e.api_key is None or e.role not in ("request", "response"):
            continue
        base = e.name[: -len("Request")] if e.role == "request" else e.name[: -len("Response")]
        a = apis.setdefault(
            e.api_key,
            {
                "api_key": e.api_key,
                "enum": api_key_name(base),
                "name": base,
                "module": e.module,
                "listeners": "",
            },
        )
        flex = e.flexible.lowest if not e.flexible.empty else -1
        if e.role == "request":
            a.update(
                min=e.versions.lowest,
                max=e.versions.highest,
                stable=e.versions.highest - (1 if e.unstable_latest else 0),
                req_flex=flex,
                listeners="".join(f'"{name}", ' for name in e.listeners).rstrip(", ")
                + ("," if len(e.listeners) == 1 else ""),
            )
        else:
            a["resp_flex"] = flex
    removed = sorted(
        {
            (e.api_key, e.name.removesuffix("Request").removesuffix("Response"))
            for e in plan.removed
            if e.api_key is not None
        }
    )
    return env.get_template("index.py.j2").render(
        kafka_version=source.kafka_version,
        apis=[apis[k] for k in sorted(apis)],
        removed=removed,
        api_versions_enum=api_key_name("ApiVersions"),
    )


# --- black -------------------------------------------------------------------------------------


def _format_one(item: tuple[str, str]) -> tuple[str, str]:
    path, text = item
    try:
        return path, black.format_str(text, mode=BLACK_MODE)
    except Exception as exc:  # a template bug: show where
        raise RuntimeError(f"black could not format {path}: {exc}") from None


def format_all(
    raw: dict[str, str],
    progress: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, str]:
    """Format every file with black, on every core (formatting is most of codegen's time).

    With ``cache_dir``, black's output is kept by the sha256 of its input and black's version, so
    a regeneration formats only the modules whose text changed."""
    out: dict[str, str] = {}
    todo: list[tuple[str, str]] = []
    keys: dict[str, Path] = {}
    for path, text in raw.items():
        if cache_dir is not None:
            digest = hashlib.sha256(f"{_BLACK_VERSION}\0{text}".encode()).hexdigest()
            keys[path] = cache_dir / f"{digest}.py"
            if keys[path].exists():
                out[path] = keys[path].read_text(encoding="utf-8")
                continue
        todo.append((path, text))
    todo.sort(key=lambda kv: -len(kv[1]))
    if progress is not None and out:
        progress(f"{len(out)} files unchanged since the last run (formatting cache)")
    if todo:
        workers = max(1, min(len(todo), os.cpu_count() or 1))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for done, (path, text) in enumerate(pool.map(_format_one, todo, chunksize=1), 1):
                out[path] = text
                if path in keys:
                    keys[path].parent.mkdir(parents=True, exist_ok=True)
                    keys[path].write_text(text, encoding="utf-8")
                if progress is not None and (done % 20 == 0 or done == len(todo)):
                    progress(f"formatted {done}/{len(todo)} files")
    return dict(sorted(out.items()))


# --- writing -----------------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> tuple[list[str], list[str]]:
    """Write ``files`` under ``root``: only files whose text changed; removes generated files the
    plan no longer makes. Returns (written, removed) relative paths."""
    written: list[str] = []
    removed: list[str] = []
    for rel, text in files.items():
        path = root / rel
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(rel)
    pkg = root / PACKAGE_DIR
    if pkg.exists():
        for path in sorted(pkg.iterdir()):
            rel = str(PACKAGE_DIR / path.name)
            if path.is_file() and rel not in files:
                path.unlink()
                removed.append(rel)
    return written, removed


# --- the manifest: what the upgrade report compares ------------------------------------------


def manifest(plan: Plan, source: Source) -> dict[str, Any]:
    """Per message: its versions, flexible versions and every field (nested structs flattened
    into dotted paths) with the versions it exists in, is nullable in and is tagged in. One line
    per field, so that a new version or field changes a line or two."""
    specs: dict[str, Any] = {}
    for mod in plan.modules:
        classes = {c.name: c for c in mod.classes}
        for c in mod.classes:
            if not c.top_level:
                continue
            flexible = f"{c.flexible_from}+" if c.flexible_from is not None else "none"
            specs[c.spec_name] = {
                "versions": f"{c.min_version}-{c.max_version}",
                "flexible": flexible,
                "fields": _field_lines(classes, c, ""),
            }
    return {
        "kafka_version": source.kafka_version,
        "sha256": dict(sorted(source.sha256.items())),
        "messages": dict(sorted(specs.items())),
    }


def _field_lines(classes: dict[str, ClassPlan], c: ClassPlan, prefix: str) -> list[str]:
    lines = []
    for f in c.infos:
        kind = f.kind if f.kind != "array" else f"[]{f.elem}"
        flags = f" versions={f.versions}"
        if not f.nullable.empty:
            flags += f" nullable={f.nullable}"
        if f.tag is not None:
            flags += f" tagged={f.tagged} tag={f.tag}"
        if f.flexible is not None:
            flags += f" flexible={f.flexible}"
        lines.append(f"{prefix}{f.name}: {kind}{flags}")
        if f.child is not None:
            lines.extend(_field_lines(classes, classes[f.child], f"{prefix}{f.name}."))
    return lines


def manifest_text(plan: Plan, source: Source) -> str:
    """The manifest as text, one line per message (versions, flexible versions, its spec's
    sha256) and one per field, so that a change of Kafka's is a line or two of its diff."""
    data = manifest(plan, source)
    lines = [
        "# What each message has at which version: the upgrade report compares this file before",
        "# and after a regeneration. Generated by kafkaproto.codegen; do not edit.",
        f"kafka_version {data['kafka_version']}",
    ]
    for name, m in data["messages"].items():
        sha = data["sha256"].get(name, "")
        lines.append(f"{name} versions={m['versions']} flexible={m['flexible']} sha256={sha}")
        lines.extend(f"{name}.{field}" for field in m["fields"])
    return "\n".join(lines) + "\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
