"""The security settings of every client (``security.protocol``, ``ssl.*``, ``sasl.*``) with
Kafka 4.4.0's names, types, defaults and validators (``CommonClientConfigs``, ``SslConfigs``,
``SaslConfigs.addClientSaslSupport``, read from the kafka-clients 4.4.0 bytecode), plus two
Python-only keys: ``ssl.context`` (a ready ``ssl.SSLContext``) and
``sasl.oauthbearer.token.provider`` (a callable returning a token, for AWS MSK IAM signers and
the like).

``SecurityConfig.from_settings(mapping)`` parses values the way Java's ``ConfigDef`` does
(strings from property files, lists split on commas), validates, and then applies the rules
Java applies when it builds the channel (``CommonClientConfigs.postValidateSaslMechanismConfig``,
the one-login-module rule of ``JaasContext``, the PEM key store rules of
``DefaultSslEngineFactory``). Each key remembers whether the user set it (``explain``).

What kafkaproto cannot do is an error naming the key, never silently ignored: JKS/PKCS12 stores
(convert to PEM), GSSAPI (Kerberos), Java class-name plug-ins other than the defaults.

This module is the one place security settings are defined, kept small so it can move onto the
shared config machinery; it must never open a file or a connection (that is
:mod:`kafkaproto.security.channel`).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final

from kafkaproto.errors import KafkaProtoError
from kafkaproto.security.jaas import JaasConfigError, JaasEntry, parse_jaas_config

__all__ = [
    "SECURITY_KEYS",
    "SUPPORTED_MECHANISMS",
    "SecurityConfig",
    "SecurityConfigError",
    "SecurityKey",
    "is_security_key",
]

SUPPORTED_MECHANISMS: Final = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
PROTOCOLS: Final = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
_TLS_VERSIONS: Final = ("TLSv1.2", "TLSv1.3")
_OAUTH_LOGIN_HANDLER: Final = (
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
)
_LOGIN_MODULES: Final = {
    "PLAIN": (
        "org.apache.kafka.common.security.plain.PlainLoginModule",
        "org.apache.kafka.common.security.scram.ScramLoginModule",
    ),
    "SCRAM-SHA-256": (
        "org.apache.kafka.common.security.scram.ScramLoginModule",
        "org.apache.kafka.common.security.plain.PlainLoginModule",
    ),
    "SCRAM-SHA-512": (
        "org.apache.kafka.common.security.scram.ScramLoginModule",
        "org.apache.kafka.common.security.plain.PlainLoginModule",
    ),
    "OAUTHBEARER": ("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",),
}


class SecurityConfigError(KafkaProtoError, ValueError):
    """A security setting Kafka would reject, or one kafkaproto cannot honour; names the key.
    (The producer's ``ConfigError`` is raised for these when they come through its config.)"""

    def __init__(self, key: str, value: object, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        shown = "[hidden]" if _is_secret(key) and value is not None else repr(value)
        super().__init__(f"Invalid value {shown} for configuration {key}: {reason}")


# -- key definitions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecurityKey:
    """One setting: Java name, ConfigDef type, default, doc line, optional range."""

    name: str
    type: str  # STRING, PASSWORD, LIST, INT, LONG, SHORT, DOUBLE, BOOLEAN, CLASS, OBJECT
    default: Any
    doc: str
    at_least: float | None = None
    at_most: float | None = None

    @property
    def attr(self) -> str:
        return self.name.replace(".", "_")


def _k(name: str, type_: str, default: Any, doc: str, lo: float | None = None,
       hi: float | None = None) -> SecurityKey:  # fmt: skip
    return SecurityKey(name, type_, default, doc, lo, hi)


SECURITY_KEYS: Final[tuple[SecurityKey, ...]] = (
    _k("security.protocol", "STRING", "PLAINTEXT",
       "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (any case)"),
    # -- TLS (SslConfigs) --
    _k("ssl.protocol", "STRING", "TLSv1.3", "the newest TLS version offered"),
    _k("ssl.enabled.protocols", "LIST", "TLSv1.2,TLSv1.3", "TLS versions allowed"),
    _k("ssl.cipher.suites", "LIST", "",
       "TLS 1.2 cipher suites by OpenSSL name; empty: OpenSSL's defaults"),
    _k("ssl.endpoint.identification.algorithm", "STRING", "https",
       "https: verify the broker's host name against its certificate; empty: do not"),
    _k("ssl.truststore.type", "STRING", "JKS", "PEM is what kafkaproto reads"),
    _k("ssl.truststore.location", "STRING", None, "PEM file of trusted CA certificates"),
    _k("ssl.truststore.certificates", "PASSWORD", None, "trusted CA certificates as PEM text"),
    _k("ssl.truststore.password", "PASSWORD", None, "not used with PEM trust stores"),
    _k("ssl.keystore.type", "STRING", "JKS", "PEM is what kafkaproto reads"),
    _k("ssl.keystore.location", "STRING", None,
       "PEM file with the client's private key and certificate chain (mutual TLS)"),
    _k("ssl.keystore.key", "PASSWORD", None, "the client's private key as PEM text"),
    _k("ssl.keystore.certificate.chain", "PASSWORD", None,
       "the client's certificate chain as PEM text"),
    _k("ssl.keystore.password", "PASSWORD", None, "not allowed with PEM key stores"),
    _k("ssl.key.password", "PASSWORD", None, "password of an encrypted private key"),
    _k("ssl.keymanager.algorithm", "STRING", "SunX509", "Java only; not used"),
    _k("ssl.trustmanager.algorithm", "STRING", "PKIX", "Java only; not used"),
    _k("ssl.provider", "STRING", None, "Java only; must stay unset"),
    _k("ssl.secure.random.implementation", "STRING", None, "Java only; must stay unset"),
    _k("ssl.engine.factory.class", "CLASS", None, "Java only; must stay unset"),
    _k("ssl.context", "OBJECT", None,
       "kafkaproto: a ready ssl.SSLContext, used instead of the ssl.* settings"),
    # -- SASL (SaslConfigs) --
    _k("sasl.mechanism", "STRING", "GSSAPI",
       "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"),
    _k("sasl.jaas.config", "PASSWORD", None,
       "one JAAS login module line, as in Java client files"),
    _k("sasl.login.callback.handler.class", "CLASS", None,
       "only Java's OAuthBearerLoginCallbackHandler is understood"),
    _k("sasl.client.callback.handler.class", "CLASS", None, "Java only; must stay unset"),
    _k("sasl.login.class", "CLASS", None, "Java only; must stay unset"),
    _k("sasl.kerberos.service.name", "STRING", None, "GSSAPI is not implemented"),
    _k("sasl.login.refresh.window.factor", "DOUBLE", 0.8,
       "refresh a token at this share of its lifetime", 0.5, 1.0),
    _k("sasl.login.refresh.window.jitter", "DOUBLE", 0.05,
       "random share of the lifetime added to that", 0.0, 0.25),
    _k("sasl.login.refresh.min.period.seconds", "SHORT", 60,
       "never refresh sooner than this after fetching", 0, 900),
    _k("sasl.login.refresh.buffer.seconds", "SHORT", 300,
       "refresh at least this long before expiry", 0, 3600),
    _k("sasl.login.connect.timeout.ms", "INT", None,
       "token endpoint connect timeout (null: 10 s here)"),
    _k("sasl.login.read.timeout.ms", "INT", None, "token endpoint read timeout (null: 30 s here)"),
    _k("sasl.login.retry.backoff.ms", "LONG", 100, "first wait between token endpoint attempts"),
    _k("sasl.login.retry.backoff.max.ms", "LONG", 10000,
       "token endpoint attempts stop once this much time has passed"),
    _k("sasl.oauthbearer.token.endpoint.url", "STRING", None,
       "OIDC token endpoint (http/https: client-credentials grant; file: a token file)"),
    _k("sasl.oauthbearer.client.credentials.client.id", "STRING", None,
       "OAuth client id (or clientId in sasl.jaas.config)"),
    _k("sasl.oauthbearer.client.credentials.client.secret", "PASSWORD", None,
       "OAuth client secret (or clientSecret in sasl.jaas.config)"),
    _k("sasl.oauthbearer.scope", "STRING", None, "OAuth scope (or scope in sasl.jaas.config)"),
    _k("sasl.oauthbearer.header.urlencode", "BOOLEAN", False,
       "URL-encode client id and secret in the Authorization header (RFC 6749 §2.3.1)"),
    _k("sasl.oauthbearer.sub.claim.name", "STRING", "sub", "the JWT claim naming the principal"),
    _k("sasl.oauthbearer.token.provider", "OBJECT", None,
       "kafkaproto: a callable (sync or async) returning a token string or OAuthBearerToken"),
)  # fmt: skip
_BY_NAME: Final = {k.name: k for k in SECURITY_KEYS}
_BY_ATTR: Final = {k.attr: k for k in SECURITY_KEYS}
# Keys Java defines that have no effect on a client connection here and are accepted as such.
_ACCEPTED_UNUSED: Final = frozenset({"ssl.keymanager.algorithm", "ssl.trustmanager.algorithm"})


def is_security_key(key: str) -> bool:
    """Whether ``key`` (Java or Python name) is one of these settings or another ``ssl.*`` /
    ``sasl.*`` key (those are refused by :meth:`SecurityConfig.from_settings`, not ignored)."""
    return (
        key in _BY_NAME
        or key in _BY_ATTR
        or key.startswith(("ssl.", "sasl.", "ssl_", "sasl_"))
        or key == "security_protocol"
    )


def _is_secret(key: str) -> bool:
    spec = _BY_NAME.get(key)
    return spec is not None and spec.type == "PASSWORD"


# -- parsing (ConfigDef.parseType) ----------------------------------------------------------------


def _parse(spec: SecurityKey, value: object) -> Any:
    if value is None:
        return None
    t = spec.type
    if t in ("STRING", "PASSWORD", "CLASS"):
        if not isinstance(value, str):
            raise SecurityConfigError(spec.name, value, "Expected value to be a string")
        return value.strip() if t != "PASSWORD" else value
    if t == "LIST":
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",")] if value.strip() else []
        elif isinstance(value, list | tuple):
            items = [str(item).strip() for item in value]
        else:
            raise SecurityConfigError(spec.name, value, "Expected a comma separated list")
        return tuple(items)
    if t == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise SecurityConfigError(spec.name, value, "Expected value to be either true or false")
    if t in ("INT", "LONG", "SHORT", "DOUBLE"):
        number: float
        try:
            if isinstance(value, bool):
                raise ValueError
            if t == "DOUBLE":
                number = float(value)  # type: ignore[arg-type]
            elif isinstance(value, int):
                number = value
            elif isinstance(value, str):
                number = int(value.strip())
            else:
                raise ValueError
        except ValueError:
            raise SecurityConfigError(spec.name, value, f"Not a number of type {t}") from None
        if spec.at_least is not None and number < spec.at_least:
            raise SecurityConfigError(spec.name, value, f"Value must be at least {spec.at_least:g}")
        if spec.at_most is not None and number > spec.at_most:
            raise SecurityConfigError(
                spec.name, value, f"Value must be no more than {spec.at_most:g}"
            )
        return number
    return value  # OBJECT: checked by the rules below


