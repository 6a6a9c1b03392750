"""The `oracle` fixture: one Java harness JVM (tests/oracle/Harness.java) shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import OracleHarness


@pytest.fixture(scope="session")
def oracle() -> Iterator[OracleHarness]:
    with OracleHarness.start() as harness:
        yield harness
