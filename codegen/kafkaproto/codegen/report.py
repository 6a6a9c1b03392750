"""The upgrade report: what a regeneration changed, in the protocol's terms (APIs, versions,
fields), so a reviewer sees the meaning of the diff and not only the diff."""

from __future__ import annotations

import json
from typing import Any

from .versions import Versions


def parse_manifest(text: str) -> dict[str, Any]:
    """The text manifest (``emit.manifest_text``) back as the dictionary ``emit.manifest``
    makes; an older JSON manifest is read as it is."""
    if text.lstrip().startswith("{"):
        loaded: dict[str, Any] = json.loads(text)
        return loaded
    out: dict[str, Any] = {"kafka_version": "", "sha256": {}, "messages": {}}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("kafka_version "):
            out["kafka_version"] = line.split(" ", 1)[1]
            continue
        head, _, rest = line.partition(" ")
        if "." not in head and "=" in rest:
            opts = dict(part.split("=", 1) for part in rest.split(" "))
            out["messages"][head] = {
                "versions": opts["versions"],
                "flexible": opts["flexible"],
                "fields": [],
            }
            out["sha256"][head] = opts.get("sha256", "")
        else:
            name, field = line.split(".", 1)
            out["messages"][name]["fields"].append(field)
    return out


def upgrade_report(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Lines describing the change from the ``old`` manifest to the ``new`` one."""
    if old is None:
        return [
            f"first generation: {len(new['messages'])} messages from Kafka {new['kafka_version']}"
        ]
    lines: list[str] = []
    if old["kafka_version"] != new["kafka_version"]:
        lines.append(f"Kafka {old['kafka_version']} -> {new['kafka_version']}")
    before = {name: per_version(m) for name, m in old["messages"].items()}
    after = {name: per_version(m) for name, m in new["messages"].items()}
    for name in sorted(set(after) - set(before)):
        lines.append(f"+ {name}: new, versions {_span(after[name])}")
    for name in sorted(set(before) - set(after)):
        lines.append(f"- {name}: removed (had versions {_span(before[name])})")
    for name in sorted(set(before) & set(after)):
        old_v, new_v = before[name], after[name]
        added = sorted(set(new_v) - set(old_v), key=int)
        removed = sorted(set(old_v) - set(new_v), key=int)
        for v in added:
            base = max((int(x) for x in old_v if int(x) < int(v)), default=None)
            diff = _field_diff(old_v[str(base)] if base is not None else [], new_v[v])
            what = f" (vs v{base}: {diff})" if base is not None and diff else ""
            lines.append(f"+ {name} v{v}{what}")
        for v in removed:
            lines.append(f"- {name} v{v}")
        for v in sorted(set(old_v) & set(new_v), key=int):
            diff = _field_diff(old_v[v], new_v[v])
            if diff:
                lines.append(f"~ {name} v{v}: {diff}")
    return lines or ["no protocol changes"]


def _span(versions: dict[str, Any]) -> str:
    keys = sorted(int(v) for v in versions)
    return f"{keys[0]}-{keys[-1]}" if len(keys) > 1 else str(keys[0])


def _field_diff(old: list[str], new: list[str]) -> str:
    old_by = {line.split(":", 1)[0]: line for line in old}
    new_by = {line.split(":", 1)[0]: line for line in new}
    parts = [f"+{k}" for k in new_by if k not in old_by]
    parts += [f"-{k}" for k in old_by if k not in new_by]
    parts += [
        f"~{k} ({old_by[k].split(': ', 1)[1]} -> {new_by[k].split(': ', 1)[1]})"
        for k in new_by
        if k in old_by and old_by[k] != new_by[k]
    ]
    return ", ".join(parts)


def per_version(message: dict[str, Any]) -> dict[str, list[str]]:
    """A manifest entry as ``{version: ["Path: kind [nullable] [tag=N]", ...]}``. Older manifests
    stored that shape directly; current ones list each field once with its version ranges."""
    if "fields" not in message:
        return message
    versions = Versions.parse(message["versions"])
    parsed = []
    for line in message["fields"]:
        path, rest = line.split(": ", 1)
        kind, *flags = rest.split(" ")
        opts = dict(flag.split("=", 1) for flag in flags)
        parsed.append((path, kind, opts))
    out: dict[str, list[str]] = {}
    for v in versions:
        present: set[str] = set()
        lines = []
        for path, kind, opts in parsed:
            parent = path.rsplit(".", 1)[0] if "." in path else None
            if v not in Versions.parse(opts["versions"]) or (
                parent is not None and parent not in present
            ):
                continue
            present.add(path)
            flags = ""
            if v in Versions.parse(opts.get("nullable", "none")):
                flags += " nullable"
            if v in Versions.parse(opts.get("tagged", "none")):
                flags += f" tag={opts['tag']}"
            lines.append(f"{path}: {kind}{flags}")
        out[str(v)] = lines
    return out