# -- the value ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """Validated security settings; attribute names are the Java names with ``_``."""

    security_protocol: str = "PLAINTEXT"
    ssl_protocol: str = "TLSv1.3"
    ssl_enabled_protocols: tuple[str, ...] = ("TLSv1.2", "TLSv1.3")
    ssl_cipher_suites: tuple[str, ...] = ()
    ssl_endpoint_identification_algorithm: str | None = "https"
    ssl_truststore_type: str = "JKS"
    ssl_truststore_location: str | None = None
    ssl_truststore_certificates: str | None = None
    ssl_truststore_password: str | None = None
    ssl_keystore_type: str = "JKS"
    ssl_keystore_location: str | None = None
    ssl_keystore_key: str | None = None
    ssl_keystore_certificate_chain: str | None = None
    ssl_keystore_password: str | None = None
    ssl_key_password: str | None = None
    ssl_keymanager_algorithm: str = "SunX509"
    ssl_trustmanager_algorithm: str = "PKIX"
    ssl_provider: str | None = None
    ssl_secure_random_implementation: str | None = None
    ssl_engine_factory_class: str | None = None
    ssl_context: ssl.SSLContext | None = None
    sasl_mechanism: str | None = "GSSAPI"
    sasl_jaas_config: str | None = field(default=None, repr=False)
    sasl_login_callback_handler_class: str | None = None
    sasl_client_callback_handler_class: str | None = None
    sasl_login_class: str | None = None
    sasl_kerberos_service_name: str | None = None
    sasl_login_refresh_window_factor: float = 0.8
    sasl_login_refresh_window_jitter: float = 0.05
    sasl_login_refresh_min_period_seconds: int = 60
    sasl_login_refresh_buffer_seconds: int = 300
    sasl_login_connect_timeout_ms: int | None = None
    sasl_login_read_timeout_ms: int | None = None
    sasl_login_retry_backoff_ms: int = 100
    sasl_login_retry_backoff_max_ms: int = 10000
    sasl_oauthbearer_token_endpoint_url: str | None = None
    sasl_oauthbearer_client_credentials_client_id: str | None = None
    sasl_oauthbearer_client_credentials_client_secret: str | None = field(default=None, repr=False)
    sasl_oauthbearer_scope: str | None = None
    sasl_oauthbearer_header_urlencode: bool = False
    sasl_oauthbearer_sub_claim_name: str = "sub"
    sasl_oauthbearer_token_provider: Callable[[], Any] | None = None
    #: Keys the user set (Java names).
    user_keys: frozenset[str] = frozenset()
    #: The parsed sasl.jaas.config entry (None when not set).
    jaas: JaasEntry | None = field(default=None, repr=False)

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | None = None) -> SecurityConfig:
        """Parse and validate; keys are Java names (``ssl.truststore.location``) or Python
        names (``ssl_truststore_location``). Keys that are not security settings are an error
        here (the clients' configs pass only theirs)."""
        values: dict[str, Any] = {}
        user: set[str] = set()
        for key, raw in (settings or {}).items():
            spec = _BY_NAME.get(key) or _BY_ATTR.get(key)
            if spec is None:
                raise SecurityConfigError(
                    key, raw, "not a security setting kafkaproto knows; not ignoring it"
                )
            if spec.name in user:
                raise SecurityConfigError(key, raw, "given under both its Java and Python name")
            user.add(spec.name)
            values[spec.attr] = _parse(spec, raw)
        for attr, value in values.items():
            spec = _BY_ATTR[attr]
            if value is None and spec.default is not None:
                raise SecurityConfigError(spec.name, value, "must not be null")
        config = cls(**values, user_keys=frozenset(user))
        return _validated(config)

    def explain(self) -> list[tuple[str, object, str, str]]:
        """(key, effective value, "user"/"default", doc) for every key, passwords hidden."""
        rows = []
        for spec in SECURITY_KEYS:
            value = getattr(self, spec.attr)
            if spec.type == "PASSWORD" and value is not None:
                value = "[hidden]"
            source = "user" if spec.name in self.user_keys else "default"
            rows.append((spec.name, value, source, spec.doc))
        return rows

    def replace(self, **changes: Any) -> SecurityConfig:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update(changes)
        return type(self)(**current)


