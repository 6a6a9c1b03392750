"""`make help` lists every target of the Makefile, each with what it does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_every_target() -> None:
    text = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-zA-Z][a-zA-Z0-9_-]*):(?!=)", text, re.MULTILINE))
    assert {"help", "test", "unit", "lint", "oracle", "kafka-jars", "docs"} <= targets
    out = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True, check=True
    ).stdout
    listed = {line.split()[1]: line for line in out.splitlines() if line.startswith("make ")}
    assert set(listed) == targets
    assert all(len(line.split(None, 2)) == 3 for line in listed.values())  # each says something
