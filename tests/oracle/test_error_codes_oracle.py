"""kafkaproto.error_codes against kafka-clients' own Errors enum, read at run time."""

from __future__ import annotations

from collections.abc import Callable

from kafkaproto.error_codes import ERROR_CLASSES, KAFKA_VERSION, NONE_CODE

RunJava = Callable[..., str]


def test_every_java_error_code_matches_the_table(java_oracle: RunJava) -> None:
    java: dict[int, tuple[str, bool, bool, str]] = {}
    for line in java_oracle("ErrorsOracle").splitlines():
        code, name, retriable, invalid_metadata, message = line.split("\t")
        java[int(code)] = (name, retriable == "true", invalid_metadata == "true", message)

    assert KAFKA_VERSION == "4.4.0"
    assert java.pop(NONE_CODE)[0] == "NONE"
    ours = {
        code: (cls.name, cls.retriable, cls.invalid_metadata, cls.default_message)
        for code, cls in ERROR_CLASSES.items()
    }
    assert sorted(ours) == sorted(java), "the set of codes differs"
    mismatched = {code: (ours[code], java[code]) for code in java if ours[code] != java[code]}
    assert mismatched == {}
