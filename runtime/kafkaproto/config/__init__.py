"""Client configuration: one machinery (``kafkaproto.config.definition``, Java's ``ConfigDef`` and
``AbstractConfig``), the settings every client shares (``kafkaproto.config.common``), and the index
of clients whose settings ``python -m kafkaproto config <client>`` explains.

To add a client, write its config class (an :class:`AbstractConfig` subclass listing its keys and
rules) in its own package and add one line to ``CLIENTS``. To add a group of settings several
clients share (security), write a :class:`ConfigGroup` subclass and mix it into their classes.

This package must never import a client: ``CLIENTS`` names their classes as text and
:func:`config_class` imports only the one asked for.
"""

from __future__ import annotations

import importlib

from kafkaproto.config.definition import (
    KAFKA_VERSION,
    NO_DEFAULT,
    AbstractConfig,
    ConfigDef,
    ConfigError,
    ConfigGroup,
    ConfigKey,
    Explanation,
    Importance,
    Password,
    Rule,
    RuleContext,
    Type,
)

__all__ = [
    "CLIENTS",
    "KAFKA_VERSION",
    "NO_DEFAULT",
    "AbstractConfig",
    "ConfigDef",
    "ConfigError",
    "ConfigGroup",
    "ConfigKey",
    "Explanation",
    "Importance",
    "Password",
    "Rule",
    "RuleContext",
    "Type",
    "config_class",
]

#: Client name -> "module:ConfigClass", in the order ``config --help`` lists them.
CLIENTS: dict[str, str] = {
    "producer": "kafkaproto.producer.config:ProducerConfig",
    "consumer": "kafkaproto.consumer.config:ConsumerConfig",
    "cluster": "kafkaproto.cluster_config:ClusterClientConfig",
}


def config_class(client: str) -> type[AbstractConfig]:
    """The config class of ``client`` (a key of ``CLIENTS``), imported on first use."""
    try:
        module_name, _, class_name = CLIENTS[client].partition(":")
    except KeyError:
        raise KeyError(f"no client named {client!r}; known: {', '.join(CLIENTS)}") from None
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, AbstractConfig)):
        raise TypeError(f"{CLIENTS[client]} is not a config class")
    return cls
