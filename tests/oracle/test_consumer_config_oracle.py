"""kafkaproto.consumer.config against Java's ConsumerConfig + KafkaConsumer constructor (4.4.0
jar): for each case, both accept with the same effective values, or both reject with the same
reason; and every definition (type, importance, default, validator) as Java's ConfigDef has it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kafkaproto.config.definition import NO_DEFAULT, Password
from kafkaproto.consumer.config import ConfigError, ConsumerConfig

RunJava = Callable[..., str]
B = "bootstrap.servers=localhost:9092"

CASES: list[str] = [
    B,
    "",
    f"{B}\tgroup.id=g",
    f"{B}\tgroup.id=",
    f"{B}\tgroup.id=  ",
    f"{B}\tenable.auto.commit=true",
    f"{B}\tenable.auto.commit=false",
    f"{B}\tgroup.id=g\tenable.auto.commit=false",
    f"{B}\tgroup.remote.assignor=x",
    f"{B}\tgroup.protocol=consumer\tgroup.remote.assignor=uniform",
    f"{B}\tgroup.protocol=consumer\tsession.timeout.ms=1000\theartbeat.interval.ms=5",
    f"{B}\tgroup.protocol=consumer\tpartition.assignment.strategy=range",
    f"{B}\tgroup.protocol=Consumer",
    f"{B}\tgroup.protocol=bogus",
    f"{B}\tshare.acquire.mode=record_limit",
    f"{B}\tshare.acquire.mode=RECORD_LIMIT",
    f"{B}\tshare.acquire.mode=x",
    f"{B}\tshare.acknowledgement.mode=EXPLICIT",
    f"{B}\tauto.offset.reset=earliest",
    f"{B}\tauto.offset.reset=none",
    f"{B}\tauto.offset.reset=EARLIEST",
    f"{B}\tauto.offset.reset=smallest",
    f"{B}\tauto.offset.reset=by_duration",
    f"{B}\tauto.offset.reset=by_duration:PT1H",
    f"{B}\tauto.offset.reset=by_duration:P1DT2H3.5S",
    f"{B}\tauto.offset.reset=by_duration:pt10m",
    f"{B}\tauto.offset.reset=by_duration:-PT1H",
    f"{B}\tauto.offset.reset=by_duration:PT",
    f"{B}\tauto.offset.reset=by_duration:xx",
    f"{B}\tgroup.instance.id=a b",
    f"{B}\tgroup.instance.id=ab",
    f"{B}\tgroup.instance.id=..",
    f"{B}\tgroup.instance.id=",
    f"{B}\tgroup.id=g\tgroup.instance.id=ab",
    f"{B}\tclient.id=mine\tgroup.instance.id=a b",
    f"{B}\tisolation.level=read_committed",
    f"{B}\tisolation.level=READ_COMMITTED",
    f"{B}\tgroup.id=g\tsession.timeout.ms=1000\theartbeat.interval.ms=2000",
    f"{B}\tgroup.id=g\tsession.timeout.ms=1000\theartbeat.interval.ms=1000",
    f"{B}\tsession.timeout.ms=1000\theartbeat.interval.ms=2000",
    f"{B}\tmax.poll.records=0",
    f"{B}\tmax.poll.interval.ms=0",
    f"{B}\tfetch.max.bytes=-1",
    f"{B}\tfetch.min.bytes=0",
    f"{B}\tmax.partition.fetch.bytes=0",
    f"{B}\tfetch.max.wait.ms=-1",
    f"{B}\tauto.commit.interval.ms=-5",
    f"{B}\tdefault.api.timeout.ms=-1",
    f"{B}\tcheck.crcs=no",
    f"{B}\treceive.buffer.bytes=-2",
    f"{B}\tclient.rack=r1",
    f"{B}\tconnections.max.idle.ms=1000",
    f"{B}\treconnect.backoff.ms=10",
    f"{B}\tsecurity.protocol=sasl_plaintext\tsasl.mechanism=",
    f"{B}\tgroup.instance.id=.",
    f"{B}\tpartition.assignment.strategy=",
    "bootstrap.servers= localhost:1 , 127.0.0.1:2 ,localhost:1",
    "bootstrap.servers=",
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
    keys = list(ConsumerConfig.java_names())
    out = java_oracle("ConsumerConfigOracle", *keys, input="".join(c + "\n" for c in CASES))
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
            ConsumerConfig(settings)
        assert info.value.reason in rest
        return
    assert status == "OK", java
    config = ConsumerConfig(settings)
    ours = {key: _java_text(value) for key, value in config.to_properties().items()}
    theirs = dict(item.split("=", 1) for item in rest.split("\t"))
    # Java's default assignors are classes; ours are their names.
    key = "partition.assignment.strategy"
    theirs[key] = theirs[key].replace("class ", "")
    if "client.id" not in settings and "group.instance.id" not in settings:
        # A per-process sequence number on both sides; only the shape can agree.
        prefix = f"consumer-{settings.get('group.id', 'null')}-"
        assert ours.pop("client.id").startswith(prefix)
        assert theirs.pop("client.id").startswith(prefix)
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
    out = java_oracle("ConfigDefOracle", "org.apache.kafka.clients.consumer.ConsumerConfig")
    java = {line.split("\t")[0]: line.split("\t")[1:] for line in out.splitlines()}
    # Java's default assignors are classes; ours are their names.
    java["partition.assignment.strategy"][2] = java["partition.assignment.strategy"][2].replace(
        "class ", ""
    )
    ours = {
        key.name: [
            str(key.type),
            str(key.importance),
            _java_default(key.default),
            "null" if key.validator is None else str(key.validator),
        ]
        for key in ConsumerConfig.CONFIG
        if key.java  # kafkaproto's own keys (ssl.context, a token provider) Java lacks
    }
    # The consumer's own 44 plus the 40 security keys kafkaproto implements (SslConfigs,
    # SaslConfigs); a key missing from Java's ConfigDef fails the comparison below.
    assert len(ours) == 84
    assert {name: java.get(name) for name in ours} == ours
    # Every key Java defines is either ours, refused, or accepted as Java-only.
    for name in java:
        assert (
            name in ours
            or name.startswith(ConsumerConfig.UNSUPPORTED_PREFIXES)
            or name in ConsumerConfig.UNSUPPORTED_KEYS
            or name in ConsumerConfig.JAVA_ONLY_KEYS
        ), name
