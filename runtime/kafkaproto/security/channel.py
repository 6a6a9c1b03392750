"""What a connection needs to secure itself, built once per client from a
:class:`~kafkaproto.security.config.SecurityConfig`: the TLS context (Java's
``DefaultSslEngineFactory`` with PEM stores), a fresh SASL client per authentication, and the
OAUTHBEARER token cache shared by every connection of the client.

It also turns the low-level failures of a first exchange into the typed errors of
:mod:`kafkaproto.security.errors` (:func:`classify_tls_failure`), so that the connection layer
stays thin. Building reads the PEM files named by the settings (a missing file or a wrong key
password is a :class:`SecurityConfigError` at client construction, as Java fails in its
constructor); nothing here opens a connection to a broker.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import ssl
import tempfile
import time
from collections.abc import Callable
from typing import Any

from kafkaproto.security.config import SecurityConfig, SecurityConfigError
from kafkaproto.security.errors import (
    OAuthBearerTokenError,
    SecurityProtocolMismatchError,
    SslAuthenticationError,
)
from kafkaproto.security.oauthbearer import OAuthBearerClient, OAuthBearerToken, TokenRefreshPolicy
from kafkaproto.security.oidc import ClientCredentialsTokenSource, FileTokenSource
from kafkaproto.security.plain import PlainClient
from kafkaproto.security.sasl_client import SaslClient
from kafkaproto.security.scram import SCRAM_MECHANISMS, ScramClient

__all__ = [
    "PLAINTEXT",
    "ChannelSecurity",
    "TokenCache",
    "build_ssl_context",
    "classify_tls_failure",
]

_TLS_VERSION = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def build_ssl_context(c: SecurityConfig) -> ssl.SSLContext:
    """An ``SSLContext`` for ``c``: the user's own ``ssl.context`` as it is, else a client
    context that verifies the broker against the trust store (the system's when none is given)
    and, unless ``ssl.endpoint.identification.algorithm`` is empty, its host name."""
    if c.ssl_context is not None:
        return c.ssl_context
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = bool(c.ssl_endpoint_identification_algorithm)
    ctx.verify_mode = ssl.CERT_REQUIRED
    try:
        if c.ssl_truststore_location:
            ctx.load_verify_locations(cafile=c.ssl_truststore_location)
        elif c.ssl_truststore_certificates:
            ctx.load_verify_locations(cadata=c.ssl_truststore_certificates)
        else:
            ctx.load_default_certs()
    except (OSError, ssl.SSLError) as exc:
        key = (
            "ssl.truststore.location"
            if c.ssl_truststore_location
            else "ssl.truststore.certificates"
        )
        value = c.ssl_truststore_location if c.ssl_truststore_location else "[hidden]"
        raise SecurityConfigError(
            key, value, f"cannot load the trusted certificates: {exc}"
        ) from None
    enabled = [_TLS_VERSION[v] for v in c.ssl_enabled_protocols if v in _TLS_VERSION]
    ctx.minimum_version = min(enabled)
    ctx.maximum_version = max(enabled)
    if c.ssl_cipher_suites:
        try:
            ctx.set_ciphers(":".join(c.ssl_cipher_suites))
        except ssl.SSLError as exc:
            raise SecurityConfigError(
                "ssl.cipher.suites", ",".join(c.ssl_cipher_suites),
                f"OpenSSL accepts none of these TLS 1.2 suites ({exc.reason}); use OpenSSL's "
                "names (ECDHE-RSA-AES128-GCM-SHA256)",
            ) from None  # fmt: skip
    _load_keystore(ctx, c)
    return ctx


def _load_keystore(ctx: ssl.SSLContext, c: SecurityConfig) -> None:
    if c.ssl_keystore_location:
        key = "ssl.keystore.location"
        try:
            ctx.load_cert_chain(c.ssl_keystore_location, password=c.ssl_key_password)
        except (OSError, ssl.SSLError) as exc:
            raise SecurityConfigError(
                key, c.ssl_keystore_location, _keystore_reason(exc, c.ssl_key_password)
            ) from None
    elif c.ssl_keystore_key and c.ssl_keystore_certificate_chain:
        # load_cert_chain reads files only: a private temporary file, removed at once.
        fd, path = tempfile.mkstemp(prefix="kafkaproto-key-", suffix=".pem")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(c.ssl_keystore_key.strip() + "\n")
                fh.write(c.ssl_keystore_certificate_chain.strip() + "\n")
            ctx.load_cert_chain(path, password=c.ssl_key_password)
        except (OSError, ssl.SSLError) as exc:
            raise SecurityConfigError(
                "ssl.keystore.key", "[hidden]", _keystore_reason(exc, c.ssl_key_password)
            ) from None
        finally:
            os.unlink(path)


def _keystore_reason(exc: BaseException, password: str | None) -> str:
    hint = (
        " (is ssl.key.password right?)"
        if password
        else " (an encrypted key needs ssl.key.password)"
    )
    return f"cannot load the private key and certificate chain: {exc}{hint}"


def classify_tls_failure(
    exc: BaseException,
    *,
    broker: str,
    host: str,
    protocol: str,
    has_client_certificate: bool = False,
) -> Exception:
    """The typed error for a failed TLS handshake (or a TLS alert on the first read)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SslAuthenticationError(
            exc.verify_message or str(exc), broker=broker, host=host,
            hint="check ssl.truststore.* and that the broker's certificate covers this host "
            "name; ssl.endpoint.identification.algorithm= (empty) skips the host name check",
        )  # fmt: skip
    text = str(exc)
    reason = (getattr(exc, "reason", None) or text).replace("_", " ").lower()
    if isinstance(exc, ssl.SSLError) and "alert" in reason:
        hint = ""
        if any(
            w in reason for w in ("certificate required", "bad certificate", "handshake failure")
        ):
            hint = (
                "the broker refused our client certificate"
                if has_client_certificate
                else "the broker requires a client certificate: set ssl.keystore.*"
            )
        elif "unknown ca" in reason:
            hint = "the broker does not trust the CA of our client certificate"
        return SslAuthenticationError(
            f"the broker sent TLS alert: {reason}", broker=broker, host=host, hint=hint
        )
    if isinstance(exc, ssl.SSLError) and "wrong version number" in text.lower():
        return SecurityProtocolMismatchError(
            f"the broker's answer to our TLS hello is not TLS ({exc.reason})",
            broker=broker, expected=protocol,
            hint="is this a PLAINTEXT or SASL_PLAINTEXT listener?",
        )  # fmt: skip
    if isinstance(exc, TimeoutError):
        return SecurityProtocolMismatchError(
            "no answer to our TLS hello", broker=broker, expected=protocol,
            hint="is this a PLAINTEXT or SASL_PLAINTEXT listener, or not Kafka at all?",
        )  # fmt: skip
    if isinstance(exc, ConnectionError | ssl.SSLError | EOFError) or "eof" in text.lower():
        return SecurityProtocolMismatchError(
            "the broker closed the connection during the TLS handshake"
            + (f" ({exc})" if str(exc) else ""),
            broker=broker, expected=protocol,
            hint="is this a PLAINTEXT or SASL_PLAINTEXT listener?",
        )  # fmt: skip
    return SslAuthenticationError(text, broker=broker, host=host)


class TokenCache:
    """The OAUTHBEARER token of one client: fetched on first use, reused until the refresh time
    of Java's ``sasl.login.refresh.*`` rules, fetched once at a time however many connections
    ask (Java refreshes in a background thread; here the next authentication after the refresh
    time fetches, which needs no task of its own)."""

    def __init__(
        self,
        fetch: Callable[[], Any],
        policy: TokenRefreshPolicy,
        *,
        name: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._policy = policy
        self._name = name
        self._clock = clock
        self._token: OAuthBearerToken | None = None
        self._refresh_at = 0.0
        self._lock: asyncio.Lock | None = None
        self.fetches = 0

    async def get(self) -> OAuthBearerToken:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            token = await self._call()
            obtained = self._clock()
            self._token = token
            self._refresh_at = self._policy.refresh_at(obtained, token)
            self.fetches += 1
            return token

    async def _call(self) -> OAuthBearerToken:
        try:
            result = self._fetch()
            if inspect.isawaitable(result):
                result = await result
        except OAuthBearerTokenError:
            raise
        except Exception as exc:
            raise OAuthBearerTokenError(
                f"the token provider failed: {exc!r}", endpoint=self._name
            ) from exc
        if isinstance(result, OAuthBearerToken):
            return result
        if isinstance(result, str):
            try:
                return OAuthBearerToken.from_jwt(result.strip())
            except ValueError:
                return OAuthBearerToken(result.strip())  # opaque: fetched for every login
        raise OAuthBearerTokenError(
            f"the token provider returned a {type(result).__name__}, not a str or OAuthBearerToken",
            endpoint=self._name,
        )


PLAINTEXT = "PLAINTEXT"


class ChannelSecurity:
    """TLS context and SASL client factory of one client (shared by all its connections)."""

    def __init__(self, config: SecurityConfig) -> None:
        self.config = config
        self.protocol = config.security_protocol
        self.ssl_context = build_ssl_context(config) if config.uses_tls else None
        self.mechanism = config.sasl_mechanism if config.uses_sasl else None
        self.has_client_certificate = bool(
            config.ssl_keystore_location or config.ssl_keystore_key or config.ssl_context
        )
        self.token_cache: TokenCache | None = None
        if self.mechanism == "OAUTHBEARER":
            self.token_cache = self._token_cache(config)

    @classmethod
    def plaintext(cls) -> ChannelSecurity:
        return cls(SecurityConfig())

    @property
    def uses_tls(self) -> bool:
        return self.ssl_context is not None

    @property
    def uses_sasl(self) -> bool:
        return self.mechanism is not None

    async def sasl_client(self) -> SaslClient:
        """A fresh client for one authentication (re-authentications get a new one too)."""
        c = self.config
        mechanism = self.mechanism
        options = c.jaas.options if c.jaas is not None else {}
        if mechanism == "PLAIN":
            return PlainClient(options["username"], options["password"])
        if mechanism in SCRAM_MECHANISMS:
            extensions = {"tokenauth": "true"} if options.get("tokenauth") == "true" else None
            return ScramClient(
                mechanism, options["username"], options["password"], extensions=extensions
            )
        if mechanism == "OAUTHBEARER":
            assert self.token_cache is not None
            token = await self.token_cache.get()
            return OAuthBearerClient(token)
        raise AssertionError(f"no SASL client for {mechanism}")

    @staticmethod
    def _token_cache(c: SecurityConfig) -> TokenCache:
        policy = TokenRefreshPolicy(
            window_factor=c.sasl_login_refresh_window_factor,
            window_jitter=c.sasl_login_refresh_window_jitter,
            min_period_s=c.sasl_login_refresh_min_period_seconds,
            buffer_s=c.sasl_login_refresh_buffer_seconds,
        )
        provider = c.sasl_oauthbearer_token_provider
        if provider is not None:
            name = getattr(provider, "__qualname__", None) or type(provider).__name__
            return TokenCache(provider, policy, name=f"token provider {name}")
        url = c.sasl_oauthbearer_token_endpoint_url
        assert url is not None
        sub = c.sasl_oauthbearer_sub_claim_name
        if url.lower().startswith("file:"):
            return TokenCache(FileTokenSource(url, sub_claim=sub), policy, name=url)
        options = c.jaas.options if c.jaas is not None else {}
        source = ClientCredentialsTokenSource(
            url,
            c.sasl_oauthbearer_client_credentials_client_id or options.get("clientId", ""),
            c.sasl_oauthbearer_client_credentials_client_secret or options.get("clientSecret", ""),
            scope=c.sasl_oauthbearer_scope or options.get("scope"),
            urlencode_header=c.sasl_oauthbearer_header_urlencode,
            # Java trusts the JVM's default store for the token endpoint (not the broker's
            # ssl.truststore.*); so does this: the system's.
            ssl_context=None,
            connect_timeout_ms=c.sasl_login_connect_timeout_ms,
            read_timeout_ms=c.sasl_login_read_timeout_ms,
            retry_backoff_ms=c.sasl_login_retry_backoff_ms,
            retry_backoff_max_ms=c.sasl_login_retry_backoff_max_ms,
            sub_claim=sub,
        )
        return TokenCache(source, policy, name=url)
