"""kafkaproto.producer.config against Java's ProducerConfig + KafkaProducer checks (4.4.0 jar):
for each case, both accept with the same effective values, or both reject with the same reason;
and every definition (type, importance, default, validator) as Java's ConfigDef has it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kafkaproto.config.definition import NO_DEFAULT, Password
from kafkaproto.producer.config import ConfigError, ProducerConfig

RunJava = Callable[..., str]
B = "bootstrap.servers=localhost:9092"

CASES: list[str] = [
    B,
    "",
    f"{B}\tacks=1",
    f"{B}\tacks=0\tenable.idempotence=true",
    f"{B}\tacks=all\tenable.idempotence=true",
    f"{B}\tacks=-1",
    f"{B}\tacks=2",
    f"{B}\tacks=ALL",
    f"{B}\tacks= all ",
    f"{B}\tretries=0",
    f"{B}\tretries=0\tenable.idempotence=true",
    f"{B}\tretries=0\tenable.idempotence=false",
    f"{B}\tmax.in.flight.requests.per.connection=6",
    f"{B}\tmax.in.flight.requests.per.connection=6\tacks=1",
    f"{B}\tmax.in.flight.requests.per.connection=6\tenable.idempotence=false",
    f"{B}\tmax.in.flight.requests.per.connection=0",
    f"{B}\ttransactional.id=tx-1",
    f"{B}\ttransactional.id=tx-1\tacks=1",
    f"{B}\ttransactional.id=tx-1\tenable.idempotence=false",
    f"{B}\ttransactional.id=",
    f"{B}\ttransaction.two.phase.commit.enable=true\ttransaction.timeout.ms=1000",
    f"{B}\ttransaction.two.phase.commit.enable=true",
    f"{B}\tclient.id=mine",
    f"{B}\tlinger.ms=-1",
    f"{B}\tlinger.ms=abc",
    f"{B}\tlinger.ms=100000",
    f"{B}\tlinger.ms=100000\tdelivery.timeout.ms=120000",
    f"{B}\trequest.timeout.ms=200000",
    f"{B}\tdelivery.timeout.ms=30005",
    f"{B}\tdelivery.timeout.ms=30004",
    f"{B}\tlinger.ms=9223372036854775807",
    f"{B}\tbatch.size=-1",
    f"{B}\tbatch.size=0",
    f"{B}\tretries=2147483648",
    f"{B}\tenable.idempotence=yes",
    f"{B}\tenable.idempotence=TRUE",
    f"{B}\tcompression.type=GZIP",
    f"{B}\tcompression.type=zstd\tcompression.zstd.level=-131073",
    f"{B}\tcompression.zstd.level=22",
    f"{B}\tcompression.gzip.level=0",
    f"{B}\tcompression.gzip.level=9",
    f"{B}\tcompression.lz4.level=18",
    f"{B}\treconnect.backoff.ms=10",
    f"{B}\treconnect.backoff.ms=10\treconnect.backoff.max.ms=20",
    f"{B}\tsecurity.protocol=sasl_plaintext\tsasl.mechanism=",
    f"{B}\tsecurity.protocol=TLS",
    f"{B}\tpartitioner.rack.aware=true",
    f"{B}\tpartitioner.rack.aware=true\tclient.rack=r1",
    f"{B}\tmetadata.max.idle.ms=4999",
    f"{B}\tsend.buffer.bytes=-2",
    f"{B}\tbuffer.memory.allocation.strategy=Incremental",
    f"{B}\tmetadata.recovery.strategy=none",
    f"{B}\tmetadata.recovery.strategy=bad",
    f"{B}\tbuffer.memory.allocation.strategy=bad",
    f"{B}\tclient.dns.lookup=default",
    "bootstrap.servers=a:1, b:2 ,c:3",
    "bootstrap.servers= a:1 , b:2 ,a:1",
    "bootstrap.servers=",
    "bootstrap.servers=a:1,,b:2",
]


def _java_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


@pytest.fixture(scope="module")
def java_results(java_oracle: RunJava) -> list[str]:
    keys = list(ProducerConfig.java_names())
    out = java_oracle("ProducerConfigOracle", *keys, input="".join(c + "\n" for c in CASES))
    lines = out.splitlines()
    assert len(lines) == len(CASES)
    return lines


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: CASES[i] or "<none>")
def test_case_agrees_with_java(index: int, java_results: list[str]) -> None:
    case, java = CASES[index], java_results[index]
    settings = dict(item.split("=", 1) for item in case.split("\t")) if case else {}
    status, _, rest = java.partition("\t")
    if status == "ERROR":
        with pytest.raises(ConfigError) as info:
            ProducerConfig(settings)
        assert info.value.reason in rest
        return
    assert status == "OK", java
    config = ProducerConfig(settings)
    ours = {key: _java_text(value) for key, value in config.to_properties().items()}
    theirs = dict(item.split("=", 1) for item in rest.split("\t"))
    if "client.id" not in settings and "transactional.id" not in settings:
        # A per-process sequence number on both sides; only the shape can agree.
        assert ours.pop("client.id").startswith("producer-")
        assert theirs.pop("client.id").startswith("producer-")
    assert ours == theirs


def _java_default(value: object) -> str:
    # String.valueOf of Java's default: lists as [a, b], null, lower-case booleans.
    if value is NO_DEFAULT:
        return "<none>"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, Password):
        return str(value)
    return _java_text(value)


def test_definitions_agree_with_java(java_oracle: RunJava) -> None:
    out = java_oracle("ConfigDefOracle", "org.apache.kafka.clients.producer.ProducerConfig")
    java = {line.split("\t")[0]: line.split("\t")[1:] for line in out.splitlines()}
    ours = {
        key.name: [
            str(key.type),
            str(key.importance),
            _java_default(key.default),
            "null" if key.validator is None else str(key.validator),
        ]
        for key in ProducerConfig.CONFIG
        if key.java  # kafkaproto's own keys (ssl.context, a token provider) Java lacks
    }
    # The producer's own 43 plus the 40 security keys kafkaproto implements (SslConfigs,
    # SaslConfigs); a key missing from Java's ConfigDef fails the comparison below.
    assert len(ours) == 83
    assert {name: java.get(name) for name in ours} == ours
