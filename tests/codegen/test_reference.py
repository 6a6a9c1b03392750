"""The protocol reference emitter (kafkaproto.codegen.reference) over the golden fixture specs:
per API the versions, each field's versions, the version that added it, nullability and tags;
and the pages are deterministic."""

from __future__ import annotations

import re
from pathlib import Path

from kafkaproto.codegen.reference import load_messages, pages, write

FIXTURES = Path(__file__).parent / "fixtures"


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>|&nbsp;", " ", page))


def test_api_page_has_versions_fields_added_in_and_tags() -> None:
    files = pages(load_messages(FIXTURES), "9.9.9")
    assert "index.html" in files and "api-900-gold.html" in files
    text = _text(files["api-900-gold.html"])
    assert "Gold (API key 900)" in text
    assert "valid versions 0-3; flexible (tagged fields, compact encodings) 2+" in text
    assert "version 3 unstable" in text
    # field, type, versions, added in (then nullable, tag, default, about)
    assert " TimeoutMs int32 0-3 0 0x7fffffff A hex default. " in text
    assert " TopicId uuid 2-3 2 " in text  # nested, added in v2
    assert re.search(r" Payload bytes 2-3 2 3 ", text)  # nullable from v3
    assert re.search(r" Extra GoldExtra 3 3 tag 1, v3 ", text)  # tagged struct
    index = _text(files["index.html"])
    assert "900 Gold 0-3 2+" in index and "Kafka 9.9.9 protocol reference" in index


def test_output_is_deterministic_and_stale_pages_go(tmp_path: Path) -> None:
    messages = load_messages(FIXTURES)
    first, second = pages(messages, "1.0.0"), pages(list(reversed(messages)), "1.0.0")
    assert first == second
    (tmp_path / "stale.html").write_text("old")
    write(tmp_path, first)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(first)
