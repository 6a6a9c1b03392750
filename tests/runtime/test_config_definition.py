"""The configuration machinery (kafkaproto.config): definitions, groups, rules, explanations, and
the index of clients. Java's own semantics per key are proven by the producer's tests and oracle."""

from __future__ import annotations

import logging

import pytest
from kafkaproto.config import CLIENTS, ConfigError, ConfigGroup, config_class
from kafkaproto.config.definition import (
    NO_DEFAULT,
    AbstractConfig,
    ConfigFrozenError,
    Importance,
    Password,
    Range,
    RuleContext,
    ValidString,
    boolean,
    integer,
    password,
    string,
    string_list,
)

LOW = Importance.LOW


class Secrets(ConfigGroup):
    """A group several clients would share (as the security settings will be)."""

    secret_password = password("secret.password", importance=LOW, doc="a secret")


def _mode_rule(ctx: RuleContext) -> None:
    if ctx.value(Toy.fast) and not ctx.user_set(Toy.level):
        ctx.set(Toy.level, 9, "fast mode raises level")
    if ctx.value(Toy.level) > 5 and ctx.value(Toy.mode) == "calm":
        raise ConfigError("level", ctx.value(Toy.level), "calm mode needs level <= 5")


class Toy(Secrets, AbstractConfig):
    CLIENT = "toy"
    servers = string_list("servers", NO_DEFAULT, importance=LOW, doc="required")
    level = integer("level", 1, Range(0, 10), importance=LOW, doc="a level")
    mode = string("mode", "calm", ValidString("calm", "wild"), importance=LOW, doc="a mode")
    fast = boolean("fast", False, importance=LOW, doc="fast")
    RULES = (_mode_rule,)
    UNSUPPORTED_PREFIXES = ("ssl.",)


def test_definitions_are_collected_in_order_with_groups_first() -> None:
    assert [k.name for k in Toy.CONFIG] == ["secret.password", "servers", "level", "mode", "fast"]
    assert Toy.level.default == 1 and str(Toy.level.validator) == "[0,...,10]"
    assert Toy.java_names()["secret.password"] == "secret_password"


def test_parse_java_strings_python_values_and_explanations() -> None:
    t = Toy({"servers": "a, b", "level": " 3 "}, mode="wild")
    assert (t.servers, t.level, t.mode, t.fast) == (("a", "b"), 3, "wild", False)
    assert t.explanation("level").source == "user" and t.explanation("fast").source == "default"
    assert t.to_properties()["servers"] == ("a", "b")
    assert t == Toy(servers=["a", "b"], level=3, mode="wild") and t != Toy(servers="a")


def test_rules_change_values_with_a_reason_or_reject() -> None:
    t = Toy(servers="a", fast="true", mode="wild")
    row = t.explanation("level")
    assert t.level == 9 and (row.source, row.reason) == ("rule", "fast mode raises level")
    with pytest.raises(ConfigError, match="calm mode needs") as info:
        Toy(servers="a", fast=True)
    assert info.value.key == "level"


@pytest.mark.parametrize(
    ("settings", "key", "reason"),
    [
        ({}, "servers", 'Missing required configuration "servers"'),
        ({"servers": "a", "level": "11"}, "level", "Value must be no more than 10"),
        ({"servers": "a", "mode": "Calm"}, "mode", "String must be one of: calm, wild"),
        ({"servers": "a", "ssl.x": "1"}, "ssl.x", "does not support yet"),
        ({"servers": "a", 7: "1"}, "7", "names must be strings"),
        ({"servers": "a", "level": 1, "lev": 2}, None, None),
    ],
)
def test_errors_name_the_key(settings: dict[object, object], key: str, reason: str) -> None:
    if key is None:  # an unknown key only warns
        assert (
            Toy(settings).ignored[0].reason
            == "ignored: not a known toy config (did you mean 'level'?)"
        )
        return
    with pytest.raises(ConfigError) as info:
        Toy(settings)  # type: ignore[arg-type]
    assert info.value.key == key and reason in str(info.value)


def test_passwords_are_never_shown() -> None:
    t = Toy(servers="a", secret_password="hunter2")
    assert isinstance(t.secret_password, Password) and t.secret_password.value == "hunter2"
    assert "hunter2" not in repr(t) and "hunter2" not in str(
        Toy.explain({"servers": "a", "secret.password": "hunter2"})
    )


def test_frozen_replace_and_name_check() -> None:
    t = Toy(servers="a", level=2)
    with pytest.raises(ConfigFrozenError):
        t.level = 3
    changed = t.replace(level=4)
    assert (changed.level, t.level, changed.servers) == (4, 2, ("a",))
    assert t.replace(**{"level": 5}).explanation("level").value == 5
    with pytest.raises(TypeError, match="must be named 'level'"):

        class Bad(AbstractConfig):
            levl = integer("level", 1, importance=LOW, doc="misnamed")


def test_client_index_imports_each_class_on_demand(caplog: pytest.LogCaptureFixture) -> None:
    for name in CLIENTS:
        cls = config_class(name)
        assert cls.CLIENT == name and len(cls.CONFIG) > 5
    with pytest.raises(KeyError, match="known: producer"):
        config_class("nope")
    cluster = config_class("cluster")
    with pytest.raises(ConfigError, match="not a known cluster config"):
        cluster({"linger.ms": 5})
    with caplog.at_level(logging.WARNING):
        assert cluster(reconnect_backoff_ms=7).explanation("reconnect.backoff.max.ms").value == 7
