"""Emit stage: print the plan through jinja2 templates, format with black, write generated/.

Output is deterministic: inputs are sorted, imports are computed from what the body uses, there
are no timestamps, and files are rewritten only when their text changes; files the plan no longer
produces are removed.
"""

from __future__ import annotations

import hashlib
import json
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

from .plan import ClassPlan, ModulePlan, Plan

PACKAGE_DIR = Path("kafkaproto") / "messages"
MANIFEST = "manifest.json"
_BASES = {
    "request": "ApiMessage",
    "response": "ApiMessage",
    "header": "HeaderMessage",
    "data": "DataMessage",
    "metadata": "DataMessage",
}
_BLACK_VERSION = metadata.version("black")
BLACK_MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("kafkaproto.codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


@dataclass(frozen=True)
class Source:
    """Where the generated code came from: the Kafka version and each spec file's sha256."""

    kafka_version: str
    sha256: dict[str, str]  # spec name (e.g. "ProduceRequest") -> sha256 of its JSON file


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
    formatted = format_all(raw, progress, cache_dir)
    formatted[str(PACKAGE_DIR / "py.typed")] = ""
    formatted[str(PACKAGE_DIR / MANIFEST)] = manifest_text(plan, source)
    return formatted


def _render_module(tpl: jinja2.Template, mod: ModulePlan, source: Source) -> str:
    sources = " and ".join(f"{s}.json (sha256 {source.sha256[s][:12]})" for s in mod.specs)
    cls_doc = {c.name: _class_doc(c) for c in mod.classes}
    pub_doc = {pub: _public_doc(c, v, u) for c in mod.classes for pub, v, u in c.public}
    body = tpl.render(
        module=mod,
        kafka_version=source.kafka_version,
        sources=sources,
        imports="{imports}",
        base_of=_BASES,
        tuple_methods=("count", "index"),
        cls_doc=cls_doc,
        pub_doc=pub_doc,
    )
    # The body is printed first so that the import block holds exactly what it uses.
    return body.replace("{imports}", _imports(mod, body), 1)


def _imports(mod: ModulePlan, body: str) -> str:
    lines = []
    if "Iterable[" in body:
        lines.append("from collections.abc import Iterable")
    if "Struct(" in body.replace("_Struct)", ""):
        lines.append("from struct import Struct")
    typing = sorted(n for n in ("ClassVar", "Self", "final") if re.search(rf"\b{n}\b", body))
    if typing:
        lines.append(f"from typing import {', '.join(typing)}")
    if re.search(r"(: |\[|\| )UUID\b|\bUUID\(", body):  # in a type hint or a default
        lines.append("from uuid import UUID")
    lines.append("")
    message = ["Field", "field_at", "finish_class"]
    for name in ("ApiMessage", "HeaderMessage", "DataMessage", "RawTaggedField", "as_tuple"):
        if name in body:
            message.append(name)
    if "(_Struct)" in body:
        message.append("Struct as _Struct")
    lines.append(f"from kafkaproto.message import {', '.join(sorted(message, key=str.lower))}")
    wire = set(mod.imports_wire)
    if "ZERO_UUID" in body:
        wire.add("ZERO_UUID")
    if "WireError(" in body:
        wire.add("WireError")
    if wire:
        lines.append(f"from kafkaproto.wire import {', '.join(sorted(wire, key=str.lower))}")
    return "\n".join(lines)


def _versions_text(versions: list[int]) -> str:
    if len(versions) == 1:
        return f"version {versions[0]}"
    if versions == list(range(versions[0], versions[-1] + 1)):
        return f"versions {versions[0]}-{versions[-1]}"
    return "versions " + ", ".join(map(str, versions))


def _class_doc(c: ClassPlan) -> str:
    if c.layout_name:
        return (
            f"The fields of {c.spec_name} at {_versions_text(c.versions)}; use the final class "
            f"of each version ({', '.join(p for p, _, _ in c.public)})."
        )
    return f"{c.layout.spec_name}, a struct of {c.spec_name} at {_versions_text(c.versions)}."


def _public_doc(c: ClassPlan, version: int, unstable: bool) -> str:
    doc = f"{c.spec_name}, version {version}."
    if unstable:
        doc += (
            "\n\n    Unstable: Kafka marks this version as still in development; brokers only "
            "accept it when\n    unstable API versions are enabled."
        )
    return doc


def _render_index(env: jinja2.Environment, plan: Plan, source: Source) -> str:
    apis: dict[int, dict[str, Any]] = {}
    api_versions_key = -1
    for e in plan.index:
        if e.api_key is None or e.role not in ("request", "response"):
            continue
        base = e.name[: -len("Request")] if e.role == "request" else e.name[: -len("Response")]
        a = apis.setdefault(
            e.api_key,
            {"api_key": e.api_key, "name": base, "module": e.module, "listeners": ()},
        )
        flex = e.flexible.lowest if not e.flexible.empty else -1
        if e.role == "request":
            a.update(
                min=e.versions.lowest,
                max=e.versions.highest,
                stable=e.versions.highest - (1 if e.unstable_latest else 0),
                req_flex=flex,
                listeners=e.listeners,
            )
        else:
            a["resp_flex"] = flex
        if base == "ApiVersions":
            api_versions_key = e.api_key
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
        api_versions_key=api_versions_key,
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
    """Per message and version, its fields as ``path: type`` lines (nested structs flattened)."""
    specs: dict[str, Any] = {}
    for mod in plan.modules:
        for c in mod.classes:
            if not c.layout_name:
                continue
            for _, version, _ in c.public:
                specs.setdefault(c.spec_name, {})[str(version)] = _field_lines(c.layout, "")
    return {
        "kafka_version": source.kafka_version,
        "sha256": dict(sorted(source.sha256.items())),
        "messages": dict(sorted(specs.items())),
    }


def _field_lines(layout: Any, prefix: str) -> list[str]:
    lines = []
    for f in layout.fields:
        kind = f.kind if f.kind != "array" else f"[]{f.elem}"
        flags = (" nullable" if f.nullable else "") + (f" tag={f.tag}" if f.tag >= 0 else "")
        lines.append(f"{prefix}{f.name}: {kind}{flags}")
        if f.child is not None:
            lines.extend(_field_lines(f.child, f"{prefix}{f.name}."))
    return lines


def manifest_text(plan: Plan, source: Source) -> str:
    return json.dumps(manifest(plan, source), indent=1, sort_keys=False) + "\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