def _validated(c: SecurityConfig) -> SecurityConfig:
    changes: dict[str, Any] = {}
    protocol = c.security_protocol.upper()
    if protocol not in PROTOCOLS:
        raise SecurityConfigError(
            "security.protocol",
            c.security_protocol,
            f"String must be one of: {', '.join(PROTOCOLS)}",
        )
    changes["security_protocol"] = protocol
    for key in ("ssl.provider", "ssl.secure.random.implementation", "ssl.engine.factory.class",
                "sasl.client.callback.handler.class", "sasl.login.class"):  # fmt: skip
        if getattr(c, _BY_NAME[key].attr) is not None:
            raise SecurityConfigError(
                key, getattr(c, _BY_NAME[key].attr), "a Java plug-in kafkaproto cannot load"
            )
    if c.ssl_context is not None and not isinstance(c.ssl_context, ssl.SSLContext):
        raise SecurityConfigError("ssl.context", c.ssl_context, "must be an ssl.SSLContext")
    _validate_tls(c)
    jaas = _validate_sasl(c, protocol)
    if jaas is not None:
        changes["jaas"] = jaas
    return c.replace(**changes)


def _validate_tls(c: SecurityConfig) -> None:
    for key, store_type in (("ssl.truststore.type", c.ssl_truststore_type),
                            ("ssl.keystore.type", c.ssl_keystore_type)):  # fmt: skip
        used = (
            c.ssl_truststore_location or c.ssl_truststore_certificates
            if key.startswith("ssl.truststore")
            else c.ssl_keystore_location or c.ssl_keystore_key
        )
        if used and store_type.upper() != "PEM":
            raise SecurityConfigError(
                key, store_type,
                f"kafkaproto reads PEM stores only: convert the store to PEM and set {key}=PEM",
            )  # fmt: skip
    if c.ssl_truststore_location and c.ssl_truststore_certificates:
        raise SecurityConfigError(
            "ssl.truststore.certificates", "[hidden]",
            "give either ssl.truststore.location or ssl.truststore.certificates, not both",
        )  # fmt: skip
    if c.ssl_truststore_password and c.ssl_truststore_type.upper() == "PEM":
        # DefaultSslEngineFactory.createTruststore: PEM trust stores have no password.
        raise SecurityConfigError(
            "ssl.truststore.password", "[hidden]",
            "SSL trust store password cannot be specified for PEM format.",
        )  # fmt: skip
    if c.ssl_keystore_location and (c.ssl_keystore_key or c.ssl_keystore_certificate_chain):
        raise SecurityConfigError(
            "ssl.keystore.key", "[hidden]",
            "give either ssl.keystore.location or ssl.keystore.key with "
            "ssl.keystore.certificate.chain, not both",
        )  # fmt: skip
    if bool(c.ssl_keystore_key) != bool(c.ssl_keystore_certificate_chain):
        missing = "ssl.keystore.certificate.chain" if c.ssl_keystore_key else "ssl.keystore.key"
        raise SecurityConfigError(
            missing, None, "both the key and its certificate chain are needed"
        )
    if c.ssl_keystore_password and c.ssl_keystore_type.upper() == "PEM":
        raise SecurityConfigError(
            "ssl.keystore.password", "[hidden]",
            "SSL key store password cannot be specified with PEM format, only key password may "
            "be specified",
        )  # fmt: skip
    for version in (c.ssl_protocol, *c.ssl_enabled_protocols):
        if version not in _TLS_VERSIONS and version not in ("TLS", "TLSv1", "TLSv1.1"):
            key = "ssl.protocol" if version == c.ssl_protocol else "ssl.enabled.protocols"
            raise SecurityConfigError(key, version, "unknown TLS version (known: TLSv1.2, TLSv1.3)")
    if not any(v in _TLS_VERSIONS for v in c.ssl_enabled_protocols):
        raise SecurityConfigError(
            "ssl.enabled.protocols", ",".join(c.ssl_enabled_protocols),
            "no TLS version kafkaproto allows is enabled (TLSv1.2, TLSv1.3)",
        )  # fmt: skip
    algorithm = c.ssl_endpoint_identification_algorithm
    if algorithm and algorithm.lower() != "https":
        raise SecurityConfigError(
            "ssl.endpoint.identification.algorithm", algorithm,
            "only https (verify the host name) or empty (do not) is supported",
        )  # fmt: skip


