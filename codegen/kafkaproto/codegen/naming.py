"""Names in generated code: modules, classes, attributes. Decided once, here, for the plan."""

from __future__ import annotations

import keyword
import re

# Attributes and methods the generated classes have, by kind of class; a field that would shadow
# one gets a trailing underscore (none of Kafka 4.4's fields does, but a later version might).
STRUCT_ATTRS = frozenset({"to_json", "from_json", "replace", "unknown_tagged_fields"})
MESSAGE_ATTRS = STRUCT_ATTRS | {"encode", "encode_into", "decode", "decode_from"}
RESERVED_ATTRS = {
    "struct": STRUCT_ATTRS,
    "request": MESSAGE_ATTRS | {"api_key", "version", "unstable"},
    "response": MESSAGE_ATTRS | {"api_key", "version", "unstable"},
    "header": MESSAGE_ATTRS | {"version"},
    "data": MESSAGE_ATTRS | {"schema_version"},
    "metadata": MESSAGE_ATTRS | {"schema_version"},
}

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+")


def snake(name: str) -> str:
    """``ThrottleTimeMs`` -> ``throttle_time_ms``, ``TopicID`` -> ``topic_id``,
    ``ISRNodes`` -> ``isr_nodes``."""
    # "KRaft" is one word (Kafka's Raft), not K + Raft.
    return "_".join(w.lower() for w in _WORD.findall(name.replace("KRaft", "Kraft")))


def attr_name(field_name: str, reserved: frozenset[str]) -> str:
    attr = snake(field_name)
    if keyword.iskeyword(attr) or attr in reserved:
        attr += "_"
    return attr


def json_name(field_name: str) -> str:
    """Kafka's JSON key: the field name with its first letter in lower case."""
    return field_name[:1].lower() + field_name[1:]


def api_base_name(message_name: str) -> str:
    for suffix in ("Request", "Response"):
        if message_name.endswith(suffix):
            return message_name[: -len(suffix)]
    return message_name


def module_name(message_name: str, kind: str) -> str:
    """One module per API (request and response together), per header, per data spec."""
    return snake(api_base_name(message_name) if kind in ("request", "response") else message_name)


def struct_class_name(message_name: str, struct_name: str) -> str:
    """Nested structs are module-level classes, so they carry their message's name unless
    their own name already starts with it (``MetadataResponseTopic`` stays as it is,
    ``TopicProduceData`` of ProduceRequest becomes ``ProduceRequestTopicProduceData``)."""
    if struct_name.startswith(message_name):
        return struct_name
    return message_name + struct_name
