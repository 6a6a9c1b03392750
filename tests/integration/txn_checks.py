"""Helpers for the transaction proofs: read a topic with kcat (librdkafka) and with Kafka's Java
console consumer at either isolation level, and set the cluster's finalized
``transaction.version`` with Kafka's own ``kafka-features`` tool (FeatureCommand, the admin
API's UpdateFeatures). Every subprocess is bounded."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pytest
from kafka_cluster import libs_dir
from kafkaproto.cluster import ClusterClient

HERE: Final = Path(__file__).resolve().parent
TOOLS_LOG4J2: Final = HERE / "log4j2-tools.properties"


def kcat_path() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not on PATH: run `make kcat` (make test does)")
    return path


def java_command() -> list[str]:
    """The prefix that runs one of Kafka's tools on the fetched jars (skips without java)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("no `java` on PATH: Kafka's Java tools cannot run")
    libs = libs_dir()
    if not any(libs.glob("kafka-tools-*.jar")):
        pytest.fail(f"kafka-tools jar missing in {libs}: run `make kafka-jars`")
    return [
        java,
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={TOOLS_LOG4J2}",
        "-cp",
        f"{libs}/*",
    ]


def run(cmd: Sequence[str], timeout: float) -> bytes:
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{cmd[0]!r} did not finish in {timeout}s; stderr: {e.stderr!r}")
    assert proc.returncode == 0, (cmd, proc.returncode, proc.stderr.decode(errors="replace"))
    return proc.stdout


def kcat_values(bootstrap: str, topic: str, isolation: str, timeout: float = 60.0) -> list[str]:
    """Every value of every partition of ``topic`` as kcat (librdkafka) reads it with
    ``isolation.level`` = ``isolation`` (read_committed or read_uncommitted)."""
    out = run(
        [
            kcat_path(),
            "-C",
            "-b",
            bootstrap,
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-X",
            f"isolation.level={isolation}",
            "-f",
            "%s\\n",
        ],
        timeout,
    )
    return out.decode().split()


def java_values(
    bootstrap: str, topic: str, isolation: str, max_messages: int, timeout: float = 120.0
) -> list[str]:
    """The first ``max_messages`` values Kafka's Java ``ConsoleConsumer`` reads from
    ``topic`` with ``--isolation-level`` = ``isolation``."""
    out = run(
        [
            *java_command(),
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--from-beginning",
            "--isolation-level",
            isolation,
            "--max-messages",
            str(max_messages),
            "--timeout-ms",
            "30000",
        ],
        timeout,
    )
    return out.decode().split()


async def finalized_transaction_version(bootstrap: str) -> int | None:
    """The ``transaction.version`` a fresh connection's ApiVersions response announces."""
    async with ClusterClient(bootstrap) as client:
        conn = await client.any_connection()
        response: Any = conn.api_versions_response
        levels = {f.name: f.max_version_level for f in response.finalized_features}
        return levels.get("transaction.version")


def set_transaction_version(bootstrap: str, level: int, timeout: float = 60.0) -> None:
    """Upgrade or downgrade the cluster's finalized ``transaction.version`` to ``level`` with
    ``kafka-features`` and wait until a new connection sees it."""
    current = asyncio.run(finalized_transaction_version(bootstrap))
    if current == level:
        return
    action = "upgrade" if current is None or level > current else "downgrade"
    run(
        [
            *java_command(),
            "org.apache.kafka.tools.FeatureCommand",
            "--bootstrap-server",
            bootstrap,
            action,
            "--feature",
            f"transaction.version={level}",
        ],
        120.0,
    )
    deadline = time.monotonic() + timeout
    while asyncio.run(finalized_transaction_version(bootstrap)) != level:
        if time.monotonic() > deadline:
            pytest.fail(f"transaction.version did not become {level} within {timeout}s")
        time.sleep(0.2)


def committed_offsets(
    bootstrap: str, group: str, timeout: float = 120.0
) -> dict[tuple[str, int], int]:
    """The group's committed offsets as Kafka's ``kafka-consumer-groups --describe`` reads them
    (its CURRENT-OFFSET column; "-" for none is left out)."""
    out = run(
        [
            *java_command(),
            "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            "--bootstrap-server",
            bootstrap,
            "--describe",
            "--group",
            group,
        ],
        timeout,
    ).decode()
    offsets: dict[tuple[str, int], int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == group and parts[3].isdigit():
            offsets[(parts[1], int(parts[2]))] = int(parts[3])
    return offsets
