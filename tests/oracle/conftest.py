"""The Java oracle: the long-lived harness JVM (tests/oracle/Harness.java, fixture ``oracle``) and
the one-shot programs of tests/oracle/java (fixture ``java_oracle``), both over kafka-clients at
the pinned version. Tests here are marked `oracle`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness import OracleHarness

ROOT = Path(__file__).resolve().parents[2]
CLASSPATH = f"{ROOT / 'build/oracle/classes'}:{ROOT / 'build/oracle/lib'}/*"

RunJava = Callable[..., str]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.oracle)


@pytest.fixture(scope="session")
def java_oracle() -> RunJava:
    """A function running one oracle program: ``java_oracle("ErrorsOracle", *args, input=...)``
    returns its stdout and fails the test on a non-zero exit."""
    missing = [tool for tool in ("java", "javac") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the Java oracle needs a JDK; not found on PATH: {', '.join(missing)}")
    build = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "oracle-java"], capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"`make oracle-java` failed:\n{build.stdout}\n{build.stderr}")

    def run(main_class: str, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            ["java", "-cp", CLASSPATH, main_class, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            pytest.fail(f"{main_class} exited {done.returncode}:\n{done.stderr}")
        return done.stdout

    return run


@pytest.fixture(scope="session")
def oracle() -> Iterator[OracleHarness]:
    """One harness JVM answering JSON-lines cases for the whole session."""
    with OracleHarness.start() as harness:
        yield harness
