"""The upgrade report: what a regeneration changed, in the protocol's terms (APIs, versions,
fields), so a reviewer sees the meaning of the diff and not only the diff."""

from __future__ import annotations

from typing import Any


def upgrade_report(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Lines describing the change from the ``old`` manifest to the ``new`` one."""
    if old is None:
        return [
            f"first generation: {len(new['messages'])} messages from Kafka {new['kafka_version']}"
        ]
    lines: list[str] = []
    if old["kafka_version"] != new["kafka_version"]:
        lines.append(f"Kafka {old['kafka_version']} -> {new['kafka_version']}")
    before, after = old["messages"], new["messages"]
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
