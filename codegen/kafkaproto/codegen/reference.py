"""The protocol reference: HTML pages emitted from the spec model, one per API (its request and
response: versions, flexible versions, every field with its type, the versions it exists in, the
version that added it, nullability, tag and tagged versions, default and Kafka's own description),
plus pages for headers and data structures and an index.

It reads the checked spec model (:mod:`kafkaproto.codegen.model`), never the plan or the generated
classes, so it shows Kafka's protocol as the pinned specs define it and survives changes to how
classes are generated. Output is deterministic (sorted inputs, no timestamps).

This module must never import the runtime or the generated code, and never write outside the
output directory it is given.

    python -m kafkaproto.codegen.reference --schemas schemas --output build/docs/protocol
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kafkaproto.codegen.load import load_dir
from kafkaproto.codegen.model import FieldSpec, MessageSpec, check_message, parse_message
from kafkaproto.codegen.versions import NONE, Versions

__all__ = ["Api", "main", "pages", "write"]

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; }
td { vertical-align: top; }
th { background: #f4f4f4; }
td.name { white-space: nowrap; font-family: monospace; }
td.tagged { color: #555; font-style: italic; }
code { font-size: 0.95em; }
"""


@dataclass(frozen=True)
class Api:
    """One API key: its request and response specs."""

    key: int
    name: str
    request: MessageSpec | None
    response: MessageSpec | None


def _escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _live(spec: FieldSpec, valid: Versions) -> Versions:
    # The versions a field exists in at this pin: its own range within the message's valid ones
    # (specs keep "0+" for fields older than a message's lowest supported version).
    return spec.field_versions.intersect(valid)


def _rows(
    msg: MessageSpec, fields: Sequence[FieldSpec], depth: int, seen: tuple[str, ...]
) -> Iterator[str]:
    common = {s.name: s for s in msg.common}
    for spec in fields:
        tagged = spec.tagged_versions
        tag = "" if spec.tag is None else f"tag {spec.tag}, v{tagged.intersect(msg.valid_versions)}"
        nullable = spec.nullable_versions.intersect(msg.valid_versions)
        about = spec.about or ""
        cls = ' class="tagged"' if spec.tag is not None else ""
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth
        live = _live(spec, msg.valid_versions)
        added = "-" if live.empty else str(live.lowest)
        yield (
            f"<tr{cls}><td class=\"name\">{indent}{_escape(spec.name)}</td>"
            f"<td><code>{_escape(spec.type)}</code></td>"
            f"<td>{_escape(live)}</td><td>{_escape(added)}</td>"
            f"<td>{'' if nullable == NONE else _escape(nullable)}</td>"
            f"<td>{_escape(tag)}</td><td>{_escape(spec.default_text)}</td>"
            f"<td>{_escape(about)}</td></tr>"
        )
        children: Sequence[FieldSpec] = spec.children
        ref = spec.field_type.struct_ref
        if not children and ref is not None and ref in common and ref not in seen:
            children = common[ref].children
        if children:
            yield from _rows(msg, children, depth + 1, (*seen, ref or spec.name))


def _message_section(title: str, msg: MessageSpec) -> str:
    facts = [f"valid versions {msg.valid_versions}"]
    flexible = msg.flexible_versions
    facts.append(f"flexible (tagged fields, compact encodings) {flexible}")
    if msg.deprecatedVersions:
        facts.append(f"deprecated {msg.deprecatedVersions}")
    if msg.latestVersionUnstable:
        facts.append(f"version {msg.valid_versions.highest} unstable")
    if msg.listeners:
        facts.append("listeners " + ", ".join(msg.listeners))
    head = (
        "<tr><th>field</th><th>type</th><th>versions</th><th>added in</th><th>nullable</th>"
        "<th>tagged</th><th>default</th><th>about</th></tr>"
    )
    rows = "\n".join(_rows(msg, msg.children, 0, ()))
    return (
        f"<h2>{_escape(title)}: <code>{_escape(msg.name)}</code></h2>\n"
        f"<p>{_escape('; '.join(facts))}</p>\n<table>\n{head}\n{rows}\n</table>"
    )


