"""The Java oracle: one long-lived harness JVM over kafka-clients at the pinned version
(tests/oracle/java/Harness.java, compiled with the small programs beside it by `make oracle`).
Fixture ``oracle`` is the harness; ``java_oracle`` runs one of the programs in it. Tests here are
marked `oracle`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness import OracleHarness

ROOT = Path(__file__).resolve().parents[2]

RunJava = Callable[..., str]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.oracle)


@pytest.fixture(scope="session")
def oracle() -> Iterator[OracleHarness]:
    """One harness JVM answering JSON-lines cases for the whole session (built by `make oracle`
    when needed; skipped only when no JDK is installed)."""
    missing = [tool for tool in ("java", "javac") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the Java oracle needs a JDK; not found on PATH: {', '.join(missing)}")
    build = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "oracle"], capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"`make oracle` failed:\n{build.stdout}\n{build.stderr}")
    with OracleHarness.start() as harness:
        yield harness


@pytest.fixture(scope="session")
def java_oracle(oracle: OracleHarness) -> RunJava:
    """``java_oracle("ErrorsOracle", *args, input=...)``: the program's stdout."""

    def run(main_class: str, *args: str, input: str | None = None) -> str:
        return oracle.run(main_class, *args, input=input or "")

    return run
