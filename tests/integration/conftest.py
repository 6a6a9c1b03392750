"""Fixtures for tests against a real Kafka: `broker` (one node) and `cluster` (three nodes).

They start Kafka through tests/integration/kafka_cluster.py, the same code that the Makefile's
`make broker` and `make cluster` run, and reuse a broker that is already up (then leave it running).
A broker the fixture started itself is stopped at the end of the session, unless
KAFKAPROTO_KEEP_KAFKA=1.
When a test that used a broker fails, the tail of that broker's log is added to the report.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from kafka_cluster import BROKER, CLUSTER, ClusterSpec, KafkaCluster, libs_dir

LOG_TAIL_LINES = 80


def _session_kafka(spec: ClusterSpec) -> Iterator[KafkaCluster]:
    kafka = KafkaCluster(spec)
    started_here = not kafka.is_up()
    kafka.start()
    try:
        yield kafka
    finally:
        if started_here and os.environ.get("KAFKAPROTO_KEEP_KAFKA") != "1":
            kafka.stop()


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaCluster]:
    """The single broker as a KafkaCluster (log paths, node control)."""
    yield from _session_kafka(BROKER)


@pytest.fixture(scope="session")
def broker(kafka_broker: KafkaCluster) -> str:
    """Bootstrap address of the single broker: "127.0.0.1:9092"."""
    return kafka_broker.bootstrap


@pytest.fixture(scope="session")
def kafka_cluster() -> Iterator[KafkaCluster]:
    """The three-node cluster as a KafkaCluster; stop_node/start_node for fail-over tests."""
    yield from _session_kafka(CLUSTER)


@pytest.fixture(scope="session")
def cluster(kafka_cluster: KafkaCluster) -> str:
    """Bootstrap addresses of the three-node cluster, comma separated."""
    return kafka_cluster.bootstrap


@pytest.fixture(scope="session")
def java_tools() -> list[str]:
    """The command prefix that runs a Kafka tool's main class (ConsoleConsumer,
    ConsumerGroupCommand ...) on the fetched jars."""
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
        f"-Dlog4j2.configurationFile={Path(__file__).parent / 'log4j2-tools.properties'}",
        # Header keys are printed as Strings: make them UTF-8 whatever the locale.
        "-Dfile.encoding=UTF-8",
        "-Dsun.stdout.encoding=UTF-8",
        "-cp",
        f"{libs}/*",
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        names = set(getattr(item, "fixturenames", ()))
        for spec, fixtures in (
            (BROKER, {"broker", "kafka_broker"}),
            (CLUSTER, {"cluster", "kafka_cluster"}),
        ):
            if names & fixtures:
                tail = KafkaCluster(spec).log_tail(LOG_TAIL_LINES)
                report.sections.append((f"kafka {spec.name} log tail", tail))
    return report
