"""Every example of README.md runs as written, against the real broker: each ```python block, and
each ``$ command`` line of the other blocks (with the output shown under it).

Only two things are substituted: the broker address ``127.0.0.1:9092`` becomes the test broker's,
and the topics ``orders`` / ``numbers`` become fresh ones, seeded with the two records the fetch
examples show, so each run starts from the same state. Shell commands run in a scratch folder
holding a link to the repository's ``.venv`` (and the ``frame.bin`` the decode example reads).
Output shown under a command must match exactly, unless it elides (``...``) or shows timings
(``bytes:``, ``latency``), in which case its first line must. Command listings that are not
examples (``make ...`` and the broker-management lines, which `make test` itself runs) have no
``$`` prompt and no python fence, and are not run here.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafkaproto import AsyncProducer, ProducerRecord
from kafkaproto.messages.api_versions import ApiVersionsResponse, ApiVersionsResponseApiVersion
from kafkaproto.messages.response_header import ResponseHeader

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ADDRESS = "127.0.0.1:9092"


@dataclass(frozen=True)
class Example:
    line: int
    kind: str  # "python" or "shell"
    code: str
    expected: str = ""


def examples() -> list[Example]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        line = text[: match.start()].count("\n") + 1
        lang, body = match.group(1), match.group(2)
        if lang == "python":
            found.append(Example(line, "python", body))
            continue
        command: str | None = None
        output: list[str] = []
        at = line
        for offset, row in enumerate(body.splitlines()):
            if row.startswith("$ "):
                if command is not None:
                    found.append(Example(at, "shell", command, "\n".join(output)))
                command, output, at = row[2:], [], line + 1 + offset
            elif command is not None:
                output.append(row)
        if command is not None:
            found.append(Example(at, "shell", command, "\n".join(output)))
    return found


EXAMPLES = examples()


@pytest.fixture(scope="module")
def topics(broker: str) -> dict[str, str]:
    names = {name: f"readme-{name}-{uuid.uuid4().hex[:8]}" for name in ("orders", "numbers")}

    async def seed() -> None:
        async with AsyncProducer(bootstrap_servers=broker) as producer:
            first = producer.send(
                ProducerRecord(
                    names["orders"],
                    b"first value",
                    key=b"k1",
                    partition=0,
                    timestamp=1700000000000,
                    headers=[("h", b"1")],
                )
            )
            await first
            await producer.send(ProducerRecord(names["orders"], b"second value", partition=0))

    asyncio.run(seed())
    return names


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    header = ResponseHeader(correlation_id=1).encode(0)
    body = ApiVersionsResponse(
        api_keys=[ApiVersionsResponseApiVersion(api_key=18, min_version=0, max_version=4)]
    ).encode(3)
    (folder / "frame.bin").write_bytes(len(header + body).to_bytes(4, "big") + header + body)
    return folder


def _substitute(text: str, broker: str, topics: dict[str, str]) -> str:
    text = text.replace(ADDRESS, broker)
    for name, fresh in topics.items():
        text = re.sub(rf"\b{name}\b", fresh, text)
    return text


def test_the_readme_has_examples_of_each_kind() -> None:
    kinds = [e.kind for e in EXAMPLES]
    assert kinds.count("python") >= 5 and kinds.count("shell") >= 8


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line{e.line}" for e in EXAMPLES])
def test_example_runs_as_written(
    example: Example, broker: str, topics: dict[str, str], scratch: Path
) -> None:
    code = _substitute(example.code, broker, topics)
    if example.kind == "python":
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, f"README line {example.line}:\n{done.stdout}\n{done.stderr}"
        return
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", code],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert done.returncode == 0, f"README line {example.line}:\n{done.stdout}\n{done.stderr}"
    expected = _substitute(example.expected, broker, topics).splitlines()
    actual = [row.rstrip() for row in done.stdout.splitlines()]
    if not expected:
        return
    partial = any("..." in row or row.startswith(("bytes:", "latency")) for row in expected)
    if partial:
        assert actual[:1] == [expected[0].rstrip()], f"README line {example.line}"
    else:
        assert actual == [row.rstrip() for row in expected], f"README line {example.line}"