def _validate_sasl(c: SecurityConfig, protocol: str) -> JaasEntry | None:
    mechanism = c.sasl_mechanism
    if protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
        return _parse_jaas(c) if c.sasl_jaas_config else None
    # CommonClientConfigs.postValidateSaslMechanismConfig.
    if not mechanism:
        raise SecurityConfigError(
            "sasl.mechanism", mechanism,
            "When the security.protocol configuration enables SASL, mechanism must be non-null "
            "and non-empty string.",
        )  # fmt: skip
    if mechanism == "GSSAPI":
        raise SecurityConfigError(
            "sasl.mechanism", mechanism,
            "GSSAPI (Kerberos, Java's default) is not implemented by kafkaproto; use one of "
            + ", ".join(SUPPORTED_MECHANISMS),
        )  # fmt: skip
    if mechanism not in SUPPORTED_MECHANISMS:
        raise SecurityConfigError(
            "sasl.mechanism", mechanism,
            f"not a mechanism kafkaproto implements ({', '.join(SUPPORTED_MECHANISMS)})",
        )  # fmt: skip
    jaas = _parse_jaas(c)
    if jaas is not None and jaas.login_module not in _LOGIN_MODULES[mechanism]:
        raise SecurityConfigError(
            "sasl.jaas.config", "[hidden]",
            f"login module {jaas.login_module} does not serve {mechanism} (expected "
            f"{_LOGIN_MODULES[mechanism][0]})",
        )  # fmt: skip
    if mechanism == "OAUTHBEARER":
        _validate_oauth(c, jaas)
    else:
        options = jaas.options if jaas is not None else {}
        if jaas is None:
            raise SecurityConfigError(
                "sasl.jaas.config", None,
                f"{mechanism} needs sasl.jaas.config with username and password, e.g. "
                f'{_LOGIN_MODULES[mechanism][0]} required username="..." password="...";',
            )  # fmt: skip
        for option in ("username", "password"):
            if not options.get(option):
                raise SecurityConfigError(
                    "sasl.jaas.config", "[hidden]", f"{mechanism} needs the {option} option"
                )
    return jaas