def apis(messages: Sequence[MessageSpec]) -> tuple[list[Api], list[MessageSpec]]:
    """The APIs by key, and the other specs (headers, data, metadata records)."""
    by_key: dict[int, dict[str, MessageSpec]] = {}
    others = []
    for msg in messages:
        if msg.apiKey is not None and msg.type in ("request", "response"):
            by_key.setdefault(msg.apiKey, {})[msg.type] = msg
        else:
            others.append(msg)
    out = []
    for key in sorted(by_key):
        pair = by_key[key]
        any_msg = pair.get("request") or pair["response"]
        name = any_msg.name.removesuffix("Request").removesuffix("Response")
        out.append(Api(key, name, pair.get("request"), pair.get("response")))
    return out, sorted(others, key=lambda m: m.name)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).lower()


def pages(messages: Sequence[MessageSpec], kafka_version: str) -> dict[str, str]:
    """File name -> HTML text, for the index and one page per API and per other spec."""
    api_list, others = apis(messages)
    out: dict[str, str] = {}
    index_rows = []
    for api in api_list:
        file = f"api-{api.key}-{_slug(api.name)}.html"
        sections = [
            _message_section(kind, msg)
            for kind, msg in (("Request", api.request), ("Response", api.response))
            if msg is not None
        ]
        title = f"{api.name} (API key {api.key})"
        out[file] = _page(
            title,
            f"<p><a href=\"index.html\">Kafka {_escape(kafka_version)} protocol</a></p>\n"
            f"<h1>{_escape(title)}</h1>\n" + "\n".join(sections),
        )
        versions = api.request.valid_versions if api.request else Versions(0, -1)
        flexible = api.request.flexible_versions if api.request else NONE
        index_rows.append(
            f"<tr><td>{api.key}</td><td><a href=\"{file}\">{_escape(api.name)}</a></td>"
            f"<td>{_escape(versions)}</td><td>{_escape(flexible)}</td></tr>"
        )
    other_rows = []
    for msg in others:
        file = f"{msg.type}-{_slug(msg.name)}.html"
        out[file] = _page(
            msg.name,
            f"<p><a href=\"index.html\">Kafka {_escape(kafka_version)} protocol</a></p>\n"
            f"<h1>{_escape(msg.name)}</h1>\n" + _message_section(msg.type.capitalize(), msg),
        )
        other_rows.append(
            f"<tr><td>{_escape(msg.type)}</td><td><a href=\"{file}\">{_escape(msg.name)}</a></td>"
            f"<td>{_escape(msg.valid_versions)}</td></tr>"
        )
    out["index.html"] = _page(
        f"Kafka {kafka_version} protocol",
        f"<h1>Kafka {_escape(kafka_version)} protocol reference</h1>\n"
        "<p>Generated by kafkaproto.codegen.reference from the pinned message specs. Per API: "
        "the versions, and for each field the versions it exists in, the first of them (the "
        "version that added it, or the lowest version still supported), nullability and tagged "
        "fields.</p>\n"
        "<h2>APIs</h2>\n<table>\n<tr><th>key</th><th>API</th><th>request versions</th>"
        "<th>flexible</th></tr>\n" + "\n".join(index_rows) + "\n</table>\n"
        "<h2>Headers and data structures</h2>\n<table>\n<tr><th>kind</th><th>name</th>"
        "<th>versions</th></tr>\n" + "\n".join(other_rows) + "\n</table>",
    )
    return out


def load_messages(json_dir: Path) -> list[MessageSpec]:
    """Every spec of ``json_dir``, parsed and checked by the model."""
    messages = []
    for spec_file in load_dir(json_dir):
        msg = parse_message(spec_file.name, spec_file.data)
        check_message(spec_file.name, msg)
        messages.append(msg)
    return messages


def write(output: Path, files: dict[str, str]) -> None:
    """Writes ``files`` into ``output`` and removes stale ``.html`` files there."""
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.html"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")


def _kafka_version(schemas: Path) -> str:
    for line in (schemas / "kafka.lock").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "kafka_version":
            return value.strip()
    raise ValueError(f"{schemas / 'kafka.lock'} names no kafka_version")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kafkaproto.codegen.reference")
    parser.add_argument("--schemas", type=Path, default=Path("schemas"))
    parser.add_argument("--output", type=Path, default=Path("build/docs/protocol"))
    args = parser.parse_args(argv)
    json_dir = args.schemas / "json"
    if not json_dir.is_dir():
        print(f"reference: {json_dir} is missing: run `make schemas`", file=sys.stderr)
        return 1
    files = pages(load_messages(json_dir), _kafka_version(args.schemas))
    write(args.output, files)
    print(f"reference: {len(files)} pages in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
