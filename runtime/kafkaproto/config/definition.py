"""Kafka's configuration machinery in Python: definitions (Java's ``ConfigDef``) and parsed,
immutable settings objects (Java's ``AbstractConfig``), shared by every client's configuration.

A definition (:class:`ConfigKey`) is a setting's Java name, type, default, validator, importance
and doc. A client's config class lists its definitions as class attributes, named by the Python
form of the key (``linger_ms = long("linger.ms", 5, Range(0), ...)``), and its post-parse rules
(Java's ``postProcessParsedConfig`` and the checks Java's client constructors make) in ``RULES``.
Groups of settings shared by several clients are classes too (subclasses of
:class:`ConfigGroup`), mixed into each client's class; the definitions of a class are collected
into its ``CONFIG`` (a :class:`ConfigDef`) once, when the class is created.

Parsing follows ``ConfigDef.parseType``: strings from property files are trimmed and converted
(``"5"`` -> 5, ``"TRUE"`` -> True, ``"a, b"`` -> ``("a", "b")``), Python values are checked; then
the validator; then the rules, in order. Each effective value remembers why it is what it is
(:class:`Explanation`), which ``python -m kafkaproto config`` prints.

This module must never import another kafkaproto module but ``kafkaproto.errors`` and the
generated index (for ``KAFKA_VERSION``, the pinned release whose defaults and rules the
definitions follow), open
connections, read files or start tasks: it only turns settings into validated, immutable values.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar, overload

from kafkaproto.errors import KafkaProtoError
from kafkaproto.messages import KAFKA_VERSION

__all__ = [
    "KAFKA_VERSION",
    "NO_DEFAULT",
    "AbstractConfig",
    "CaseInsensitiveValidString",
    "ConfigDef",
    "ConfigError",
    "ConfigFrozenError",
    "ConfigGroup",
    "ConfigKey",
    "Explanation",
    "Importance",
    "NonEmptyString",
    "Password",
    "Range",
    "Rule",
    "RuleContext",
    "Type",
    "ValidList",
    "ValidString",
    "Validator",
    "boolean",
    "custom",
    "integer",
    "long",
    "optional_string",
    "password",
    "string",
    "string_list",
]

T = TypeVar("T")


class _NoDefault:
    """The default of a required setting (Java's ``ConfigDef.NO_DEFAULT_VALUE``)."""

    _instance: ClassVar[_NoDefault | None] = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()
_NO_VALUE: Any = object()


class ConfigError(KafkaProtoError, ValueError):
    """A setting Kafka would reject (Java's ``ConfigException``), naming the key and value."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        if value is _NO_VALUE:
            super().__init__(f"Configuration {key}: {reason}")
        else:
            super().__init__(f"Invalid value {value!r} for configuration {key}: {reason}")


class ConfigFrozenError(KafkaProtoError, AttributeError, ValueError):
    """An attempt to change a parsed configuration, which is immutable."""


class Type(StrEnum):
    """Java's ``ConfigDef.Type``: how a value given as text is parsed."""

    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(StrEnum):
    """Java's ``ConfigDef.Importance``: how likely a user needs to change the setting."""

    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


Source = Literal["default", "user", "rule"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a key has its effective value: ``source`` is ``"default"``, ``"user"`` or ``"rule"``
    (a Java rule changed it); ``reason`` says which default or rule, and ``notes`` carries
    warnings Java would log about the key without changing it."""

    key: str
    value: object
    source: Source
    reason: str
    notes: tuple[str, ...] = ()


class Password:
    """A secret setting (Java's ``ConfigDef.Type.PASSWORD``): its text is ``.value``; ``str`` and
    ``repr`` show ``[hidden]`` so that logs and ``config`` output never print it."""

    __slots__ = ("value",)
    HIDDEN: ClassVar[str] = "[hidden]"

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return self.HIDDEN

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


# --- parsing: Java's ConfigDef.parseType ----------------------------------------------------------
# Strings are trimmed; INT/SHORT/LONG accept decimal strings (Integer.parseInt and friends:
# optional sign, ASCII digits only); BOOLEAN accepts "true"/"false" in any case; LIST splits on
# commas. A parser raises ValueError with Java's message; the key is added by the caller.

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
SHORT_MIN, SHORT_MAX = -(2**15), 2**15 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def parse_integer(value: object, lo: int, hi: int, java_type: str) -> int:
    """An int in ``[lo, hi]`` from an int or a decimal string, as Java's number parsers read it."""
    if isinstance(value, bool):
        raise ValueError(f"Expected value to be a {java_type}, but it was a bool")
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise ValueError(f"Not a number of type {java_type.upper()}")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(f"Expected value to be a {java_type}, but it was a {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"Not a number of type {java_type.upper()}")
    return value


def parse_int(value: object) -> int:
    return parse_integer(value, INT_MIN, INT_MAX, "int")


def parse_short(value: object) -> int:
    return parse_integer(value, SHORT_MIN, SHORT_MAX, "short")


def parse_long(value: object) -> int:
    return parse_integer(value, LONG_MIN, LONG_MAX, "long")


def parse_double(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("Expected value to be a double, but it was a bool")
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError("Not a number of type DOUBLE") from None
    if isinstance(value, int | float):
        return float(value)
    raise ValueError(f"Expected value to be a double, but it was a {type(value).__name__}")


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise ValueError("Expected value to be either true or false")
    raise ValueError(f"Expected value to be a boolean, but it was a {type(value).__name__}")


def parse_str(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    raise ValueError(f"Expected value to be a string, but it was a {type(value).__name__}")


def parse_optional_str(value: object) -> str | None:
    return None if value is None else parse_str(value)


def parse_list(value: object) -> tuple[str, ...]:
    # Kafka 4.4 keeps the first of duplicate items ("a:1,a:1" is "a:1"; checked by the oracle).
    if isinstance(value, str):
        text = value.strip()
        items = () if not text else tuple(part.strip() for part in text.split(","))
    elif isinstance(value, list | tuple):
        items = tuple(parse_str(item) for item in value)
    else:
        raise ValueError(f"Expected a comma separated list, but it was a {type(value).__name__}")
    return tuple(dict.fromkeys(items))


def parse_password(value: object) -> Password | None:
    # Java keeps a PASSWORD's text as given (no trimming).
    if value is None or isinstance(value, Password):
        return value
    if isinstance(value, str):
        return Password(value)
    raise ValueError(f"Expected value to be a string, but it was a {type(value).__name__}")


# --- validators: Java's ConfigDef.Validator implementations ---------------------------------------


class Validator(Generic[T]):
    """Checks a parsed value; raises ``ValueError`` with Java's message. ``str()`` is the
    validator as Java prints it in its docs (``[0,...]``, ``[none, gzip]``)."""

    def __call__(self, value: T) -> None:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


class Range(Validator[int | float]):
    """``ConfigDef.Range``: ``Range(0)`` is ``atLeast(0)``, ``Range(1, 17)`` is ``between``."""

    def __init__(self, at_least: int | float | None = None, at_most: int | float | None = None):
        self.at_least = at_least
        self.at_most = at_most

    def __call__(self, value: int | float) -> None:
        if self.at_least is not None and value < self.at_least:
            raise ValueError(f"Value must be at least {self.at_least}")
        if self.at_most is not None and value > self.at_most:
            raise ValueError(f"Value must be no more than {self.at_most}")

    def __str__(self) -> str:
        lo = "" if self.at_least is None else str(self.at_least)
        hi = "" if self.at_most is None else str(self.at_most)
        return f"[{lo},...,{hi}]" if lo and hi else f"[{lo},...]" if lo else f"[...,{hi}]"


class ValidString(Validator[str]):
    """``ConfigDef.ValidString``: one of the choices, compared case-sensitively."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def __call__(self, value: str) -> None:
        if value not in self.choices:
            raise ValueError(f"String must be one of: {', '.join(self.choices)}")

    def __str__(self) -> str:
        return f"[{', '.join(self.choices)}]"


class CaseInsensitiveValidString(Validator[str]):
    """``ConfigDef.CaseInsensitiveValidString``; the value is kept as written, as Java's
    ``getString`` returns it."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices
        self._folded = {c.upper() for c in choices}

    def __call__(self, value: str) -> None:
        if value.upper() not in self._folded:
            raise ValueError(f"String must be one of (case insensitive): {', '.join(self.choices)}")

    def __str__(self) -> str:
        return f"(case insensitive) [{', '.join(self.choices)}]"


class NonEmptyString(Validator[str | None]):
    """``ConfigDef.NonEmptyString``: null is fine, ``""`` is not."""

    def __call__(self, value: str | None) -> None:
        if value == "":
            raise ValueError("String must be non-empty")

    def __str__(self) -> str:
        return "non-empty string"


class ValidList(Validator[tuple[str, ...]]):
    """``ConfigDef.ValidList`` over any values: no empty item, and an empty list only when
    ``empty_allowed``. Java prints it as nothing."""

    def __init__(self, *, empty_allowed: bool) -> None:
        self.empty_allowed = empty_allowed

    def __call__(self, value: tuple[str, ...]) -> None:
        if not value and not self.empty_allowed:
            raise ValueError("must not be empty. Valid values include: any non-empty value")
        if any(not item for item in value):
            raise ValueError("values must not be empty.")

    def __str__(self) -> str:
        return ""


class Check(Validator[T]):
    """A validator of Kafka's own that is not one of ConfigDef's (``GzipCompression``'s level
    check): ``check`` raises ``ValueError``; ``text`` is how Java prints it."""

    def __init__(self, check: Callable[[T], None], text: str) -> None:
        self.check = check
        self.text = text

    def __call__(self, value: T) -> None:
        self.check(value)

    def __str__(self) -> str:
        return self.text


# --- definitions ---------------------------------------------------------------------------------


def python_name(key: str) -> str:
    """The attribute name of a Java key: ``"linger.ms"`` -> ``"linger_ms"``."""
    return key.replace(".", "_").replace("-", "_")


class ConfigKey(Generic[T]):
    """One setting's definition (Java's ``ConfigDef.ConfigKey``).

    On a config class it is also the attribute: ``ProducerConfig.linger_ms`` is the definition,
    ``config.linger_ms`` the parsed value (stored on the instance, so reading it costs what any
    attribute read costs). ``java`` is false for kafkaproto's own settings, which Java lacks.
    """

    __slots__ = (
        "convert",
        "default",
        "default_reason",
        "doc",
        "importance",
        "java",
        "name",
        "parser",
        "type",
        "validator",
    )

    def __init__(
        self,
        name: str,
        type: Type,
        default: object,
        parser: Callable[[object], Any],
        validator: Validator[Any] | None,
        importance: Importance,
        doc: str,
        *,
        java: bool = True,
        default_reason: str = "",
        convert: Callable[[Any], T] | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.default = default
        self.parser = parser
        self.validator = validator
        self.importance = importance
        self.doc = doc
        self.java = java
        self.default_reason = default_reason
        self.convert = convert

    @property
    def attr(self) -> str:
        return python_name(self.name)

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    def parse(self, raw: object) -> T:
        """The value of ``raw`` (text or a Python value) after parsing and validation; raises
        ``ValueError`` with Java's reason."""
        value = self.parser(raw)
        if self.validator is not None:
            self.validator(value)
        return value if self.convert is None else self.convert(value)

    def replace(self, **changes: Any) -> ConfigKey[T]:
        """A copy with some fields changed (a client whose default differs from Java's)."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return ConfigKey(**fields)

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> ConfigKey[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> ConfigKey[T] | T:
        # Reached only for the class: a parsed instance holds its values in its __dict__, which
        # shadows this non-data descriptor.
        if obj is None:
            return self
        raise AttributeError(self.attr)

    def __repr__(self) -> str:
        return f"ConfigKey({self.name!r}, {self.type}, default={self.default!r})"


def _key(
    name: str,
    type: Type,
    default: Any,
    parser: Callable[[object], Any],
    validator: Validator[Any] | None,
    importance: Importance,
    doc: str,
    java: bool,
    default_reason: str,
) -> Any:
    return ConfigKey(
        name,
        type,
        default,
        parser,
        validator,
        importance,
        doc,
        java=java,
        default_reason=default_reason,
    )


# One function per Java type, each typed by the Python value it yields.


def boolean(
    name: str,
    default: bool | _NoDefault,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[bool]:
    key: ConfigKey[bool] = _key(
        name, Type.BOOLEAN, default, parse_bool, None, importance, doc, java, default_reason
    )
    return key


def integer(
    name: str,
    default: int | _NoDefault,
    validator: Validator[Any] | None = None,
    *,
    type: Literal[Type.INT, Type.SHORT, Type.LONG] = Type.INT,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[int]:
    parser = {Type.INT: parse_int, Type.SHORT: parse_short, Type.LONG: parse_long}[type]
    key: ConfigKey[int] = _key(
        name, type, default, parser, validator, importance, doc, java, default_reason
    )
    return key


def long(
    name: str,
    default: int | _NoDefault,
    validator: Validator[Any] | None = None,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[int]:
    return integer(
        name,
        default,
        validator,
        type=Type.LONG,
        importance=importance,
        doc=doc,
        java=java,
        default_reason=default_reason,
    )


def double(
    name: str,
    default: float | _NoDefault,
    validator: Validator[Any] | None = None,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[float]:
    key: ConfigKey[float] = _key(
        name, Type.DOUBLE, default, parse_double, validator, importance, doc, java, default_reason
    )
    return key


def string(
    name: str,
    default: str | _NoDefault,
    validator: Validator[Any] | None = None,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[str]:
    key: ConfigKey[str] = _key(
        name, Type.STRING, default, parse_str, validator, importance, doc, java, default_reason
    )
    return key


def optional_string(
    name: str,
    default: str | None,
    validator: Validator[Any] | None = None,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[str | None]:
    """A STRING that may be null (Java's default ``null``)."""
    key: ConfigKey[str | None] = _key(
        name,
        Type.STRING,
        default,
        parse_optional_str,
        validator,
        importance,
        doc,
        java,
        default_reason,
    )
    return key


def string_list(
    name: str,
    default: tuple[str, ...] | _NoDefault,
    validator: Validator[Any] | None = None,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[tuple[str, ...]]:
    key: ConfigKey[tuple[str, ...]] = _key(
        name, Type.LIST, default, parse_list, validator, importance, doc, java, default_reason
    )
    return key


def password(
    name: str,
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
) -> ConfigKey[Password | None]:
    """A PASSWORD (default null): a :class:`Password`, never printed."""
    key: ConfigKey[Password | None] = _key(
        name, Type.PASSWORD, None, parse_password, None, importance, doc, java, ""
    )
    return key


def custom(
    name: str,
    type: Type,
    default: object,
    parser: Callable[[object], Any],
    validator: Validator[Any] | None,
    convert: Callable[[Any], T],
    *,
    importance: Importance,
    doc: str,
    java: bool = True,
    default_reason: str = "",
) -> ConfigKey[T]:
    """A setting whose value Kafka converts after parsing and validation (``acks``: the string
    ``"all"`` becomes -1): ``parser``, then ``validator``, then ``convert``; ``default`` is given
    as Java writes it and converted too."""
    key: ConfigKey[T] = ConfigKey(
        name,
        type,
        default,
        parser,
        validator,
        importance,
        doc,
        java=java,
        default_reason=default_reason,
        convert=convert,
    )
    return key


# --- rules ---------------------------------------------------------------------------------------


class RuleContext:
    """What a rule sees while a config is being parsed: the values so far, which keys the user
    set, and ways to change a value (recorded as a ``"rule"`` explanation) or attach a note."""

    def __init__(
        self,
        config_class: type[AbstractConfig],
        values: dict[str, Any],
        user_keys: AbstractSet[str],
        explanations: dict[str, Explanation],
    ) -> None:
        self.config_class = config_class
        self.values = values
        self.user_keys = user_keys  # Java: originals().containsKey(...)
        self.explanations = explanations
        self.log = logging.getLogger(config_class.__module__)

    def has(self, key: ConfigKey[Any]) -> bool:
        """Whether this client's config carries ``key`` (a shared rule skips what it lacks)."""
        return key.attr in self.values

    def value(self, key: ConfigKey[T]) -> T:
        value: T = self.values[key.attr]
        return value

    def user_set(self, key: ConfigKey[Any]) -> bool:
        return key.name in self.user_keys

    def set(self, key: ConfigKey[T], value: T, reason: str) -> None:
        self.values[key.attr] = value
        old = self.explanations[key.attr]
        self.explanations[key.attr] = Explanation(old.key, value, "rule", reason, old.notes)

    def note(self, key: ConfigKey[Any], text: str) -> None:
        old = self.explanations[key.attr]
        self.explanations[key.attr] = Explanation(
            old.key, old.value, old.source, old.reason, (*old.notes, text)
        )


#: A post-parse rule: reads and changes values through the context, raises ``ConfigError``.
Rule = Callable[[RuleContext], None]


class ConfigDef:
    """A client's definitions in order, and its rules (Java's ``ConfigDef`` plus the rules of
    ``postProcessParsedConfig``). Built from a config class by :class:`AbstractConfig`."""

    def __init__(self, keys: Iterable[ConfigKey[Any]], rules: Iterable[Rule] = ()) -> None:
        self.keys: dict[str, ConfigKey[Any]] = {}
        self.by_attr: dict[str, ConfigKey[Any]] = {}
        for key in keys:
            if key.name in self.keys:
                raise ValueError(f"configuration {key.name!r} is defined twice")
            self.keys[key.name] = key
            self.by_attr[key.attr] = key
        self.rules = tuple(rules)

    def __iter__(self) -> Iterator[ConfigKey[Any]]:
        return iter(self.keys.values())

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, name: object) -> bool:
        return name in self.keys or name in self.by_attr

    def key(self, name: str) -> ConfigKey[Any]:
        """The definition of ``name`` (Java or Python name); ``KeyError`` if there is none."""
        found = self.keys.get(name) or self.by_attr.get(name)
        if found is None:
            raise KeyError(name)
        return found


class ConfigGroup:
    """A set of definitions several clients share (the common client settings, security): a
    class whose attributes are :class:`ConfigKey` s, mixed into each client's config class."""


class AbstractConfig(ConfigGroup):
    """Parsed, validated, immutable settings of one client (Java's ``AbstractConfig``).

    Build with ``Config({"linger.ms": 10})``, ``Config(linger_ms=10)`` or both (keywords win); a
    rejected setting raises :class:`ConfigError`. Subclasses set:

    - their definitions, as class attributes (directly or through mixed-in :class:`ConfigGroup` s;
      a subclass may re-define a key to change its default);
    - ``CLIENT``: the client's name in messages and in ``python -m kafkaproto config``;
    - ``RULES``: post-parse rules, run in order;
    - ``UNSUPPORTED_PREFIXES`` / ``UNSUPPORTED_KEYS``: Java settings kafkaproto refuses rather
      than ignore, because ignoring them would change what goes over the wire;
    - ``JAVA_ONLY_KEYS``: Java settings accepted with a warning and not used (plugin classes);
    - ``STRICT``: unknown keys are errors, not warnings (for Python-only APIs).
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef(())
    CLIENT: ClassVar[str] = "client"
    RULES: ClassVar[tuple[Rule, ...]] = ()
    UNSUPPORTED_PREFIXES: ClassVar[tuple[str, ...]] = ()
    UNSUPPORTED_KEYS: ClassVar[frozenset[str]] = frozenset()
    JAVA_ONLY_KEYS: ClassVar[frozenset[str]] = frozenset()
    STRICT: ClassVar[bool] = False

    _explanations: dict[str, Explanation]
    _originals: dict[str, object]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        keys: dict[str, ConfigKey[Any]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, ConfigKey):
                    if attr != value.attr:
                        raise TypeError(
                            f"{klass.__name__}.{attr}: the definition of {value.name!r} must be "
                            f"named {value.attr!r}"
                        )
                    keys[attr] = value  # a redefinition keeps the first position
        cls.CONFIG = ConfigDef(keys.values(), cls.RULES)

    def __init__(self, properties: Mapping[str, object] | None = None, /, **settings: object):
        data: dict[object, object] = {}
        data.update((properties or {}).items())
        data.update(settings)
        values, explanations = type(self)._parse(data)
        for attr, value in values.items():
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "_explanations", explanations)
        object.__setattr__(self, "_originals", data)

    # --- parsing ------------------------------------------------------------------------------

    @classmethod
    def _parse(cls, data: Mapping[object, object]) -> tuple[dict[str, Any], dict[str, Explanation]]:
        definition = cls.CONFIG
        given, ignored = cls._split_keys(data)
        values: dict[str, Any] = {}
        explanations: dict[str, Explanation] = {}
        for key in definition:
            if key.attr in given:
                raw = given[key.attr]
                try:
                    value = key.parse(raw)
                except ValueError as exc:
                    raise ConfigError(key.name, raw, str(exc)) from None
                explanations[key.attr] = Explanation(key.name, value, "user", "set by the user")
            elif key.required:
                raise ConfigError(
                    key.name,
                    _NO_VALUE,
                    f'Missing required configuration "{key.name}" which has no default value.',
                )
            else:
                # Java parses defaults too; only a converting key needs it here.
                value = key.default if key.convert is None else key.convert(key.default)
                reason = key.default_reason or (
                    f"Kafka {KAFKA_VERSION} default" if key.java else "kafkaproto default"
                )
                explanations[key.attr] = Explanation(key.name, value, "default", reason)
            values[key.attr] = value
        user_keys = {definition.by_attr[attr].name for attr in given}
        context = RuleContext(cls, values, user_keys, explanations)
        for rule in definition.rules:
            rule(context)
        for name, reason in ignored.items():
            explanations[name] = Explanation(name, data[name], "user", reason)
        return values, explanations

    @classmethod
    def _split_keys(cls, data: Mapping[object, object]) -> tuple[dict[str, object], dict[str, str]]:
        definition = cls.CONFIG
        log = logging.getLogger(cls.__module__)
        known: dict[str, object] = {}
        ignored: dict[str, str] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise ConfigError(repr(key), value, "configuration names must be strings")
            found = definition.keys.get(key) or definition.by_attr.get(key)
            if found is not None:
                if found.attr in known:
                    raise ConfigError(key, value, "given under both its Java and Python name")
                known[found.attr] = value
            elif key.startswith(cls.UNSUPPORTED_PREFIXES) or key in cls.UNSUPPORTED_KEYS:
                raise ConfigError(
                    key, value, "a Java setting kafkaproto does not support yet; not ignoring it"
                )
            elif key in cls.JAVA_ONLY_KEYS:
                reason = "ignored: a Java client setting that kafkaproto does not use"
                log.warning("Configuration '%s' is %s.", key, reason[9:])
                ignored[key] = reason
            else:
                names = list(definition.keys) + list(definition.by_attr)
                close = difflib.get_close_matches(key, names, 1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                if cls.STRICT:
                    raise ConfigError(key, value, f"not a known {cls.CLIENT} config{hint}")
                # AbstractConfig.logUnused: Java warns "supplied but isn't a known config".
                reason = f"ignored: not a known {cls.CLIENT} config{hint}"
                log.warning("The configuration '%s' isn't a known config%s.", key, hint)
                ignored[key] = reason
        return known, ignored

    # --- reading ------------------------------------------------------------------------------

    @classmethod
    def of(cls, config: Self | Mapping[str, object] | None, settings: Mapping[str, object]) -> Self:
        """What a client's constructor takes: a ready config, or properties and/or keyword
        settings (the keywords win)."""
        if isinstance(config, cls):
            if settings:
                raise TypeError(f"pass either a {cls.__name__} or settings, not both")
            return config
        if config is not None and not isinstance(config, Mapping):
            raise TypeError(f"expected a {cls.__name__} or a mapping, got {type(config).__name__}")
        return cls(config, **settings)

    @classmethod
    def java_names(cls) -> dict[str, str]:
        """Java property name -> Python attribute name, for every key this config carries."""
        return {key.name: key.attr for key in cls.CONFIG}

    def replace(self, **changes: object) -> Self:
        """A new config from the same original settings with ``changes`` (Python or Java names)
        on top; rules run again."""
        data = {k: v for k, v in self._originals.items() if isinstance(k, str)}
        for name in changes:
            if name in type(self).CONFIG:
                other = type(self).CONFIG.key(name)
                data.pop(other.name, None)
                data.pop(other.attr, None)
        return type(self)({**data, **changes})

    def originals(self) -> dict[str, object]:
        """The settings as given (Java's ``originals()``)."""
        return {str(k): v for k, v in self._originals.items()}

    def to_properties(self) -> dict[str, object]:
        """The effective values under Java's names."""
        return {key.name: getattr(self, key.attr) for key in type(self).CONFIG}

    def explanation(self, key: str) -> Explanation:
        """Why ``key`` (Java or Python name) has its effective value."""
        return self._explanations[type(self).CONFIG.key(key).attr]

    @property
    def ignored(self) -> tuple[Explanation, ...]:
        """Keys given but not used (unknown to Java, or Java-only), with the reason."""
        definition = type(self).CONFIG
        return tuple(e for e in self._explanations.values() if e.key not in definition.keys)

    @classmethod
    def explain(cls, settings: Mapping[str, object]) -> list[Explanation]:
        """Every key with its effective value and why, for ``settings`` (Java or Python names),
        sorted by key; ignored keys come last. Raises ``ConfigError`` like the constructor."""
        config = cls(settings)
        rows = sorted((config.explanation(key.name) for key in cls.CONFIG), key=lambda r: r.key)
        return rows + sorted(config.ignored, key=lambda row: row.key)

    # --- immutability and value semantics -----------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise ConfigFrozenError(f"{type(self).__name__} is immutable; use replace(...)")

    def __delattr__(self, name: str) -> None:
        raise ConfigFrozenError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, AbstractConfig)
        return self.to_properties() == other.to_properties()

    def __hash__(self) -> int:
        return hash(tuple(self.to_properties().items()))

    def __repr__(self) -> str:
        items = ", ".join(f"{key.attr}={getattr(self, key.attr)!r}" for key in type(self).CONFIG)
        return f"{type(self).__name__}({items})"