def _parse_jaas(c: SecurityConfig) -> JaasEntry | None:
    if c.sasl_jaas_config is None:
        return None
    try:
        entries = parse_jaas_config(c.sasl_jaas_config)
    except JaasConfigError as exc:
        raise SecurityConfigError("sasl.jaas.config", "[hidden]", str(exc)) from None
    if len(entries) != 1:
        # JaasContext.loadClientContext.
        raise SecurityConfigError(
            "sasl.jaas.config", "[hidden]",
            f"JAAS config property contains {len(entries)} login modules, should be 1 module",
        )  # fmt: skip
    return entries[0]


def _validate_oauth(c: SecurityConfig, jaas: JaasEntry | None) -> None:
    handler = c.sasl_login_callback_handler_class
    if handler is not None and handler != _OAUTH_LOGIN_HANDLER:
        raise SecurityConfigError(
            "sasl.login.callback.handler.class", handler,
            f"kafkaproto understands only {_OAUTH_LOGIN_HANDLER}; pass a Python callable as "
            "sasl.oauthbearer.token.provider instead",
        )  # fmt: skip
    provider = c.sasl_oauthbearer_token_provider
    url = c.sasl_oauthbearer_token_endpoint_url
    if provider is not None and not callable(provider):
        raise SecurityConfigError("sasl.oauthbearer.token.provider", provider, "must be callable")
    if provider is not None and url is not None:
        raise SecurityConfigError(
            "sasl.oauthbearer.token.provider", provider,
            "give either a token provider or sasl.oauthbearer.token.endpoint.url, not both",
        )  # fmt: skip
    if provider is None and url is None:
        raise SecurityConfigError(
            "sasl.oauthbearer.token.endpoint.url", None,
            "OAUTHBEARER needs a token: set sasl.oauthbearer.token.endpoint.url (OIDC client "
            "credentials) or pass sasl.oauthbearer.token.provider (kafkaproto does not "
            "implement Java's unsecured development tokens)",
        )  # fmt: skip
    if url is None:
        return
    # ConfigurationUtils.validateUrl: a well-formed http, https or file URL.
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise SecurityConfigError(
            "sasl.oauthbearer.token.endpoint.url", url,
            f"The OAuth configuration option sasl.oauthbearer.token.endpoint.url contains a URL "
            f"({url}) that is missing the protocol",
        )  # fmt: skip
    if scheme.lower() not in ("http", "https", "file"):
        raise SecurityConfigError(
            "sasl.oauthbearer.token.endpoint.url", url,
            f"contains an invalid protocol ({scheme}); only \"http\", \"https\", and \"file\" "
            "protocol are supported",
        )  # fmt: skip
    if scheme.lower() == "file":
        return
    options = jaas.options if jaas is not None else {}
    # ClientCredentialsRequestFormatterFactory/ConfigOrJaas: config first, then JAAS option.
    if not (c.sasl_oauthbearer_client_credentials_client_id or options.get("clientId", "").strip()):
        raise SecurityConfigError(
            "sasl.oauthbearer.client.credentials.client.id", None,
            "Could not find OAuth configuration for sasl.oauthbearer.client.credentials.client.id "
            "or OAuth JAAS configuration for clientId",
        )  # fmt: skip
    if not (
        c.sasl_oauthbearer_client_credentials_client_secret
        or options.get("clientSecret", "").strip()
    ):
        raise SecurityConfigError(
            "sasl.oauthbearer.client.credentials.client.secret", None,
            "Could not find OAuth configuration for "
            "sasl.oauthbearer.client.credentials.client.secret or OAuth JAAS configuration for "
            "clientSecret",
        )  # fmt: skip
