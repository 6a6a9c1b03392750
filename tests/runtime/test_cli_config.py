"""The `python -m kafkaproto config producer` command."""

from __future__ import annotations

import pytest
from kafkaproto.__main__ import main


def test_config_producer_explains_rules(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["config", "producer", "bootstrap.servers=b:9092", "acks=1", "request.timeout.ms=200000"]
    )
    out = capsys.readouterr().out
    assert status == 0
    rows = {line.split()[0]: line.split(None, 3) for line in out.splitlines()[2:]}
    assert rows["enable.idempotence"][1:3] == ["false", "rule"]
    assert "acks=1" in rows["enable.idempotence"][3]
    assert rows["delivery.timeout.ms"][1:3] == ["200005", "rule"]
    assert rows["linger.ms"][1:3] == ["5", "default"]


def test_config_only_set_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "producer", "--only-set", "bootstrap.servers=b"]) == 0
    out = capsys.readouterr().out
    assert "linger.ms" not in out and "bootstrap.servers" in out
    assert main(["config", "producer", "bootstrap.servers=b", "linger.ms=-1"]) == 1
    assert "linger.ms" in capsys.readouterr().err
    assert main(["config", "producer", "novalue"]) == 2


def test_config_explains_every_client_and_its_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "cluster", "request.timeout.ms=100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Kafka 4.4.0 cluster configuration")
    assert "request.timeout.ms" in out and "user" in out and "max.frame.size" in out
    assert main(["config", "cluster", "linger.ms=5"]) == 1
    assert "not a known cluster config" in capsys.readouterr().err
    assert main(["config", "producer", "--docs"]) == 0
    out = capsys.readouterr().out
    assert "linger.ms  (type LONG, default 5, valid [0,...], importance MEDIUM)" in out


def test_config_consumer_explains_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "consumer", "bootstrap.servers=b:9092"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Kafka 4.4.0 consumer configuration")
    rows = {line.split()[0]: line.split(None, 3) for line in out.splitlines()[2:]}
    assert rows["enable.auto.commit"][1:3] == ["false", "rule"]
    assert rows["client.id"][1].startswith("consumer-null-")
    assert rows["max.poll.records"][1:3] == ["500", "default"]
    assert main(["config", "consumer", "bootstrap.servers=b", "auto.offset.reset=smallest"]) == 1
    assert "by_duration" in capsys.readouterr().err
    assert main(["config", "consumer", "bootstrap.servers=b", "group.id=g"]) == 0
    rows = {
        line.split()[0]: line.split(None, 3) for line in capsys.readouterr().out.splitlines()[2:]
    }
    assert rows["enable.auto.commit"][1:3] == ["true", "default"]
