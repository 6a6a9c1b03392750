"""The security settings as definitions of the shared config machinery
(:mod:`kafkaproto.config.definition`): :class:`SecuritySettings`, a group every client's config
class mixes in, and :func:`security_rules`, the rule that checks them together.

The keys, Java types, defaults, ranges and docs are :data:`kafkaproto.security.config.SECURITY_KEYS`
(Kafka 4.4.0's ``SslConfigs``/``SaslConfigs``); ``security.protocol`` and ``sasl.mechanism`` are
the common definitions of :mod:`kafkaproto.config.common`. The cross-key rules (PEM stores, one
JAAS login module serving the mechanism, OAUTHBEARER's token source ...) are
:class:`~kafkaproto.security.config.SecurityConfig`'s, run as a post-parse rule so that a bad
setting raises the client's ``ConfigError`` from its constructor, and ``python -m kafkaproto
config`` explains every key. :func:`security_config_of` hands a parsed client config's security
values to the connection layer.

This module only defines and converts settings: it must never read files or open connections.
"""

from __future__ import annotations

from typing import Any

from kafkaproto.config import common
from kafkaproto.config.definition import (
    AbstractConfig,
    ConfigError,
    ConfigGroup,
    ConfigKey,
    Importance,
    Password,
    Range,
    RuleContext,
    Type,
    Validator,
    ValidList,
    boolean,
    custom,
    double,
    long,
    optional_string,
    parse_int,
    parse_list,
    parse_short,
    password,
    string,
)
from kafkaproto.security.config import (
    SECURITY_KEYS,
    SecurityConfig,
    SecurityConfigError,
    SecurityKey,
)

__all__ = ["SECURITY_DEFINITIONS", "SecuritySettings", "security_config_of", "security_rules"]

_COMMON = {"security.protocol", "sasl.mechanism"}
# SslConfigs/SaslConfigs importance (the rest are MEDIUM).
_HIGH = frozenset(
    {
        "ssl.key.password",
        "ssl.keystore.certificate.chain",
        "ssl.keystore.key",
        "ssl.keystore.location",
        "ssl.keystore.password",
        "ssl.truststore.certificates",
        "ssl.truststore.location",
        "ssl.truststore.password",
    }
)
_LOW = frozenset(
    {
        "ssl.cipher.suites",
        "ssl.endpoint.identification.algorithm",
        "ssl.keymanager.algorithm",
        "ssl.trustmanager.algorithm",
        "ssl.secure.random.implementation",
        "ssl.engine.factory.class",
        "sasl.oauthbearer.header.urlencode",
        "sasl.oauthbearer.sub.claim.name",
    }
)


def _identity(value: Any) -> Any:
    return value


def _parse_object(value: object) -> object:
    return value


def _definition(spec: SecurityKey) -> ConfigKey[Any]:
    importance = (
        Importance.HIGH
        if spec.name in _HIGH
        else Importance.LOW
        if spec.name in _LOW or (spec.name.startswith("sasl.login.") and spec.type != "CLASS")
        else Importance.MEDIUM
    )
    java = spec.type != "OBJECT"
    doc = spec.doc
    rng: Validator[Any] | None = (
        Range(spec.at_least, spec.at_most) if spec.at_least is not None else None
    )
    if spec.type == "LIST":
        # Kafka 4.4's ValidList: no empty item; an empty cipher list means OpenSSL's defaults.
        rng = ValidList(empty_allowed=spec.name == "ssl.cipher.suites")
    t = spec.type
    if t == "PASSWORD":
        return password(spec.name, importance=importance, doc=doc)
    if t == "STRING" and spec.default is not None:
        return string(spec.name, spec.default, importance=importance, doc=doc)
    if t == "STRING":
        return optional_string(spec.name, None, importance=importance, doc=doc)
    if t == "BOOLEAN":
        return boolean(spec.name, spec.default, importance=importance, doc=doc)
    if t == "DOUBLE":
        return double(spec.name, spec.default, rng, importance=importance, doc=doc)
    if t == "LONG":
        return long(spec.name, spec.default, rng, importance=importance, doc=doc)
    parsers = {
        "LIST": (Type.LIST, parse_list),
        "CLASS": (Type.CLASS, _parse_object),
        "INT": (Type.INT, parse_int),
        "SHORT": (Type.SHORT, parse_short),
        # kafkaproto's Python objects (an SSLContext, a token provider): no text form.
        "OBJECT": (Type.CLASS, _parse_object),
    }
    kind, parser = parsers[t]
    default_reason = "" if java else "kafkaproto default (a Python object; none)"
    return custom(
        spec.name,
        kind,
        spec.default if t != "LIST" or spec.default is None else parse_list(spec.default),
        parser,
        rng,
        _identity,
        importance=importance,
        doc=doc,
        java=java,
        default_reason=default_reason,
    )


#: Every security definition (``security.protocol`` and ``sasl.mechanism`` from common).
SECURITY_DEFINITIONS: tuple[ConfigKey[Any], ...] = (
    common.SECURITY_PROTOCOL,
    common.SASL_MECHANISM,
    *(_definition(spec) for spec in SECURITY_KEYS if spec.name not in _COMMON),
)

#: The group a client's config class mixes in (its attributes are the definitions).
SecuritySettings: type[ConfigGroup] = type(
    "SecuritySettings",
    (ConfigGroup,),
    {
        "__doc__": "security.protocol, ssl.* and sasl.* (Kafka 4.4.0's client security keys).",
        "__module__": __name__,
        **{key.attr: key for key in SECURITY_DEFINITIONS},
    },
)


def _plain(value: object) -> object:
    return value.value if isinstance(value, Password) else value


def security_rules(ctx: RuleContext) -> None:
    """The checks Java makes when it builds a client's channel, as one post-parse rule."""
    settings = {
        key.name: _plain(ctx.value(key)) for key in SECURITY_DEFINITIONS if ctx.user_set(key)
    }
    try:
        SecurityConfig.from_settings(settings)
    except SecurityConfigError as exc:
        raise ConfigError(exc.key, exc.value, exc.reason) from None


def security_config_of(config: AbstractConfig) -> SecurityConfig:
    """The security values of a parsed client config, for the connection layer."""
    settings: dict[str, object] = {}
    for key in SECURITY_DEFINITIONS:
        if (
            key.attr in type(config).CONFIG.by_attr
            and config.explanation(key.name).source != "default"
        ):
            settings[key.name] = _plain(getattr(config, key.attr))
    return SecurityConfig.from_settings(settings)
